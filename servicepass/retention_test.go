package servicepass_test

import (
	"context"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
)

func TestMemStorePurger(t *testing.T) {
	servicepasstest.RunPurger(t, func(*testing.T) servicepass.Store { return servicepass.NewMemStore() })
}

// TestPurgeCrossesBatches deletes more events than one batch holds.
func TestPurgeCrossesBatches(t *testing.T) {
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
	n, err := servicepass.Purge(ctx, s, now, time.Hour)
	if err != nil || n.Events != old {
		t.Fatalf("Purge = %d, %v; want %d, nil", n.Events, err, old)
	}
	evs, _ := s.Events(ctx, "")
	if len(evs) != 3 || evs[0].Serial != old {
		t.Errorf("left %d events starting at serial %d, want 3 from %d", len(evs), evs[0].Serial, old)
	}
}

// TestPropertyPurgeKeepsExactlyTheNewerEvents: for all event times, cutoffs
// and batch limits, purging in batches until a batch is empty deletes
// exactly the events before the cutoff, never more than the limit at once,
// and leaves the others in their order.
func TestPropertyPurgeKeepsExactlyTheNewerEvents(t *testing.T) {
	props := gopter.NewProperties(params(16, 300))
	base := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	props.Property("purge by cutoff", prop.ForAll(func(offsets []int, cutoff, limit int) bool {
		ctx := context.Background()
		s := servicepass.NewMemStore()
		var want []uint32
		for i, o := range offsets {
			at := base.Add(time.Duration(o) * time.Minute)
			if o == 0 {
				at = time.Time{} // no time: always kept
			}
			_ = s.Record(ctx, servicepass.Event{Type: servicepass.EventIssued, At: at, DeviceID: "d", Serial: uint32(i)})
			if o == 0 || o >= cutoff {
				want = append(want, uint32(i))
			}
		}
		before := base.Add(time.Duration(cutoff) * time.Minute)
		deleted := 0
		for {
			n, err := s.PurgeEvents(ctx, before, limit)
			if err != nil || n > limit {
				return false
			}
			deleted += n
			if n == 0 {
				break
			}
		}
		evs, _ := s.Events(ctx, "")
		if len(evs) != len(want) || deleted != len(offsets)-len(want) {
			return false
		}
		for i, e := range evs {
			if e.Serial != want[i] {
				return false
			}
		}
		return true
	}, gen.SliceOf(gen.IntRange(-50, 50)), gen.IntRange(-60, 60), gen.IntRange(1, 10)))
	props.TestingRun(t)
}

// A purge of a nil store is an error, not a panic.
func TestPurgeOfNilStore(t *testing.T) {
	if _, err := servicepass.Purge(context.Background(), nil, time.Now(), 0); err == nil {
		t.Error("Purge(nil store): no error")
	}
}
