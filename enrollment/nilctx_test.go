package enrollment_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/internal/gentest"
)

// TestNilContext: every function and method of enrollment that takes a
// context refuses a nil one with ErrNilContext and does not panic.
func TestNilContext(t *testing.T) {
	f := newFixture(t, nil)
	n := gentest.CheckNilContext(t, enrollment.ErrNilContext, f.svc, f.store, enrollment.Purge)
	if n != 18 {
		t.Errorf("reached %d functions, want 18", n)
	}
}
