package apple_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
)

var states = []passcode.State{passcode.None, passcode.Requested, passcode.Pending, passcode.Acknowledged,
	passcode.Succeeded, passcode.Failed, passcode.Expired}

var kinds = []apple.OutcomeKind{apple.Succeeded, apple.StillPending, apple.Failed, apple.NoResult, 0}

// The whole mapping; every pair not listed is refused.
var wantMoves = map[passcode.State]map[apple.OutcomeKind][]passcode.State{
	passcode.Pending: {
		apple.Succeeded:    {passcode.Acknowledged, passcode.Succeeded},
		apple.StillPending: {},
		apple.Failed:       {passcode.Failed},
	},
	passcode.Acknowledged: {
		apple.Succeeded:    {passcode.Succeeded},
		apple.StillPending: {},
		apple.Failed:       {passcode.Failed},
	},
	passcode.Succeeded: {apple.Succeeded: {}},
	passcode.Failed:    {apple.Failed: {}},
}

func TestMovesTable(t *testing.T) {
	for _, from := range states {
		for _, k := range kinds {
			got, err := apple.Moves(from, apple.Outcome{Kind: k})
			want, ok := wantMoves[from][k]
			if !ok {
				if !errors.Is(err, passcode.ErrInvalidTransition) {
					t.Errorf("%s on %s: %v, %v; want refused", k, from, got, err)
				}
				continue
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(want) && len(got)+len(want) > 0 {
				t.Errorf("%s on %s: %v, %v; want %v", k, from, got, err, want)
			}
		}
	}
}

// For every state and outcome: each move is one the lifecycle allows, a
// Succeeded outcome ends in Succeeded, a Failed one in Failed, NotNow where
// it was; and reporting the same outcome again moves nothing.
func TestMovesProperty(t *testing.T) {
	p := gopter.DefaultTestParameters()
	p.MinSuccessfulTests = 300
	props := gopter.NewProperties(p)
	props.Property("moves are allowed, end where the outcome leads, and are idempotent", prop.ForAll(
		func(si, ki int) bool {
			from, o := states[si], apple.Outcome{Kind: kinds[ki]}
			moves, err := apple.Moves(from, o)
			if err != nil {
				return errors.Is(err, passcode.ErrInvalidTransition)
			}
			cur := from
			for _, to := range moves {
				if !passcode.CanTransition(cur, to) {
					return false
				}
				cur = to
			}
			switch o.Kind {
			case apple.Succeeded:
				if cur != passcode.Succeeded {
					return false
				}
			case apple.Failed:
				if cur != passcode.Failed {
					return false
				}
			case apple.StillPending:
				if cur != from {
					return false
				}
			default:
				return false
			}
			again, err := apple.Moves(cur, o)
			return err == nil && len(again) == 0
		},
		gen.IntRange(0, len(states)-1), gen.IntRange(0, len(kinds)-1),
	))
	props.TestingRun(t)
}

// A model-based test: random sequences of device reports (Acknowledged,
// NotNow, Error) applied with apple.Apply to a real passcode.Service, against
// a model that is just the state the reports should have led to.
type lcSUT struct {
	svc   *passcode.Service
	id    string
	clock *mdmcredtest.Clock
}

type report apple.OutcomeKind

func (c report) Run(s commands.SystemUnderTest) commands.Result {
	sut := s.(*lcSUT)
	r, err := apple.Apply(context.Background(), sut.svc, sut.id, "nanomdm", apple.Outcome{Kind: apple.OutcomeKind(c)})
	return applied{r.State, err}
}

type applied struct {
	state passcode.State
	err   error
}

func next(s passcode.State, k apple.OutcomeKind) (passcode.State, bool) {
	switch {
	case k == apple.StillPending && s.Open():
		return s, true
	case k == apple.Succeeded && (s == passcode.Pending || s == passcode.Acknowledged || s == passcode.Succeeded):
		return passcode.Succeeded, true
	case k == apple.Failed && (s.Open() || s == passcode.Failed):
		return passcode.Failed, true
	}
	return s, false
}

// lcModel is the model: the state the reports lead to, and whether the
// last report was one the lifecycle accepts.
type lcModel struct {
	state passcode.State
	ok    bool
}

func (c report) NextState(s commands.State) commands.State {
	n, ok := next(s.(lcModel).state, apple.OutcomeKind(c))
	return lcModel{n, ok}
}
func (report) PreCondition(commands.State) bool { return true }
func (c report) PostCondition(s commands.State, r commands.Result) *gopter.PropResult {
	a, m := r.(applied), s.(lcModel)
	if m.ok && (a.err != nil || a.state != m.state) || !m.ok && !errors.Is(a.err, passcode.ErrInvalidTransition) {
		return &gopter.PropResult{Status: gopter.PropFalse, Labels: []string{fmt.Sprintf("got %s, %v; model %+v", a.state, a.err, m)}}
	}
	return &gopter.PropResult{Status: gopter.PropTrue}
}
func (c report) String() string { return apple.OutcomeKind(c).String() }

func TestApplyModel(t *testing.T) {
	cmds := &commands.ProtoCommands{
		NewSystemUnderTestFunc: func(commands.State) commands.SystemUnderTest {
			clock := mdmcredtest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
			svc, err := passcode.New(passcode.Config{
				Store: passcode.NewMemStore(), SealKeys: passcode.NewKeys(map[uint8][]byte{1: make([]byte, 32)}),
				SealKeyID: 1, Now: clock.Now,
			})
			if err != nil {
				t.Fatal(err)
			}
			res, err := svc.Request(context.Background(), passcode.ResetRequest{
				Device: passcode.Device{ID: "iphone-1", Platform: passcode.IOS, UnlockTokenEscrowed: true}, Actor: "admin"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Transition(context.Background(), res.Reset.ID, passcode.Pending, "nanomdm"); err != nil {
				t.Fatal(err)
			}
			return &lcSUT{svc: svc, id: res.Reset.ID, clock: clock}
		},
		InitialStateGen: gen.Const(lcModel{passcode.Pending, true}),
		GenCommandFunc: func(commands.State) gopter.Gen {
			return gen.OneConstOf(report(apple.Succeeded), report(apple.StillPending), report(apple.Failed))
		},
	}
	props := gopter.NewProperties(gopter.DefaultTestParameters())
	props.Property("Apply follows the model", commands.Prop(cmds))
	props.TestingRun(t)
}

// Apply refuses a report for a reset in a state it cannot lead from, and
// passes a Store error on.
func TestApplyRefusals(t *testing.T) {
	svc, _ := passcode.New(passcode.Config{Store: passcode.NewMemStore(), SealKeys: passcode.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), SealKeyID: 1})
	ctx := context.Background()
	res, err := svc.Request(ctx, passcode.ResetRequest{Device: passcode.Device{ID: "mac-1", Platform: passcode.MacOS}, Actor: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apple.Apply(ctx, svc, res.Reset.ID, "nanomdm", apple.Outcome{Kind: apple.Succeeded}); !errors.Is(err, passcode.ErrInvalidTransition) {
		t.Errorf("ack of a reset never queued: %v", err)
	}
	if _, err := apple.Apply(ctx, svc, "no-such-reset", "nanomdm", apple.Outcome{Kind: apple.Failed}); !errors.Is(err, passcode.ErrNotFound) {
		t.Errorf("unknown reset: %v", err)
	}
	if _, err := apple.Apply(ctx, svc, res.Reset.ID, "nanomdm", apple.Outcome{Kind: apple.NoResult}); !errors.Is(err, passcode.ErrInvalidTransition) {
		t.Errorf("idle report: %v", err)
	}
}
