package servicepasstest_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
)

// testIssuer is a real issuer over a memory audit log, the contracts'
// judge of response requests.
func testIssuer(t testing.TB) *servicepass.Issuer {
	t.Helper()
	master, err := servicepass.NewMasterKey(7, bytes.Repeat([]byte{0x42}, servicepass.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{master}, Store: servicepass.NewMemStore()})
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// parsesTo reports whether text reads as c.
func parsesTo(text string, c servicepass.Challenge) bool {
	got, err := servicepass.ParseChallenge(text)
	return err == nil && got == c
}

func challengeContracts(t *testing.T) []gentest.Contract {
	is := testIssuer(t)
	respondOK := func(m servicepass.Mode) func(any) bool {
		return func(v any) bool {
			r := v.(servicepass.ResponseRequest)
			_, err := is.Respond(context.Background(), r)
			return err == nil && (r.Mode == m || m > servicepass.COPE) && r.Admin == servicepasstest.Admin
		}
	}
	return []gentest.Contract{
		{"GenChallenge", servicepasstest.GenChallenge(), func(v any) bool {
			c := v.(servicepass.Challenge)
			return parsesTo(c.String(), c) && parsesTo(c.Canonical(), c) && len(c.Canonical()) == servicepass.ChallengeLen
		}},
		{"GenTypedChallenge", servicepasstest.GenTypedChallenge(), func(v any) bool {
			tc := v.(servicepasstest.TypedChallenge)
			return parsesTo(tc.Text, tc.Challenge)
		}},
		{"GenMistypedChallenge", servicepasstest.GenMistypedChallenge(), func(v any) bool {
			m := v.(servicepasstest.MistypedChallenge)
			_, err := servicepass.ParseChallenge(m.Text)
			return errors.Is(err, m.Rule) && (m.Rule == servicepass.ErrChallengeTypo || m.Rule == servicepass.ErrChallengeMalformed)
		}},
		{"GenResponseRequest(DeviceOwner)", servicepasstest.GenResponseRequest(servicepass.DeviceOwner), respondOK(servicepass.DeviceOwner)},
		{"GenResponseRequest(COPE)", servicepasstest.GenResponseRequest(servicepass.COPE), respondOK(servicepass.COPE)},
		{"GenAnyResponseRequest", servicepasstest.GenAnyResponseRequest(), respondOK(255)},
		{"GenInvalidResponseRequest", servicepasstest.GenInvalidResponseRequest(), func(v any) bool {
			ir := v.(servicepasstest.InvalidResponseRequest)
			_, err := is.Respond(context.Background(), ir.Request)
			return errors.Is(err, ir.Rule)
		}},
	}
}

func TestChallengeGeneratorContracts(t *testing.T) { gentest.CheckContracts(t, challengeContracts(t)) }

// ChallengeOf makes the challenge of exactly those 45 bits: distinct values
// give distinct challenges, and the extremes are the all-0 and all-Z ones.
func TestChallengeOf(t *testing.T) {
	if got := servicepasstest.ChallengeOf(0).Canonical()[:9]; got != "000000000" {
		t.Errorf("ChallengeOf(0) = %s", got)
	}
	if got := servicepasstest.ChallengeOf(1<<servicepass.ChallengeBits - 1).Canonical()[:9]; got != "ZZZZZZZZZ" {
		t.Errorf("ChallengeOf(max) = %s", got)
	}
	if got := servicepasstest.ChallengeOf(1<<servicepass.ChallengeBits | 5); got != servicepasstest.ChallengeOf(5) {
		t.Errorf("bits above 45 not ignored: %v", got)
	}
	seen := map[servicepass.Challenge]uint64{}
	for _, v := range []uint64{0, 1, 2, 31, 32, 1 << 40, 1<<45 - 2, 1<<45 - 1} {
		c := servicepasstest.ChallengeOf(v)
		if w, dup := seen[c]; dup {
			t.Errorf("ChallengeOf(%d) = ChallengeOf(%d)", v, w)
		}
		seen[c] = v
	}
}

// Every kind of mistake is generated: substitutions and transpositions
// (typos) in every position, and each malformed shape.
func TestMistypedChallengeCoversEveryMistake(t *testing.T) {
	params := gopter.DefaultGenParameters()
	var typo, short, long, bad, empty int
	for range 2000 {
		m := servicepasstest.GenMistypedChallenge()(params).Result.(servicepasstest.MistypedChallenge)
		switch {
		case m.Rule == servicepass.ErrChallengeTypo:
			typo++
		case m.Text == "":
			empty++
		case len(m.Text) < servicepass.ChallengeLen:
			short++
		case len(m.Text) > servicepass.ChallengeLen:
			long++
		case strings.ContainsAny(m.Text, "!#%&+/?@"):
			bad++
		}
	}
	for name, n := range map[string]int{"typo": typo, "left out": short, "added": long, "outside the alphabet": bad, "empty": empty} {
		if n == 0 {
			t.Errorf("no %s mistake in 2000 draws", name)
		}
	}
}

// An always-false property shrinks each generator's values to its
// simplest; deliberately false ones to their minimal counterexample.
func TestChallengeGeneratorsShrink(t *testing.T) {
	never := func(any) bool { return false }
	zero := servicepasstest.ChallengeOf(0)
	minimal := servicepass.ResponseRequest{DeviceID: "a", Challenge: zero.String(), Mode: servicepass.DeviceOwner,
		Actions: servicepass.Unlock, Admin: servicepasstest.Admin}
	minimalCOPE := minimal
	minimalCOPE.Mode = servicepass.COPE
	for _, c := range []struct {
		name string
		gen  gopter.Gen
		want func(any) bool
	}{
		{"GenChallenge", servicepasstest.GenChallenge(), func(v any) bool { return v == zero }},
		{"GenTypedChallenge", servicepasstest.GenTypedChallenge(), func(v any) bool {
			return v == servicepasstest.TypedChallenge{Text: zero.String(), Challenge: zero}
		}},
		{"GenMistypedChallenge", servicepasstest.GenMistypedChallenge(), func(v any) bool {
			m := v.(servicepasstest.MistypedChallenge)
			// A malformed challenge shrinks to nothing typed; a typo to
			// one symbol off the zero challenge.
			return m.Text == "" || m.Rule == servicepass.ErrChallengeTypo && strings.Count(m.Text, "0") == servicepass.ChallengeLen-1
		}},
		{"GenResponseRequest(DeviceOwner)", servicepasstest.GenResponseRequest(servicepass.DeviceOwner), func(v any) bool { return v == minimal }},
		{"GenResponseRequest(COPE)", servicepasstest.GenResponseRequest(servicepass.COPE), func(v any) bool { return v == minimalCOPE }},
		{"GenAnyResponseRequest", servicepasstest.GenAnyResponseRequest(), func(v any) bool { return v == minimal }},
		{"GenInvalidResponseRequest", servicepasstest.GenInvalidResponseRequest(), func(v any) bool {
			ir := v.(servicepasstest.InvalidResponseRequest)
			return len(ir.Request.DeviceID) <= 1 && ir.Request.Actions.Count() <= 2
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, seed := range gentest.Seeds {
				if got := gentest.Counterexample(t, seed, c.gen, never); !c.want(got) {
					t.Errorf("seed %d: shrunk to %+v", seed, got)
				}
			}
		})
	}
	for _, seed := range gentest.Seeds {
		// "Every challenge starts with a digit" shrinks to the smallest
		// that starts with a letter.
		if got := gentest.Counterexample(t, seed, servicepasstest.GenChallenge(), func(c servicepass.Challenge) bool {
			return c.Canonical()[0] <= '9'
		}).(servicepass.Challenge); got.Canonical()[:9] != "A00000000" {
			t.Errorf("seed %d: every challenge starts with a digit: shrunk to %v", seed, got)
		}
		// "No response request allows a factory reset" shrinks to the
		// minimal Device Owner request for that action alone.
		want := minimal
		want.Actions = servicepass.AllowFactoryReset
		if got := gentest.Counterexample(t, seed, servicepasstest.GenAnyResponseRequest(), func(r servicepass.ResponseRequest) bool {
			return !r.Actions.Has(servicepass.AllowFactoryReset)
		}); got != want {
			t.Errorf("seed %d: no factory reset request: shrunk to %+v", seed, got)
		}
		// "No COPE request asks for an exclusive action" shrinks to the
		// minimal COPE request for Set Password or Emergency Database
		// Reset alone.
		setPassword, dbReset := minimalCOPE, minimalCOPE
		setPassword.Actions, dbReset.Actions = servicepass.SetPassword, servicepass.EmergencyDatabaseReset
		if got := gentest.Counterexample(t, seed, servicepasstest.GenResponseRequest(servicepass.COPE), func(r servicepass.ResponseRequest) bool {
			return !r.Actions.Has(servicepass.SetPassword) && !r.Actions.Has(servicepass.EmergencyDatabaseReset)
		}); got != setPassword && got != dbReset {
			t.Errorf("seed %d: no exclusive action: shrunk to %+v", seed, got)
		}
		// "No request breaks the kiosk rule" keeps the rule while shrinking.
		ir := gentest.Counterexample(t, seed, servicepasstest.GenInvalidResponseRequest(), func(ir servicepasstest.InvalidResponseRequest) bool {
			return ir.Rule != servicepass.ErrKioskOnCOPE
		}).(servicepasstest.InvalidResponseRequest)
		if ir.Rule != servicepass.ErrKioskOnCOPE || ir.Request.Actions.Count() != 1 || ir.Request.DeviceID != "d" {
			t.Errorf("seed %d: no kiosk rule broken: shrunk to %v", seed, ir)
		}
	}
}

// Every response a GenAnyResponseRequest request gets verifies on its
// device, for its challenge: the kit's requests are ones a console can
// really answer with.
func TestGeneratedResponseRequestsVerify(t *testing.T) {
	master, err := servicepass.NewMasterKey(3, bytes.Repeat([]byte{0x17}, servicepass.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{master}, Store: servicepass.NewMemStore()})
	if err != nil {
		t.Fatal(err)
	}
	p := gopter.NewProperties(gopter.DefaultTestParameters())
	p.Property("a generated request's response verifies on its device", prop.ForAll(func(r servicepass.ResponseRequest, c servicepass.Challenge) bool {
		keys, err := is.DeviceKeys(r.DeviceID)
		if err != nil {
			return false
		}
		v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: r.DeviceID, Mode: r.Mode, HasMode: true, Keys: keys, Location: time.UTC}, nil, nil)
		if err != nil {
			return false
		}
		shown, err := v.NewChallenge(servicepass.ChallengeOptions{Rand: bytes.NewReader([]byte(c.Canonical()))})
		if err != nil {
			return false
		}
		r.Challenge = shown.String()
		resp, err := is.Respond(context.Background(), r)
		if err != nil {
			return false
		}
		g, err := v.VerifyResponse(context.Background(), resp.Code.Reveal(), now)
		return err == nil && g.Actions == r.Actions
	}, servicepasstest.GenAnyResponseRequest(), servicepasstest.GenChallenge()))
	p.TestingRun(t)
}
