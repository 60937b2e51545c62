package otp_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/otp"
)

// TestPINFormatLengthBound: a PIN may carry spaces up to 4*MaxPINLength
// bytes in all; one byte more is refused as malformed (not counted).
func TestPINFormatLengthBound(t *testing.T) {
	ctx := context.Background()
	e := newPINEnv(t, nil)
	pin, _, err := e.svc.Issue(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	at := pin.Reveal() + strings.Repeat(" ", 4*otp.MaxPINLength-pin.Len())
	if err := e.svc.Verify(ctx, "alice", at+" "); !errors.Is(err, otp.ErrPINFormat) {
		t.Fatalf("%d bytes: %v, want ErrPINFormat", len(at)+1, err)
	}
	if err := e.svc.Verify(ctx, "alice", at); err != nil {
		t.Fatalf("%d bytes: %v", len(at), err)
	}
}

// TestPINVoidAtLoweredMaxAttempts: a PIN whose wrong tries already reach
// the service's MaxAttempts is void even if the record does not say so
// (written under a higher MaxAttempts): the right PIN is then refused.
func TestPINVoidAtLoweredMaxAttempts(t *testing.T) {
	ctx := context.Background()
	e := newPINEnv(t, func(c *otp.PINConfig) { c.MaxAttempts = 7 })
	pin, _, err := e.svc.Issue(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		_ = e.svc.Verify(ctx, "alice", wrongPIN(pin.Reveal()))
	}
	if rec, _ := e.store.Load(ctx, "alice"); rec.Failures != 5 || rec.Void {
		t.Fatalf("record after 5 wrong PINs of 7: %d failures, void %v", rec.Failures, rec.Void)
	}
	lowered := newPINEnv(t, func(c *otp.PINConfig) { c.MaxAttempts = 5; c.Store = e.store; c.Now = e.clock.Now })
	if err := lowered.svc.Verify(ctx, "alice", pin.Reveal()); !errors.Is(err, otp.ErrPINLocked) {
		t.Fatalf("right PIN after 5 wrong ones, MaxAttempts now 5: %v, want ErrPINLocked", err)
	}
}
