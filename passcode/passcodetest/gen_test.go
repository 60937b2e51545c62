package passcodetest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/leanovate/gopter"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
)

func validPolicy(p passcode.Policy) bool {
	n, err := p.Normalize()
	return err == nil && n == p && p.MinLength <= 12 && p.MaxLength-p.MinLength <= 4
}

func validDevice(d passcode.Device) bool {
	return d.Platform <= passcode.AndroidEnterpriseWorkProfile+1 && d.APILevel >= 14 && d.APILevel <= 35 &&
		(d.Policy == passcode.Policy{} || validPolicy(d.Policy))
}

var fixed = passcode.Policy{Kind: passcode.Complex, MinLength: 6, MaxLength: 10}

// contracts pairs each exported generator with what its values promise.
var contracts = []gentest.Contract{
	{"GenPolicy", passcodetest.GenPolicy(), func(v any) bool {
		p := v.(passcode.Policy)
		_, err := passcode.NewGenerator(p)
		return validPolicy(p) && err == nil
	}},
	{"GenPasscode", passcodetest.GenPasscode(fixed), func(v any) bool { return passcode.Validate(fixed, v.(passcode.Passcode)) == nil }},
	{"GenPolicyPasscode", passcodetest.GenPolicyPasscode(), func(v any) bool {
		pp := v.(passcodetest.PolicyPasscode)
		return validPolicy(pp.Policy) && passcode.Validate(pp.Policy, pp.Passcode) == nil
	}},
	{"GenDevice", passcodetest.GenDevice(), func(v any) bool { return validDevice(v.(passcode.Device)) }},
	{"GenResetRequest", passcodetest.GenResetRequest(), func(v any) bool {
		r := v.(passcode.ResetRequest)
		return validDevice(r.Device) && r.Actor != "" &&
			(r.NotifyUser == (r.UserEmail != "")) && (!r.NotifyUser || r.UserEmail == r.Device.Owner+"@example.com")
	}},
	{"GenInvalidPolicy", passcodetest.GenInvalidPolicy(), func(v any) bool {
		ip := v.(passcodetest.InvalidPolicy)
		_, err := ip.Policy.Normalize()
		var pe *passcode.ParamError
		_, gerr := passcode.NewGenerator(ip.Policy)
		return errors.As(err, &pe) && pe.Field == ip.Field && errors.Is(gerr, passcode.ErrParams)
	}},
}

func TestGeneratorContracts(t *testing.T) { gentest.CheckContracts(t, contracts) }

// An always-false property shrinks each generator's values to its simplest.
func TestShrinkToSimplest(t *testing.T) {
	never := func(any) bool { return false }
	simplest := passcode.Policy{Kind: passcode.Numeric, MinLength: passcode.MinLength, MaxLength: passcode.MinLength}
	simpleDevice := passcode.Device{ID: "dev-a", Name: "Test device", APILevel: 14, Owner: "user-a"}
	for _, c := range []struct {
		name string
		gen  gopter.Gen
		want func(any) bool
	}{
		{"GenPolicy", passcodetest.GenPolicy(), func(v any) bool { return v == simplest }},
		{"GenPasscode", passcodetest.GenPasscode(fixed), func(v any) bool {
			pc := v.(passcode.Passcode)
			return pc.Len() == fixed.MinLength && passcode.Validate(fixed, pc) == nil
		}},
		{"GenPolicyPasscode", passcodetest.GenPolicyPasscode(), func(v any) bool {
			pp := v.(passcodetest.PolicyPasscode)
			return pp.Policy == simplest && pp.Passcode.Reveal() == "0000"
		}},
		{"GenDevice", passcodetest.GenDevice(), func(v any) bool { return v == simpleDevice }},
		{"GenResetRequest", passcodetest.GenResetRequest(), func(v any) bool {
			return v == passcode.ResetRequest{Device: simpleDevice, Actor: "admin-a"}
		}},
		{"GenInvalidPolicy", passcodetest.GenInvalidPolicy(), func(v any) bool {
			switch v {
			case passcodetest.InvalidPolicy{Policy: passcode.Policy{}, Field: "Kind"},
				passcodetest.InvalidPolicy{Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: -1}, Field: "MinLength"},
				passcodetest.InvalidPolicy{Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: 1}, Field: "MinLength"},
				passcodetest.InvalidPolicy{Policy: passcode.Policy{Kind: passcode.Numeric, MaxLength: passcode.MaxLength + 1}, Field: "MaxLength"},
				passcodetest.InvalidPolicy{Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: passcode.MinLength + 1, MaxLength: passcode.MinLength}, Field: "MaxLength"}:
				return true
			}
			return false
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
}

// Deliberately false properties: the reported counterexample is the
// smallest value that falsifies each.
func TestShrinkToMinimalCounterexample(t *testing.T) {
	for _, seed := range gentest.Seeds {
		if got := gentest.Counterexample(t, seed, passcodetest.GenPolicy(), func(p passcode.Policy) bool { return p.MaxLength < 10 }); got != (passcode.Policy{Kind: passcode.Numeric, MinLength: 6, MaxLength: 10}) {
			t.Errorf("seed %d: max length under 10: shrunk to %+v", seed, got)
		}
		if got := gentest.Counterexample(t, seed, passcodetest.GenPolicyPasscode(), func(pp passcodetest.PolicyPasscode) bool {
			return !strings.ContainsAny(pp.Passcode.Reveal(), "9")
		}).(passcodetest.PolicyPasscode); got.Policy.MinLength != passcode.MinLength || got.Passcode.Len() != passcode.MinLength ||
			strings.Count(got.Passcode.Reveal(), "9") != 1 {
			t.Errorf("seed %d: no 9 in a passcode: shrunk to %v %q", seed, got.Policy, got.Passcode.Reveal())
		}
		if got := gentest.Counterexample(t, seed, passcodetest.GenDevice(), func(d passcode.Device) bool {
			_, err := passcode.Check(d)
			return err == nil
		}).(passcode.Device); got.Platform != 0 || got.APILevel != 14 || got.Policy != (passcode.Policy{}) {
			t.Errorf("seed %d: every device supported: shrunk to %+v", seed, got)
		}
	}
}

func TestRunStoreMem(t *testing.T) {
	passcodetest.RunStore(t, func(*testing.T) passcode.Store { return passcode.NewMemStore() })
}
