package apple_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The core is the standard library plus this module (whose passcode package
// seals with golang.org/x/crypto): nanomdm, plist libraries and test
// dependencies stay in the nested module apple/nanomdm.
func TestCoreDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if !strings.HasPrefix(p, "github.com/mdmcred/mdmcred/") && !strings.HasPrefix(p, "golang.org/x/crypto/") && !strings.HasPrefix(p, "golang.org/x/sys/") {
			t.Errorf("apple depends on %s", p)
		}
	}
}
