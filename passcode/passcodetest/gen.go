// Package passcodetest is the test kit for package passcode: [RunStore], the
// conformance suite every [passcode.Store] must pass, and gopter generators
// for policies, the passcodes they admit, and devices.
//
// Import it only from _test.go files: it pulls in testing and gopter.
package passcodetest

import (
	"reflect"

	"github.com/leanovate/gopter"

	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
)

// Kinds lists every valid passcode.Kind.
var Kinds = []passcode.Kind{passcode.Numeric, passcode.NumericComplex, passcode.Alphabetic,
	passcode.Alphanumeric, passcode.Complex, passcode.Readable}

// GenPolicy generates valid normalized policies: any Kind, MinLength 4 to 12
// and MaxLength up to 4 more.
func GenPolicy() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		min := passcode.MinLength + gp.Rng.Intn(9)
		p := passcode.Policy{
			Kind:      Kinds[gp.Rng.Intn(len(Kinds))],
			MinLength: min,
			MaxLength: min + gp.Rng.Intn(5),
		}
		return gopter.NewGenResult(p, gopter.NoShrinker)
	}
}

// GenPasscode generates passcodes that p admits, drawn with passcode.Generate
// from the gopter seed. An invalid p makes the generator fail.
func GenPasscode(p passcode.Policy) gopter.Gen {
	g, err := passcode.NewGenerator(p)
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		if err != nil {
			return gopter.NewEmptyResult(reflect.TypeOf(passcode.Passcode{}))
		}
		pc, gerr := g.Generate(mdmcredtest.Reader(gp.Rng))
		if gerr != nil {
			return gopter.NewEmptyResult(reflect.TypeOf(passcode.Passcode{}))
		}
		return gopter.NewGenResult(pc, gopter.NoShrinker)
	}
}

// PolicyPasscode is a policy with one passcode it admits.
type PolicyPasscode struct {
	Policy   passcode.Policy
	Passcode passcode.Passcode
}

// GenPolicyPasscode generates a [GenPolicy] policy with a passcode it admits.
func GenPolicyPasscode() gopter.Gen {
	return GenPolicy().FlatMap(func(v any) gopter.Gen {
		p := v.(passcode.Policy)
		return GenPasscode(p).Map(func(pc passcode.Passcode) PolicyPasscode {
			return PolicyPasscode{Policy: p, Passcode: pc}
		})
	}, reflect.TypeOf(PolicyPasscode{}))
}

// GenDevice generates devices on every platform (and an unknown one), with
// Android API levels 14 to 35, every combination of the token and passcode
// flags, and either no policy or a [GenPolicy] one.
func GenDevice() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		r := gp.Rng
		d := passcode.Device{
			ID:                  "dev-" + string(rune('a'+r.Intn(26))),
			Name:                "Test device",
			Platform:            passcode.Platform(r.Intn(int(passcode.Windows) + 2)),
			APILevel:            14 + r.Intn(22),
			PasscodeSet:         r.Intn(2) == 0,
			ResetTokenActive:    r.Intn(2) == 0,
			UnlockTokenEscrowed: r.Intn(2) == 0,
			Owner:               "user-" + string(rune('a'+r.Intn(26))),
		}
		if r.Intn(2) == 0 {
			d.Policy = GenPolicy()(gp).Result.(passcode.Policy)
		}
		return gopter.NewGenResult(d, gopter.NoShrinker)
	}
}

// GenResetRequest generates admin reset requests for [GenDevice] devices,
// with or without a notice to the user.
func GenResetRequest() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		d := GenDevice()(gp).Result.(passcode.Device)
		req := passcode.ResetRequest{Device: d, Actor: "admin-" + string(rune('a'+gp.Rng.Intn(4)))}
		if gp.Rng.Intn(2) == 0 {
			req.NotifyUser, req.UserEmail = true, d.Owner+"@example.com"
			req.Language = []string{"en", "pl", "de", "fr", "es", "it"}[gp.Rng.Intn(6)]
		}
		return gopter.NewGenResult(req, gopter.NoShrinker)
	}
}
