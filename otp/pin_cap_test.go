package otp_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/otp"
)

// TestPINFailuresSurviveReissue is issue 14's finding: 21 Issue calls and
// 105 consecutive wrong PINs, then Issue and the right PIN succeeded. Now
// the 100th consecutive wrong PIN blocks the user, across re-issues.
func TestPINFailuresSurviveReissue(t *testing.T) {
	ctx := context.Background()
	e := newPINEnv(t, nil)
	wrongs := 0
	for issue := 1; issue <= 21; issue++ {
		pin, _, err := e.svc.Issue(ctx, "alice")
		if issue == 21 {
			var be *otp.BlockedError
			if !errors.As(err, &be) || be.Failures != 100 || !be.Until.Equal(e.clock.Now().Add(-15*time.Minute).Add(otp.DefaultCooldown)) {
				t.Fatalf("Issue %d after %d wrong PINs: %v, want a BlockedError at 100 lasting the cool-down", issue, wrongs, err)
			}
			break
		}
		if err != nil {
			t.Fatalf("Issue %d after %d wrong PINs: %v", issue, wrongs, err)
		}
		for range otp.DefaultPINMaxAttempts {
			err := e.svc.Verify(ctx, "alice", wrongPIN(pin.Reveal()))
			var ae *otp.PINAttemptError
			if !errors.As(err, &ae) {
				t.Fatalf("wrong PIN %d: %v", wrongs+1, err)
			}
			wrongs++
			if wrongs == 100 && ae.Remaining != 0 {
				t.Fatalf("the 100th wrong PIN says %d remain", ae.Remaining)
			}
		}
		e.clock.Advance(15 * time.Minute) // 4 issues an hour: under the rate limit
	}
	if !strings.Contains(e.logs.String(), "blocked after 100 consecutive failures") {
		t.Errorf("the refusal is not logged: %s", e.logs.String())
	}
}

func TestPINSuccessResetsConsecutiveCount(t *testing.T) {
	ctx := context.Background()
	e := newPINEnv(t, func(c *otp.PINConfig) { c.MaxConsecutive = 6 })
	for range 3 {
		pin, _, err := e.svc.Issue(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			_ = e.svc.Verify(ctx, "alice", wrongPIN(pin.Reveal()))
		}
		// 4 wrong, then right: the count starts again, so 3 rounds of 4
		// never reach 6.
		if err := e.svc.Verify(ctx, "alice", pin.Reveal()); err != nil {
			t.Fatalf("right PIN after 4 wrong ones: %v", err)
		}
		if st, _ := e.svc.Status(ctx, "alice"); st.Consecutive != 0 || st.Blocked || st.Outstanding {
			t.Fatalf("after a success: %+v", st)
		}
		e.clock.Advance(time.Hour)
	}
}

func TestPINRemainingIsTheSmallerAllowance(t *testing.T) {
	ctx := context.Background()
	e := newPINEnv(t, func(c *otp.PINConfig) { c.MaxConsecutive = 7; c.MaxAttempts = 5 })
	pin, _, _ := e.svc.Issue(ctx, "alice")
	for range 5 {
		_ = e.svc.Verify(ctx, "alice", wrongPIN(pin.Reveal()))
	}
	pin, _, _ = e.svc.Issue(ctx, "alice")
	err := e.svc.Verify(ctx, "alice", wrongPIN(pin.Reveal()))
	var ae *otp.PINAttemptError
	if !errors.As(err, &ae) || ae.Remaining != 1 {
		t.Fatalf("6th wrong PIN of 7 allowed: %v, want 1 remaining", err)
	}
}

func TestPINLockoutConfig(t *testing.T) {
	for name, c := range map[string]otp.PINConfig{
		"cap over 100":      {MaxConsecutive: 101},
		"negative cap":      {MaxConsecutive: -1},
		"short cooldown":    {Cooldown: time.Millisecond},
		"long cooldown":     {Cooldown: otp.MaxCooldown + time.Second},
		"issue limit":       {IssueLimit: otp.MaxPINIssueLimit + 1},
		"negative limit":    {IssueLimit: -1},
		"short window":      {IssueWindow: time.Second},
		"long issue window": {IssueWindow: otp.MaxPINIssueWindow + time.Second},
	} {
		c.Store, c.Peppers, c.PepperID = otp.NewMemStore(), otp.NewKeys(map[uint8][]byte{1: pepper1}), 1
		if _, err := otp.NewPINService(c); !errors.Is(err, otp.ErrParams) {
			t.Errorf("%s: %v, want ErrParams", name, err)
		}
	}
	c := otp.PINConfig{Store: otp.NewMemStore(), Peppers: otp.NewKeys(map[uint8][]byte{1: pepper1}), PepperID: 1, MaxConsecutive: 100, Cooldown: otp.NoCooldown}
	if _, err := otp.NewPINService(c); err != nil {
		t.Fatalf("cap 100 without cool-down: %v", err)
	}
}

func TestPINNoCooldownNeedsAdmin(t *testing.T) {
	ctx := context.Background()
	e := newPINEnv(t, func(c *otp.PINConfig) { c.MaxConsecutive = 2; c.Cooldown = otp.NoCooldown })
	pin, _, _ := e.svc.Issue(ctx, "alice")
	_ = e.svc.Verify(ctx, "alice", wrongPIN(pin.Reveal()))
	_ = e.svc.Verify(ctx, "alice", wrongPIN(pin.Reveal()))
	e.clock.Advance(otp.MaxCooldown)
	_, _, err := e.svc.Issue(ctx, "alice")
	var be *otp.BlockedError
	if !errors.As(err, &be) || !be.Until.IsZero() || !strings.Contains(err.Error(), "until an administrator resets it") {
		t.Fatalf("a year later without a cool-down: %v", err)
	}
	if err := e.svc.ResetFailures(ctx, "alice", "admin"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Issue(ctx, "alice"); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
	if !strings.Contains(e.logs.String(), "actor=admin") {
		t.Error("the reset is not logged with its actor")
	}
}

// An administrator lifts a user's block after too many wrong PINs.
func ExamplePINService_ResetFailures() {
	ctx := context.Background()
	svc, err := otp.NewPINService(otp.PINConfig{
		Store:          otp.NewMemStore(),
		Peppers:        otp.NewKeys(map[uint8][]byte{1: []byte("a 32-byte server-held pepper....")}),
		PepperID:       1,
		MaxConsecutive: 3, // default and maximum: 100
		Now:            func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	pin, _, _ := svc.Issue(ctx, "alice")
	for range 3 {
		_ = svc.Verify(ctx, "alice", wrongPIN(pin.Reveal()))
	}
	_, _, err = svc.Issue(ctx, "alice")
	fmt.Println(err)
	fmt.Println(svc.ResetFailures(ctx, "alice", "admin@example.com"))
	_, _, err = svc.Issue(ctx, "alice")
	fmt.Println(err)
	// Output:
	// otp: blocked after 3 consecutive failures until 2026-01-06T09:00:00Z or an administrator resets it
	// <nil>
	// <nil>
}

func TestPINRateLimitClockBack(t *testing.T) {
	ctx := context.Background()
	e := newPINEnv(t, nil)
	for range otp.DefaultPINIssueLimit {
		if _, _, err := e.svc.Issue(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(-2 * time.Hour)
	if _, _, err := e.svc.Issue(ctx, "alice"); !errors.Is(err, otp.ErrRateLimited) {
		t.Fatalf("Issue with the clock turned back: %v, want ErrRateLimited", err)
	}
	e.clock.Advance(2*time.Hour + otp.DefaultPINIssueWindow)
	if _, _, err := e.svc.Issue(ctx, "alice"); err != nil {
		t.Fatalf("Issue in the next window: %v", err)
	}
}
