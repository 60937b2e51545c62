package otp

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/mdmcred/mdmcred/internal/cas"
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

	// Rev is the record's revision: 0 for a user with no stored record;
	// in a [Store.Write], the revision the record is written at (the
	// service draws a random first one, then adds one at every write).
	Rev uint64
}

// HasPIN reports whether a PIN is outstanding.
func (r *PINRecord) HasPIN() bool { return len(r.Digest) != 0 }

// ErrConflict: a [Store] or [TOTPStore] write found the record at another
// revision than the one it was decided on (another writer won). The
// services decide again on the stored record; they return it only after
// cas.MaxTries lost races in a row.
var ErrConflict = errors.New("otp: record changed concurrently")

// Store persists one [PINRecord] per user. It is the SDK's one store
// idiom, the one escrow.Store follows: the [PINService] loads a versioned
// record, decides in Go, writes it back with one conditional operation,
// and on [ErrConflict] decides again. Every method is one atomic
// operation and safe for concurrent use; returned records share no memory
// with the store. [NewMemStore] is the in-memory one; otptest.RunStore is
// the conformance suite every implementation should pass.
type Store interface {
	// Load returns user's record; a user with none gets a zero PINRecord
	// with User set and Rev 0.
	Load(ctx context.Context, user string) (PINRecord, error)
	// Write stores rec as rec.User's record at revision rec.Rev if the
	// stored record is at revision prev: prev 0 inserts a record that must
	// not exist (insert-if-absent), otherwise it replaces the record at
	// revision prev (compare-and-swap). When the condition fails it
	// returns an error matching ErrConflict and changes nothing (the
	// service then loads the record that won): of N concurrent writes
	// from one revision, exactly one succeeds. It never returns another
	// otp sentinel: the service decides those.
	Write(ctx context.Context, rec PINRecord, prev uint64) error
}

// pinMutator is the store idiom over a PIN store: the retry loop and the
// cache of internal/cas.
func pinMutator(st Store) *cas.Mutator[PINRecord] {
	return cas.New(cas.Ops[PINRecord]{
		Load:     st.Load,
		Write:    st.Write,
		Rev:      func(r *PINRecord) *uint64 { return &r.Rev },
		Clone:    func(r PINRecord) PINRecord { r.Digest = bytes.Clone(r.Digest); return r },
		Zero:     func(user string) PINRecord { return PINRecord{User: user} },
		Conflict: ErrConflict,
	}, 0)
}

// totpMutator is the store idiom over a TOTP store.
func totpMutator(st TOTPStore) *cas.Mutator[TOTPState] {
	return cas.New(cas.Ops[TOTPState]{
		Load:     st.LoadTOTP,
		Write:    st.WriteTOTP,
		Rev:      func(s *TOTPState) *uint64 { return &s.Rev },
		Clone:    func(s TOTPState) TOTPState { return s },
		Zero:     func(subject string) TOTPState { return TOTPState{Subject: subject} },
		Conflict: ErrConflict,
	}, 0)
}
