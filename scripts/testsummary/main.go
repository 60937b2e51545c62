// Command testsummary reads `go test -json` on standard input and prints
// what `go test` would (ok, FAIL with the failing tests' output, packages
// without tests), so that `make test` reads as usual, and keeps a list of
// the tests that skipped, with the reason each gave (a missing zbarimg,
// chromium, node or PostgreSQL). It exits 1 when a test or a build failed,
// or when it read no test event at all.
//
//	go test -json ./... | go run ./scripts/testsummary -skips .skipped
//	go run ./scripts/testsummary -report .skipped   # at the end: print and remove the list
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

func main() {
	skips := flag.String("skips", "", "append the skipped tests to this `file`")
	report := flag.String("report", "", "print the skipped tests recorded in this `file`, then remove it")
	flag.Parse()
	if *report != "" {
		os.Exit(printReport(*report, os.Stdout))
	}
	os.Exit(summarize(os.Stdin, os.Stdout, *skips))
}

// summarize reads the events and returns the exit status.
func summarize(r io.Reader, w io.Writer, skipsFile string) int {
	out := map[string][]string{} // package or package/test -> output lines
	var skipped []string
	failed, events := false, 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(w, sc.Text()) // not JSON: a build error, say
			continue
		}
		events++
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			out[key] = append(out[key], e.Output)
			if e.Test != "" {
				out[e.Package+" "] = append(out[e.Package+" "], e.Output)
			}
		case "skip":
			if e.Test == "" {
				fmt.Fprintf(w, "?   \t%s\t[no test files]\n", e.Package)
				continue
			}
			skipped = append(skipped, fmt.Sprintf("%s %s: %s", e.Package, e.Test, reason(out[key])))
		case "fail":
			if e.Test == "" {
				failed = true
				fmt.Fprint(w, strings.Join(out[key], ""))
			}
		case "pass":
			if e.Test == "" {
				fmt.Fprintf(w, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
			}
		}
		if (e.Action == "pass" || e.Action == "fail") && e.Test == "" {
			delete(out, key)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(w, "testsummary:", err)
		return 1
	}
	if skipsFile != "" && len(skipped) > 0 {
		f, err := os.OpenFile(skipsFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(w, "testsummary:", err)
			return 1
		}
		_, err = fmt.Fprint(f, strings.Join(skipped, "\n")+"\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintln(w, "testsummary:", err)
			return 1
		}
	}
	if events == 0 {
		fmt.Fprintln(w, "testsummary: no test ran")
		return 1
	}
	if failed {
		return 1
	}
	return 0
}

// reason is a skipped test's message: its output without the "=== RUN" and
// "--- SKIP" lines, on one line.
func reason(lines []string) string {
	var parts []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " ")
}

// printReport prints the skipped tests recorded in file and removes it.
func printReport(file string, w io.Writer) int {
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		fmt.Fprintln(w, "skipped: none")
		return 0
	}
	if err != nil {
		fmt.Fprintln(w, "testsummary:", err)
		return 1
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	sort.Strings(lines)
	fmt.Fprintf(w, "skipped: %d tests (install the tool each names to run them; under CI=true they fail instead)\n", len(lines))
	for _, l := range lines {
		fmt.Fprintln(w, "  "+l)
	}
	if err := os.Remove(file); err != nil {
		fmt.Fprintln(w, "testsummary:", err)
		return 1
	}
	return 0
}
