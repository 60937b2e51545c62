package postgres_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/escrow/escrowtest"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/otp/otptest"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// Each conformance suite runs every subtest against a store on its own
// fresh schema (directly) or database (through PgBouncer), on every route.

func TestOTPStoreConformance(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		otptest.RunStore(t, func(t *testing.T) otp.Store { return postgres.NewOTPStore(migratedOn(t, r)) })
	})
}

func TestEnrollmentStoreConformance(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		enrollmenttest.RunStore(t, func(t *testing.T) enrollment.Store { return postgres.NewEnrollmentStore(migratedOn(t, r)) })
	})
}

func TestPasscodeStoreConformance(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		passcodetest.RunStore(t, func(t *testing.T) passcode.Store { return postgres.NewPasscodeStore(migratedOn(t, r)) })
	})
}

func TestServicepassStoreConformance(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		servicepasstest.RunStore(t, func(t *testing.T) servicepass.Store { return postgres.NewServicepassStore(migratedOn(t, r)) })
	})
}

func TestEscrowStoreConformance(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		escrowtest.RunStore(t, func(t *testing.T) escrow.Store { return postgres.NewEscrowStore(migratedOn(t, r)) })
	})
}
