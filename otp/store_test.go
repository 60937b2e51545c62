package otp_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/otp/otptest"
)

func TestMemStore(t *testing.T) {
	otptest.RunStore(t, func(*testing.T) otp.Store { return otp.NewMemStore() })
}

func TestMemStoreTOTP(t *testing.T) {
	otptest.RunTOTPStore(t, func(*testing.T) otp.TOTPStore { return otp.NewMemStore() })
}
