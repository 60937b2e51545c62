package servicepass_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/servicepass"
)

// TestNilContextEverywhere: every function and method of servicepass that
// takes a context refuses a nil one with ErrNilContext and does not panic.
func TestNilContextEverywhere(t *testing.T) {
	f := newFixture(t)
	n := gentest.CheckNilContext(t, servicepass.ErrNilContext, f.is, f.audit, servicepass.Purge)
	if n != 8 {
		t.Errorf("reached %d functions, want 8", n)
	}
}
