package otp

import (
	"context"
	"time"
)

// PINRecord is what a [Store] keeps per user: never the PIN, only its keyed
// hash.
type PINRecord struct {
	// User is the user the PIN was issued to; the digest is bound to it.
	User string
	// Digest is the keyed hash (HMAC-SHA256 under a pepper) of the user name
	// and PIN. Not secret on its own; keep it out of logs anyway.
	Digest []byte
	// IssuedAt and ExpiresAt bound the PIN's validity, in UTC.
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Failures counts wrong attempts; LastFailure is the latest one.
	Failures    int
	LastFailure time.Time
	// Void is set when Failures reached the limit: the PIN is refused
	// until a new one is issued.
	Void bool
}

// Store persists one outstanding PIN per user. Implementations must be safe
// for concurrent use. [NewMemStore] is the in-memory one; otptest.RunStore
// is the conformance suite every implementation should pass.
type Store interface {
	// Put saves rec as rec.User's PIN, replacing any previous one (which
	// is thereby void). The store keeps its own copy of rec.Digest.
	Put(ctx context.Context, rec PINRecord) error
	// Update runs fn on user's record atomically: under a lock, or in a
	// transaction that locks the row, so that no other Update or Put for
	// that user interleaves. If fn returns true the record is deleted,
	// otherwise the record as fn left it is saved. If the user has no
	// record, Update returns ErrPINNotFound without calling fn.
	//
	// fn is called once, or again only if a transaction is retried; it
	// must not call the Store.
	Update(ctx context.Context, user string, fn func(rec *PINRecord) (remove bool)) error
}
