package notify

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// TestGolden renders every notice variant in every language and compares
// subject + text with testdata/golden/<notice>.<lang>.txt and the HTML body
// with <notice>.<lang>.html. Run with -update after a deliberate change and
// review the diff.
func TestGolden(t *testing.T) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "golden")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tag := range supported {
		lang := tag.String()
		rs := renderers(lang)
		names := make([]string, 0, len(rs))
		for n := range rs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			t.Run(name+"."+lang, func(t *testing.T) {
				m, err := rs[name](c)
				if err != nil {
					t.Fatal(err)
				}
				txt := "Subject: " + m.Subject + "\n\n" + m.Text.Reveal()
				compareGolden(t, filepath.Join(dir, name+"."+lang+".txt"), txt)
				compareGolden(t, filepath.Join(dir, name+"."+lang+".html"), m.HTML.Reveal())
			})
		}
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if !bytes.Equal(want, []byte(got)) {
		t.Errorf("%s differs from the output; got:\n%s", path, got)
	}
}

// TestGoldenFilesAllUsed: no stale golden file for a notice or language that
// no longer exists.
func TestGoldenFilesAllUsed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, tag := range supported {
		for name := range renderers(tag.String()) {
			want[name+"."+tag.String()+".txt"] = true
			want[name+"."+tag.String()+".html"] = true
		}
	}
	for _, f := range files {
		if !want[filepath.Base(f)] {
			t.Errorf("stale golden file %s", f)
		}
		delete(want, filepath.Base(f))
	}
	for f := range want {
		t.Errorf("missing golden file %s", f)
	}
}
