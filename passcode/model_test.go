package passcode_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/passcode"
)

// The Service's lifecycle against a model, with gopter commands: requests,
// moves, clock steps and ExpireStale on two devices. After every command
// the error the Service returned is the one the model expects, and every
// stored reset has the model's state, revision and open-device slot.

var modelDevices = []string{"d1", "d2"}

const modelStale = time.Hour

type mReset struct {
	state   passcode.State
	rev     uint64
	staleAt time.Duration // offset from the start
}

type pcModel struct {
	now     time.Duration
	resets  map[string][]mReset
	wantErr string // what the last command should have returned
}

func (m pcModel) clone() pcModel {
	c := pcModel{now: m.now, resets: map[string][]mReset{}}
	for d, rs := range m.resets {
		c.resets[d] = append([]mReset(nil), rs...)
	}
	return c
}

func (m pcModel) snapshot() string {
	var b strings.Builder
	for _, d := range modelDevices {
		for i, r := range m.resets[d] {
			fmt.Fprintf(&b, "%s:%d:%s:%d:%v ", d, i, r.state, r.rev, r.state.Open())
		}
	}
	return b.String()
}

type pcSUT struct {
	svc *passcode.Service
	f   *fixture
	ids map[string][]string
}

func (s *pcSUT) snapshot() string {
	var b strings.Builder
	for _, d := range modelDevices {
		for i, id := range s.ids[d] {
			r, err := s.f.store.Load(context.Background(), id)
			if err != nil {
				fmt.Fprintf(&b, "%s:%d:%v ", d, i, err)
				continue
			}
			fmt.Fprintf(&b, "%s:%d:%s:%d:%v ", d, i, r.State, r.Rev, r.OpenDevice == d)
		}
	}
	return b.String()
}

type pcResult struct {
	err      string
	snapshot string
}

func errClass(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, passcode.ErrResetInProgress):
		return "in progress"
	case errors.Is(err, passcode.ErrResetExpired):
		return "expired"
	case errors.Is(err, passcode.ErrInvalidTransition):
		return "invalid"
	}
	return err.Error()
}

// pcCmd is one command: run on the system, step the model.
type pcCmd struct {
	name string
	run  func(s *pcSUT) string
	next func(m *pcModel)
}

func (c pcCmd) Run(sut commands.SystemUnderTest) commands.Result {
	s := sut.(*pcSUT)
	err := c.run(s)
	return pcResult{err: err, snapshot: s.snapshot()}
}

func (c pcCmd) NextState(st commands.State) commands.State {
	m := st.(pcModel).clone()
	m.wantErr = ""
	c.next(&m)
	return m
}

func (pcCmd) PreCondition(commands.State) bool { return true }

func (c pcCmd) PostCondition(st commands.State, res commands.Result) *gopter.PropResult {
	m, r := st.(pcModel), res.(pcResult)
	if r.err != m.wantErr || r.snapshot != m.snapshot() {
		return &gopter.PropResult{Status: gopter.PropFalse, Labels: []string{fmt.Sprintf("%s: error %q, want %q; store %s, model %s",
			c.name, r.err, m.wantErr, r.snapshot, m.snapshot())}}
	}
	return &gopter.PropResult{Status: gopter.PropTrue}
}

func (c pcCmd) String() string { return c.name }

// expireIfStale moves an open reset past its deadline to Expired.
func (m *pcModel) expireIfStale(r *mReset) bool {
	if r.state.Open() && m.now >= r.staleAt {
		r.state, r.rev = passcode.Expired, r.rev+1
		return true
	}
	return false
}

func requestCmd(d string) pcCmd {
	return pcCmd{
		name: "request " + d,
		run: func(s *pcSUT) string {
			res, err := s.svc.Request(context.Background(), passcode.ResetRequest{Device: pixel(d), Actor: "admin"})
			if err == nil {
				s.ids[d] = append(s.ids[d], res.Reset.ID)
			}
			return errClass(err)
		},
		next: func(m *pcModel) {
			rs := m.resets[d]
			if n := len(rs); n > 0 && rs[n-1].state.Open() && !m.expireIfStale(&rs[n-1]) {
				m.wantErr = "in progress"
				return
			}
			m.resets[d] = append(rs, mReset{state: passcode.Requested, rev: 1, staleAt: m.now + modelStale})
		},
	}
}

func transitionCmd(d string, back int, to passcode.State) pcCmd {
	return pcCmd{
		name: fmt.Sprintf("move %s's reset -%d to %s", d, back, to),
		run: func(s *pcSUT) string {
			ids := s.ids[d]
			if back >= len(ids) {
				return ""
			}
			_, err := s.svc.Transition(context.Background(), ids[len(ids)-1-back], to, "mdm")
			return errClass(err)
		},
		next: func(m *pcModel) {
			rs := m.resets[d]
			if back >= len(rs) {
				return
			}
			r := &rs[len(rs)-1-back]
			switch {
			case to != passcode.Expired && m.expireIfStale(r):
				m.wantErr = "expired"
			case !passcode.CanTransition(r.state, to):
				m.wantErr = "invalid"
			default:
				r.state, r.rev = to, r.rev+1
			}
		},
	}
}

func advanceCmd(minutes int) pcCmd {
	return pcCmd{
		name: fmt.Sprintf("advance %d min", minutes),
		run: func(s *pcSUT) string {
			s.f.clock.Advance(time.Duration(minutes) * time.Minute)
			return ""
		},
		next: func(m *pcModel) { m.now += time.Duration(minutes) * time.Minute },
	}
}

var expireStaleCmd = pcCmd{
	name: "expire stale",
	run: func(s *pcSUT) string {
		n, err := s.svc.ExpireStale(context.Background())
		if err != nil {
			return err.Error()
		}
		return fmt.Sprint(n, " expired")
	},
	next: func(m *pcModel) {
		n := 0
		for _, d := range modelDevices {
			for i := range m.resets[d] {
				if m.expireIfStale(&m.resets[d][i]) {
					n++
				}
			}
		}
		m.wantErr = fmt.Sprint(n, " expired")
	},
}

func TestServiceFollowsModel(t *testing.T) {
	var cmdGens []gopter.Gen
	for _, d := range modelDevices {
		cmdGens = append(cmdGens, gen.Const(requestCmd(d)))
		for back := range 2 {
			for to := passcode.Requested; to <= passcode.Expired; to++ {
				cmdGens = append(cmdGens, gen.Const(transitionCmd(d, back, to)))
			}
		}
	}
	for _, min := range []int{10, 30, 70} {
		cmdGens = append(cmdGens, gen.Const(advanceCmd(min)))
	}
	cmdGens = append(cmdGens, gen.Const(expireStaleCmd))
	cmds := &commands.ProtoCommands{
		NewSystemUnderTestFunc: func(commands.State) commands.SystemUnderTest {
			f := newFixture(t, func(c *passcode.Config) { c.StaleAfter, c.Retention = modelStale, modelStale })
			return &pcSUT{svc: f.svc, f: f, ids: map[string][]string{}}
		},
		InitialStateGen: gen.Const(pcModel{resets: map[string][]mReset{}}),
		GenCommandFunc:  func(commands.State) gopter.Gen { return gen.OneGenOf(cmdGens...) },
	}
	params := gopter.DefaultTestParametersWithSeed(28)
	params.MinSuccessfulTests = 200
	props := gopter.NewProperties(params)
	props.Property("the Service follows the model", commands.Prop(cmds))
	props.TestingRun(t)
}
