package otp

import (
	"context"
	"errors"
	"time"

	"github.com/mdmcred/mdmcred/internal/retention"
)

// DefaultExpiredRetention is how long after its expiry [PurgeExpired] keeps
// a PIN record when the caller gives no age: one day, so that a user who
// tries a PIN just after it expired is told it expired rather than that
// none was issued.
const DefaultExpiredRetention = 24 * time.Hour

// ErrRetentionAge: a purge was asked to keep records for a negative age.
var ErrRetentionAge = errors.New("otp: negative retention age")

// ExpiredPurger is the optional capability of a [Store] that can delete PIN
// records that expired long ago. A consumed PIN is already gone (Verify
// deletes it). [MemStore] and the PostgreSQL store implement it.
type ExpiredPurger interface {
	// PurgeExpired deletes at most limit records whose ExpiresAt is set
	// and before before, and which carry no failure (Failures zero, not
	// Void), and returns how many it deleted. Records with failures are
	// kept: they are what limits guessing, and they are bounded by the
	// number of users, not by time. One call is one short atomic
	// operation; a limit below one deletes nothing.
	PurgeExpired(ctx context.Context, before time.Time, limit int) (int, error)
}

// PurgeExpired deletes every PIN record that expired more than maxAge
// before now ([DefaultExpiredRetention] when maxAge is zero) and carries no
// failure, in batches of at most 1,000 records, each its own store
// operation, so that it can run while users sign in. It returns how many
// it deleted, also when it stops on an error or a done context.
func PurgeExpired(ctx context.Context, p ExpiredPurger, now time.Time, maxAge time.Duration) (int, error) {
	if maxAge < 0 {
		return 0, ErrRetentionAge
	}
	if maxAge == 0 {
		maxAge = DefaultExpiredRetention
	}
	before := now.Add(-maxAge)
	return retention.Run(ctx, func(ctx context.Context, limit int) (int, error) {
		return p.PurgeExpired(ctx, before, limit)
	})
}

var _ ExpiredPurger = (*MemStore)(nil)

// PurgeExpired implements [ExpiredPurger].
func (m *MemStore) PurgeExpired(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for user, rec := range m.recs {
		if n >= limit {
			break
		}
		if !rec.ExpiresAt.IsZero() && rec.ExpiresAt.Before(before) && rec.Failures == 0 && !rec.Void {
			delete(m.recs, user)
			n++
		}
	}
	return n, nil
}
