package enrollment

import (
	"bytes"
	"context"
	"time"
)

// Store persists one passcode record per site, the digest index that
// [Service.ResolveSite] uses, and the audit events. Every method is one
// atomic operation. The lockout rules live in the [Service], not in the
// Store: the Service loads a record ([Store.Get]), decides in Go, and
// writes the new [Lockout] back with [Store.UpdateLockout], a
// compare-and-swap on the record's Version that it retries on
// [ErrConflict]. That is what makes a failure count exactly once and the
// lock alert go out exactly once, however many attempts race. A success
// writes nothing to the site's record unless it resets a count (see
// [Store.RecordUse]), so successes at one site do not queue on its row.
// Methods must be safe for concurrent use.
//
// [NewMemStore] is the in-memory implementation; a host's own backend (SQL,
// key-value) must pass enrollmenttest.RunStore.
type Store interface {
	// Put stores rec as rec.Site's passcode, replacing the site's previous
	// record entirely (state, lockout, index entry), and gives it a
	// Version greater than any the site's record had (rec.Version is
	// ignored), so that an UpdateLockout decided on the replaced record
	// fails. It returns [ErrDuplicate], and changes nothing, if rec.Digest
	// is the digest of another site's current passcode.
	Put(ctx context.Context, rec Record) error
	// Get returns the site's record with its Version, or [ErrNoPasscode].
	// The returned record shares no memory with the store.
	Get(ctx context.Context, site string) (Record, error)
	// Lookup returns the site whose current passcode has the given digest,
	// or [ErrNotFound].
	Lookup(ctx context.Context, digest []byte) (site string, err error)
	// Disable marks the site's passcode disabled by an admin, at a time.
	// Disabling a disabled passcode changes nothing and is not an error. It
	// returns [ErrNoPasscode] for a site without a passcode. It need not
	// change the Version.
	Disable(ctx context.Context, site, by string, at time.Time) error
	// UpdateLockout replaces the site's Lockout with l, increments the
	// Version and appends events to the site's log, at once, if the
	// site's record is still at version (compare-and-swap). Otherwise it
	// changes nothing, appends nothing and returns [ErrConflict] (the
	// record changed since it was read: read it again and decide again)
	// or [ErrNoPasscode]. The store keeps l as given; it does not
	// interpret it. A failed attempt's events (failed, locked) come with
	// the lockout they belong to, so a counted failure is one operation.
	UpdateLockout(ctx context.Context, site string, version int64, l Lockout, events ...Event) error
	// RecordUse records a successful use as an audit event (Kind
	// [EventUsed], At, Source) if the site's current record still has this
	// digest and is neither disabled nor locked, without writing the
	// site's record. Otherwise it records nothing and returns [ErrStale]
	// (the passcode was replaced), [ErrDisabled] or [ErrLocked] (in that
	// order of precedence), or [ErrNoPasscode].
	RecordUse(ctx context.Context, site string, digest []byte, at time.Time, source string) error
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

	// Lockout is the failed-attempt state, which [Store.UpdateLockout]
	// replaces.
	Lockout

	// Version is set by the store: it grows with every Put and
	// UpdateLockout of the site's record.
	Version int64
}

// clone returns r sharing no memory with it.
func (r Record) clone() Record {
	r.Digest = bytes.Clone(r.Digest)
	r.Sealed = bytes.Clone(r.Sealed)
	r.Lockout = r.Lockout.clone()
	return r
}
