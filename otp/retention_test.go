package otp_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/otp/otptest"
)

func TestMemStoreExpiredPurger(t *testing.T) {
	otptest.RunExpiredPurger(t, func(*testing.T) otp.Store { return otp.NewMemStore() })
}
