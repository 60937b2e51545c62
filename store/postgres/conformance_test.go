package postgres_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/otp/otptest"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// Each conformance suite runs every subtest against a store on its own
// fresh schema.

func TestOTPStoreConformance(t *testing.T) {
	serverDSN(t)
	otptest.RunStore(t, func(t *testing.T) otp.Store { return postgres.NewOTPStore(migrated(t)) })
}

func TestEnrollmentStoreConformance(t *testing.T) {
	serverDSN(t)
	enrollmenttest.RunStore(t, func(t *testing.T) enrollment.Store { return postgres.NewEnrollmentStore(migrated(t)) })
}

func TestPasscodeStoreConformance(t *testing.T) {
	serverDSN(t)
	passcodetest.RunStore(t, func(t *testing.T) passcode.Store { return postgres.NewPasscodeStore(migrated(t)) })
}

func TestServicepassStoreConformance(t *testing.T) {
	serverDSN(t)
	servicepasstest.RunStore(t, func(t *testing.T) servicepass.Store { return postgres.NewServicepassStore(migrated(t)) })
}
