package retention

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	boom := errors.New("boom")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		counts    []int // what each step call deletes
		failAt    int   // step call (1-based) that fails; 0 for none
		wantTotal int
		wantCalls int
		wantErr   error
	}{
		{"nothing to delete", context.Background(), []int{0}, 0, 0, 1, nil},
		{"one short batch", context.Background(), []int{7}, 0, 7, 1, nil},
		{"full batches then short", context.Background(), []int{Batch, Batch, 3}, 0, 2*Batch + 3, 3, nil},
		{"full batches then empty", context.Background(), []int{Batch, 0}, 0, Batch, 2, nil},
		{"error keeps the count so far", context.Background(), []int{Batch, 5}, 2, Batch + 5, 2, boom},
		{"negative count", context.Background(), []int{-1}, 0, 0, 1, ErrBadCount},
		{"count above the limit", context.Background(), []int{Batch + 1}, 0, 0, 1, ErrBadCount},
		{"canceled context calls nothing", canceled, []int{Batch}, 0, 0, 0, context.Canceled},
		{"nil context", nil, []int{Batch}, 0, 0, 0, ErrNilContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			total, err := Run(tt.ctx, func(_ context.Context, limit int) (int, error) {
				if limit != Batch {
					t.Errorf("limit %d, want %d", limit, Batch)
				}
				calls++
				n := tt.counts[min(calls, len(tt.counts))-1]
				if calls == tt.failAt {
					return n, boom
				}
				return n, nil
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("err %v, want %v", err, tt.wantErr)
			}
			if total != tt.wantTotal || calls != tt.wantCalls {
				t.Errorf("total %d after %d calls, want %d after %d", total, calls, tt.wantTotal, tt.wantCalls)
			}
		})
	}
}

func TestRunStopsWhenCanceledBetweenBatches(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	total, err := Run(ctx, func(context.Context, int) (int, error) {
		calls++
		cancel()
		return Batch, nil
	})
	if !errors.Is(err, context.Canceled) || calls != 1 || total != Batch {
		t.Errorf("Run = %d, %v after %d calls; want %d, context.Canceled after 1", total, err, calls, Batch)
	}
}

func TestCutoff(t *testing.T) {
	errAge := errors.New("negative age")
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var nilStore interface{ Purge() } // a nil interface value, as a caller passes it
	tests := []struct {
		name    string
		store   any
		maxAge  time.Duration
		want    time.Time
		wantErr error
	}{
		{"an age", struct{}{}, time.Hour, now.Add(-time.Hour), nil},
		{"zero is the default", struct{}{}, 0, now.Add(-24 * time.Hour), nil},
		{"one nanosecond", struct{}{}, 1, now.Add(-1), nil},
		{"negative", struct{}{}, -time.Nanosecond, time.Time{}, errAge},
		{"nil store", nilStore, time.Hour, time.Time{}, ErrNilStore},
		{"nil store and negative age", nil, -time.Hour, time.Time{}, ErrNilStore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Cutoff(tt.store, now, tt.maxAge, 24*time.Hour, errAge)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) || !got.Equal(tt.want) {
				t.Errorf("Cutoff = %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
