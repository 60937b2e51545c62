package apple

import (
	"context"
	"errors"

	"github.com/mdmcred/mdmcred/passcode"
)

// Moves returns the lifecycle moves an outcome makes from state from, in
// order (each one allowed by [passcode.CanTransition]):
//
//	outcome        from Pending              from Acknowledged   from a final state
//	Succeeded      Acknowledged, Succeeded   Succeeded           none if Succeeded, else refused
//	StillPending   none                      none                refused
//	Failed         Failed                    Failed              none if Failed, else refused
//
// A Requested reset was never queued (the host moves it to Pending when it
// queues the command), so a result for it is refused, as is NoResult. A
// repeated report of the outcome that made a reset final moves nothing. A
// refusal is a *passcode.TransitionError naming the first move refused.
func Moves(from passcode.State, o Outcome) ([]passcode.State, error) {
	refuse := func(to passcode.State) ([]passcode.State, error) {
		return nil, &passcode.TransitionError{From: from, To: to}
	}
	switch o.Kind {
	case Succeeded:
		switch from {
		case passcode.Pending:
			return []passcode.State{passcode.Acknowledged, passcode.Succeeded}, nil
		case passcode.Acknowledged:
			return []passcode.State{passcode.Succeeded}, nil
		case passcode.Succeeded:
			return nil, nil
		case passcode.Requested:
			return refuse(passcode.Acknowledged)
		}
		return refuse(passcode.Succeeded)
	case StillPending:
		if from == passcode.Pending || from == passcode.Acknowledged {
			return nil, nil
		}
		return refuse(from)
	case Failed:
		switch from {
		case passcode.Pending, passcode.Acknowledged:
			return []passcode.State{passcode.Failed}, nil
		case passcode.Failed:
			return nil, nil
		}
		return refuse(passcode.Failed)
	}
	return refuse(from)
}

// Lifecycle is the part of [passcode.Service] that results drive.
type Lifecycle interface {
	Get(ctx context.Context, resetID string) (passcode.Reset, error)
	Transition(ctx context.Context, resetID string, to passcode.State, actor string) (passcode.Reset, error)
}

// Apply moves reset resetID as outcome o says ([Moves]), each move recorded
// with actor (the MDM channel's name, e.g. "nanomdm"). It returns the reset
// as it ends. A move someone else made first (a concurrent report of the
// same result) is not an error when the reset ends where o leads.
func Apply(ctx context.Context, l Lifecycle, resetID, actor string, o Outcome) (passcode.Reset, error) {
	if ctx == nil {
		return passcode.Reset{}, ErrNilContext
	}
	r, err := l.Get(ctx, resetID)
	if err != nil {
		return passcode.Reset{}, err
	}
	moves, err := Moves(r.State, o)
	if err != nil {
		return r, err
	}
	for _, to := range moves {
		nr, err := l.Transition(ctx, resetID, to, actor)
		if err != nil {
			if errors.Is(err, passcode.ErrInvalidTransition) || errors.Is(err, passcode.ErrStateChanged) {
				if cur, gerr := l.Get(ctx, resetID); gerr == nil && cur.State == moves[len(moves)-1] {
					return cur, nil
				}
			}
			return r, err
		}
		r = nr
	}
	return r, nil
}
