package main

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/internal/citest"
)

// TestRunSmall runs every operation and its floor a few times on each
// route: what scripts/bench.sh runs at full size, checked in make test so
// that it cannot rot. It asserts the report's shape, not its figures.
func TestRunSmall(t *testing.T) {
	dsn := os.Getenv("MDMCRED_POSTGRES_DSN")
	if dsn == "" {
		citest.Missing(t, "MDMCRED_POSTGRES_DSN is not set", "run scripts/with-postgres.sh go test ./store/postgres/... (or make unit)")
	}
	routes := []route{{"direct", dsn}, {"pgbouncer", os.Getenv("MDMCRED_PGBOUNCER_DSN")}}
	var out bytes.Buffer
	if err := run(context.Background(), &out, routes, 20, 1, 4, []int{1, 3}, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| enroll (right passcode, one site) | direct | 1 |", "| PIN issue + verify | direct | 3 |",
		"| TOTP verify | direct | 1 |", "| TOTP verify, new then returning | direct | 3 |", "| reset request | direct | 3 |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRunOnly: -ops keeps only the operations it names.
func TestRunOnly(t *testing.T) {
	dsn := os.Getenv("MDMCRED_POSTGRES_DSN")
	if dsn == "" {
		citest.Missing(t, "MDMCRED_POSTGRES_DSN is not set", "run scripts/with-postgres.sh go test ./store/postgres/... (or make unit)")
	}
	var out bytes.Buffer
	if err := run(context.Background(), &out, []route{{"direct", dsn}}, 5, 1, 2, []int{1}, []string{"TOTP"}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "| TOTP verify"); got != 2 || strings.Contains(out.String(), "PIN") {
		t.Errorf("-ops TOTP kept the wrong operations:\n%s", out.String())
	}
}

// TestSelected: an empty -ops keeps everything; otherwise a name is kept
// when it contains one of the words.
func TestSelected(t *testing.T) {
	for _, tc := range []struct {
		name string
		only []string
		want bool
	}{
		{"PIN issue + verify", nil, true},
		{"PIN issue + verify", []string{"PIN"}, true},
		{"PIN issue + verify", []string{"TOTP", "PIN"}, true},
		{"TOTP verify", []string{"PIN"}, false},
		{"reset request", []string{"pin"}, false},
	} {
		if got := selected(tc.name, tc.only); got != tc.want {
			t.Errorf("selected(%q, %q) = %v, want %v", tc.name, tc.only, got, tc.want)
		}
	}
}

// TestPairOrder: a pair measures both sides, in the order asked, and
// returns each side's figures on its own side.
func TestPairOrder(t *testing.T) {
	for _, floorFirst := range []bool{false, true} {
		var order []string
		var mu sync.Mutex
		side := func(name string, d time.Duration) func(context.Context, string) error {
			return func(context.Context, string) error {
				mu.Lock()
				order = append(order, name)
				mu.Unlock()
				time.Sleep(d)
				return nil
			}
		}
		o := op{name: "x", ours: side("ours", 2*time.Millisecond), floor: side("floor", 0)}
		a, pa, b, pb, err := pair(o, "t", 3, 1, floorFirst)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"ours", "ours", "ours", "floor", "floor", "floor"}
		if floorFirst {
			want = append(want[3:], want[:3]...)
		}
		if !slices.Equal(order, want) {
			t.Errorf("floorFirst %v: order %v, want %v", floorFirst, order, want)
		}
		if a <= b || pa < 2*time.Millisecond || pb >= 2*time.Millisecond {
			t.Errorf("floorFirst %v: ours %.0f µs/op (p99 %v), floor %.0f µs/op (p99 %v): the sides are swapped", floorFirst, a, pa, b, pb)
		}
	}
}
