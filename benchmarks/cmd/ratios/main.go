// Command ratios reads `go test -bench` output (any -count, several
// packages) on standard input and prints, as a Markdown table, each
// comparison of ours against a peer library or a floor: the median ns/op,
// B/op and allocs/op of both, the ratio of the medians, and the spread of
// the samples as a noise indicator. On a shared machine other work only
// slows a run down, so the ratio of the fastest runs is printed as well.
//
// Usage:
//
//	go test -run '^$' -bench . -benchmem -count 5 ./... | go run ./cmd/ratios
//	go run ./cmd/ratios -all < bench.txt   # also list every benchmark's medians
//
// A benchmark is named by the last element of its package path and its name
// without the "Benchmark" prefix and the GOMAXPROCS suffix, e.g.
// "benchmarks.TOTPGenerate/Ours" or "servicepass.HMACFloor". The comparisons
// are listed in the comparisons table below; one whose benchmarks are
// missing from the input is printed with "n/a".
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Comparison is one row of the table: Ours against Peer.
type Comparison struct {
	Label string
	Ours  string
	Peer  string
}

// comparisons are the rows printed, in order.
var comparisons = []Comparison{
	{"HOTP generate vs pquerna/otp", "benchmarks.HOTPGenerate/Ours", "benchmarks.HOTPGenerate/Pquerna"},
	{"HOTP validate vs pquerna/otp", "benchmarks.HOTPValidate/Ours", "benchmarks.HOTPValidate/Pquerna"},
	{"TOTP generate vs pquerna/otp", "benchmarks.TOTPGenerate/Ours", "benchmarks.TOTPGenerate/Pquerna"},
	{"TOTP generate, parsing the secret each call, vs pquerna/otp", "benchmarks.TOTPGenerate/OursParseEachCall", "benchmarks.TOTPGenerate/Pquerna"},
	{"TOTP validate, current step, vs pquerna/otp", "benchmarks.TOTPValidate/CurrentStep/Ours", "benchmarks.TOTPValidate/CurrentStep/Pquerna"},
	{"TOTP validate, previous step, vs pquerna/otp", "benchmarks.TOTPValidate/PreviousStep/Ours", "benchmarks.TOTPValidate/PreviousStep/Pquerna"},
	{"TOTP validate, wrong code, vs pquerna/otp", "benchmarks.TOTPValidate/Wrong/Ours", "benchmarks.TOTPValidate/Wrong/Pquerna"},
	{"TOTP stateful verify (TOTPService, memory store round trip) vs pquerna/otp stateless validate", "benchmarks.TOTPVerifyStateful/OursMemStore", "benchmarks.TOTPVerifyStateful/PquernaStateless"},
	{"12-char company passcode (enrollment) vs go-password", "benchmarks.Password12/Ours/Enrollment", "benchmarks.Password12/Sethvargo"},
	{"12-char alphanumeric (passcode) vs go-password", "benchmarks.Password12/Ours/PasscodeAlnum", "benchmarks.Password12/Sethvargo"},
	{"12-char company passcode vs crypto/rand.Read(12 bytes)", "benchmarks.Password12/Ours/Enrollment", "benchmarks.Password12/Floor/Read12"},
	{"servicepass Verify vs hmac.New+Sum+compare", "benchmarks.ServicePassVerify/Ours/Verify", "benchmarks.ServicePassVerify/Floor/HMACNew"},
	{"servicepass Verify vs reused crypto/hmac", "benchmarks.ServicePassVerify/Ours/Verify", "benchmarks.ServicePassVerify/Floor/HMACReused"},
	{"servicepass Verify (typo) vs reused crypto/hmac", "benchmarks.ServicePassVerify/Ours/VerifyTypo", "benchmarks.ServicePassVerify/Floor/HMACReused"},
	{"QR PNG of a code vs go-qrcode", "benchmarks.QRPNG/Code/Ours", "benchmarks.QRPNG/Code/GoQRCode"},
	{"QR PNG of a URL vs go-qrcode", "benchmarks.QRPNG/URL/Ours", "benchmarks.QRPNG/URL/GoQRCode"},
	{"servicepass Verify vs its in-package HMAC floor", "servicepass.Verify", "servicepass.HMACFloor"},
	{"qr PNG of a code vs go-qrcode (in-package)", "qr.PNG/code/qr", "qr.PNG/code/go-qrcode"},
}

// Result holds the samples of one benchmark.
type Result struct {
	NsPerOp, BytesPerOp, AllocsPerOp []float64
}

// procSuffix is the GOMAXPROCS suffix go test appends ("-2").
var procSuffix = regexp.MustCompile(`-\d+$`)

// Parse reads benchmark output and returns the samples by name.
func Parse(r io.Reader) (map[string]*Result, error) {
	res := make(map[string]*Result)
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = p[strings.LastIndexByte(p, '/')+1:]
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(fields[1]); err != nil {
			continue // a benchmark's log line, not a result
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(fields[0], "Benchmark"), "")
		if pkg != "" {
			name = pkg + "." + name
		}
		r := res[name]
		if r == nil {
			r = &Result{}
		}
		found := false
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				break
			}
			switch fields[i+1] {
			case "ns/op":
				r.NsPerOp = append(r.NsPerOp, v)
				found = true
			case "B/op":
				r.BytesPerOp = append(r.BytesPerOp, v)
			case "allocs/op":
				r.AllocsPerOp = append(r.AllocsPerOp, v)
			}
		}
		if found {
			res[name] = r
		}
	}
	return res, sc.Err()
}

// Median returns the median of xs, or NaN for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Spread returns half the range of xs relative to its median, as a
// fraction (0.05 for ±5%), or NaN for none.
func Spread(xs []float64) float64 {
	m := Median(xs)
	if len(xs) == 0 || m == 0 {
		return math.NaN()
	}
	return (slices.Max(xs) - slices.Min(xs)) / 2 / m
}

// Table writes the comparisons as a Markdown table.
func Table(w io.Writer, res map[string]*Result, cs []Comparison) {
	fmt.Fprintln(w, "| Comparison | Ours ns/op | Peer ns/op | Ours/Peer | Ours/Peer (fastest runs) | Ours allocs/op | Peer allocs/op | Ours B/op | Peer B/op |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range cs {
		o, p := res[c.Ours], res[c.Peer]
		ratio, ratioMin := "n/a", "n/a"
		if o != nil && p != nil && len(o.NsPerOp) > 0 && len(p.NsPerOp) > 0 {
			if pm := Median(p.NsPerOp); pm > 0 {
				ratio = fmt.Sprintf("%.2f×", Median(o.NsPerOp)/pm)
			}
			if pm := slices.Min(p.NsPerOp); pm > 0 {
				ratioMin = fmt.Sprintf("%.2f×", slices.Min(o.NsPerOp)/pm)
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c.Label,
			ns(o), ns(p), ratio, ratioMin, count(o, allocsOf), count(p, allocsOf), count(o, bytesOf), count(p, bytesOf))
	}
}

// ns formats the median ns/op of r with its spread.
func ns(r *Result) string {
	if r == nil || len(r.NsPerOp) == 0 {
		return "n/a"
	}
	m := Median(r.NsPerOp)
	s := formatNs(m)
	if len(r.NsPerOp) > 1 {
		s += fmt.Sprintf(" ±%.0f%%", 100*Spread(r.NsPerOp))
	}
	return s
}

func formatNs(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f ms", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1f µs", v/1e3)
	case v >= 100:
		return fmt.Sprintf("%.0f ns", v)
	}
	return fmt.Sprintf("%.1f ns", v)
}

func allocsOf(r *Result) []float64 { return r.AllocsPerOp }
func bytesOf(r *Result) []float64  { return r.BytesPerOp }

// count formats the median of one of r's integer metrics.
func count(r *Result, f func(*Result) []float64) string {
	if r == nil || len(f(r)) == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(Median(f(r)), 'f', 0, 64)
}

// All writes every benchmark's medians, sorted by name.
func All(w io.Writer, res map[string]*Result) {
	names := make([]string, 0, len(res))
	for n := range res {
		names = append(names, n)
	}
	slices.Sort(names)
	fmt.Fprintln(w, "| Benchmark | ns/op | allocs/op | B/op | samples |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, n := range names {
		r := res[n]
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d |\n", n, ns(r), count(r, allocsOf), count(r, bytesOf), len(r.NsPerOp))
	}
}

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(1)
	}
}

func run(args []string, in io.Reader, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("ratios", flag.ContinueOnError)
	fs.SetOutput(errOut)
	all := fs.Bool("all", false, "also list every benchmark's medians")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := Parse(in)
	if err != nil {
		return err
	}
	if len(res) == 0 {
		return errors.New("no benchmark results on standard input")
	}
	Table(out, res, comparisons)
	if *all {
		fmt.Fprintln(out)
		All(out, res)
	}
	return nil
}
