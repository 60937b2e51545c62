package servicepass_test

import (
	"context"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
)

func TestMemStoreEventPurger(t *testing.T) {
	servicepasstest.RunEventPurger(t, func(*testing.T) servicepass.Store { return servicepass.NewMemStore() })
}

// TestPurgeEventsCrossesBatches deletes more events than one batch holds.
func TestPurgeEventsCrossesBatches(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	s := servicepass.NewMemStore()
	const old = 2*1000 + 17
	for i := range old + 3 {
		at := now.Add(-2 * time.Hour)
		if i >= old {
			at = now
		}
		if err := s.Record(ctx, servicepass.Event{Type: servicepass.EventIssued, At: at, DeviceID: "d", Serial: uint32(i)}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := servicepass.PurgeEvents(ctx, s, now, time.Hour)
	if err != nil || n != old {
		t.Fatalf("PurgeEvents = %d, %v; want %d, nil", n, err, old)
	}
	evs, _ := s.Events(ctx, "")
	if len(evs) != 3 || evs[0].Serial != old {
		t.Errorf("left %d events starting at serial %d, want 3 from %d", len(evs), evs[0].Serial, old)
	}
}
