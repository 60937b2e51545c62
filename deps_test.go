package mdmcred_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestProductionPackagesAvoidTestDependencies checks that no production
// package links gopter or testify: those belong to the test kits
// (<pkg>/<pkg>test, mdmcredtest), which only tests import.
func TestProductionPackagesAvoidTestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var prod []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasSuffix(p, "test") || strings.Contains(p, "/examples/") {
			continue
		}
		prod = append(prod, p)
	}
	if len(prod) < 6 {
		t.Fatalf("found only %d production packages: %v", len(prod), prod)
	}
	args := append([]string{"list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`}, prod...)
	out, err = exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		for _, d := range deps {
			banned := strings.HasPrefix(d, "github.com/leanovate/gopter") ||
				strings.HasPrefix(d, "github.com/stretchr/testify") ||
				(strings.HasPrefix(d, "github.com/mdmcred/mdmcred/") && strings.HasSuffix(d, "test"))
			if banned {
				t.Errorf("%s depends on %s, which only tests may import", pkg, d)
			}
		}
	}
}
