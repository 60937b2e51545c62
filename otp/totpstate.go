package otp

import (
	"context"
	"time"

	"github.com/mdmcred/mdmcred/internal/attempt"
)

// TOTPState is what a [TOTPStore] keeps per subject for [TOTPService]: no
// key and no code, only where the subject stands. The zero TOTPState (with
// Subject set) is a subject never seen.
type TOTPState struct {
	// Subject names whose authenticator this is (a user ID).
	Subject string
	// NextStep is the lowest time step that may still be accepted: the
	// last accepted step plus one (zero: none accepted yet). It never
	// decreases, so a code is accepted at most once.
	NextStep uint64
	// Drift is the subject's clock offset in steps (matched step minus
	// our current step) at the last acceptance or resync; the next window
	// is centred on it (RFC 6238 §6).
	Drift int64
	// Failures counts consecutive wrong codes, LastFailure is the latest,
	// and Blocked is set at the cap: see [TOTPPhase].
	Failures    int
	LastFailure time.Time
	Blocked     bool
}

// TOTPStore persists one [TOTPState] per subject. Implementations must be
// safe for concurrent use. [MemStore] is the in-memory one; the PostgreSQL
// one is in store/postgres; otptest.RunTOTPStore is the conformance suite.
type TOTPStore interface {
	// UpdateTOTP runs fn on subject's state atomically: under a lock or in
	// a transaction holding the row lock, so that no other UpdateTOTP for
	// that subject interleaves, on any instance. A subject with no state
	// gets a zero TOTPState with Subject set. If fn returns true the state
	// as fn left it is saved (created for a new subject; Subject is kept as
	// given); if false nothing is written.
	//
	// fn is called once, or again only if a transaction is retried; it must
	// not call the store. UpdateTOTP returns nil, ctx.Err() when ctx is done
	// before fn runs, or the backend's error, in which case fn's changes are
	// not saved. It returns no otp sentinel: [TOTPService] decides those
	// ([ErrInvalid], [ErrReplay], [ErrBlocked]) inside fn.
	UpdateTOTP(ctx context.Context, subject string, fn func(st *TOTPState) (save bool)) error
}

// TOTPPhase is where a subject stands in the verifier's state machine. It
// is derived from a [TOTPState] and the clock, never stored.
//
//	Open      --accept-->      Open       (NextStep, Drift move; Failures 0)
//	Open      --fail-->        Open       (below the cap)
//	Open      --fail-->        Blocked    (the failure that reaches the cap)
//	Blocked   --cool-down-->   Probation  (time passes; nothing written)
//	Probation --accept-->      Open
//	Probation --fail-->        Blocked    (for another cool-down)
//	any       --reset-->       Open       (administrator; NextStep kept)
//	any       --forget-->      Open       (key replaced; everything cleared)
//
// A Blocked subject's attempts are refused with a [*BlockedError] and
// change nothing.
type TOTPPhase uint8

// Phases.
const (
	TOTPOpen TOTPPhase = iota
	TOTPBlocked
	TOTPProbation
)

// String returns "open", "blocked" or "probation".
func (p TOTPPhase) String() string {
	switch p {
	case TOTPOpen:
		return "open"
	case TOTPBlocked:
		return "blocked"
	case TOTPProbation:
		return "probation"
	}
	return "TOTPPhase(?)"
}

// totpEvent is an input of the state machine.
type totpEvent uint8

const (
	evAccept totpEvent = iota
	evFail
	evReset
	evForget
)

// totpMoves is the table of allowed moves; transition is checked against it
// by TestTOTPTransitionsFollowTable. The cool-down (Blocked to Probation)
// is the passage of time, not an event.
var totpMoves = map[TOTPPhase]map[totpEvent][]TOTPPhase{
	TOTPOpen:      {evAccept: {TOTPOpen}, evFail: {TOTPOpen, TOTPBlocked}, evReset: {TOTPOpen}, evForget: {TOTPOpen}},
	TOTPBlocked:   {evReset: {TOTPOpen}, evForget: {TOTPOpen}},
	TOTPProbation: {evAccept: {TOTPOpen}, evFail: {TOTPBlocked}, evReset: {TOTPOpen}, evForget: {TOTPOpen}},
}

func (st *TOTPState) lockState() attempt.State {
	return attempt.State{Failures: st.Failures, LastFailure: st.LastFailure, Locked: st.Blocked}
}

// phase derives the subject's phase at now under the lockout policy.
func (st *TOTPState) phase(p attempt.Policy, now time.Time) TOTPPhase {
	switch {
	case p.Check(st.lockState(), now) != nil:
		return TOTPBlocked
	case st.Blocked:
		return TOTPProbation
	}
	return TOTPOpen
}

// transition is the only writer of a TOTPState in the service: it returns
// the state after ev at now. For evAccept, step is the accepted step and
// drift the offset to remember. A Blocked subject never reaches it except
// by evReset (the service refuses first).
func (st TOTPState) transition(p attempt.Policy, ev totpEvent, now time.Time, step uint64, drift int64) TOTPState {
	switch ev {
	case evAccept:
		st.NextStep = max(st.NextStep, step+1)
		st.Drift = drift
		ls := p.Succeed(st.lockState())
		st.Failures, st.LastFailure, st.Blocked = ls.Failures, ls.LastFailure, ls.Locked
	case evFail:
		ls := p.Fail(st.lockState(), now).State
		st.Failures, st.LastFailure, st.Blocked = ls.Failures, ls.LastFailure, ls.Locked
	case evReset:
		ls := p.Reset(st.lockState())
		st.Failures, st.LastFailure, st.Blocked = ls.Failures, ls.LastFailure, ls.Locked
		st.Drift = 0 // NextStep stays: a reset never reopens a used code
	case evForget:
		st = TOTPState{Subject: st.Subject}
	}
	return st
}
