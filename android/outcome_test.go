package android_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
)

func TestSteps(t *testing.T) {
	P, A, S, F, E := passcode.Pending, passcode.Acknowledged, passcode.Succeeded, passcode.Failed, passcode.Expired
	tests := []struct {
		from, to passcode.State
		want     []passcode.State
	}{
		{passcode.Requested, P, []passcode.State{P}},
		{passcode.Requested, S, []passcode.State{P, A, S}},
		{P, S, []passcode.State{A, S}},
		{A, S, []passcode.State{S}},
		{passcode.Requested, F, []passcode.State{F}},
		{A, E, []passcode.State{E}},
		{P, P, nil},
		{A, P, nil},
		{S, F, nil},
		{E, S, nil},
		{passcode.None, S, nil},
	}
	for _, tc := range tests {
		got := android.Steps(tc.from, tc.to)
		if len(got) != len(tc.want) {
			t.Errorf("Steps(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("Steps(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
			}
		}
	}
}

func TestStepsProperties(t *testing.T) {
	props := gopter.NewProperties(gopter.DefaultTestParametersWithSeed(25))
	state := gen.UInt8Range(0, 8).Map(func(v uint8) passcode.State { return passcode.State(v) })
	props.Property("every step is a move the lifecycle allows, and they end where asked", prop.ForAll(
		func(from, to passcode.State) bool {
			steps := android.Steps(from, to)
			s := from
			for _, next := range steps {
				if !passcode.CanTransition(s, next) {
					return false
				}
				s = next
			}
			// to is reached exactly when it lies ahead of an open from;
			// otherwise nothing moves.
			reachable := from.Open() && from != to && (to.Final() || (to.Open() && to > from))
			return (len(steps) > 0) == reachable && (!reachable || s == to)
		},
		state, state,
	))
	props.TestingRun(t)
}

func newService(t *testing.T, clock *mdmcredtest.Clock) *passcode.Service {
	t.Helper()
	svc, err := passcode.New(passcode.Config{
		Store:     passcode.NewMemStore(),
		SealKeys:  passcode.NewKeys(map[uint8][]byte{1: make([]byte, 32)}),
		SealKeyID: 1,
		Now:       clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestApply takes a real passcode reset through every operation of the
// table, the outcome read at the command's creation time.
func TestApply(t *testing.T) {
	ctx := context.Background()
	for _, tc := range operationCases {
		t.Run(tc.name, func(t *testing.T) {
			clock := mdmcredtest.NewClock(created)
			svc := newService(t, clock)
			res, err := svc.Request(ctx, passcode.ResetRequest{Actor: "admin",
				Device: passcode.Device{ID: "dev-1", Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 34}})
			if err != nil {
				t.Fatal(err)
			}
			op, err := android.ParseOperation([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			o := op.Outcome(clock.Now())
			// issueCommand answered: the command is queued.
			s, err := android.Apply(ctx, svc, res.Reset.ID, android.Outcome{State: passcode.Pending})
			if err != nil || s != passcode.Pending {
				t.Fatalf("Apply pending = %s, %v", s, err)
			}
			s, err = android.Apply(ctx, svc, res.Reset.ID, o)
			if err != nil || s != tc.want.State {
				t.Fatalf("Apply(%+v) = %s, %v", o, s, err)
			}
			evs, err := svc.Events(ctx, passcode.EventQuery{ResetID: res.Reset.ID})
			if err != nil {
				t.Fatal(err)
			}
			last := evs[len(evs)-1]
			if last.To != tc.want.State || (len(evs) > 1 && last.Actor != android.Actor) {
				t.Fatalf("last event %+v", last)
			}
			// A second report of the same outcome (a push after a poll)
			// records nothing more.
			s2, err := android.Apply(ctx, svc, res.Reset.ID, o)
			evs2, _ := svc.Events(ctx, passcode.EventQuery{ResetID: res.Reset.ID})
			if err != nil || s2 != s || len(evs2) != len(evs) {
				t.Fatalf("repeated Apply = %s, %v, %d events (was %d)", s2, err, len(evs2), len(evs))
			}
		})
	}
}

func TestApplyStale(t *testing.T) {
	ctx := context.Background()
	clock := mdmcredtest.NewClock(created)
	svc := newService(t, clock)
	res, err := svc.Request(ctx, passcode.ResetRequest{Actor: "admin",
		Device: passcode.Device{ID: "dev-1", Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 34}})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(passcode.DefaultStaleAfter + time.Minute)
	s, err := android.Apply(ctx, svc, res.Reset.ID, android.Outcome{State: passcode.Succeeded})
	if !errors.Is(err, passcode.ErrResetExpired) || s != passcode.Requested {
		t.Fatalf("Apply on a stale reset = %s, %v", s, err)
	}
}

// TestApplyRacing reports the same outcome from many goroutines at once (a
// poll and pushes delivered more than once): every move is recorded
// exactly once and all of them end in the outcome's state.
func TestApplyRacing(t *testing.T) {
	ctx := context.Background()
	for _, want := range []passcode.State{passcode.Succeeded, passcode.Failed, passcode.Expired} {
		clock := mdmcredtest.NewClock(created)
		svc := newService(t, clock)
		res, err := svc.Request(ctx, passcode.ResetRequest{Actor: "admin",
			Device: passcode.Device{ID: "dev-1", Platform: passcode.AndroidEnterpriseWorkProfile, APILevel: 34}})
		if err != nil {
			t.Fatal(err)
		}
		const n = 16
		states := make(chan passcode.State, n)
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			go func() {
				s, err := android.Apply(ctx, svc, res.Reset.ID, android.Outcome{State: want})
				states <- s
				errs <- err
			}()
		}
		for i := 0; i < n; i++ {
			if s, err := <-states, <-errs; s != want || err != nil {
				t.Fatalf("%s: Apply = %s, %v", want, s, err)
			}
		}
		evs, _ := svc.Events(ctx, passcode.EventQuery{ResetID: res.Reset.ID})
		wantEvents := len(android.Steps(passcode.Requested, want)) + 1
		if len(evs) != wantEvents || evs[len(evs)-1].To != want {
			t.Fatalf("%s: %d events %+v, want %d", want, len(evs), evs, wantEvents)
		}
	}
}
