package nanomdm_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/apple/nanomdm"
	"github.com/mdmcred/mdmcred/escrow"
)

// escrowSUT is an EscrowSource over a fresh escrow.Service with one Recovery
// Lock password sent per command, each on its own device ("U-" + command).
type escrowSUT struct {
	svc *escrow.Service
	src *nanomdm.EscrowSource
	ids map[string]string // command -> record ID
}

func newEscrowSUT(t testing.TB, cmds ...string) *escrowSUT {
	t.Helper()
	svc, err := escrow.New(escrow.Config{Store: escrow.NewMemStore(), SealKeys: escrow.NewKeys(map[uint8][]byte{1: key(4)}), SealKeyID: 1})
	if err != nil {
		t.Fatal(err)
	}
	src, err := nanomdm.NewEscrowSource(svc)
	if err != nil {
		t.Fatal(err)
	}
	s := &escrowSUT{svc: svc, src: src, ids: map[string]string{}}
	for _, c := range cmds {
		r, err := svc.Generate(ctx, "U-"+c, escrow.KindRecoveryLock, "admin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sent(ctx, r.ID, c, nanomdm.Actor); err != nil {
			t.Fatal(err)
		}
		s.ids[c] = r.ID
	}
	return s
}

func (s *escrowSUT) state(cmd string) escrow.State {
	r, err := s.svc.Get(ctx, s.ids[cmd])
	if err != nil {
		return escrow.None
	}
	return r.State
}

// A model-based test of EscrowSource: random deliveries and reports (from
// the owner or another enrollment, of every outcome) against a model that
// is the escrow state each command's secret should be in: Sent until the
// owner's first Succeeded (Active) or Failed (Failed), then fixed.
type escModel map[string]escrow.State

type escOp struct {
	cmd     string
	foreign bool
	fetch   bool // Plaintext; otherwise Result with kind
	kind    apple.OutcomeKind
}

func (o escOp) Run(sut commands.SystemUnderTest) commands.Result {
	s := sut.(*escrowSUT)
	enr := "U-" + o.cmd
	if o.foreign {
		enr = "U-other"
	}
	var err error
	var got apple.Secrets
	if o.fetch {
		got, err = s.src.Plaintext(ctx, enr, o.cmd)
	} else {
		err = s.src.Result(ctx, enr, o.cmd, apple.Outcome{Kind: o.kind, CommandUUID: o.cmd})
	}
	return [3]any{s.state(o.cmd), err, got.NewPassword.IsZero()}
}

func (o escOp) NextState(st commands.State) commands.State {
	m := escModel{}
	for k, v := range st.(escModel) {
		m[k] = v
	}
	if o.foreign || o.fetch || m[o.cmd] != escrow.Sent {
		return m
	}
	switch o.kind {
	case apple.Succeeded:
		m[o.cmd] = escrow.Active
	case apple.Failed:
		m[o.cmd] = escrow.Failed
	}
	return m
}

func (escOp) PreCondition(commands.State) bool { return true }

func (o escOp) PostCondition(st commands.State, res commands.Result) *gopter.PropResult {
	m, got := st.(escModel), res.([3]any)
	err, _ := got[1].(error)
	var ok bool
	switch {
	case o.foreign:
		ok = errors.Is(err, nanomdm.ErrUnknownCommand)
	case o.fetch && m[o.cmd] == escrow.Sent:
		ok = err == nil && got[2] == false
	case o.fetch:
		ok = errors.Is(err, escrow.ErrNotPending) && got[2] == true
	default:
		ok = err == nil
	}
	if !ok || got[0] != m[o.cmd] {
		return &gopter.PropResult{Status: gopter.PropFalse, Labels: []string{fmt.Sprintf("got %v, model %s", got, m[o.cmd])}}
	}
	return &gopter.PropResult{Status: gopter.PropTrue}
}

func (o escOp) String() string {
	if o.fetch {
		return fmt.Sprintf("fetch %s foreign=%v", o.cmd, o.foreign)
	}
	return fmt.Sprintf("report %s foreign=%v %s", o.cmd, o.foreign, o.kind)
}

func TestEscrowSourceModel(t *testing.T) {
	cmds := []string{"C1", "C2", "C3"}
	proto := &commands.ProtoCommands{
		NewSystemUnderTestFunc: func(commands.State) commands.SystemUnderTest { return newEscrowSUT(t, cmds...) },
		InitialStateGen:        gen.Const(escModel{"C1": escrow.Sent, "C2": escrow.Sent, "C3": escrow.Sent}),
		GenCommandFunc: func(commands.State) gopter.Gen {
			return gopter.CombineGens(gen.OneConstOf("C1", "C2", "C3"),
				gen.Weighted([]gen.WeightedGen{{Weight: 4, Gen: gen.Const(false)}, {Weight: 1, Gen: gen.Const(true)}}),
				gen.Weighted([]gen.WeightedGen{{Weight: 1, Gen: gen.Const(true)}, {Weight: 3, Gen: gen.Const(false)}}),
				gen.OneConstOf(apple.Succeeded, apple.StillPending, apple.Failed, apple.NoResult)).
				Map(func(v []any) commands.Command {
					return escOp{v[0].(string), v[1].(bool), v[2].(bool), v[3].(apple.OutcomeKind)}
				})
		},
	}
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 60
	props := gopter.NewProperties(params)
	props.Property("EscrowSource follows the escrow model", commands.Prop(proto))
	props.TestingRun(t)
}

// Racing Acknowledged and Error reports for one command (a device that
// retries, a refusal at delivery): every report is taken, exactly one final
// outcome is recorded, and it stays.
func TestEscrowSourceRacingReports(t *testing.T) {
	for round := 0; round < 10; round++ {
		s := newEscrowSUT(t, "C")
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k := apple.Succeeded
				if i%2 == 1 {
					k = apple.Failed
				}
				errs <- s.src.Result(ctx, "U-C", "C", apple.Outcome{Kind: k, CommandUUID: "C"})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("a report was refused: %v", err)
			}
		}
		evs, err := s.svc.Events(ctx, escrow.EventQuery{RecordID: s.ids["C"]})
		if err != nil {
			t.Fatal(err)
		}
		final := 0
		for _, e := range evs {
			if e.From == escrow.Sent {
				final++
			}
		}
		if st := s.state("C"); final != 1 || (st != escrow.Active && st != escrow.Failed) {
			t.Fatalf("round %d: %d final moves, state %s", round, final, st)
		}
	}
}

func TestNewEscrowSource(t *testing.T) {
	if _, err := nanomdm.NewEscrowSource(nil); err == nil {
		t.Error("nil escrow service accepted")
	}
}

// FuzzEscrowSourceReport: any enrollment, command UUID and outcome through
// Result and Plaintext never panics, never moves a record for an enrollment
// other than its device, and never hands out a secret to one.
func FuzzEscrowSourceReport(f *testing.F) {
	f.Add("U-C", "C", uint8(apple.Succeeded))
	f.Add("U-C", "C", uint8(apple.Failed))
	f.Add("U-other", "C", uint8(apple.Succeeded))
	f.Add("U-C", "nope", uint8(apple.StillPending))
	f.Add("", "", uint8(0))
	f.Add("U-C\x00", "C\n", uint8(200))
	s := newEscrowSUT(f, "C")
	f.Fuzz(func(t *testing.T, enr, cmd string, kind uint8) {
		before := s.state("C")
		sec, perr := s.src.Plaintext(ctx, enr, cmd)
		rerr := s.src.Result(ctx, enr, cmd, apple.Outcome{Kind: apple.OutcomeKind(kind), CommandUUID: cmd})
		after := s.state("C")
		owner := enr == "U-C" && cmd == "C"
		if !owner {
			if after != before || !errors.Is(perr, nanomdm.ErrUnknownCommand) || !errors.Is(rerr, nanomdm.ErrUnknownCommand) || !sec.NewPassword.IsZero() {
				t.Fatalf("foreign %q/%q: %s -> %s, %v, %v", enr, cmd, before, after, perr, rerr)
			}
			return
		}
		if rerr != nil || (before != escrow.Sent && after != before) {
			t.Fatalf("owner: %s -> %s, %v", before, after, rerr)
		}
	})
}
