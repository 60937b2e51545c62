package mobile_test

import (
	"slices"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/servicepass/internal/vectors"
	"github.com/mdmcred/mdmcred/servicepass/mobile"
)

// outcomes is the documented table of result codes.
var outcomes = []string{
	mobile.OutcomeGranted, mobile.OutcomeMalformed, mobile.OutcomeTypo, mobile.OutcomeVersion, mobile.OutcomeUnknownKey,
	mobile.OutcomeLockedOut, mobile.OutcomeBadMAC, mobile.OutcomeExpired, mobile.OutcomeNotYetValid, mobile.OutcomeClockBack,
	mobile.OutcomeMode, mobile.OutcomeReplayed, mobile.OutcomeNoChallenge, mobile.OutcomeChallengeExpired,
	mobile.OutcomeChallengeVoid, mobile.OutcomeStateUnavailable, mobile.OutcomeKeyUnavailable, mobile.OutcomeError,
}

// checkResult reports what is wrong with r: every result carries a
// documented outcome, Granted exactly when it is "granted", and a refusal
// grants nothing.
func checkResult(r *mobile.Result) string {
	switch {
	case r == nil:
		return "nil result"
	case !slices.Contains(outcomes, r.Outcome):
		return "undocumented outcome " + r.Outcome
	case r.Granted != (r.Outcome == mobile.OutcomeGranted):
		return "Granted disagrees with Outcome"
	case !r.Granted && (r.Actions != 0 || r.WindowEndMs != 0):
		return "a refusal with actions"
	}
	return ""
}

// TestPropertyOutcomes: for all typed text and all wall-clock times, and
// for all responses and monotonic readings, the result has a documented
// outcome and grants only with "granted"; random text is never granted.
func TestPropertyOutcomes(t *testing.T) {
	prov, _ := device(t)
	v, err := mobile.NewVerifier(prov, "")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	params := gopter.DefaultTestParametersWithSeed(22)
	params.MinSuccessfulTests = 500
	props := gopter.NewProperties(params)
	props.Property("codes", prop.ForAll(func(s string, now int64) string {
		r := v.Verify(s, now)
		if r.Granted {
			return "random text granted"
		}
		return checkResult(r)
	}, gen.OneGenOf(gen.AnyString(), gen.RegexMatch(`[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}`)), gen.Int64()))
	props.Property("responses", prop.ForAll(func(s string, now, mono int64) string {
		if _, err := v.NewChallenge(mono); err != nil {
			return err.Error()
		}
		r := v.VerifyResponse(s, now, mono)
		if r.Granted {
			return "random response granted"
		}
		return checkResult(r)
	}, gen.OneGenOf(gen.AnyString(), gen.RegexMatch(`[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`)), gen.Int64(), gen.Int64()))
	props.TestingRun(t)
}

// FuzzVerify feeds arbitrary text and times to Verify, seeded with every
// vector's codes: no panic, a documented outcome.
func FuzzVerify(f *testing.F) {
	cases, _, err := vectors.Load("../testdata/vectors.json")
	if err != nil {
		f.Fatal(err)
	}
	prov := cases[0].Provisioning
	for _, c := range cases {
		for _, s := range c.Steps {
			f.Add(s.Code, s.NowMs)
		}
	}
	f.Fuzz(func(t *testing.T, code string, now int64) {
		v, err := mobile.NewVerifier(prov, "")
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		if msg := checkResult(v.Verify(code, now)); msg != "" {
			t.Fatal(msg)
		}
		if msg := checkResult(v.VerifyResponse(code, now, now)); msg != "" {
			t.Fatal(msg)
		}
	})
}

// FuzzNewVerifier feeds arbitrary provisioning bytes: no panic, and a
// verifier only for a file servicepass parses.
func FuzzNewVerifier(f *testing.F) {
	cases, _, err := vectors.Load("../testdata/vectors.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cases[:4] {
		f.Add(c.Provisioning)
	}
	f.Add([]byte("mdmcred servicepass provisioning v1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := mobile.NewVerifier(data, "")
		if err == nil {
			v.Close()
		}
		if p, err := mobile.ParseProvisioning(data); err == nil {
			_ = p.Key(1)
			_, _, _, _ = p.DeviceID(), p.Mode(), p.Zone(), p.KeyIDs()
		}
	})
}
