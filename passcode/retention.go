package passcode

import (
	"context"
	"errors"
	"time"

	"github.com/mdmcred/mdmcred/internal/retention"
)

// DefaultPurgeAge is how long [Purge] keeps audit events, and finished
// resets after their last change, when the caller gives no age: 400 days,
// a year of audit history and a margin for the audit that reviews it.
const DefaultPurgeAge = 400 * 24 * time.Hour

// ErrRetentionAge: a purge was asked to keep history for a negative age.
// It is the retention vocabulary's sentinel (CONTRIBUTING.md, "Retention"),
// matched through the [*ParamError] on "maxAge" that reports it.
var ErrRetentionAge = errors.New("passcode: negative retention age")

// negativeAge is the refusal of a purge asked to keep history for a
// negative age.
func negativeAge() error {
	return &ParamError{Field: "maxAge", Reason: "negative: must be 0 (the default) or more", Err: ErrRetentionAge}
}

// Purger is the optional capability of a [Store] that can delete old
// history. [MemStore] and the PostgreSQL store implement it. Open resets
// are never deleted.
type Purger interface {
	// PurgeResets deletes at most limit resets in a final state
	// (succeeded, failed, expired) whose UpdatedAt is set and before
	// before, with all their events, and returns how many resets it
	// deleted. A deleted reset's ID is unknown afterwards (Get returns
	// ErrNotFound).
	PurgeResets(ctx context.Context, before time.Time, limit int) (int, error)
	// PurgeEvents deletes at most limit events whose At is set and before
	// before, and returns how many it deleted. The remaining events keep
	// their order.
	//
	// For both, one call is one short atomic operation and a limit below
	// one deletes nothing.
	PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error)
}

// PurgeResult counts what [Purge] deleted.
type PurgeResult struct {
	Resets int // finished resets, with their events
	Events int // events older than the age, of any reset
}

// Purge deletes finished resets last changed more than maxAge before now,
// with their events, then every other event older than maxAge
// ([DefaultPurgeAge] when maxAge is zero), in batches of at most 1,000
// rows, each its own store operation, so that it can run while resets run.
// It returns what it deleted, also when it stops on an error or a done
// context.
// A negative maxAge is a [*ParamError] on "maxAge" matching [ErrRetentionAge]; a nil
// p is an error too.
func Purge(ctx context.Context, p Purger, now time.Time, maxAge time.Duration) (PurgeResult, error) {
	if ctx == nil {
		return PurgeResult{}, ErrNilContext
	}
	var res PurgeResult
	before, err := retention.Cutoff(p, now, maxAge, DefaultPurgeAge, negativeAge())
	if err != nil {
		return res, err
	}
	res.Resets, err = retention.Run(ctx, func(ctx context.Context, limit int) (int, error) {
		return p.PurgeResets(ctx, before, limit)
	})
	if err != nil {
		return res, err
	}
	res.Events, err = retention.Run(ctx, func(ctx context.Context, limit int) (int, error) {
		return p.PurgeEvents(ctx, before, limit)
	})
	return res, err
}

var _ Purger = (*MemStore)(nil)

// PurgeResets implements [Purger].
func (m *MemStore) PurgeResets(ctx context.Context, before time.Time, limit int) (int, error) {
	if ctx == nil {
		return 0, ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	gone := make(map[string]bool)
	for id, r := range m.resets {
		if len(gone) >= limit {
			break
		}
		if r.State.Final() && !r.UpdatedAt.IsZero() && r.UpdatedAt.Before(before) {
			gone[id] = true
			if r.OpenDevice != "" && m.open[r.OpenDevice] == id {
				delete(m.open, r.OpenDevice)
			}
			delete(m.resets, id)
		}
	}
	if len(gone) > 0 {
		m.keepEventsLocked(func(e Event) bool { return !gone[e.ResetID] })
	}
	return len(gone), nil
}

// PurgeEvents implements [Purger]: it deletes the oldest-recorded eligible
// events first.
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
	m.keepEventsLocked(func(e Event) bool {
		if n < limit && !e.At.IsZero() && e.At.Before(before) {
			n++
			return false
		}
		return true
	})
	return n, nil
}

// keepEventsLocked keeps the events for which keep is true, in order, and
// rebuilds the indexes.
func (m *MemStore) keepEventsLocked(keep func(Event) bool) {
	old := m.events
	m.events = nil
	clear(m.byReset)
	clear(m.byDevice)
	for _, e := range old {
		if keep(e) {
			m.appendLocked(e)
		}
	}
}
