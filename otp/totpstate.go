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
	// Rev is the state's revision, as [PINRecord.Rev].
	Rev uint64
}

// TOTPStore persists one [TOTPState] per subject, in the same idiom as
// [Store]: the [TOTPService] loads the versioned state, decides in Go, and
// writes it back with one conditional operation, deciding again on
// [ErrConflict]. Implementations must be safe for concurrent use.
// [MemStore] is the in-memory one; the PostgreSQL one is in
// store/postgres; otptest.RunTOTPStore is the conformance suite.
type TOTPStore interface {
	// LoadTOTP returns subject's state; a subject never seen gets a zero
	// TOTPState with Subject set and Rev 0.
	LoadTOTP(ctx context.Context, subject string) (TOTPState, error)
	// WriteTOTP stores st as st.Subject's state at revision st.Rev if the
	// stored state is at revision prev (prev 0: none may be stored),
	// as [Store.Write] does, returning an error matching ErrConflict and
	// changing nothing when it is not. It returns no other otp sentinel:
	// [TOTPService] decides those ([ErrInvalid], [ErrReplay],
	// [ErrBlocked]).
	WriteTOTP(ctx context.Context, st TOTPState, prev uint64) error
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
		st = TOTPState{Subject: st.Subject, Rev: st.Rev}
	}
	return st
}
