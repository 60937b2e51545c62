package otp_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/mdmcred/mdmcred/otp"
)

// These tests kill the two mutants gremlins found alive in pin.go on the
// merged tree (issue 27).

// TestPINConfigFormatVerbs: %q quotes String's text and every other verb
// prints it as is (pin.go: the verb == 'q' branch).
func TestPINConfigFormatVerbs(t *testing.T) {
	c := otp.PINConfig{Length: 8, MaxAttempts: 3}
	want := c.String()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x"} {
		if got := fmt.Sprintf(verb, c); got != want {
			t.Errorf("%s: %q, want %q", verb, got, want)
		}
	}
	if got := fmt.Sprintf("%q", c); got != strconv.Quote(want) {
		t.Errorf("%%q: %s, want %s", got, strconv.Quote(want))
	}
}

// TestResetFailuresOnCleanRecordWritesNothing: ResetFailures on a user
// with no failure, no block and no last failure leaves the stored record
// as it is (no write, the revision kept), and on a user with one failure
// writes once and clears it.
func TestResetFailuresOnCleanRecordWritesNothing(t *testing.T) {
	ctx := context.Background()
	e := newPINEnv(t, nil)
	if _, _, err := e.svc.Issue(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	before, err := e.store.Load(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ResetFailures(ctx, "alice", "admin"); err != nil {
		t.Fatal(err)
	}
	after, err := e.store.Load(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if after.Rev != before.Rev {
		t.Fatalf("ResetFailures on a clean record wrote it: revision %d -> %d", before.Rev, after.Rev)
	}

	pin, _, err := e.svc.Issue(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Verify(ctx, "bob", wrongPIN(pin.Reveal())); err == nil {
		t.Fatal("a wrong PIN was accepted")
	}
	failed, err := e.store.Load(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if failed.Consecutive != 1 {
		t.Fatalf("consecutive %d after one wrong PIN, want 1", failed.Consecutive)
	}
	if err := e.svc.ResetFailures(ctx, "bob", "admin"); err != nil {
		t.Fatal(err)
	}
	reset, err := e.store.Load(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if reset.Rev != failed.Rev+1 || reset.Consecutive != 0 || !reset.LastFailure.IsZero() {
		t.Fatalf("after ResetFailures: rev %d (was %d), consecutive %d, last failure %v", reset.Rev, failed.Rev, reset.Consecutive, reset.LastFailure)
	}
}
