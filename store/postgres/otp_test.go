package postgres_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/otp/otptest"
	"github.com/mdmcred/mdmcred/store/postgres"
)

func TestOTPStoreTOTPConformance(t *testing.T) {
	serverDSN(t)
	otptest.RunTOTPStore(t, func(t *testing.T) otp.TOTPStore { return postgres.NewOTPStore(migrated(t)) })
}
