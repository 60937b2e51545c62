package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run where one test skips and one package has no tests: the summary
// reads like go test's, the skip goes to the file with its reason, and the
// report prints it at the end.
func TestSummaryRecordsSkips(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"start","Package":"example.com/qr"}`,
		`{"Action":"run","Package":"example.com/qr","Test":"TestZbar"}`,
		`{"Action":"output","Package":"example.com/qr","Test":"TestZbar","Output":"=== RUN   TestZbar\n"}`,
		`{"Action":"output","Package":"example.com/qr","Test":"TestZbar","Output":"    decoders_test.go:30: zbarimg not found: apt-get install zbar-tools\n"}`,
		`{"Action":"output","Package":"example.com/qr","Test":"TestZbar","Output":"--- SKIP: TestZbar (0.00s)\n"}`,
		`{"Action":"skip","Package":"example.com/qr","Test":"TestZbar"}`,
		`{"Action":"pass","Package":"example.com/qr","Elapsed":1.5}`,
		`{"Action":"skip","Package":"example.com/none"}`,
	}, "\n")
	file := filepath.Join(t.TempDir(), "skips")
	var out strings.Builder
	if st := summarize(strings.NewReader(in), &out, file); st != 0 {
		t.Fatalf("status %d", st)
	}
	if want := "ok  \texample.com/qr\t1.500s\n?   \texample.com/none\t[no test files]\n"; out.String() != want {
		t.Errorf("summary %q, want %q", out.String(), want)
	}
	var rep strings.Builder
	if st := printReport(file, &rep); st != 0 {
		t.Fatalf("report status %d", st)
	}
	if !strings.Contains(rep.String(), "skipped: 1 tests") ||
		!strings.Contains(rep.String(), "example.com/qr TestZbar: decoders_test.go:30: zbarimg not found: apt-get install zbar-tools") {
		t.Errorf("report %q", rep.String())
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Error("the report left its file")
	}
}

// A failing test fails the summary and shows its output; no input at all
// (go test did not run) fails too.
func TestSummaryFails(t *testing.T) {
	in := `{"Action":"output","Package":"p","Test":"TestX","Output":"    x_test.go:1: boom\n"}
{"Action":"fail","Package":"p","Test":"TestX"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t0.1s\n"}
{"Action":"fail","Package":"p"}`
	var out strings.Builder
	if st := summarize(strings.NewReader(in), &out, ""); st != 1 || !strings.Contains(out.String(), "boom") {
		t.Errorf("status %d, output %q", st, out.String())
	}
	if st := summarize(strings.NewReader(""), &out, ""); st != 1 {
		t.Errorf("no input: status %d", st)
	}
}
