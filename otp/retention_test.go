package otp_test

import (
	"context"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/otp/otptest"
)

func TestMemStoreExpiredPurger(t *testing.T) {
	otptest.RunExpiredPurger(t, func(*testing.T) otp.Store { return otp.NewMemStore() })
}

// A purge of a nil store is an error, not a panic.
func TestPurgeExpiredOfNilStore(t *testing.T) {
	if _, err := otp.PurgeExpired(context.Background(), nil, time.Now(), 0); err == nil {
		t.Error("PurgeExpired(nil store): no error")
	}
}
