package enrollment_test

import (
	"context"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
)

func TestMemStoreEventPurger(t *testing.T) {
	enrollmenttest.RunEventPurger(t, func(*testing.T) enrollment.Store { return enrollment.NewMemStore() })
}

// A purge of a nil store is an error, not a panic.
func TestPurgeEventsOfNilStore(t *testing.T) {
	if _, err := enrollment.PurgeEvents(context.Background(), nil, time.Now(), 0); err == nil {
		t.Error("PurgeEvents(nil store): no error")
	}
}
