package main

import (
	"bytes"
	"io"
	"math"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/mdmcred/mdmcred/benchmarks
cpu: AMD EPYC
BenchmarkHOTPGenerate/Ours-2         	 3000000	       400.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkHOTPGenerate/Ours-2         	 3000000	       600.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkHOTPGenerate/Ours-2         	 3000000	       500.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkHOTPGenerate/Pquerna-2      	  500000	      2000 ns/op	    1280 B/op	      17 allocs/op
BenchmarkHOTPGenerate/Pquerna-2      	  500000	      2000 ns/op	    1280 B/op	      17 allocs/op
--- BENCH: BenchmarkSomething-2
    bench_test.go:10: a log line 12 ns/op
BenchmarkNoMem-2   	 1000	  12.5 ns/op
BenchmarkQRPNG/Code-12/Ours-2	 100	 8000000 ns/op	 972160 B/op	 1554 allocs/op	 42.0 custom/unit
PASS
ok  	github.com/mdmcred/mdmcred/benchmarks	10.1s
pkg: github.com/mdmcred/mdmcred/servicepass
BenchmarkVerify-2   	 100000	      1000 ns/op	     100 B/op	       2 allocs/op
BenchmarkHMACFloor-2	 200000	       500 ns/op	       0 B/op	       0 allocs/op
BenchmarkVerify   	 100000	      3000 ns/op	     100 B/op	       2 allocs/op
`

func TestParse(t *testing.T) {
	res, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		samples int
		median  float64
		allocs  float64
	}{
		{"benchmarks.HOTPGenerate/Ours", 3, 500, 0},
		{"benchmarks.HOTPGenerate/Pquerna", 2, 2000, 17},
		{"benchmarks.NoMem", 1, 12.5, math.NaN()},
		{"benchmarks.QRPNG/Code-12/Ours", 1, 8e6, 1554},
		{"servicepass.Verify", 2, 2000, 2}, // with and without the -P suffix
		{"servicepass.HMACFloor", 1, 500, 0},
	}
	for _, tc := range cases {
		r := res[tc.name]
		if r == nil {
			t.Errorf("%s missing; have %v", tc.name, keys(res))
			continue
		}
		if len(r.NsPerOp) != tc.samples || Median(r.NsPerOp) != tc.median {
			t.Errorf("%s: samples %v, want %d with median %v", tc.name, r.NsPerOp, tc.samples, tc.median)
		}
		if got := Median(r.AllocsPerOp); !(got == tc.allocs || math.IsNaN(got) && math.IsNaN(tc.allocs)) {
			t.Errorf("%s: allocs %v, want %v", tc.name, got, tc.allocs)
		}
	}
	if _, ok := res["benchmarks.Something"]; ok {
		t.Error("a --- BENCH header was read as a result")
	}
	if len(res) != len(cases) {
		t.Errorf("parsed %v", keys(res))
	}
}

func keys(m map[string]*Result) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestMedianSpread(t *testing.T) {
	cases := []struct {
		xs             []float64
		median, spread float64
	}{
		{[]float64{3, 1, 2}, 2, 0.5},
		{[]float64{4, 1, 2, 3}, 2.5, 0.6},
		{[]float64{7}, 7, 0},
	}
	for _, tc := range cases {
		if m := Median(tc.xs); m != tc.median {
			t.Errorf("Median(%v) = %v", tc.xs, m)
		}
		if s := Spread(tc.xs); math.Abs(s-tc.spread) > 1e-12 {
			t.Errorf("Spread(%v) = %v", tc.xs, s)
		}
	}
	if !math.IsNaN(Median(nil)) || !math.IsNaN(Spread(nil)) || !math.IsNaN(Spread([]float64{0})) {
		t.Error("empty or zero input must give NaN")
	}
}

func TestTable(t *testing.T) {
	res, _ := Parse(strings.NewReader(sample))
	var b bytes.Buffer
	Table(&b, res, []Comparison{
		{"hotp", "benchmarks.HOTPGenerate/Ours", "benchmarks.HOTPGenerate/Pquerna"},
		{"verify", "servicepass.Verify", "servicepass.HMACFloor"},
		{"missing", "benchmarks.Nope", "benchmarks.HOTPGenerate/Pquerna"},
	})
	want := []string{
		"| hotp | 500 ns ±20% | 2000 ns ±0% | 0.25× | 0.20× | 0 | 17 | 0 | 1280 |",
		"| verify | 2000 ns ±50% | 500 ns | 4.00× | 2.00× | 2 | 0 | 100 | 0 |",
		"| missing | n/a | 2000 ns ±0% | n/a | n/a | n/a | 17 | n/a | 1280 |",
	}
	for _, w := range want {
		if !strings.Contains(b.String(), w+"\n") {
			t.Errorf("table lacks\n%s\nin\n%s", w, b.String())
		}
	}
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-all"}, strings.NewReader(sample), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "| HOTP generate vs pquerna/otp | 500 ns ±20% | 2000 ns ±0% | 0.25× |") ||
		!strings.Contains(out.String(), "| benchmarks.NoMem | 12.5 ns | n/a | n/a | 1 |") {
		t.Errorf("output:\n%s", out.String())
	}
	if err := run(nil, strings.NewReader("PASS\n"), &out, io.Discard); err == nil {
		t.Error("no results: no error")
	}
	if err := run([]string{"-bogus"}, strings.NewReader(sample), &out, io.Discard); err == nil {
		t.Error("bad flag: no error")
	}
}

func TestFormatNs(t *testing.T) {
	for v, want := range map[float64]string{12.34: "12.3 ns", 150: "150 ns", 9999: "9999 ns", 12345: "12.3 µs", 2.5e6: "2.50 ms"} {
		if got := formatNs(v); got != want {
			t.Errorf("formatNs(%v) = %q, want %q", v, got, want)
		}
	}
}
