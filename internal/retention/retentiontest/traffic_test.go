package retentiontest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// fatalRecorder is a testing.TB whose Fatal records instead of stopping.
type fatalRecorder struct {
	testing.TB
	msg []any
}

func (r *fatalRecorder) Helper()        {}
func (r *fatalRecorder) Fatal(a ...any) { r.msg = a }

func TestUnderTraffic(t *testing.T) {
	t.Run("CountsWhatThePurgersDelete", func(t *testing.T) {
		var mu sync.Mutex
		rows := 10
		var wrote atomic.Int64
		got := UnderTraffic(t, 4, func(int) error { wrote.Add(1); return nil }, func() (int, error) {
			mu.Lock()
			defer mu.Unlock()
			n := min(rows, 3)
			rows -= n
			return n, nil
		})
		if got != 10 || wrote.Load() != 4 {
			t.Errorf("deleted %d with %d writers run, want 10 and 4", got, wrote.Load())
		}
	})
	for _, tc := range []struct {
		name         string
		write, purge error
	}{
		{"WriterError", errors.New("write failed"), nil},
		{"PurgerError", nil, errors.New("purge failed")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &fatalRecorder{TB: t}
			UnderTraffic(r, 2, func(int) error { return tc.write }, func() (int, error) { return 0, tc.purge })
			want := tc.write
			if want == nil {
				want = tc.purge
			}
			if len(r.msg) != 1 || r.msg[0] != want {
				t.Errorf("Fatal(%v), want Fatal(%v)", r.msg, want)
			}
		})
	}
}
