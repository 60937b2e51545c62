package mdmcred_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// secretAlias is a public type declared as an alias of an internal/secret
// type (type Code = secret.String).
type secretAlias struct{ dir, name, target string }

// secretAliases finds every such alias in this module's packages (nested
// modules and test files left out).
func secretAliases(t *testing.T) []secretAlias {
	t.Helper()
	var out []secretAlias
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "internal") {
				return filepath.SkipDir
			}
			if path != "." && fileExists(filepath.Join(path, "go.mod")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				ts := s.(*ast.TypeSpec)
				sel, ok := ts.Type.(*ast.SelectorExpr)
				if !ts.Assign.IsValid() || !ok || !ts.Name.IsExported() {
					continue
				}
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "secret" {
					out = append(out, secretAlias{"./" + filepath.Dir(path), ts.Name.Name, sel.Sel.Name})
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

var methodLine = regexp.MustCompile(`(?m)^func \([^)]*\) ([A-Z]\w*)\(`)

// TestGoDocShowsSecretMethods: `go doc` prints no method of an alias
// (issue 27: `go doc servicepass.Code.Reveal` found nothing), so the doc
// comment of every public alias of an internal/secret type must name every
// exported method of the type it stands for, Reveal first among them.
func TestGoDocShowsSecretMethods(t *testing.T) {
	aliases := secretAliases(t)
	if len(aliases) < 10 {
		t.Fatalf("found only %d secret aliases: %v", len(aliases), aliases)
	}
	methods := map[string][]string{}
	for _, a := range aliases {
		if _, ok := methods[a.target]; ok {
			continue
		}
		out, err := exec.Command("go", "doc", "./internal/secret", a.target).CombinedOutput()
		if err != nil {
			t.Fatalf("go doc secret.%s: %v\n%s", a.target, err, out)
		}
		for _, m := range methodLine.FindAllStringSubmatch(string(out), -1) {
			methods[a.target] = append(methods[a.target], m[1])
		}
		if len(methods[a.target]) == 0 {
			t.Fatalf("go doc secret.%s lists no methods:\n%s", a.target, out)
		}
	}
	for _, a := range aliases {
		out, err := exec.Command("go", "doc", a.dir, a.name).CombinedOutput()
		if err != nil {
			t.Errorf("go doc %s %s: %v\n%s", a.dir, a.name, err, out)
			continue
		}
		for _, m := range methods[a.target] {
			if !regexp.MustCompile(`\b` + m + `\b`).Match(out) {
				t.Errorf("go doc %s %s does not mention %s:\n%s", a.dir, a.name, m, out)
			}
		}
	}
}
