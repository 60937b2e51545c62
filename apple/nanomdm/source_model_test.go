package nanomdm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/apple/nanomdm"
)

// A model-based test of MemSource: random reports (from the owner or from
// another enrollment, of every outcome) against a model that is the state
// each command should be in and the outcomes it should have recorded.

type srcModel struct {
	state    map[string]string
	outcomes map[string]int
}

func (m srcModel) clone() srcModel {
	c := srcModel{state: map[string]string{}, outcomes: map[string]int{}}
	for k, v := range m.state {
		c.state[k] = v
	}
	for k, v := range m.outcomes {
		c.outcomes[k] = v
	}
	return c
}

type srcReport struct {
	cmd     string
	foreign bool
	kind    apple.OutcomeKind
}

func (r srcReport) Run(s commands.SystemUnderTest) commands.Result {
	src := s.(*nanomdm.MemSource)
	owner := "U-" + r.cmd
	if r.foreign {
		owner = "U-other"
	}
	err := src.Result(context.Background(), owner, r.cmd, apple.Outcome{Kind: r.kind, CommandUUID: r.cmd})
	return [3]any{src.State(r.cmd), len(src.Outcomes(r.cmd)), err}
}

func (r srcReport) NextState(s commands.State) commands.State {
	m := s.(srcModel).clone()
	if r.foreign {
		return m
	}
	m.outcomes[r.cmd]++
	if m.state[r.cmd] == nanomdm.EscrowPending {
		switch r.kind {
		case apple.Succeeded:
			m.state[r.cmd] = nanomdm.EscrowActive
		case apple.Failed:
			m.state[r.cmd] = nanomdm.EscrowFailed
		}
	}
	return m
}

func (srcReport) PreCondition(commands.State) bool { return true }

func (r srcReport) PostCondition(s commands.State, res commands.Result) *gopter.PropResult {
	m, got := s.(srcModel), res.([3]any)
	err, _ := got[2].(error)
	ok := got[0] == m.state[r.cmd] && got[1] == m.outcomes[r.cmd] && (err != nil) == r.foreign
	if !ok {
		return &gopter.PropResult{Status: gopter.PropFalse, Labels: []string{fmt.Sprintf("got %v, model %s/%d", got, m.state[r.cmd], m.outcomes[r.cmd])}}
	}
	return &gopter.PropResult{Status: gopter.PropTrue}
}

func (r srcReport) String() string { return fmt.Sprintf("%s foreign=%v %s", r.cmd, r.foreign, r.kind) }

func TestMemSourceModel(t *testing.T) {
	sealer, _ := apple.NewSealer(apple.NewKeys(map[uint8][]byte{1: key(1)}), 1)
	cmds := []string{"C1", "C2", "C3"}
	proto := &commands.ProtoCommands{
		NewSystemUnderTestFunc: func(commands.State) commands.SystemUnderTest {
			src := nanomdm.NewMemSource(sealer, nil)
			for _, c := range cmds {
				if err := src.Put("U-"+c, c, apple.Secrets{PIN: apple.NewSecret("123456")}, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			return src
		},
		InitialStateGen: gen.Const(srcModel{
			state:    map[string]string{"C1": nanomdm.EscrowPending, "C2": nanomdm.EscrowPending, "C3": nanomdm.EscrowPending},
			outcomes: map[string]int{},
		}),
		GenCommandFunc: func(commands.State) gopter.Gen {
			return gopter.CombineGens(gen.OneConstOf("C1", "C2", "C3"), gen.Weighted([]gen.WeightedGen{{Weight: 4, Gen: gen.Const(false)}, {Weight: 1, Gen: gen.Const(true)}}),
				gen.OneConstOf(apple.Succeeded, apple.StillPending, apple.Failed, apple.NoResult)).
				Map(func(v []any) commands.Command {
					return srcReport{v[0].(string), v[1].(bool), v[2].(apple.OutcomeKind)}
				})
		},
	}
	props := gopter.NewProperties(nil)
	props.Property("MemSource follows the escrow model", commands.Prop(proto))
	props.TestingRun(t)
}
