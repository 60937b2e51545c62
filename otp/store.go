package otp

import (
	"context"
	"time"
)

// PINRecord is what a [Store] keeps per user: the outstanding PIN, if any
// (never the PIN, only its keyed hash), and the counts that outlive it.
// The zero PINRecord (with User set) is a user with no history.
type PINRecord struct {
	// User is the user the record belongs to; the digest is bound to it.
	User string
	// Digest is the keyed hash (HMAC-SHA256 under a pepper) of the user name
	// and the outstanding PIN; empty when none is outstanding. Not secret on
	// its own; keep it out of logs anyway.
	Digest []byte
	// IssuedAt and ExpiresAt bound the outstanding PIN's validity, in UTC.
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Failures counts wrong attempts on the outstanding PIN; at
	// PINConfig.MaxAttempts the PIN is Void until a new one is issued.
	Failures int
	Void     bool

	// Consecutive counts wrong PINs since the user's last success or
	// administrator reset, across re-issued PINs; LastFailure is the
	// latest. Blocked is set when Consecutive reached
	// PINConfig.MaxConsecutive: issuing and verifying are refused until the
	// cool-down passes or [PINService.ResetFailures].
	Consecutive int
	LastFailure time.Time
	Blocked     bool

	// IssueWindow is the start of the current issue rate-limit window and
	// Issued the number of PINs issued in it.
	IssueWindow time.Time
	Issued      int
}

// HasPIN reports whether a PIN is outstanding.
func (r *PINRecord) HasPIN() bool { return len(r.Digest) != 0 }

// Store persists one [PINRecord] per user. Implementations must be safe for
// concurrent use. [NewMemStore] is the in-memory one; otptest.RunStore is
// the conformance suite every implementation should pass.
type Store interface {
	// Update runs fn on user's record atomically: under a lock, or in a
	// transaction that locks the row, so that no other Update for that user
	// interleaves, on any instance. A user with no record gets a zero
	// PINRecord with User set. If fn returns true the record as fn left it
	// is saved (created for a new user; User is kept as given); if false
	// nothing is written.
	//
	// fn is called once, or again only if a transaction is retried; it
	// must not call the Store. Update returns nil, ctx.Err() when ctx is
	// done before fn runs, or the backend's error (fn's changes are then not
	// saved). It never returns an otp sentinel: the service decides those.
	Update(ctx context.Context, user string, fn func(rec *PINRecord) (save bool)) error
}
