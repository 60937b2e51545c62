package seal

import (
	"context"
	"errors"
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
	full := func(last string) Step {
		return func(_ context.Context, _ string, limit int, fn func(sealed, ad []byte) []byte) (string, int, int, error) {
			return last, limit, 0, nil
		}
	}
	boom := errors.New("store down")
	tests := []struct {
		name string
		step Step
		want error
	}{
		{"too many visited", func(context.Context, string, int, func(sealed, ad []byte) []byte) (string, int, int, error) {
			return "a", retention.Batch + 1, 0, nil
		}, ErrBadStep},
		{"more changed than visited", func(context.Context, string, int, func(sealed, ad []byte) []byte) (string, int, int, error) {
			return "a", 1, 2, nil
		}, ErrBadStep},
		{"last key stuck", full("a"), ErrBadStep},
		{"step error", func(context.Context, string, int, func(sealed, ad []byte) []byte) (string, int, int, error) {
			return "a", 1, 0, boom
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
	p, err := s.ResealAll(ctx, func(_ context.Context, _ string, _ int, fn func(sealed, ad []byte) []byte) (string, int, int, error) {
		current := s.Seal([]byte("y"), []byte("ad"), time.Time{})
		got = append(got, fn(old, []byte("ad")), fn(current, []byte("ad")), fn(old, []byte("other ad")))
		return "z", 3, 1, nil
	}, nil)
	if err != nil || p != (Progress{Visited: 3, Resealed: 1, Failed: 1}) || got[0] == nil || got[1] != nil || got[2] != nil {
		t.Fatalf("ResealAll = %+v, %v; fn results %x", p, err, got)
	}
	if pt, err := s.Open(got[0], []byte("ad"), time.Now()); err != nil || string(pt) != "x" || got[0][1] != 2 {
		t.Fatalf("re-sealed value: %q, %v", pt, err)
	}
}
