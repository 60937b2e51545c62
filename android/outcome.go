package android

import (
	"context"
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

// Transitioner moves a reset along the lifecycle; *passcode.Service is one.
type Transitioner interface {
	Transition(ctx context.Context, resetID string, to passcode.State, actor string) (passcode.Reset, error)
}

// Actor is the actor of the lifecycle events [Apply] records.
const Actor = "amapi"

// Apply records o on the reset: it makes the [Steps] from the reset's
// state from to o.State through t, as [Actor], and returns the state
// reached. An outcome that does not move the reset (Pending for a Pending
// reset, anything for a final one) records nothing. The first refused move
// stops it, with the state reached so far and the error (a concurrent
// report moved the reset first: passcode.ErrStateChanged or
// passcode.ErrInvalidTransition; the reset went stale:
// passcode.ErrResetExpired).
func Apply(ctx context.Context, t Transitioner, resetID string, from passcode.State, o Outcome) (passcode.State, error) {
	s := from
	for _, to := range Steps(from, o.State) {
		if _, err := t.Transition(ctx, resetID, to, Actor); err != nil {
			return s, err
		}
		s = to
	}
	return s, nil
}
