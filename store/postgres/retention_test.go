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

// The retention conformance suites, on every route, each subtest on its
// own fresh schema or database.

func TestServicepassStorePurger(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		servicepasstest.RunPurger(t, func(t *testing.T) servicepass.Store { return postgres.NewServicepassStore(migratedOn(t, r)) })
	})
}

func TestEnrollmentStorePurger(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		enrollmenttest.RunPurger(t, func(t *testing.T) enrollment.Store { return postgres.NewEnrollmentStore(migratedOn(t, r)) })
	})
}

func TestPasscodeStorePurger(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		passcodetest.RunPurger(t, func(t *testing.T) passcode.Store { return postgres.NewPasscodeStore(migratedOn(t, r)) })
	})
}

func TestOTPStorePurger(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		otptest.RunPurger(t, func(t *testing.T) otp.Store { return postgres.NewOTPStore(migratedOn(t, r)) })
	})
}
