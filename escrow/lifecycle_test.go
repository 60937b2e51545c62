package escrow_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/escrow"
)

var allStates = []escrow.State{escrow.None, escrow.Generated, escrow.Sent, escrow.Active, escrow.Failed,
	escrow.Expired, escrow.Rotated, escrow.Retired, 8}

var allInputs = []escrow.Input{0, escrow.Generate, escrow.Report, escrow.Send, escrow.Acknowledge, escrow.Fail,
	escrow.Expire, escrow.Supersede, escrow.Retire, 9}

// The whole table, written out from the package documentation: every pair
// not listed is refused.
var wantMoves = map[[2]uint8]escrow.State{
	{uint8(escrow.None), uint8(escrow.Generate)}:       escrow.Generated,
	{uint8(escrow.None), uint8(escrow.Report)}:         escrow.Active,
	{uint8(escrow.Generated), uint8(escrow.Send)}:      escrow.Sent,
	{uint8(escrow.Generated), uint8(escrow.Fail)}:      escrow.Failed,
	{uint8(escrow.Generated), uint8(escrow.Expire)}:    escrow.Expired,
	{uint8(escrow.Generated), uint8(escrow.Retire)}:    escrow.Retired,
	{uint8(escrow.Sent), uint8(escrow.Acknowledge)}:    escrow.Active,
	{uint8(escrow.Sent), uint8(escrow.Fail)}:           escrow.Failed,
	{uint8(escrow.Sent), uint8(escrow.Expire)}:         escrow.Expired,
	{uint8(escrow.Expired), uint8(escrow.Acknowledge)}: escrow.Active,
	{uint8(escrow.Expired), uint8(escrow.Fail)}:        escrow.Failed,
	{uint8(escrow.Active), uint8(escrow.Supersede)}:    escrow.Rotated,
	{uint8(escrow.Active), uint8(escrow.Retire)}:       escrow.Retired,
}

func TestNextTable(t *testing.T) {
	for _, s := range allStates {
		for _, in := range allInputs {
			want, ok := wantMoves[[2]uint8{uint8(s), uint8(in)}]
			got, err := escrow.Next(s, in)
			var te *escrow.TransitionError
			switch {
			case ok && (err != nil || got != want):
				t.Errorf("Next(%s, %s) = %s, %v; want %s", s, in, got, err, want)
			case !ok && (!errors.As(err, &te) || te.From != s || te.Input != in || got != s || !errors.Is(err, escrow.ErrInvalidTransition)):
				t.Errorf("Next(%s, %s) = %s, %v; want a refusal", s, in, got, err)
			}
		}
	}
	// Active is reached only by an acknowledgement or a report.
	for k, to := range wantMoves {
		if to == escrow.Active && escrow.Input(k[1]) != escrow.Acknowledge && escrow.Input(k[1]) != escrow.Report {
			t.Errorf("Active reached by %s", escrow.Input(k[1]))
		}
	}
}

func TestStateClasses(t *testing.T) {
	for _, s := range allStates {
		open := s == escrow.Generated || s == escrow.Sent
		closed := s == escrow.Failed || s == escrow.Expired || s == escrow.Rotated || s == escrow.Retired
		if s.Open() != open || s.Closed() != closed {
			t.Errorf("%s: Open %v Closed %v", s, s.Open(), s.Closed())
		}
	}
	if escrow.State(8).String() != "state(8)" || escrow.Input(9).String() != "input(9)" || escrow.Sent.String() != "sent" {
		t.Error("names")
	}
}

// The model-based test drives random sequences of Generate, Sent,
// Acknowledge, Fail, Reveal, Retire, Due and clock moves against a Service
// on a MemStore for one device and kind, and checks every outcome and the
// whole history against escrowModel, a reference written from the
// documented rules alone.

const (
	mStale = 2 * time.Hour
	mView  = time.Hour
	mEvery = 6 * time.Hour
	mKind  = "model-kind"
)

type mRecord struct {
	state       escrow.State
	sent        bool // has a command ID: "c<index>"
	created     time.Time
	activated   time.Time
	firstViewed time.Time
	views       int
	rotateAt    time.Time
}

type escrowModel struct {
	now     time.Time
	records []mRecord
	want    error // nil, or the sentinel the last command returns
	wantN   int   // rotations the last Due returns
}

func (m escrowModel) clone() escrowModel {
	m.records = append([]mRecord(nil), m.records...)
	m.want, m.wantN = nil, 0
	return m
}

func (m escrowModel) open() int {
	for i, r := range m.records {
		if r.state.Open() {
			return i
		}
	}
	return -1
}

func (m escrowModel) active() int {
	for i, r := range m.records {
		if r.state == escrow.Active {
			return i
		}
	}
	return -1
}

func (m *escrowModel) schedule(i int) {
	r := &m.records[i]
	r.rotateAt = r.activated.Add(mEvery)
	if !r.firstViewed.IsZero() && r.firstViewed.Add(mView).Before(r.rotateAt) {
		r.rotateAt = r.firstViewed.Add(mView)
	}
}

func (m escrowModel) generate() escrowModel {
	m = m.clone()
	if o := m.open(); o >= 0 {
		if m.now.Before(m.records[o].created.Add(mStale)) {
			m.want = escrow.ErrInProgress
			return m
		}
		m.records[o].state = escrow.Expired
	}
	m.records = append(m.records, mRecord{state: escrow.Generated, created: m.now})
	return m
}

func (m escrowModel) send(i int) escrowModel {
	m = m.clone()
	if i >= len(m.records) {
		m.want = escrow.ErrNotFound
		return m
	}
	if m.records[i].state != escrow.Generated {
		m.want = escrow.ErrInvalidTransition
		return m
	}
	m.records[i].state, m.records[i].sent = escrow.Sent, true
	return m
}

func (m escrowModel) answer(i int, in escrow.Input) escrowModel {
	m = m.clone()
	if i >= len(m.records) || !m.records[i].sent {
		m.want = escrow.ErrNotFound
		return m
	}
	r := &m.records[i]
	if in == escrow.Acknowledge && r.state == escrow.Active {
		return m
	}
	prev := m.active()
	to, err := escrow.Next(r.state, in)
	if err != nil {
		m.want = escrow.ErrInvalidTransition
		return m
	}
	r.state = to
	if to == escrow.Active {
		r.activated = m.now
		if prev >= 0 {
			m.records[prev].state = escrow.Rotated
		}
		m.schedule(i)
	}
	return m
}

func (m escrowModel) reveal(i int) escrowModel {
	m = m.clone()
	if i >= len(m.records) {
		m.want = escrow.ErrNotFound
		return m
	}
	r := &m.records[i]
	r.views++
	if r.firstViewed.IsZero() {
		r.firstViewed = m.now
		if r.state == escrow.Active {
			m.schedule(i)
		}
	}
	return m
}

func (m escrowModel) retire(i int) escrowModel {
	m = m.clone()
	if i >= len(m.records) {
		m.want = escrow.ErrNotFound
		return m
	}
	to, err := escrow.Next(m.records[i].state, escrow.Retire)
	if err != nil {
		m.want = escrow.ErrInvalidTransition
		return m
	}
	m.records[i].state = to
	return m
}

func (m escrowModel) due() escrowModel {
	m = m.clone()
	if o := m.open(); o >= 0 && !m.now.Before(m.records[o].created.Add(mStale)) {
		m.records[o].state = escrow.Expired
	}
	if a := m.active(); m.open() < 0 && a >= 0 && !m.now.Before(m.records[a].rotateAt) {
		m.records = append(m.records, mRecord{state: escrow.Generated, created: m.now})
		m.wantN = 1
	}
	return m
}

type escrowSUT struct {
	f *fixture
}

type mRun struct {
	err  error
	n    int
	hist []escrow.Record
	evs  []escrow.Event
}

func (s *escrowSUT) id(i int) string {
	h, err := s.f.svc.History(ctx, mDevice, mKind)
	if err != nil {
		panic(err)
	}
	if i < len(h) {
		return h[i].ID
	}
	return "no-such-record"
}

const mDevice = "model-device"

func (s *escrowSUT) observe(err error, n int) mRun {
	h, herr := s.f.svc.History(ctx, mDevice, mKind)
	evs, eerr := s.f.svc.Events(ctx, escrow.EventQuery{DeviceID: mDevice})
	if herr != nil || eerr != nil {
		panic(fmt.Sprint(herr, eerr))
	}
	return mRun{err: err, n: n, hist: h, evs: evs}
}

func checkModel(m escrowModel, res commands.Result) *gopter.PropResult {
	r := res.(mRun)
	fail := func(format string, a ...any) *gopter.PropResult {
		return &gopter.PropResult{Status: gopter.PropFalse, Error: fmt.Errorf(format, a...)}
	}
	if (m.want == nil) != (r.err == nil) || (m.want != nil && !errors.Is(r.err, m.want)) {
		return fail("error %v, model says %v", r.err, m.want)
	}
	if r.n != m.wantN {
		return fail("%d rotations, model says %d", r.n, m.wantN)
	}
	if len(r.hist) != len(m.records) {
		return fail("%d records, model has %d", len(r.hist), len(m.records))
	}
	for i, got := range r.hist {
		w := m.records[i]
		if got.State != w.state || got.Version != uint64(i+1) || (got.CommandID != "") != w.sent ||
			got.Views != w.views || !got.FirstViewedAt.Equal(w.firstViewed) {
			return fail("record %d: %s v%d cmd %q views %d first %v; model %+v", i, got.State, got.Version, got.CommandID, got.Views, got.FirstViewedAt, w)
		}
		if got.State == escrow.Active && !got.RotateAt.Equal(w.rotateAt) {
			return fail("record %d rotates at %v, model %v", i, got.RotateAt, w.rotateAt)
		}
	}
	// Every record's trail replays through Next to its state, and Active
	// is entered only by an acknowledgement.
	state := map[string]escrow.State{}
	for _, ev := range r.evs {
		if ev.Type != escrow.EventTransition {
			continue
		}
		if ev.From != state[ev.RecordID] {
			return fail("event %s -> %s of %s, but it was %s", ev.From, ev.To, ev.RecordID, state[ev.RecordID])
		}
		if ev.To == escrow.Active && ev.From != escrow.Sent && ev.From != escrow.Expired {
			return fail("record %s became active from %s", ev.RecordID, ev.From)
		}
		state[ev.RecordID] = ev.To
	}
	for _, got := range r.hist {
		if state[got.ID] != got.State {
			return fail("record %s is %s, its trail says %s", got.ID, got.State, state[got.ID])
		}
	}
	return &gopter.PropResult{Status: gopter.PropTrue}
}

func cmd(name string, run func(*escrowSUT) mRun, next func(escrowModel) escrowModel) commands.Command {
	return &commands.ProtoCommand{
		Name:              name,
		RunFunc:           func(s commands.SystemUnderTest) commands.Result { return run(s.(*escrowSUT)) },
		NextStateFunc:     func(st commands.State) commands.State { return next(st.(escrowModel)) },
		PostConditionFunc: func(st commands.State, r commands.Result) *gopter.PropResult { return checkModel(st.(escrowModel), r) },
	}
}

func genCmd(i int, op int) commands.Command {
	c := fmt.Sprintf("c%d", i)
	switch op {
	case 0:
		return cmd("Generate", func(s *escrowSUT) mRun {
			_, err := s.f.svc.Generate(ctx, mDevice, mKind, "admin")
			return s.observe(err, 0)
		}, escrowModel.generate)
	case 1:
		return cmd(fmt.Sprintf("Sent(%d)", i), func(s *escrowSUT) mRun {
			_, err := s.f.svc.Sent(ctx, s.id(i), c, "mdm")
			return s.observe(err, 0)
		}, func(m escrowModel) escrowModel { return m.send(i) })
	case 2, 3:
		in, name := escrow.Acknowledge, "Acknowledge"
		if op == 3 {
			in, name = escrow.Fail, "Fail"
		}
		return cmd(fmt.Sprintf("%s(%d)", name, i), func(s *escrowSUT) mRun {
			var err error
			if in == escrow.Acknowledge {
				_, err = s.f.svc.Acknowledge(ctx, c, "mdm")
			} else {
				_, err = s.f.svc.Fail(ctx, c, "mdm")
			}
			return s.observe(err, 0)
		}, func(m escrowModel) escrowModel { return m.answer(i, in) })
	case 4:
		return cmd(fmt.Sprintf("Reveal(%d)", i), func(s *escrowSUT) mRun {
			_, err := s.f.svc.Reveal(ctx, s.id(i), "admin", admin, "model")
			return s.observe(err, 0)
		}, func(m escrowModel) escrowModel { return m.reveal(i) })
	case 5:
		return cmd(fmt.Sprintf("Retire(%d)", i), func(s *escrowSUT) mRun {
			_, err := s.f.svc.Retire(ctx, s.id(i), "admin")
			return s.observe(err, 0)
		}, func(m escrowModel) escrowModel { return m.retire(i) })
	case 6:
		return cmd("Due", func(s *escrowSUT) mRun {
			rots, err := s.f.svc.Due(ctx, s.f.clock.Now())
			return s.observe(err, len(rots))
		}, escrowModel.due)
	}
	d := []time.Duration{10 * time.Minute, time.Hour, 3 * time.Hour}[i%3]
	return cmd("Advance("+d.String()+")", func(s *escrowSUT) mRun {
		s.f.clock.Advance(d)
		return s.observe(nil, 0)
	}, func(m escrowModel) escrowModel {
		m = m.clone()
		m.now = m.now.Add(d)
		return m
	})
}

var escrowCommands = &commands.ProtoCommands{
	NewSystemUnderTestFunc: func(commands.State) commands.SystemUnderTest {
		f, err := buildFixture(func(c *escrow.Config) {
			c.StaleAfter = mStale
			c.Kinds = []escrow.Kind{{Name: mKind, Generate: escrow.DeviceLockPIN().Generate,
				Policy: escrow.Policy{RotateAfterView: mView, RotateEvery: mEvery}}}
		})
		if err != nil {
			panic(err)
		}
		return &escrowSUT{f: f}
	},
	InitialStateGen: gen.Const(escrowModel{now: t0}),
	GenCommandFunc: func(st commands.State) gopter.Gen {
		n := len(st.(escrowModel).records)
		return gopter.CombineGens(gen.IntRange(0, n), gen.Weighted([]gen.WeightedGen{
			{Weight: 3, Gen: gen.Const(0)}, {Weight: 3, Gen: gen.Const(1)}, {Weight: 3, Gen: gen.Const(2)},
			{Weight: 1, Gen: gen.Const(3)}, {Weight: 2, Gen: gen.Const(4)}, {Weight: 1, Gen: gen.Const(5)},
			{Weight: 2, Gen: gen.Const(6)}, {Weight: 3, Gen: gen.Const(7)},
		})).Map(func(v []any) commands.Command { return genCmd(v[0].(int), v[1].(int)) })
	},
}

func TestLifecycleModel(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(31)
	params.MinSuccessfulTests = 100
	props := gopter.NewProperties(params)
	props.Property("Service agrees with the lifecycle model", commands.Prop(escrowCommands))
	props.TestingRun(t)
}
