package otp

import (
	"context"
	"errors"
	"time"

	"github.com/mdmcred/mdmcred/internal/retention"
)

// DefaultPurgeAge is how long after its last activity [Purge] keeps a PIN
// record when the caller gives no age: one day, so that a user who tries a
// PIN just after it expired is told it expired rather than that none was
// issued, and so that the default issue rate-limit window (one hour) has
// always passed. A shorter age than PINConfig.IssueWindow lets a purge
// forget a user's issue count; [PINService.Purge] never uses one.
const DefaultPurgeAge = 24 * time.Hour

// ErrRetentionAge: a purge was asked to keep records for a negative age.
// It is the retention vocabulary's sentinel (CONTRIBUTING.md, "Retention"),
// matched through the [*ParamError] on "maxAge" that reports it.
var ErrRetentionAge = errors.New("otp: negative retention age")

// negativeAge is the refusal of a purge asked to keep records for a
// negative age.
func negativeAge() error {
	return &ParamError{Field: "maxAge", Reason: "negative: must be 0 (the default) or more", Err: ErrRetentionAge}
}

// Purger is the optional capability of a [Store] that can delete PIN
// records of users with no recent activity: expired PINs, and the records
// a used PIN leaves behind (a user's record outlives the PIN, see
// [PINRecord]). [MemStore] and the PostgreSQL store implement it.
type Purger interface {
	// PurgePINs deletes at most limit records for which [CanPurge] with
	// cutoff before holds, and returns how many it deleted. Records with
	// failures are kept: they are what limits guessing (they hold the
	// consecutive-failure count that must survive), and they are bounded
	// by the number of users, not by time. One call is one short atomic
	// operation; a limit below one deletes nothing.
	PurgePINs(ctx context.Context, before time.Time, limit int) (int, error)
}

// CanPurge reports whether a purge with cutoff before may delete rec: it
// carries no failure (Failures and Consecutive zero, neither Void nor
// Blocked) and its latest activity (the outstanding PIN's expiry, the
// start of its issue window, its last failure) is set and before before.
// A record with no activity at all is kept. A backend's PurgePINs deletes
// exactly the records for which it holds.
func CanPurge(rec *PINRecord, before time.Time) bool {
	if rec.Failures != 0 || rec.Void || rec.Consecutive != 0 || rec.Blocked {
		return false
	}
	last := rec.ExpiresAt
	for _, t := range []time.Time{rec.IssueWindow, rec.LastFailure} {
		if t.After(last) {
			last = t
		}
	}
	return !last.IsZero() && last.Before(before)
}

// PurgeResult counts what [Purge] deleted.
type PurgeResult struct {
	PINs int // PIN records of users with no recent activity
}

// Purge deletes every PIN record whose latest activity is more than maxAge
// before now ([DefaultPurgeAge] when maxAge is zero) and that carries no
// failure ([CanPurge]), in batches of at most 1,000 records, each its own
// store operation, so that it can run while users sign in. It returns what
// it deleted, also when it stops on an error or a done context. A negative
// maxAge is a [*ParamError] on "maxAge" matching [ErrRetentionAge]; a nil
// p is an error too.
//
// With a [PINService], call [PINService.Purge] instead: it never takes an
// age shorter than the service's issue window.
func Purge(ctx context.Context, p Purger, now time.Time, maxAge time.Duration) (PurgeResult, error) {
	if ctx == nil {
		return PurgeResult{}, ErrNilContext
	}
	var res PurgeResult
	before, err := retention.Cutoff(p, now, maxAge, DefaultPurgeAge, negativeAge())
	if err != nil {
		return res, err
	}
	res.PINs, err = retention.Run(ctx, func(ctx context.Context, limit int) (int, error) {
		return p.PurgePINs(ctx, before, limit)
	})
	return res, err
}

// Purge is the package's [Purge] on the service's own store and clock,
// with an age of at least the service's PINConfig.IssueWindow: a record is
// never purged while its issue rate-limit window is open, so a purge
// cannot forget how many PINs a user was issued and let a new burst
// through (which the package's Purge with a shorter age can). maxAge zero
// is [DefaultPurgeAge]; a negative one is a [*ParamError] on "maxAge"
// matching [ErrRetentionAge]; a store without the capability (see
// [Purger]) a [*ParamError] on "Store".
func (s *PINService) Purge(ctx context.Context, maxAge time.Duration) (PurgeResult, error) {
	if ctx == nil {
		return PurgeResult{}, ErrNilContext
	}
	p, ok := s.store.(Purger)
	if !ok {
		return PurgeResult{}, &ParamError{Field: "Store", Reason: "does not implement Purger"}
	}
	if maxAge == 0 {
		maxAge = DefaultPurgeAge
	}
	if maxAge > 0 {
		maxAge = max(maxAge, s.issueWin)
	}
	return Purge(ctx, p, s.now(), maxAge)
}

var _ Purger = (*MemStore)(nil)

// PurgePINs implements [Purger].
func (m *MemStore) PurgePINs(ctx context.Context, before time.Time, limit int) (int, error) {
	if ctx == nil {
		return 0, ErrNilContext
	}
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
		if CanPurge(&rec, before) {
			delete(m.recs, user)
			n++
		}
	}
	return n, nil
}
