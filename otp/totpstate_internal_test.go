package otp

import (
	"slices"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// TestTOTPTransitionsFollowTable checks that transition, the only writer
// of a TOTPState, makes only the moves totpMoves allows, from any state,
// for every event the service would apply in that phase.
func TestTOTPTransitionsFollowTable(t *testing.T) {
	p, err := lockoutPolicy("MaxFailures", 3, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	props := gopter.NewProperties(gopter.DefaultTestParameters())
	props.Property("every move is in the table", prop.ForAll(
		func(failures int, blocked bool, sinceFail int, ev int, step uint64) bool {
			st := TOTPState{Subject: "s", Failures: failures, Blocked: blocked && failures >= 3, LastFailure: t0}
			now := t0.Add(time.Duration(sinceFail) * time.Minute)
			from := st.phase(p, now)
			e := totpEvent(ev)
			allowed, ok := totpMoves[from][e]
			if !ok {
				// The service refuses this event in this phase; it must
				// not reach transition. Nothing to check.
				return from == TOTPBlocked && e != evReset
			}
			next := st.transition(p, e, now, step, 1)
			to := next.phase(p, now)
			if !slices.Contains(allowed, to) {
				t.Logf("%v --%d--> %v not in the table", from, e, to)
				return false
			}
			// NextStep never decreases, except when the key is forgotten.
			return next.NextStep >= st.NextStep || e == evForget
		},
		gen.IntRange(0, 5), gen.Bool(), gen.IntRange(0, 120), gen.IntRange(0, 3), gen.UInt64Range(0, 1<<40),
	))
	props.TestingRun(t)
}

func TestTOTPPhaseString(t *testing.T) {
	for p, want := range map[TOTPPhase]string{TOTPOpen: "open", TOTPBlocked: "blocked", TOTPProbation: "probation", 9: "TOTPPhase(?)"} {
		if got := p.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", p, got, want)
		}
	}
}
