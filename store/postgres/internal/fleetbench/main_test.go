package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/internal/citest"
)

// TestRunSmall runs the benchmark at its two smallest levels with few
// calls: what scripts/bench.sh runs at full size, checked in make test so
// that it cannot rot. It asserts the report's shape, not its figures.
func TestRunSmall(t *testing.T) {
	dsn := os.Getenv("MDMCRED_POSTGRES_DSN")
	if dsn == "" {
		citest.Missing(t, "MDMCRED_POSTGRES_DSN is not set", "run scripts/with-postgres.sh go test ./store/postgres/... (or make unit)")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "fleetbench_" + hex.EncodeToString(b)
	var out bytes.Buffer
	if err := run(context.Background(), &out, dsn, schema, []float64{minLevel, 2 * minLevel}, 100, 2, false); err != nil {
		t.Fatal(err)
	}
	report := out.String()
	// The report is printed after each level; the last one has both.
	last := report[strings.LastIndex(report, "Machine:"):]
	for _, want := range []string{"2 rounds of 100 calls", "| p50 @ 10 | p99 @ 10 | p50 @ 20 | p99 @ 20 |",
		"Level 10: ", "Level 20: "} {
		if !strings.Contains(last, want) {
			t.Errorf("report lacks %q:\n%s", want, last)
		}
	}
	for _, op := range ops {
		if !strings.Contains(last, "| "+op+" | ") {
			t.Errorf("report lacks the row of %q:\n%s", op, last)
		}
	}
}
