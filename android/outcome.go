package android

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/mdmcred/mdmcred/passcode"
)

// Outcome is where an Operation puts the passcode reset (or lock) it
// delivers, in the terms of the passcode lifecycle.
type Outcome struct {
	// State is Pending (still waiting for the device), Succeeded, Failed
	// or Expired.
	State passcode.State
	// Reason says why a Failed outcome failed, as a stable string: the Lost
	// Mode status ("ALREADY_IN_LOST_MODE"), else the command's errorCode
	// ("INVALID_VALUE"), else the operation's google.rpc code ("CANCELLED",
	// "rpc-13"). Empty otherwise.
	Reason string
}

var rpcCodes = [...]string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

func rpcCode(c int) string {
	if c > 0 && c < len(rpcCodes) {
		return rpcCodes[c]
	}
	return "rpc-" + strconv.Itoa(c)
}

// Outcome maps the operation onto the passcode lifecycle at time now:
//
//   - a failure, in AMAPI's order of preference: a Lost Mode status other
//     than SUCCESS (ALREADY_IN_LOST_MODE and NOT_IN_LOST_MODE too: the
//     device is as asked, but the command did nothing), then the command's
//     errorCode, then the operation's error (a cancelled command has only
//     this) -> Failed with that Reason;
//   - done with none of those -> Succeeded;
//   - not done, and now at or past the command's [Command.Deadline] ->
//     Expired: the device never ran it and never will;
//   - otherwise -> Pending.
//
// A result wins over the deadline: an operation reported done after its
// deadline still succeeded or failed.
func (op Operation) Outcome(now time.Time) Outcome {
	c := op.Command
	switch {
	case c.LostModeStatus != "" && c.LostModeStatus != StatusSuccess:
		return Outcome{State: passcode.Failed, Reason: string(c.LostModeStatus)}
	case c.ErrorCode != "":
		return Outcome{State: passcode.Failed, Reason: string(c.ErrorCode)}
	case op.Error != nil && op.Error.Code != 0:
		return Outcome{State: passcode.Failed, Reason: rpcCode(op.Error.Code)}
	case op.Done:
		return Outcome{State: passcode.Succeeded}
	}
	if dl := c.Deadline(); !dl.IsZero() && !now.Before(dl) {
		return Outcome{State: passcode.Expired}
	}
	return Outcome{State: passcode.Pending}
}

// Steps returns the lifecycle moves that take a reset in state from to
// state to, each one allowed by [passcode.CanTransition]: AMAPI has no
// acknowledgement of its own, so a command reported done takes a Requested
// reset through Pending and Acknowledged to Succeeded. It returns nil when
// from is already to, or when to cannot be reached (from is final, or to
// lies behind it).
func Steps(from, to passcode.State) []passcode.State {
	if from == to || !from.Open() {
		return nil
	}
	if to == passcode.Failed || to == passcode.Expired {
		return []passcode.State{to}
	}
	var out []passcode.State
	for s := from; s != to; {
		next := s + 1
		if next > passcode.Succeeded || !passcode.CanTransition(s, next) {
			return nil
		}
		out = append(out, next)
		s = next
	}
	return out
}

// Lifecycle reads a reset and moves it along the lifecycle;
// *passcode.Service is one.
type Lifecycle interface {
	Get(ctx context.Context, resetID string) (passcode.Reset, error)
	Transition(ctx context.Context, resetID string, to passcode.State, actor string) (passcode.Reset, error)
}

// Actor is the actor of the lifecycle events [Apply] records.
const Actor = "amapi"

// applyTries bounds how often Apply starts again after another report of
// the same command (a poll and a push racing) moved the reset first.
const applyTries = 4

// Apply records o on reset resetID: it reads the reset's state and makes
// the [Steps] from there to o.State through l, as [Actor], and returns the
// state reached. An outcome that does not move the reset (Pending for a
// Pending reset, anything for a final one) records nothing, so the same
// Operation may be applied any number of times, from the issueCommand
// answer, polls and pushes, in any order and concurrently: each move is
// recorded once. When another report moves the reset between two steps,
// Apply reads it again and goes on from there. Other errors stop it, with
// the state reached so far (the reset went stale: passcode.ErrResetExpired).
func Apply(ctx context.Context, l Lifecycle, resetID string, o Outcome) (passcode.State, error) {
	if ctx == nil {
		return passcode.None, ErrNilContext
	}
	var s passcode.State
	for try := 0; try < applyTries; try++ {
		r, err := l.Get(ctx, resetID)
		if err != nil {
			return s, err
		}
		s = r.State
		raced := false
		for _, to := range Steps(s, o.State) {
			if _, err := l.Transition(ctx, resetID, to, Actor); err != nil {
				if errors.Is(err, passcode.ErrInvalidTransition) || errors.Is(err, passcode.ErrStateChanged) {
					raced = true
					break
				}
				return s, err
			}
			s = to
		}
		if !raced {
			return s, nil
		}
	}
	return s, passcode.ErrStateChanged
}
