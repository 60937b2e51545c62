package mdmcred_test

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
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
// Then the state file is deleted, as an attacker would to replay the code:
// a verifier made from the same provisioning must find the state lost (a
// degraded grant, ErrStateLost from Window), never a fresh install.
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
	prog := "package main\n\nimport (\n\t\"context\"\n\t\"errors\"\n\t\"fmt\"\n\t\"os\"\n\t\"time\"\n\n\t\"github.com/mdmcred/mdmcred/servicepass\"\n)\n\n" +
		"func main() {\n\tctx := context.Background()\n" + snippet +
		"\tfmt.Printf(\"RESULT granted=%v degraded=%v err=%v active=%v\\n\", grant.Actions, grant.Degraded, err, status.Active)\n" +
		"\t_ = state.Close()\n" +
		"\tif err := os.Remove(" + strconv.Quote(abs+"/state") + "); err != nil {\n\t\tpanic(err)\n\t}\n" +
		"\tstate, _ = servicepass.OpenFileStore(" + strconv.Quote(abs+"/state") + ")\n" +
		"\tverifier, _ = servicepass.NewVerifier(prov, state, nil)\n" +
		"\tgrant, err = verifier.Verify(ctx, issued.Code.Reveal(), time.Now())\n" +
		"\t_, werr := verifier.Window(ctx, time.Now())\n" +
		"\tfmt.Printf(\"LOST granted=%v degraded=%v err=%v lost=%v\\n\", grant.Actions, grant.Degraded, err, errors.Is(werr, servicepass.ErrStateLost))\n}\n"
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
	if !strings.Contains(string(out), "LOST granted=Unlock|DisableKiosk degraded=true err=<nil> lost=true") {
		t.Fatalf("after the state file was deleted, the README's verifier did not find the state lost:\n%s", out)
	}
}

// TestREADMEInstallRecipe runs the README's recipe for using the module
// from a clone (it is not published, so `go get` cannot fetch it) in a new
// module, offline, and builds and runs a program that imports it.
func TestREADMEInstallRecipe(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(readme), "go get github.com/mdmcred/mdmcred") {
		t.Error("the README still says go get github.com/mdmcred/mdmcred, which cannot work for an unpublished module")
	}
	block := regexp.MustCompile("(?s)```sh\n(git clone [^\n]*\n.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("no clone recipe in the README")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/host\n\ngo 1.25\n")
	write("main.go", `package main

import (
	"fmt"

	"github.com/mdmcred/mdmcred/servicepass"
)

func main() {
	m, err := servicepass.GenerateMasterKey(7, nil)
	fmt.Println("key", m.ID(), err)
}
`)
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(goBin, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	steps := 0
	for _, line := range strings.Split(string(block[1]), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "go" {
			continue // the clone itself: the test runs on this one
		}
		for i := range f {
			f[i] = strings.ReplaceAll(f[i], "../mdmcred", root)
		}
		run(f[1:]...)
		steps++
	}
	if steps == 0 {
		t.Fatal("the recipe has no go command")
	}
	if out := run("run", "."); out != "key 7 <nil>\n" {
		t.Fatalf("the program printed %q", out)
	}
}

// TestREADMEListsEveryExample: the README's Examples section names every
// Example function of the module, with its file.
func TestREADMEListsEveryExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile(`(?m)^func (Example\w*)\(\)`)
	n := 0
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() && path != "." {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // a nested module
			}
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range example.FindAllSubmatch(src, -1) {
			n++
			if want := fmt.Sprintf("[`%s`](%s)", m[1], filepath.ToSlash(path)); !strings.Contains(string(readme), want) {
				t.Errorf("README's Examples section lacks %s (in the line for %s)", want, filepath.ToSlash(filepath.Dir(path)))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("found no Example function")
	}
}
