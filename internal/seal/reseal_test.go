package seal

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/internal/retention"
)

// TestResealAllSteps: steps that break the contract (counts out of range,
// a last key that does not move forward) stop ResealAll with ErrBadStep
// instead of looping; a step's error stops it with the totals so far; a
// nil context or step is refused.
func TestResealAllSteps(t *testing.T) {
	s := mustNew(t, 2, map[uint8][]byte{1: k1, 2: k2})
	old := mustNew(t, 1, map[uint8][]byte{1: k1}).Seal([]byte("x"), []byte("ad"), time.Time{})
	ctx := context.Background()
	// full reports full batches that all end at last; after three it
	// reports an empty one, so that a ResealAll that failed to stop on the
	// stuck key ends (and the test fails) instead of looping.
	full := func(last string) Step {
		calls := 0
		return func(_ context.Context, _ string, limit int, fn func(sealed, ad []byte) []byte) (Batch, error) {
			if calls++; calls > 3 {
				return Batch{Last: last}, nil
			}
			return Batch{Last: last, Read: limit, Visited: limit}, nil
		}
	}
	batch := func(b Batch) Step {
		return func(context.Context, string, int, func(sealed, ad []byte) []byte) (Batch, error) { return b, nil }
	}
	boom := errors.New("store down")
	tests := []struct {
		name string
		step Step
		want error
	}{
		{"too many read", batch(Batch{Last: "a", Read: retention.Batch + 1, Visited: 1}), ErrBadStep},
		{"negative read", batch(Batch{Last: "a", Read: -1}), ErrBadStep},
		{"negative visited", batch(Batch{Last: "a", Read: 1, Visited: -1}), ErrBadStep},
		{"more changed than visited", batch(Batch{Last: "a", Read: 1, Visited: 1, Replaced: 2}), ErrBadStep},
		{"last key stuck", full("a"), ErrBadStep},
		{"step error", func(context.Context, string, int, func(sealed, ad []byte) []byte) (Batch, error) {
			return Batch{Last: "a", Read: 1, Visited: 1}, boom
		}, boom},
		{"nil step", nil, retention.ErrNilStore},
	}
	for _, tt := range tests {
		if _, err := s.ResealAll(ctx, tt.step, nil); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	var nilCtx context.Context
	if _, err := s.ResealAll(nilCtx, full("a"), nil); !errors.Is(err, retention.ErrNilContext) {
		t.Errorf("nil context: %v", err)
	}
	// fn re-seals what needs it, leaves the rest, counts what fails.
	var got [][]byte
	p, err := s.ResealAll(ctx, func(_ context.Context, _ string, _ int, fn func(sealed, ad []byte) []byte) (Batch, error) {
		current := s.Seal([]byte("y"), []byte("ad"), time.Time{})
		got = append(got, fn(old, []byte("ad")), fn(current, []byte("ad")), fn(old, []byte("other ad")))
		return Batch{Last: "z", Read: 3, Visited: 3, Replaced: 1}, nil
	}, nil)
	if err != nil || p != (Progress{Visited: 3, Resealed: 1, Failed: 1}) || got[0] == nil || got[1] != nil || got[2] != nil {
		t.Fatalf("ResealAll = %+v, %v; fn results %x", p, err, got)
	}
	if pt, err := s.Open(got[0], []byte("ad"), time.Now()); err != nil || string(pt) != "x" || got[0][1] != 2 {
		t.Fatalf("re-sealed value: %q, %v", pt, err)
	}
}

// TestResealAllEntriesOfSeveralValues: a store whose entries hold several
// sealed values (escrow rows) reads limit entries and visits more values
// than that; the walk goes on while full batches of entries come back and
// counts values, not entries.
func TestResealAllEntriesOfSeveralValues(t *testing.T) {
	s := mustNew(t, 2, map[uint8][]byte{1: k1, 2: k2})
	old := mustNew(t, 1, map[uint8][]byte{1: k1}).Seal([]byte("x"), []byte("ad"), time.Time{})
	const entries, perEntry = retention.Batch + 10, 3
	var afters []string
	var reports []Progress
	p, err := s.ResealAll(context.Background(), func(_ context.Context, after string, limit int, fn func(sealed, ad []byte) []byte) (Batch, error) {
		afters = append(afters, after)
		start := 0
		if after != "" {
			start = retention.Batch
		}
		n := min(limit, entries-start)
		b := Batch{Read: n, Last: after}
		for i := range n {
			for range perEntry {
				b.Visited++
				if fn(old, []byte("ad")) != nil {
					b.Replaced++
				}
			}
			b.Last = fmt.Sprintf("k%05d", start+i)
		}
		return b, nil
	}, func(p Progress) { reports = append(reports, p) })
	want := Progress{Visited: entries * perEntry, Resealed: entries * perEntry}
	if err != nil || p != want {
		t.Fatalf("ResealAll = %+v, %v; want %+v", p, err, want)
	}
	if len(afters) != 2 || afters[1] != fmt.Sprintf("k%05d", retention.Batch-1) {
		t.Fatalf("steps after %q", afters)
	}
	if len(reports) != 2 || reports[0].Visited != retention.Batch*perEntry || reports[1] != want {
		t.Fatalf("progress %+v", reports)
	}
}

// TestResealAllBatchBounds: the bounds of a batch, met exactly. An empty
// store (nothing read, last key still the empty after) and entries that
// hold no sealed value (read, none visited) end the walk without error
// after one step; a last key equal to after, or before it, ends it with
// ErrBadStep on the step that reports it, never later.
func TestResealAllBatchBounds(t *testing.T) {
	s := mustNew(t, 2, map[uint8][]byte{1: k1, 2: k2})
	ctx := context.Background()
	// steps returns a Step that reports the batches in turn (an empty one
	// after the last) and counts its calls.
	steps := func(calls *int, bs ...Batch) Step {
		return func(context.Context, string, int, func(sealed, ad []byte) []byte) (Batch, error) {
			*calls++
			if *calls > len(bs) {
				return Batch{}, nil
			}
			return bs[*calls-1], nil
		}
	}
	full := func(last string) Batch {
		return Batch{Last: last, Read: retention.Batch, Visited: retention.Batch, Replaced: retention.Batch}
	}
	tests := []struct {
		name    string
		batches []Batch
		want    error
		calls   int
		visited int
	}{
		{"empty store", []Batch{{}}, nil, 1, 0},
		{"entries without sealed values", []Batch{{Last: "a", Read: 3}}, nil, 1, 0},
		{"full batch, then empty", []Batch{full("a"), {Last: "a"}}, nil, 2, retention.Batch},
		{"full batches, last one short", []Batch{full("a"), {Last: "b", Read: 1, Visited: 1}}, nil, 2, retention.Batch + 1},
		{"last key equal to after", []Batch{full("a"), full("a")}, ErrBadStep, 2, retention.Batch},
		{"last key before after", []Batch{full("b"), full("a")}, ErrBadStep, 2, retention.Batch},
		{"first batch's last key empty", []Batch{{Last: "", Read: 1, Visited: 1}}, ErrBadStep, 1, 0},
		{"all replaced", []Batch{{Last: "a", Read: 2, Visited: 2, Replaced: 2}}, nil, 1, 2},
	}
	for _, tt := range tests {
		calls := 0
		p, err := s.ResealAll(ctx, steps(&calls, tt.batches...), nil)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
		if calls != tt.calls || p.Visited != tt.visited {
			t.Errorf("%s: %d steps, %d visited; want %d, %d", tt.name, calls, p.Visited, tt.calls, tt.visited)
		}
	}
}
