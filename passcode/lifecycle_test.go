package passcode_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/passcode"
)

var allStates = []passcode.State{0, passcode.Requested, passcode.Pending, passcode.Acknowledged,
	passcode.Succeeded, passcode.Failed, passcode.Expired, 7}

// The whole transition table: every pair not listed is refused.
var validTransitions = map[[2]passcode.State]bool{
	{passcode.Requested, passcode.Pending}:      true,
	{passcode.Requested, passcode.Failed}:       true,
	{passcode.Requested, passcode.Expired}:      true,
	{passcode.Pending, passcode.Acknowledged}:   true,
	{passcode.Pending, passcode.Failed}:         true,
	{passcode.Pending, passcode.Expired}:        true,
	{passcode.Acknowledged, passcode.Succeeded}: true,
	{passcode.Acknowledged, passcode.Failed}:    true,
	{passcode.Acknowledged, passcode.Expired}:   true,
}

func TestCanTransition(t *testing.T) {
	for _, from := range allStates {
		for _, to := range allStates {
			want := validTransitions[[2]passcode.State{from, to}]
			if got := passcode.CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
}

func TestStateClasses(t *testing.T) {
	for _, s := range allStates {
		open := s == passcode.Requested || s == passcode.Pending || s == passcode.Acknowledged
		final := s == passcode.Succeeded || s == passcode.Failed || s == passcode.Expired
		if s.Open() != open || s.Final() != final {
			t.Errorf("%s: Open %v Final %v", s, s.Open(), s.Final())
		}
	}
}

func TestTransitionErrors(t *testing.T) {
	err := error(&passcode.TransitionError{From: passcode.Succeeded, To: passcode.Pending})
	if !errors.Is(err, passcode.ErrInvalidTransition) || err.Error() != "passcode: invalid state transition: succeeded -> pending" {
		t.Errorf("TransitionError: %v", err)
	}
	err = &passcode.InProgressError{ResetID: "r1", State: passcode.Pending}
	if !errors.Is(err, passcode.ErrResetInProgress) {
		t.Errorf("InProgressError does not match ErrResetInProgress")
	}
}

// pathTo lists the moves that bring a new reset to state s.
var pathTo = map[passcode.State][]passcode.State{
	passcode.Requested:    nil,
	passcode.Pending:      {passcode.Pending},
	passcode.Acknowledged: {passcode.Pending, passcode.Acknowledged},
	passcode.Succeeded:    {passcode.Pending, passcode.Acknowledged, passcode.Succeeded},
	passcode.Failed:       {passcode.Pending, passcode.Failed},
	passcode.Expired:      {passcode.Expired},
}

// Every transition through the Service: allowed exactly when the table says
// so, and a refused one changes nothing and records nothing.
func TestServiceTransitionTable(t *testing.T) {
	ctx := context.Background()
	for from, path := range pathTo {
		for _, to := range allStates {
			f := newFixture(t, nil)
			res, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range path {
				if _, err := f.svc.Transition(ctx, res.Reset.ID, s, "mdm"); err != nil {
					t.Fatalf("path to %s: %v", from, err)
				}
			}
			before, _ := f.svc.Events(ctx, passcode.EventQuery{ResetID: res.Reset.ID})
			r, err := f.svc.Transition(ctx, res.Reset.ID, to, "mdm")
			after, _ := f.svc.Events(ctx, passcode.EventQuery{ResetID: res.Reset.ID})
			got, _ := f.svc.Get(ctx, res.Reset.ID)
			if validTransitions[[2]passcode.State{from, to}] {
				if err != nil || r.State != to || got.State != to || len(after) != len(before)+1 {
					t.Errorf("%s -> %s: %v (state %s)", from, to, err, got.State)
				}
				continue
			}
			var te *passcode.TransitionError
			if !errors.As(err, &te) || te.From != from || te.To != to || got.State != from || len(after) != len(before) {
				t.Errorf("%s -> %s: %v, state %s; want a refused TransitionError", from, to, err, got.State)
			}
		}
	}
}

// For any sequence of requests, moves and clock steps on one device: at most
// one reset is open, every recorded transition is one the lifecycle allows,
// and every reset's trail starts with its request.
func TestLifecycleProperties(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(11)
	params.MinSuccessfulTests = 100
	props := gopter.NewProperties(params)
	props.Property("lifecycle invariants hold for any sequence of operations", prop.ForAll(
		func(ops []int) bool {
			ctx := context.Background()
			f := newFixture(t, func(c *passcode.Config) { c.StaleAfter = time.Hour; c.Retention = time.Hour })
			var ids []string
			for _, op := range ops {
				switch {
				case op < 3:
					res, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin"})
					if err == nil {
						ids = append(ids, res.Reset.ID)
					} else if !errors.Is(err, passcode.ErrResetInProgress) {
						return false
					}
				case op < 9 && len(ids) > 0:
					_, err := f.svc.Transition(ctx, ids[len(ids)-1], passcode.State(op-2), "mdm")
					if err != nil && !errors.Is(err, passcode.ErrInvalidTransition) && !errors.Is(err, passcode.ErrResetExpired) {
						return false
					}
				default:
					f.clock.Advance(time.Duration(op) * time.Minute)
				}
			}
			open := 0
			for _, id := range ids {
				r, _ := f.svc.Get(ctx, id)
				if r.State.Open() {
					open++
				}
				evs, _ := f.svc.Events(ctx, passcode.EventQuery{ResetID: id})
				if len(evs) == 0 || evs[0].To != passcode.Requested || evs[0].From != 0 {
					return false
				}
				state := passcode.Requested
				for _, e := range evs[1:] {
					if e.Kind != passcode.EventTransition {
						continue
					}
					if e.From != state || !passcode.CanTransition(e.From, e.To) {
						return false
					}
					state = e.To
				}
				if state != r.State {
					return false
				}
			}
			return open <= 1
		},
		gen.SliceOf(gen.IntRange(0, 40)),
	))
	props.TestingRun(t)
}
