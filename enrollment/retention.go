package enrollment

import (
	"context"
	"errors"
	"time"

	"github.com/mdmcred/mdmcred/internal/retention"
)

// DefaultPurgeAge is how long [Purge] keeps audit events when
// the caller gives no age: 400 days, a year of audit history and a margin
// for the audit that reviews it. Passcode records are never purged: a site
// has one, and it is current state, not history.
const DefaultPurgeAge = 400 * 24 * time.Hour

// ErrRetentionAge: a purge was asked to keep events for a negative age.
// It is the retention vocabulary's sentinel (CONTRIBUTING.md, "Retention"),
// matched through the [*ParamError] on "maxAge" that reports it.
var ErrRetentionAge = errors.New("enrollment: negative retention age")

// negativeAge is the refusal of a purge asked to keep events for a
// negative age.
func negativeAge() error {
	return &ParamError{Field: "maxAge", Reason: "negative: must be 0 (the default) or more", Err: ErrRetentionAge}
}

// Purger is the optional capability of a [Store] that can delete old
// audit events. [MemStore] and the PostgreSQL store implement it.
type Purger interface {
	// PurgeEvents deletes at most limit events, of any site, whose At is
	// before before (events with a zero At are kept), and returns how
	// many it deleted. One call is one short atomic operation; a limit
	// below one deletes nothing. The remaining events keep their order.
	PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error)
}

// PurgeResult counts what [Purge] deleted.
type PurgeResult struct {
	Events int // audit events
}

// Purge deletes every audit event recorded more than maxAge before
// now ([DefaultPurgeAge] when maxAge is zero), in batches of at most
// 1,000 events, each its own store operation, so that it can run while the
// service runs. It returns what it deleted, also when it stops
// on an error or a done context.
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
	res.Events, err = retention.Run(ctx, func(ctx context.Context, limit int) (int, error) {
		return p.PurgeEvents(ctx, before, limit)
	})
	return res, err
}

var _ Purger = (*MemStore)(nil)

// PurgeEvents implements [Purger].
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
	for site, r := range m.events {
		if n >= limit {
			break
		}
		evs := r.ordered()
		kept := evs[:0]
		for _, e := range evs {
			if n < limit && !e.At.IsZero() && e.At.Before(before) {
				n++
				continue
			}
			kept = append(kept, e)
		}
		if len(kept) == len(r.buf) {
			continue
		}
		if len(kept) == 0 {
			delete(m.events, site)
			continue
		}
		r.buf = append(r.buf[:0], kept...)
		r.next = 0
	}
	return n, nil
}
