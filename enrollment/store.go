package enrollment

import (
	"bytes"
	"context"
	"time"
)

// Store persists one passcode record per site, the digest index that
// [Service.ResolveSite] uses, and the audit events. It is the SDK's one
// store idiom, the one otp.Store and escrow.Store follow: the [Service]
// loads a versioned record ([Store.Load]), decides in Go (the lifecycle
// and the lockout rules live in this package, not in any backend), and
// writes it back with one conditional operation ([Store.Write]:
// insert-if-absent for a new record, compare-and-swap on the revision
// otherwise), and on [ErrConflict] loads and decides again. That is what
// makes a failure count exactly once and the lock alert go out exactly
// once, however many attempts race. A success writes nothing to the
// site's record unless it resets a count: it appends its "used" event
// with [Store.Append], conditioned on the record still being at the
// revision the success was decided on, so successes at one site do not
// queue on its row.
//
// Every method is one atomic operation and safe for concurrent use;
// records and events given to or returned by a Store share no memory with
// it. The Store never interprets a record: its only refusals are a
// conflict on the revision and [ErrDuplicate], a uniqueness constraint on
// the digest.
//
// [NewMemStore] is the in-memory implementation; a host's own backend (SQL,
// key-value) must pass enrollmenttest.RunStore.
type Store interface {
	// Load returns the site's record with its Rev, or [ErrNoPasscode].
	Load(ctx context.Context, site string) (Record, error)
	// Write stores rec as rec.Site's record, at revision rec.Rev (which
	// is prev+1: the Service sets it), and appends events to the site's
	// log, at once, if the stored record is at revision prev: prev 0
	// inserts a record that must not exist (insert-if-absent), otherwise
	// it replaces the record stored at revision prev entirely (state,
	// lockout, index entry: compare-and-swap). When the condition fails
	// it returns an error matching [ErrConflict] and changes nothing,
	// appends nothing: of N concurrent writes from one revision, exactly
	// one succeeds. It returns [ErrDuplicate], and changes nothing, if
	// rec.Digest is the digest of another site's current passcode, and an
	// error if rec.Rev is not prev+1.
	Write(ctx context.Context, rec Record, prev uint64, events []Event) error
	// Append appends events to the site's log if the site's record is at
	// revision rev, without writing the record and without waiting for
	// other appends (a success's "used" event, an admin's "viewed", an
	// alert's outcome). When the record is at another revision, or there
	// is none, it returns an error matching [ErrConflict] and appends
	// nothing. Of a Write and an Append from one revision, the Append
	// either happens before the Write or fails.
	Append(ctx context.Context, site string, rev uint64, events []Event) error
	// Lookup returns the site whose current passcode has the given digest,
	// or [ErrNotFound].
	Lookup(ctx context.Context, digest []byte) (site string, err error)
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

	// Lockout is the failed-attempt state, which the [Service] computes
	// and the Store keeps as given.
	Lockout

	// Rev is the record's revision: 0 for a site without a stored record;
	// in a [Store.Write], the revision the record is written at (1 for a
	// new record, then one more at every write).
	Rev uint64
}

// clone returns r sharing no memory with it.
func (r Record) clone() Record {
	r.Digest = bytes.Clone(r.Digest)
	r.Sealed = bytes.Clone(r.Sealed)
	r.Lockout = r.Lockout.clone()
	return r
}
