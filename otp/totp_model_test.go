package otp_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/otp"
)

// The model-based test drives random sequences of Verify, Resync, Reset
// and clock moves against TOTPService on a MemStore, and checks every
// outcome and the stored state against totpModel, a reference written
// from the documented rules alone.

const (
	mCap    = 3
	mCool   = 10 * time.Minute
	mSkew   = 1
	mResync = 5
)

var mKey = func() *otp.Key {
	k, err := otp.NewKey([]byte("model-based-test-key"), otp.Params{Algorithm: otp.SHA256, Digits: 10})
	if err != nil {
		panic(err)
	}
	return k
}()

// totpModel is the reference: the subject's state, the clock, and the
// outcome the last command should have had.
type totpModel struct {
	now      time.Time
	next     uint64
	drift    int64
	fails    int
	lastFail time.Time
	blocked  bool
	want     outcome
}

type outcome struct {
	err  error // nil, ErrInvalid, ErrReplay or ErrBlocked
	step uint64
}

func (m totpModel) cur() uint64 { return mKey.Step(m.now) }

func (m totpModel) phase() otp.TOTPPhase {
	switch {
	case m.blocked && m.now.Before(m.lastFail.Add(mCool)):
		return otp.TOTPBlocked
	case m.blocked:
		return otp.TOTPProbation
	}
	return otp.TOTPOpen
}

func (m totpModel) fail(err error) totpModel {
	m.fails++
	m.lastFail = m.now
	if m.fails >= mCap {
		m.blocked = true
	}
	m.want = outcome{err: err}
	return m
}

func (m totpModel) accept(step uint64, drift int64) totpModel {
	m.next, m.drift = step+1, drift
	m.fails, m.lastFail, m.blocked = 0, time.Time{}, false
	m.want = outcome{step: step}
	return m
}

// verify is the model of Verify with the code of step cur+off (wrong: a
// code of no step).
func (m totpModel) verify(off int, wrong bool) totpModel {
	if m.phase() == otp.TOTPBlocked {
		m.want = outcome{err: otp.ErrBlocked}
		return m
	}
	cur := int64(m.cur())
	s := cur + int64(off)
	centre := cur + m.drift
	inWindow := !wrong && s >= centre-mSkew && s <= centre+mSkew
	switch {
	case inWindow && uint64(s) >= m.next:
		return m.accept(uint64(s), max(-mResync, min(mResync, s-cur)))
	case inWindow:
		return m.fail(otp.ErrReplay)
	}
	return m.fail(otp.ErrInvalid)
}

// resync is the model of Resync with the codes of steps cur+off and
// cur+off+1.
func (m totpModel) resync(off int) totpModel {
	if m.phase() == otp.TOTPBlocked {
		m.want = outcome{err: otp.ErrBlocked}
		return m
	}
	cur := int64(m.cur())
	s := cur + int64(off)
	inWindow := off >= -mResync && off < mResync
	switch {
	case inWindow && uint64(s) >= m.next:
		return m.accept(uint64(s+1), s+1-cur)
	case inWindow:
		return m.fail(otp.ErrReplay)
	}
	return m.fail(otp.ErrInvalid)
}

func (m totpModel) forget() totpModel {
	return totpModel{now: m.now}
}

func (m totpModel) reset() totpModel {
	m.fails, m.lastFail, m.blocked, m.drift = 0, time.Time{}, false, 0
	m.want = outcome{}
	return m
}

type totpSUT struct {
	svc   *otp.TOTPService
	clock *mdmcredtest.Clock
}

// totpRun is what a command observed: its outcome and the stored state.
type totpRun struct {
	got   outcome
	state otp.TOTPState
	phase otp.TOTPPhase
}

const subject = "model-subject"

func observe(sut *totpSUT, res otp.TOTPResult, err error) totpRun {
	r := totpRun{got: outcome{err: err, step: res.Step}}
	st, ph, serr := sut.svc.State(context.Background(), subject)
	if serr != nil {
		panic(serr)
	}
	r.state, r.phase = st, ph
	return r
}

func check(m totpModel, result commands.Result) *gopter.PropResult {
	r := result.(totpRun)
	sameErr := (m.want.err == nil && r.got.err == nil) || (m.want.err != nil && errors.Is(r.got.err, m.want.err))
	if !sameErr || (m.want.err == nil && r.got.step != m.want.step) {
		return &gopter.PropResult{Status: gopter.PropFalse, Error: fmt.Errorf("outcome %v step %d, model says %v step %d", r.got.err, r.got.step, m.want.err, m.want.step)}
	}
	st := r.state
	if st.NextStep != m.next || st.Drift != m.drift || st.Failures != m.fails || st.Blocked != m.blocked ||
		!st.LastFailure.Equal(m.lastFail) || r.phase != m.phase() {
		return &gopter.PropResult{Status: gopter.PropFalse, Error: fmt.Errorf("state %+v phase %v, model %+v phase %v", st, r.phase, m, m.phase())}
	}
	return &gopter.PropResult{Status: gopter.PropTrue}
}

func verifyCmd(off int, wrong bool) commands.Command {
	return &commands.ProtoCommand{
		Name: fmt.Sprintf("Verify(%+d, wrong=%v)", off, wrong),
		RunFunc: func(s commands.SystemUnderTest) commands.Result {
			sut := s.(*totpSUT)
			step := mKey.Step(sut.clock.Now()) + uint64(int64(off))
			code := otp.HOTP(mKey, step).Reveal()
			if wrong {
				code = "0000000000"
				if otp.HOTP(mKey, step).Reveal() == code {
					code = "0000000001"
				}
			}
			res, err := sut.svc.Verify(context.Background(), subject, mKey, code)
			return observe(sut, res, err)
		},
		NextStateFunc:     func(st commands.State) commands.State { return st.(totpModel).verify(off, wrong) },
		PostConditionFunc: func(st commands.State, r commands.Result) *gopter.PropResult { return check(st.(totpModel), r) },
	}
}

func resyncCmd(off int) commands.Command {
	return &commands.ProtoCommand{
		Name: fmt.Sprintf("Resync(%+d)", off),
		RunFunc: func(s commands.SystemUnderTest) commands.Result {
			sut := s.(*totpSUT)
			step := mKey.Step(sut.clock.Now()) + uint64(int64(off))
			res, err := sut.svc.Resync(context.Background(), subject, mKey, otp.HOTP(mKey, step).Reveal(), otp.HOTP(mKey, step+1).Reveal())
			return observe(sut, res, err)
		},
		NextStateFunc:     func(st commands.State) commands.State { return st.(totpModel).resync(off) },
		PostConditionFunc: func(st commands.State, r commands.Result) *gopter.PropResult { return check(st.(totpModel), r) },
	}
}

var resetCmd = &commands.ProtoCommand{
	Name: "Reset",
	RunFunc: func(s commands.SystemUnderTest) commands.Result {
		sut := s.(*totpSUT)
		err := sut.svc.Reset(context.Background(), subject, "admin")
		return observe(sut, otp.TOTPResult{}, err)
	},
	NextStateFunc:     func(st commands.State) commands.State { return st.(totpModel).reset() },
	PostConditionFunc: func(st commands.State, r commands.Result) *gopter.PropResult { return check(st.(totpModel), r) },
}

var forgetCmd = &commands.ProtoCommand{
	Name: "Forget",
	RunFunc: func(s commands.SystemUnderTest) commands.Result {
		sut := s.(*totpSUT)
		err := sut.svc.Forget(context.Background(), subject, "admin")
		return observe(sut, otp.TOTPResult{}, err)
	},
	NextStateFunc:     func(st commands.State) commands.State { return st.(totpModel).forget() },
	PostConditionFunc: func(st commands.State, r commands.Result) *gopter.PropResult { return check(st.(totpModel), r) },
}

func advanceCmd(d time.Duration) commands.Command {
	return &commands.ProtoCommand{
		Name: "Advance(" + d.String() + ")",
		RunFunc: func(s commands.SystemUnderTest) commands.Result {
			sut := s.(*totpSUT)
			sut.clock.Advance(d)
			return observe(sut, otp.TOTPResult{}, nil)
		},
		NextStateFunc: func(st commands.State) commands.State {
			m := st.(totpModel)
			m.now = m.now.Add(d)
			m.want = outcome{}
			return m
		},
		PostConditionFunc: func(st commands.State, r commands.Result) *gopter.PropResult { return check(st.(totpModel), r) },
	}
}

var totpCommands = &commands.ProtoCommands{
	NewSystemUnderTestFunc: func(initial commands.State) commands.SystemUnderTest {
		clock := mdmcredtest.NewClock(initial.(totpModel).now)
		svc, err := otp.NewTOTPService(otp.TOTPConfig{Store: otp.NewMemStore(), Now: clock.Now,
			MaxFailures: mCap, Cooldown: mCool, Skew: mSkew, ResyncWindow: mResync})
		if err != nil {
			panic(err)
		}
		return &totpSUT{svc: svc, clock: clock}
	},
	InitialStateGen: gen.Int64Range(1_000_000_000, 2_000_000_000).Map(func(s int64) totpModel {
		return totpModel{now: time.Unix(s, 0).UTC()}
	}),
	GenCommandFunc: func(commands.State) gopter.Gen {
		return gen.Weighted([]gen.WeightedGen{
			{Weight: 6, Gen: gen.IntRange(-3, 3).Map(func(o int) commands.Command { return verifyCmd(o, false) })},
			{Weight: 3, Gen: gen.Const(verifyCmd(0, true))},
			{Weight: 2, Gen: gen.IntRange(-7, 7).Map(func(o int) commands.Command { return resyncCmd(o) })},
			{Weight: 1, Gen: gen.Const(resetCmd)},
			{Weight: 1, Gen: gen.Const(forgetCmd)},
			{Weight: 3, Gen: gen.OneConstOf(time.Second, 29*time.Second, 30*time.Second, 90*time.Second, 5*time.Minute, mCool, mCool+time.Second).
				Map(func(d time.Duration) commands.Command { return advanceCmd(d) })},
		})
	},
}

func TestTOTPServiceModel(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 300
	p := gopter.NewProperties(params)
	p.Property("TOTPService behaves like the reference model", commands.Prop(totpCommands))
	p.TestingRun(t)
}
