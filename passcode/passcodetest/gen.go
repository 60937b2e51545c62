// Package passcodetest is the test kit for package passcode: [RunStore], the
// conformance suite every [passcode.Store] must pass, and gopter generators
// for policies, the passcodes they admit, and devices.
//
// Start with [GenPolicy] (the policies an admin console may send) and
// [GenPasscode] or [GenPolicyPasscode] (passcodes a policy admits) in a
// gopter property over your policy form and MDM command path; [GenDevice]
// and [GenResetRequest] drive Check and Service.Request, and
// [GenInvalidPolicy] what Normalize must refuse. A backend for the reset
// store calls [RunStore] from its own test.
//
// Every generator shrinks: a failing property is reported with a small
// counterexample (a numeric 4-character policy, a short passcode of the
// alphabet's first characters, a device with no flags) that still meets
// the generator's contract.
//
// Import it only from _test.go files: it pulls in testing and gopter.
package passcodetest

import (
	"reflect"

	"github.com/leanovate/gopter"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
)

// Kinds lists every valid passcode.Kind.
var Kinds = []passcode.Kind{passcode.Numeric, passcode.NumericComplex, passcode.Alphabetic,
	passcode.Alphanumeric, passcode.Complex, passcode.Readable}

// GenPolicy generates valid normalized policies: any Kind, MinLength 4 to 12
// and MaxLength up to 4 more. A policy shrinks toward Numeric, MinLength 4
// and a fixed length.
func GenPolicy() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		min := passcode.MinLength + gp.Rng.Intn(9)
		p := passcode.Policy{
			Kind:      Kinds[gp.Rng.Intn(len(Kinds))],
			MinLength: min,
			MaxLength: min + gp.Rng.Intn(5),
		}
		return gopter.NewGenResult(p, gentest.ShrinkerOf(shrinkPolicy))
	}
}

// GenPasscode generates passcodes that p admits, drawn with passcode.Generate
// from the gopter seed. An invalid p makes the generator fail. A passcode
// shrinks, staying valid under p, to a shorter one of the alphabet's first
// characters.
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
		return gopter.NewGenResult(pc, gentest.ShrinkerOf(func(pc passcode.Passcode) []passcode.Passcode {
			return shrinkPasscode(p, pc)
		}))
	}
}

// PolicyPasscode is a policy with one passcode it admits.
type PolicyPasscode struct {
	Policy   passcode.Policy
	Passcode passcode.Passcode
}

// GenPolicyPasscode generates a [GenPolicy] policy with a passcode it admits.
// It shrinks the policy while it still admits the passcode (cut to the new
// maximum length, characters outside the new alphabet replaced by its first
// one), then the passcode.
func GenPolicyPasscode() gopter.Gen {
	return GenPolicy().FlatMap(func(v any) gopter.Gen {
		p := v.(passcode.Policy)
		return GenPasscode(p).Map(func(pc passcode.Passcode) PolicyPasscode {
			return PolicyPasscode{Policy: p, Passcode: pc}
		})
	}, reflect.TypeOf(PolicyPasscode{})).WithShrinker(gentest.ShrinkerOf(shrinkPolicyPasscode))
}

// osVersions are the OS versions GenDevice draws from: none, unreadable,
// and either side of the Apple silicon lock minimum (macOS 11.5).
var osVersions = []string{"", "x", "10.15.7", "11.4", "11.5", "14.4.1", "17.4"}

// GenDevice generates devices on every platform (and an unknown one), with
// Android API levels 14 to 35, every combination of the token, passcode and
// company-owned and Apple silicon flags, an OS version around macOS 11.5
// (or none), and either no policy or a [GenPolicy] one. A device shrinks
// toward no policy, the unknown platform, API level 14, no OS version and
// every flag false.
func GenDevice() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		r := gp.Rng
		d := passcode.Device{
			ID:                  "dev-" + string(rune('a'+r.Intn(26))),
			Name:                "Test device",
			Platform:            passcode.Platform(r.Intn(int(passcode.AndroidEnterpriseWorkProfile) + 2)),
			APILevel:            14 + r.Intn(22),
			PasscodeSet:         r.Intn(2) == 0,
			ResetTokenActive:    r.Intn(2) == 0,
			UnlockTokenEscrowed: r.Intn(2) == 0,
			Owner:               "user-" + string(rune('a'+r.Intn(26))),
			CompanyOwned:        r.Intn(2) == 0,
		}
		if r.Intn(2) == 0 {
			d.Policy = GenPolicy()(gp).Result.(passcode.Policy)
		}
		// Drawn last, so that the fields above are what they were before
		// these two existed for the same seed.
		d.AppleSilicon = r.Intn(2) == 0
		d.OSVersion = osVersions[r.Intn(len(osVersions))]
		return gopter.NewGenResult(d, gentest.ShrinkerOf(shrinkDevice))
	}
}

// GenResetRequest generates admin reset requests for [GenDevice] devices,
// with or without a notice to the user. A request shrinks toward no notice
// and a simpler device.
func GenResetRequest() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		d := GenDevice()(gp).Result.(passcode.Device)
		req := passcode.ResetRequest{Device: d, Actor: "admin-" + string(rune('a'+gp.Rng.Intn(4)))}
		if gp.Rng.Intn(2) == 0 {
			req.NotifyUser, req.UserEmail = true, d.Owner+"@example.com"
			req.Language = []string{"en", "pl", "de", "fr", "es", "it"}[gp.Rng.Intn(6)]
		}
		return gopter.NewGenResult(req, gentest.ShrinkerOf(shrinkResetRequest))
	}
}

// InvalidPolicy is a policy Normalize (and so NewGenerator, Generate and
// Validate) refuses, with the field its *passcode.ParamError names.
type InvalidPolicy struct {
	Policy passcode.Policy
	Field  string
}

// GenInvalidPolicy generates policies that break one rule, labelled with
// the field Normalize names: an unknown kind ("Kind"), a MinLength below
// passcode.MinLength ("MinLength"), a MaxLength above passcode.MaxLength or
// below MinLength ("MaxLength"). A policy shrinks while Normalize refuses it
// for the same field.
func GenInvalidPolicy() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		r := gp.Rng
		var v InvalidPolicy
		switch r.Intn(4) {
		case 0:
			v = InvalidPolicy{passcode.Policy{Kind: []passcode.Kind{0, passcode.Readable + 1, 255}[r.Intn(3)], MinLength: 6}, "Kind"}
		case 1:
			v = InvalidPolicy{passcode.Policy{Kind: Kinds[r.Intn(len(Kinds))], MinLength: []int{-1, 1, passcode.MinLength - 1}[r.Intn(3)], MaxLength: 8}, "MinLength"}
		case 2:
			v = InvalidPolicy{passcode.Policy{Kind: Kinds[r.Intn(len(Kinds))], MinLength: 6, MaxLength: passcode.MaxLength + 1 + r.Intn(100)}, "MaxLength"}
		default:
			min := passcode.MinLength + 1 + r.Intn(20)
			v = InvalidPolicy{passcode.Policy{Kind: Kinds[r.Intn(len(Kinds))], MinLength: min, MaxLength: passcode.MinLength + r.Intn(min-passcode.MinLength)}, "MaxLength"}
		}
		return gopter.NewGenResult(v, gentest.ShrinkerOf(shrinkInvalidPolicy))
	}
}
