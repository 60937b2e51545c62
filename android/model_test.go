package android_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
)

// The model of one reset delivered through AMAPI: its state, and how long
// ago it was requested.
type applyModel struct {
	state   passcode.State
	elapsed time.Duration
	// expiredErr: the last Apply should have reported ErrResetExpired.
	expiredErr bool
}

// applySUT is a real passcode.Service with one reset.
type applySUT struct {
	svc   *passcode.Service
	clock *mdmcredtest.Clock
	id    string
}

type applyResult struct {
	state, stored passcode.State
	err           error
}

// applyCmd reports one outcome (as a poll or a push would), or lets time
// pass.
type applyCmd struct {
	outcome passcode.State // 0: let time pass instead
	wait    time.Duration
}

func (c applyCmd) String() string {
	if c.outcome == 0 {
		return "wait " + c.wait.String()
	}
	return "apply " + c.outcome.String()
}

func (c applyCmd) Run(sut commands.SystemUnderTest) commands.Result {
	s := sut.(*applySUT)
	if c.outcome == 0 {
		s.clock.Advance(c.wait)
		r, _ := s.svc.Get(context.Background(), s.id)
		return applyResult{state: r.State, stored: r.State}
	}
	st, err := android.Apply(context.Background(), s.svc, s.id, android.Outcome{State: c.outcome})
	r, _ := s.svc.Get(context.Background(), s.id)
	return applyResult{state: st, stored: r.State, err: err}
}

// NextState is the reference model: an outcome moves an open reset forward
// to itself (or to Failed/Expired from any open state); nothing else moves
// it. A reset past passcode.DefaultStaleAfter expires instead of moving
// anywhere but Expired.
func (c applyCmd) NextState(st commands.State) commands.State {
	m := st.(applyModel)
	m.expiredErr = false
	if c.outcome == 0 {
		m.elapsed += c.wait
		return m
	}
	forward := m.state.Open() && m.state != c.outcome &&
		(c.outcome.Final() || (c.outcome.Open() && c.outcome > m.state))
	if !forward {
		return m
	}
	if m.elapsed >= passcode.DefaultStaleAfter && c.outcome != passcode.Expired {
		m.state, m.expiredErr = passcode.Expired, true
		return m
	}
	m.state = c.outcome
	return m
}

func (applyCmd) PreCondition(commands.State) bool { return true }

func (c applyCmd) PostCondition(st commands.State, res commands.Result) *gopter.PropResult {
	m, r := st.(applyModel), res.(applyResult)
	ok := r.stored == m.state
	if c.outcome != 0 {
		if m.expiredErr {
			// Apply returns the state it had reached; the store has
			// the expiry.
			ok = ok && errors.Is(r.err, passcode.ErrResetExpired)
		} else {
			ok = ok && r.err == nil && r.state == m.state
		}
	}
	if !ok {
		return &gopter.PropResult{Status: gopter.PropFalse, Labels: []string{fmt.Sprintf("model %+v, got %+v", m, r)}}
	}
	return &gopter.PropResult{Status: gopter.PropTrue}
}

// TestModelApply drives random sequences of outcomes (Pending, Succeeded,
// Failed, Expired, in any order and repeated, as polls and duplicated
// pushes deliver them) and waits against a real passcode.Service, and
// checks the reset's state after each step against the reference model.
func TestModelApply(t *testing.T) {
	outcomes := []passcode.State{passcode.Pending, passcode.Succeeded, passcode.Failed, passcode.Expired}
	cmds := &commands.ProtoCommands{
		NewSystemUnderTestFunc: func(commands.State) commands.SystemUnderTest {
			clock := mdmcredtest.NewClock(created)
			svc := newService(t, clock)
			res, err := svc.Request(context.Background(), passcode.ResetRequest{Actor: "admin",
				Device: passcode.Device{ID: "dev-1", Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 34}})
			if err != nil {
				t.Fatal(err)
			}
			return &applySUT{svc: svc, clock: clock, id: res.Reset.ID}
		},
		InitialStateGen: gen.Const(applyModel{state: passcode.Requested}),
		GenCommandFunc: func(commands.State) gopter.Gen {
			return gen.Weighted([]gen.WeightedGen{
				{Weight: 4, Gen: gen.IntRange(0, len(outcomes)-1).Map(func(i int) commands.Command { return applyCmd{outcome: outcomes[i]} })},
				{Weight: 1, Gen: gen.OneConstOf(time.Minute, 10*time.Minute, 12*time.Hour, 25*time.Hour).Map(func(d time.Duration) commands.Command {
					return applyCmd{wait: d}
				})},
			})
		},
	}
	params := gopter.DefaultTestParametersWithSeed(25)
	params.MinSuccessfulTests = 100
	props := gopter.NewProperties(params)
	props.Property("Apply follows the reference model", commands.Prop(cmds))
	props.TestingRun(t)
}
