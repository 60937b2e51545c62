package enrollment_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
)

func TestMemStoreEventPurger(t *testing.T) {
	enrollmenttest.RunEventPurger(t, func(*testing.T) enrollment.Store { return enrollment.NewMemStore() })
}
