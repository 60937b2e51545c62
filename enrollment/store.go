package enrollment

import (
	"context"
	"time"
)

// Store persists one passcode record per site, the digest index that
// [Service.ResolveSite] uses, and the audit events. Every method is one
// atomic operation; in particular [Store.RecordFailure] counts, locks and
// reports the lock as a single conditional update, which is what makes the
// lock alert go out exactly once. Methods must be safe for concurrent use.
//
// [NewMemStore] is the in-memory implementation; a host's own backend (SQL,
// key-value) must pass enrollmenttest.RunStore.
type Store interface {
	// Put stores rec as rec.Site's passcode, replacing the site's previous
	// record entirely (state, counters, index entry). It returns
	// [ErrDuplicate], and changes nothing, if rec.Digest is the digest of
	// another site's current passcode.
	Put(ctx context.Context, rec Record) error
	// Get returns the site's record, or [ErrNoPasscode]. The returned
	// record shares no memory with the store.
	Get(ctx context.Context, site string) (Record, error)
	// Lookup returns the site whose current passcode has the given digest,
	// or [ErrNotFound].
	Lookup(ctx context.Context, digest []byte) (site string, err error)
	// Disable marks the site's passcode disabled by an admin, at a time.
	// Disabling a disabled passcode changes nothing and is not an error. It
	// returns [ErrNoPasscode] for a site without a passcode.
	Disable(ctx context.Context, site, by string, at time.Time) error
	// RecordFailure atomically adds one failure to the site's record: the
	// count goes up by one, LastFailure and LastSource are set, and, when
	// the count reaches threshold (threshold > 0) on a record not yet
	// locked, the record locks (Locked, LockedAt = at) and the result has
	// JustLocked set. Exactly one call per lock sees JustLocked, however
	// many race. Failures on a locked record are still counted. It returns
	// [ErrNoPasscode] for a site without a passcode.
	RecordFailure(ctx context.Context, site string, at time.Time, source string, threshold int) (FailureResult, error)
	// RecordUse atomically records a successful use (Uses + 1, LastUsed =
	// at) if the site's current record still has this digest and is
	// neither disabled nor locked. Otherwise it changes nothing and returns
	// [ErrStale] (the passcode was replaced), [ErrDisabled] or [ErrLocked]
	// (in that order of precedence), or [ErrNoPasscode].
	RecordUse(ctx context.Context, site string, digest []byte, at time.Time) error
	// AppendEvent adds an audit event to e.Site's log.
	AppendEvent(ctx context.Context, e Event) error
	// Events returns the site's audit events, oldest first. A store may
	// keep only the most recent ones (documented by the store); a site
	// without events gives an empty slice and no error.
	Events(ctx context.Context, site string) ([]Event, error)
}

// Record is what a [Store] keeps for one site. It holds no passcode: only
// the keyed hash and, if the host opted in, an AEAD-sealed copy.
type Record struct {
	Site string
	// Digest is the passcode's keyed hash (format byte, pepper ID,
	// HMAC-SHA256); it identifies this passcode, and is unique across
	// sites.
	Digest []byte
	// Sealed is the passcode sealed under the host's sealing key, bound to
	// Site and Digest; nil when Reveal is not configured.
	Sealed []byte

	GeneratedAt time.Time
	GeneratedBy string

	Disabled   bool
	DisabledAt time.Time
	DisabledBy string

	// Failures counts failed attempts since the passcode was generated,
	// including those made after it locked.
	Failures    int
	LastFailure time.Time
	LastSource  string
	Locked      bool
	LockedAt    time.Time

	Uses     int
	LastUsed time.Time
}

// FailureResult is the outcome of [Store.RecordFailure].
type FailureResult struct {
	// Failures is the count after this failure.
	Failures int
	// Locked is true if the record is locked after this failure.
	Locked bool
	// JustLocked is true for the one failure that locked the record.
	JustLocked bool
}
