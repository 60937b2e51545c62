package otp_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/otp"
)

// TestNilContext: every function and method of otp that takes a context
// refuses a nil one with ErrNilContext and does not panic.
func TestNilContext(t *testing.T) {
	pin := newPINEnv(t, nil)
	totp, _, _, _ := newTOTPEnv(t)
	n := gentest.CheckNilContext(t, otp.ErrNilContext, pin.svc, pin.store, totp, otp.Purge)
	if n != 18 {
		t.Errorf("reached %d functions, want 18", n)
	}
}
