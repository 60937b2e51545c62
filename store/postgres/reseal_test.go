package postgres_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// The re-seal conformance suites, on every route, each subtest on its own
// fresh schema or database.

func TestPasscodeStoreResealer(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		passcodetest.RunResealer(t, func(t *testing.T) passcode.Store { return postgres.NewPasscodeStore(migratedOn(t, r)) })
	})
}

func TestEnrollmentStoreResealer(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		enrollmenttest.RunResealer(t, func(t *testing.T) enrollment.Store { return postgres.NewEnrollmentStore(migratedOn(t, r)) })
	})
}
