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

// The retention conformance suites, each subtest on its own fresh schema.

func TestServicepassStorePurger(t *testing.T) {
	serverDSN(t)
	servicepasstest.RunEventPurger(t, func(t *testing.T) servicepass.Store { return postgres.NewServicepassStore(migrated(t)) })
}

func TestEnrollmentStorePurger(t *testing.T) {
	serverDSN(t)
	enrollmenttest.RunEventPurger(t, func(t *testing.T) enrollment.Store { return postgres.NewEnrollmentStore(migrated(t)) })
}

func TestPasscodeStorePurger(t *testing.T) {
	serverDSN(t)
	passcodetest.RunPurger(t, func(t *testing.T) passcode.Store { return postgres.NewPasscodeStore(migrated(t)) })
}

func TestOTPStorePurger(t *testing.T) {
	serverDSN(t)
	otptest.RunExpiredPurger(t, func(t *testing.T) otp.Store { return postgres.NewOTPStore(migrated(t)) })
}
