package passcode_test

import (
	"context"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
)

func TestMemStore(t *testing.T) {
	passcodetest.RunStore(t, func(*testing.T) passcode.Store { return passcode.NewMemStore() })
}

func TestMemStoreResealer(t *testing.T) {
	passcodetest.RunResealer(t, func(*testing.T) passcode.Store { return passcode.NewMemStore() })
}

// TestMemStoreStaleLimit: Stale returns at most limit resets, oldest
// StaleAt first: none for 0, every one for a negative limit.
func TestMemStoreStaleLimit(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	for _, id := range []string{"d1", "d2"} {
		if _, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel(id), Actor: "admin-1"}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
	}
	later := f.clock.Now().Add(passcode.DefaultStaleAfter)
	for _, tt := range []struct{ limit, want int }{{0, 0}, {1, 1}, {2, 2}, {3, 2}, {-1, 2}} {
		rs, err := f.store.Stale(ctx, later, tt.limit)
		if err != nil || len(rs) != tt.want || (len(rs) > 0 && rs[0].DeviceID != "d1") {
			t.Errorf("Stale(limit %d) = %d resets, %v; want %d, d1 first", tt.limit, len(rs), err, tt.want)
		}
	}
}
