package mdmcred_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// This file guards the retention vocabulary of CONTRIBUTING.md ("Retention"):
// a store that can forget old records implements its package's optional
// Purger interface, whose methods are Purge<Kind>(ctx, before, limit)
// (int, error); the package runs them with one Purge returning a
// PurgeResult, with DefaultPurgeAge and ErrRetentionAge beside it; the test
// kit's suite is RunPurger. The names used before that vocabulary must not
// come back.

// oldRetentionNames are the exported names the vocabulary replaced, with
// their replacement.
var oldRetentionNames = map[string]string{
	"EventPurger":             "Purger",
	"ExpiredPurger":           "Purger",
	"PurgeExpired":            "PurgePINs (store method) or Purge (runner)",
	"Purgeable":               "otp.CanPurge or escrow.Store.ClosedBefore",
	"RunEventPurger":          "RunPurger",
	"RunExpiredPurger":        "RunPurger",
	"DefaultEventRetention":   "DefaultPurgeAge",
	"DefaultHistoryRetention": "DefaultPurgeAge",
	"DefaultExpiredRetention": "DefaultPurgeAge",
}

// purgeKindMethod is the name of a store's purge method: Purge and the
// kind of record it deletes.
var purgeKindMethod = regexp.MustCompile(`^Purge[A-Z][A-Za-z]*$`)

// retentionViolations lists how the files of one package break the
// vocabulary.
func retentionViolations(fset *token.FileSet, files []*ast.File) []string {
	var bad []string
	at := func(n ast.Node) string { return fset.Position(n.Pos()).String() }
	declared := map[string]bool{}
	hasPurger := false
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Ident:
				if repl, ok := oldRetentionNames[n.Name]; ok && n.IsExported() {
					bad = append(bad, at(n)+": "+n.Name+" is an old retention name; use "+repl)
				}
			case *ast.FuncDecl:
				if n.Recv == nil {
					declared[n.Name.Name] = true
					if purgeKindMethod.MatchString(n.Name.Name) {
						bad = append(bad, at(n)+": function "+n.Name.Name+": the runner is named Purge")
					}
				} else if n.Name.Name == "Purge" {
					declared["Purge"] = true
				}
				if purgeKindMethod.MatchString(n.Name.Name) && n.Recv != nil && !isPurgeStep(n.Type) {
					bad = append(bad, at(n)+": method "+n.Name.Name+" must be (ctx context.Context, before time.Time, limit int) (int, error)")
				}
			case *ast.TypeSpec:
				declared[n.Name.Name] = true
				it, ok := n.Type.(*ast.InterfaceType)
				if !ok {
					return true
				}
				if n.Name.Name == "Purger" {
					hasPurger = true
				}
				purges, others := 0, 0
				for _, m := range it.Methods.List {
					ft, ok := m.Type.(*ast.FuncType)
					if !ok || len(m.Names) == 0 {
						others++
						continue
					}
					for _, name := range m.Names {
						if !purgeKindMethod.MatchString(name.Name) {
							others++
							continue
						}
						purges++
						if !isPurgeStep(ft) {
							bad = append(bad, at(name)+": "+n.Name.Name+"."+name.Name+" must be (ctx context.Context, before time.Time, limit int) (int, error)")
						}
					}
				}
				if purges > 0 && others == 0 && n.Name.Name != "Purger" {
					bad = append(bad, at(n)+": interface "+n.Name.Name+" holds only purge methods: name it Purger")
				}
			case *ast.ValueSpec:
				for _, name := range n.Names {
					declared[name.Name] = true
				}
			}
			return true
		})
	}
	if hasPurger {
		for _, want := range []string{"Purge", "PurgeResult", "DefaultPurgeAge", "ErrRetentionAge"} {
			if !declared[want] {
				bad = append(bad, fset.Position(files[0].Package).Filename+": the package declares Purger but not "+want)
			}
		}
	}
	return bad
}

// isPurgeStep reports whether ft is (context.Context, time.Time, int)
// (int, error), the signature of every store purge method.
func isPurgeStep(ft *ast.FuncType) bool {
	var params, results []string
	for _, f := range ft.Params.List {
		for range max(1, len(f.Names)) {
			params = append(params, exprString(f.Type))
		}
	}
	if ft.Results != nil {
		for _, f := range ft.Results.List {
			for range max(1, len(f.Names)) {
				results = append(results, exprString(f.Type))
			}
		}
	}
	return strings.Join(params, ",") == "context.Context,time.Time,int" && strings.Join(results, ",") == "int,error"
}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	}
	return "?"
}

func TestRetentionViolations(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // substrings, one per violation, in any order
	}{
		{"the vocabulary", `package p
type Purger interface { PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) }
type PurgeResult struct{ Events int }
const DefaultPurgeAge = 1
var ErrRetentionAge error
func Purge(ctx context.Context, p Purger, now time.Time, maxAge time.Duration) (PurgeResult, error)
func (m *MemStore) PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error)`, nil},
		{"old interface name", `package p
type EventPurger interface { PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) }`,
			[]string{"EventPurger is an old retention name", "name it Purger"}},
		{"old runner name", `package p
func PurgeEvents(ctx context.Context, p Purger, now time.Time, maxAge time.Duration) (int, error)`,
			[]string{"the runner is named Purge"}},
		{"old method name", `package p
func (m *MemStore) PurgeExpired(ctx context.Context, before time.Time, limit int) (int, error)`,
			[]string{"PurgeExpired is an old retention name"}},
		{"old default", `package p
const DefaultHistoryRetention = 1`, []string{"use DefaultPurgeAge"}},
		{"old predicate", `package p
func Purgeable(rec *PINRecord, before time.Time) bool`, []string{"Purgeable is an old retention name"}},
		{"old suite", `package p
func RunExpiredPurger(t *testing.T, newStore func(t *testing.T) otp.Store)`, []string{"use RunPurger"}},
		{"purge method of another shape", `package p
func (m *MemStore) PurgeOld(ctx context.Context, maxAge time.Duration) (int, error)`,
			[]string{"must be (ctx context.Context, before time.Time, limit int)"}},
		{"Purger without its runner", `package p
type Purger interface { PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) }`,
			[]string{"not Purge", "not PurgeResult", "not DefaultPurgeAge", "not ErrRetentionAge"}},
		{"unexported old names are the package's own", `package p
func purgeable() bool`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "p.go", tc.src, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := retentionViolations(fset, []*ast.File{f})
			if len(got) != len(tc.want) {
				t.Fatalf("violations:\n%s\nwant %d: %q", strings.Join(got, "\n"), len(tc.want), tc.want)
			}
			for _, w := range tc.want {
				if !slices.ContainsFunc(got, func(v string) bool { return strings.Contains(v, w) }) {
					t.Errorf("no violation mentions %q:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}

// TestRetentionVocabulary runs the check over every production package and
// test kit of the module, and checks that each package with a Purger has a
// test kit with RunPurger.
func TestRetentionVocabulary(t *testing.T) {
	pkgs := map[string][]string{} // directory -> its non-test Go files
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != "." {
				return filepath.SkipDir // a nested module; not this module's API
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			pkgs[filepath.Dir(path)] = append(pkgs[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for d := range pkgs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	purgers := 0
	for _, dir := range dirs {
		fset := token.NewFileSet()
		var files []*ast.File
		for _, path := range pkgs[dir] {
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			if f.Name.Name == "main" {
				continue
			}
			files = append(files, f)
		}
		if len(files) == 0 {
			continue
		}
		for _, v := range retentionViolations(fset, files) {
			t.Error(v)
		}
		if !declaresType(files, "Purger") {
			continue
		}
		purgers++
		kit := filepath.Join(dir, filepath.Base(dir)+"test")
		if !dirDeclaresFunc(t, kit, "RunPurger") {
			t.Errorf("%s declares Purger but %s has no RunPurger", dir, kit)
		}
	}
	// servicepass, enrollment, passcode, otp: a walk that finds fewer
	// checked nothing.
	if purgers < 4 {
		t.Errorf("found %d packages with a Purger, want at least 4", purgers)
	}
}

func declaresType(files []*ast.File, name string) bool {
	for _, f := range files {
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				for _, s := range g.Specs {
					if s.(*ast.TypeSpec).Name.Name == name {
						return true
					}
				}
			}
		}
	}
	return false
}

func dirDeclaresFunc(t *testing.T, dir, name string) bool {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	fset := token.NewFileSet()
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == name {
				return true
			}
		}
	}
	return false
}
