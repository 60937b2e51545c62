package otp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/otp/otptest"
)

func TestMemStorePurger(t *testing.T) {
	otptest.RunPurger(t, func(*testing.T) otp.Store { return otp.NewMemStore() })
}

// A purge of a nil store is an error, not a panic.
func TestPurgeOfNilStore(t *testing.T) {
	if _, err := otp.Purge(context.Background(), nil, time.Now(), 0); err == nil {
		t.Error("Purge(nil store): no error")
	}
}

// updateOnly is a Store without the purge capability.
type updateOnly struct{ otp.Store }

// PINService.Purge never purges a record whose issue window is open, even
// when asked for a shorter age: the package Purge with that age forgets the
// count and lets a new burst of PINs through.
func TestPINServicePurgeKeepsTheIssueCount(t *testing.T) {
	ctx := context.Background()
	const window = 3 * time.Hour
	env := func(t *testing.T) pinEnv {
		return newPINEnv(t, func(c *otp.PINConfig) {
			c.IssueLimit, c.IssueWindow, c.TTL = 2, window, 5*time.Minute
		})
	}
	issueToLimit := func(t *testing.T, e pinEnv) {
		t.Helper()
		for range 2 {
			if _, _, err := e.svc.Issue(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := e.svc.Issue(ctx, "alice"); !errors.Is(err, otp.ErrRateLimited) {
			t.Fatalf("third Issue: %v, want ErrRateLimited", err)
		}
	}
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

	t.Run("PackagePurgeWithAShortAgeForgets", func(t *testing.T) {
		e := env(t)
		issueToLimit(t, e)
		e.clock.Set(t0.Add(90 * time.Minute))
		if n, err := otp.Purge(ctx, e.store, e.clock.Now(), time.Hour); err != nil || n.PINs != 1 {
			t.Fatalf("otp.Purge(1h) = %d, %v; want 1 (the hazard PINService.Purge avoids)", n.PINs, err)
		}
		if _, _, err := e.svc.Issue(ctx, "alice"); err != nil {
			t.Fatalf("Issue after the forgetting purge: %v", err)
		}
	})

	t.Run("ServicePurgeWaitsForTheWindow", func(t *testing.T) {
		e := env(t)
		issueToLimit(t, e)
		for _, tc := range []struct {
			at     time.Duration // after t0
			maxAge time.Duration
			want   int
		}{
			{90 * time.Minute, time.Hour, 0},
			{90 * time.Minute, time.Nanosecond, 0},
			{window + time.Minute, time.Hour, 0}, // the PIN's expiry (t0+5m) is the latest activity
			{window + 10*time.Minute, time.Hour, 1},
		} {
			e.clock.Set(t0.Add(tc.at))
			if tc.want == 0 {
				if n, err := e.svc.Purge(ctx, tc.maxAge); err != nil || n.PINs != 0 {
					t.Fatalf("at +%v, Purge(%v) = %d, %v; want 0", tc.at, tc.maxAge, n.PINs, err)
				}
				if tc.at < window {
					if _, _, err := e.svc.Issue(ctx, "alice"); !errors.Is(err, otp.ErrRateLimited) {
						t.Fatalf("at +%v, Issue after Purge: %v, want ErrRateLimited", tc.at, err)
					}
				}
				continue
			}
			if n, err := e.svc.Purge(ctx, tc.maxAge); err != nil || n.PINs != tc.want {
				t.Fatalf("at +%v, Purge(%v) = %d, %v; want %d", tc.at, tc.maxAge, n.PINs, err, tc.want)
			}
		}
	})

	t.Run("Errors", func(t *testing.T) {
		e := env(t)
		if _, err := e.svc.Purge(ctx, -time.Hour); !isParam(err, "maxAge") || !errors.Is(err, otp.ErrRetentionAge) {
			t.Errorf("Purge(-1h): %v, want a ParamError on maxAge", err)
		}
		svc, err := otp.NewPINService(otp.PINConfig{Store: updateOnly{otp.NewMemStore()}, Peppers: otp.NewKeys(map[uint8][]byte{1: pepper1}), PepperID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Purge(ctx, 0); !isParam(err, "Store") {
			t.Errorf("Purge on a store without the capability: %v, want a ParamError on Store", err)
		}
	})
}
