package servicepass

import (
	"context"
	"errors"
	"time"

	"github.com/mdmcred/mdmcred/internal/retention"
)

// DefaultEventRetention is how long [PurgeEvents] keeps audit events when
// the caller gives no age: 400 days, a year of audit history and a margin
// for the audit that reviews it.
const DefaultEventRetention = 400 * 24 * time.Hour

// ErrRetentionAge: a purge was asked to keep events for a negative age.
var ErrRetentionAge = errors.New("servicepass: negative retention age")

// EventPurger is the optional capability of a [Store] that can delete old
// audit events. [MemStore] and the PostgreSQL store implement it.
type EventPurger interface {
	// PurgeEvents deletes at most limit events whose At is before
	// before (events with a zero At are kept), and returns how many it
	// deleted. One call is one short atomic operation; a limit below one
	// deletes nothing. The remaining events keep their order.
	PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error)
}

// PurgeEvents deletes every audit event recorded more than maxAge before
// now ([DefaultEventRetention] when maxAge is zero), in batches of at most
// 1,000 events, each its own store operation, so that it can run while the
// issuer runs. It returns how many events it deleted, also when it stops
// on an error or a done context.
// A negative maxAge is [ErrRetentionAge]; a nil p is an error too.
func PurgeEvents(ctx context.Context, p EventPurger, now time.Time, maxAge time.Duration) (int, error) {
	if ctx == nil {
		return 0, ErrNilContext
	}
	before, err := retention.Cutoff(p, now, maxAge, DefaultEventRetention, ErrRetentionAge)
	if err != nil {
		return 0, err
	}
	return retention.Run(ctx, func(ctx context.Context, limit int) (int, error) {
		return p.PurgeEvents(ctx, before, limit)
	})
}

var _ EventPurger = (*MemStore)(nil)

// PurgeEvents implements [EventPurger]: it deletes the oldest-recorded
// eligible events first.
func (m *MemStore) PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	if ctx == nil {
		return 0, ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	kept := m.events[:0]
	for _, e := range m.events {
		if n < limit && !e.At.IsZero() && e.At.Before(before) {
			n++
			continue
		}
		kept = append(kept, e)
	}
	clear(m.events[len(kept):])
	m.events = kept
	return n, nil
}
