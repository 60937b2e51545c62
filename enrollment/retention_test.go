package enrollment_test

import (
	"context"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
)

func TestMemStorePurger(t *testing.T) {
	enrollmenttest.RunPurger(t, func(*testing.T) enrollment.Store { return enrollment.NewMemStore() })
}

// A purge of a nil store is an error, not a panic.
func TestPurgeOfNilStore(t *testing.T) {
	if _, err := enrollment.Purge(context.Background(), nil, time.Now(), 0); err == nil {
		t.Error("Purge(nil store): no error")
	}
}
