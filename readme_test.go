package mdmcred_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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

// TestREADMESnippetRuns compiles and runs the README's "Issue and verify a
// service password" snippet, with its /data/agent paths in a temporary
// directory and the code the issuer made as what the user typed: the grant
// must not be degraded (issue 22: run as written, the snippet's first grant
// came back degraded, "device state lost", because it skipped InitState).
func TestREADMESnippetRuns(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "## Issue and verify a service password\n\n```go\n")
	snippet, _, ok2 := strings.Cut(rest, "```\n")
	if !ok || !ok2 {
		t.Fatal("README.md has no Go snippet under \"Issue and verify a service password\"")
	}
	dir, err := os.MkdirTemp(".", "readme-snippet-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	snippet = strings.ReplaceAll(snippet, "/data/agent/", abs+"/")
	snippet = strings.ReplaceAll(snippet, "typedByUser", "issued.Code.Reveal()")
	prog := "package main\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"time\"\n\n\t\"github.com/mdmcred/mdmcred/servicepass\"\n)\n\n" +
		"func main() {\n\tctx := context.Background()\n" + snippet +
		"\tfmt.Printf(\"RESULT granted=%v degraded=%v err=%v active=%v\\n\", grant.Actions, grant.Degraded, err, status.Active)\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(prog), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "run", "./"+dir).CombinedOutput()
	if err != nil {
		t.Fatalf("go run of the README snippet: %v\n%s\n%s", err, out, prog)
	}
	if !strings.Contains(string(out), "RESULT granted=Unlock|DisableKiosk degraded=false err=<nil> active=true") {
		t.Fatalf("the README snippet did not grant undegraded:\n%s", out)
	}
}
