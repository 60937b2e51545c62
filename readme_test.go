package mdmcred_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/mdmcred/mdmcred/servicepass"
)

// codeShape matches anything in the docs that looks like a grouped service
// password (five groups of Crockford symbols, the last with its check
// symbol), so that an invented sample code cannot slip in.
var codeShape = regexp.MustCompile(`\b[0-9A-Z]{5}(?:-[0-9A-Z]{5}){3}-[0-9A-Z]{4}[0-9A-Z*~$=U]`)

// TestREADMECodesAreRealCodes: every service password shown in the README
// decodes (check symbol, version) — issue 14 found a sample that was not a
// code at all.
func TestREADMECodesAreRealCodes(t *testing.T) {
	for _, doc := range []string{"README.md", "docs/servicepass-format.md"} {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		codes := codeShape.FindAllString(string(data), -1)
		if doc == "README.md" && len(codes) == 0 {
			t.Fatalf("%s shows no service password; the test would guard nothing", doc)
		}
		for _, c := range codes {
			if _, err := servicepass.Decode(c); err != nil {
				t.Errorf("%s shows %s, which is not a code: %v", doc, c, err)
			}
		}
	}
}
