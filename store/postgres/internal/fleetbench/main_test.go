package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/internal/citest"
)

// TestRunSmall runs the benchmark at its two smallest levels with few
// calls: what scripts/bench.sh runs at full size, checked in make test so
// that it cannot rot. It asserts the report's shape, not its figures.
func TestRunSmall(t *testing.T) {
	// Block counts where pg_stat_statements is loaded (scripts/with-postgres.sh).
	dsn, preloaded := newDatabase(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "fleetbench_" + hex.EncodeToString(b)
	var out bytes.Buffer
	if err := run(context.Background(), &out, dsn, schema, []float64{minLevel, 2 * minLevel}, 100, 2, 3, false, false); err != nil {
		t.Fatal(err)
	}
	report := out.String()
	// The report is printed after each level; the last one has both.
	last := report[strings.LastIndex(report, "Machine:"):]
	header := "| p50 @ 10 | p99 @ 10 | p50 @ 20 | p99 @ 20 | p99 last / p99 first, per run | median |"
	if preloaded {
		header = "| p50 @ 10 | p99 @ 10 | blocks read / dirtied per call @ 10 | p50 @ 20 | p99 @ 20 | blocks read / dirtied per call @ 20 | p99 last / p99 first, per run | median |"
	}
	for _, want := range []string{"3 runs of 2 rounds of 100 calls", header,
		"\nWorst: ", "x its p99 at 10 (median of 3 runs).", "Level 10: ", "Level 20: ",
		"of them in the indexes looked up by key)"} {
		if !strings.Contains(last, want) {
			t.Errorf("report lacks %q:\n%s", want, last)
		}
	}
	for _, op := range ops {
		// Three per-run ratios, then their median.
		if !regexp.MustCompile(`\| ` + regexp.QuoteMeta(op) + ` \|.* \| [0-9.]+, [0-9.]+, [0-9.]+ \| [0-9.]+ \|\n`).MatchString(last) {
			t.Errorf("report lacks the row of %q with three ratios and their median:\n%s", op, last)
		}
	}
}

// TestReuse loads a level with -keep, then measures it and a new level
// with -reuse: the second run loads only the new level's schema and
// measures the kept one as it is.
func TestReuse(t *testing.T) {
	dsn, _ := newDatabase(t) // dropped at the end, with every schema in it
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "fleetbench_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, &out, dsn, schema, []float64{2 * minLevel}, 100, 1, 1, true, false); err != nil {
		t.Fatal(err)
	}
	var kept int
	if err := admin.QueryRow(`SELECT count(*) FROM ` + schema + `_20.mdmcred_servicepass_event`).Scan(&kept); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, &out, dsn, schema, []float64{2 * minLevel, 3 * minLevel}, 100, 1, 1, false, true); err != nil {
		t.Fatal(err)
	}
	report := out.String()
	last := report[strings.LastIndex(report, "Machine:"):]
	for _, want := range []string{"Level 20: ", "loaded by an earlier run", "Level 30: ", "loaded (COPY)"} {
		if !strings.Contains(last, want) {
			t.Errorf("report lacks %q:\n%s", want, last)
		}
	}
	// The kept schema: its rows and what the second run's calls added
	// (25 audit records in the warm-up, 100 measured), not a second load.
	var spEvents int
	if err := admin.QueryRow(`SELECT count(*) FROM ` + schema + `_20.mdmcred_servicepass_event`).Scan(&spEvents); err != nil {
		t.Fatal(err)
	}
	if want := kept + 25 + 100; spEvents != want {
		t.Errorf("%d service-password events in the kept schema, want %d (%d kept + 125 recorded)", spEvents, want, kept)
	}
	// The keys the events pages read got no appended events in either
	// run: a page is the same size at every level.
	var spMax, enMax int
	if err := admin.QueryRow(`SELECT max(n) FROM (SELECT count(*) n FROM ` + schema + `_20.mdmcred_servicepass_event
		WHERE device_id ~ '^dev-[0-9]*[02468]$' GROUP BY device_id) c`).Scan(&spMax); err != nil {
		t.Fatal(err)
	}
	if err := admin.QueryRow(`SELECT max(n) FROM (SELECT count(*) n FROM ` + schema + `_20.mdmcred_enrollment_event
		WHERE site ~ '^site-[0-9]*[02468]$' GROUP BY site) c`).Scan(&enMax); err != nil {
		t.Fatal(err)
	}
	if spMax != spEventsPer || enMax != enEventsPer {
		t.Errorf("a page read by the benchmark grew: %d servicepass events (loaded %d), %d enrollment events (loaded %d)", spMax, spEventsPer, enMax, enEventsPer)
	}
}

// newDatabase returns the DSN of a database of its own on the test server
// (dropped when t ends), so that the pg_stat_statements extension
// fleetbench creates in its schema hides no other package's, and whether
// the server preloads pg_stat_statements.
func newDatabase(t *testing.T) (string, bool) {
	t.Helper()
	dsn := os.Getenv("MDMCRED_POSTGRES_DSN")
	if dsn == "" {
		citest.Missing(t, "MDMCRED_POSTGRES_DSN is not set", "run scripts/with-postgres.sh go test ./store/postgres/... (or make unit)")
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		t.Fatalf("MDMCRED_POSTGRES_DSN is not a URL (postgres://...): %q", dsn)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var libs string
	if err := admin.QueryRow(`SHOW shared_preload_libraries`).Scan(&libs); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "fleetbench_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Error(err)
		}
	})
	u.Path = "/" + name
	return u.String(), strings.Contains(libs, "pg_stat_statements")
}

// TestMedianOf checks the median the report's ratios and figures rest on.
func TestMedianOf(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{2.27, 0.9, 1.4}, 1.4},
		{[]float64{1, 5, 2, 4}, 3},
		{[]float64{1.1, 1.1, 9}, 1.1},
	} {
		in := slices.Clone(c.in)
		if got := medianOf(c.in); got != c.want {
			t.Errorf("medianOf(%v) = %v, want %v", c.in, got, c.want)
		}
		if !slices.Equal(in, c.in) {
			t.Errorf("medianOf reordered its argument: %v", c.in)
		}
	}
}

// TestWorstIsLargest checks that the report names the operation with the
// largest median ratio, not the smallest.
func TestWorstIsLargest(t *testing.T) {
	p := func(v ...time.Duration) []map[string][2]time.Duration {
		var out []map[string][2]time.Duration
		for _, d := range v {
			m := map[string][2]time.Duration{}
			for _, op := range ops {
				m[op] = [2]time.Duration{d, d}
			}
			out = append(out, m)
		}
		return out
	}
	first := result{level: 0.001, p: p(100, 100, 100)}
	last := result{level: 1, p: p(110, 120, 130)}
	// One operation grows 2x in two runs of three: it is the worst.
	for i := range 2 {
		last.p[i][ops[3]] = [2]time.Duration{200, 200}
	}
	var out bytes.Buffer
	report(&out, []result{first, last}, "15", 100, 2, 3)
	if want := "Worst: " + ops[3] + ", p99 at 1000000 2.00x its p99 at 1000 (median of 3 runs)."; !strings.Contains(out.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, out.String())
	}
}
