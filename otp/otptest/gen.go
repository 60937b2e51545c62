// Package otptest is the test kit for package otp: [RunStore] and
// [RunTOTPStore], the conformance suites every [otp.Store] and
// [otp.TOTPStore] must pass (with races, the failure cap, and the
// identifier rule over [BadIDs] and [GoodIDs]), and gopter generators for
// key parameters, keys, key URIs and user names.
//
// Start with [GenKey] (keys with any valid parameters) and [GenTime] in a
// gopter property over your code that stores or shows keys; [GenURI] and
// [GenUser] cover key URIs and portal users, [GenInvalidParams] and
// [GenInvalidSecret] what NewKey must refuse. A backend for the portal PIN
// store calls [RunStore] from its own test, one for the TOTP verifier's
// state [RunTOTPStore].
//
// Every generator shrinks: a failing property is reported with a small
// counterexample (SHA1, 6 digits, 1 s, a 10-byte zero secret, a one-letter
// name) that still meets the generator's contract.
//
// In FIPS 140-3 mode (crypto/fips140.Enabled), where otp refuses SHA1 and
// secrets under otp.FIPSMinSecretLen, the key generators draw only what the
// mode accepts: SHA256 and SHA512, secrets of FIPSMinSecretLen bytes or
// more; they shrink toward SHA256 and a FIPSMinSecretLen-byte zero secret.
//
// Import it only from _test.go files: it pulls in testing and gopter.
package otptest

import (
	"crypto/fips140"
	"math/rand"
	"reflect"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/otp"
)

// GenAlgorithm generates SHA1, SHA256 and SHA512 (SHA1 outside FIPS mode
// only). It shrinks toward SHA1 (SHA256 in FIPS mode).
func GenAlgorithm() gopter.Gen {
	if fips140.Enabled() {
		return gen.OneConstOf(otp.SHA256, otp.SHA512).WithShrinker(gentest.ShrinkerOf(shrinkAlgorithm))
	}
	return gen.OneConstOf(otp.SHA1, otp.SHA256, otp.SHA512).WithShrinker(gentest.ShrinkerOf(shrinkAlgorithm))
}

// minAlgorithm is the first algorithm the mode accepts.
func minAlgorithm() otp.Algorithm {
	if fips140.Enabled() {
		return otp.SHA256
	}
	return otp.SHA1
}

// minSecretLen is the shortest secret the mode accepts.
func minSecretLen() int {
	if fips140.Enabled() {
		return otp.FIPSMinSecretLen
	}
	return otp.MinSecretLen
}

// GenParams generates valid, fully specified parameters: any algorithm the
// mode accepts, 6 to 10 digits, a period of 1 s to 5 min. They shrink
// toward SHA1 (SHA256 in FIPS mode), 6 digits and 1 s.
func GenParams() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		lo := int(minAlgorithm())
		p := otp.Params{
			Algorithm: otp.Algorithm(lo + gp.Rng.Intn(3-lo)),
			Digits:    otp.MinDigits + gp.Rng.Intn(otp.MaxDigits-otp.MinDigits+1),
			Period:    time.Duration(1+gp.Rng.Intn(300)) * time.Second,
		}
		return gopter.NewGenResult(p, gentest.ShrinkerOf(shrinkParams))
	}
}

// GenSecret generates raw secrets of otp.MinSecretLen (FIPSMinSecretLen in
// FIPS mode) to 200 bytes, longer than a hash block sometimes, so that both
// HMAC key paths are covered. They shrink toward the shortest, zero bytes.
func GenSecret() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		lo := minSecretLen()
		b := make([]byte, lo+gp.Rng.Intn(200-lo+1))
		fill(gp.Rng, b)
		return gopter.NewGenResult(b, gentest.ShrinkerOf(shrinkSecret))
	}
}

// GenKey generates keys with [GenParams] parameters and [GenSecret]
// secrets. A key shrinks as its secret and its parameters do.
func GenKey() gopter.Gen {
	return gopter.CombineGens(GenSecret(), GenParams()).Map(func(v []any) *otp.Key {
		k, err := otp.NewKey(v[0].([]byte), v[1].(otp.Params))
		if err != nil {
			panic("otptest: generated key refused: " + err.Error())
		}
		return k
	}).WithShrinker(gentest.ShrinkerOf(shrinkKey))
}

// nameRunes mixes ASCII, spaces inside, punctuation that needs escaping in
// a URI, and non-ASCII letters.
var nameRunes = []rune("abcXYZ019 .-_@+&=?#%/é中")

// GenName generates issuer or account names that a key URI accepts: 1 to
// 24 runes, no ':' or control characters, no leading or trailing space.
// They shrink to shorter names of 'a's.
func GenName() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		n := 1 + gp.Rng.Intn(24)
		r := make([]rune, n)
		for i := range r {
			r[i] = nameRunes[gp.Rng.Intn(len(nameRunes))]
		}
		if r[0] == ' ' {
			r[0] = 'a'
		}
		if r[n-1] == ' ' {
			r[n-1] = 'z'
		}
		return gopter.NewGenResult(string(r), gentest.ShrinkerOf(shrinkName))
	}
}

// GenURI generates valid key URIs: either kind, an issuer (sometimes none),
// an account, a [GenKey] key and, for HOTP, any counter. A URI shrinks
// toward TOTP, no issuer, a short account and a simple key.
func GenURI() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		u := otp.URI{Kind: otp.TOTPKind}
		if gp.Rng.Intn(2) == 1 {
			u.Kind = otp.HOTPKind
			u.Counter = gp.Rng.Uint64()
		}
		if gp.Rng.Intn(4) != 0 {
			u.Issuer = GenName()(gp).Result.(string)
		}
		u.Account = GenName()(gp).Result.(string)
		k, ok := GenKey()(gp).Retrieve()
		if !ok {
			return gopter.NewEmptyResult(reflect.TypeOf(otp.URI{}))
		}
		u.Key = k.(*otp.Key)
		return gopter.NewGenResult(u, gentest.ShrinkerOf(shrinkURI))
	}
}

// GenUser generates portal user names: 1 to 40 bytes of letters, digits
// and e-mail punctuation. They shrink to shorter names of 'a's.
func GenUser() gopter.Gen {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789.@-_"
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		b := make([]byte, 1+gp.Rng.Intn(40))
		for i := range b {
			b[i] = chars[gp.Rng.Intn(len(chars))]
		}
		return gopter.NewGenResult(string(b), gentest.ShrinkerOf(shrinkUser))
	}
}

// GenTime generates instants from 1970 to about 2100, at whole seconds.
// They shrink toward the Unix epoch.
func GenTime() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		return gopter.NewGenResult(time.Unix(gp.Rng.Int63n(4102444800), 0).UTC(), gentest.ShrinkerOf(shrinkTime))
	}
}

func fill(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

// InvalidParams is a set of parameters NewKey refuses, with the field its
// *otp.ParamError names.
type InvalidParams struct {
	Params otp.Params
	Field  string
}

// GenInvalidParams generates parameters that break one bound, the others
// valid, labelled with the field NewKey's *otp.ParamError names: an unknown
// algorithm, digits just and far outside 6 to 10, a period that is
// negative, not whole seconds or over an hour. A value shrinks while NewKey
// still refuses it for the same field, toward the other fields' zero
// values and the broken one's simplest refused value.
func GenInvalidParams() gopter.Gen {
	withField := func(field string) func(otp.Params) InvalidParams {
		return func(p otp.Params) InvalidParams { return InvalidParams{p, field} }
	}
	return gen.OneGenOf(
		gen.IntRange(3, 255).Map(func(a int) otp.Params { return otp.Params{Algorithm: otp.Algorithm(a)} }).Map(withField("Algorithm")),
		gen.OneConstOf(-1, 1, otp.MinDigits-1, otp.MaxDigits+1, 100).
			Map(func(d int) otp.Params { return otp.Params{Digits: d} }).Map(withField("Digits")),
		gen.OneConstOf(-time.Second, 1500*time.Millisecond, time.Nanosecond, otp.MaxPeriod+time.Second, 24*time.Hour).
			Map(func(d time.Duration) otp.Params { return otp.Params{Period: d} }).Map(withField("Period")),
	).WithShrinker(gentest.ShrinkerOf(shrinkInvalidParams))
}

// InvalidSecret is a raw secret NewKey refuses with otp.ErrSecret.
type InvalidSecret []byte

// GenInvalidSecret generates raw secrets of the wrong length: 0 to
// MinSecretLen-1 bytes, or MaxSecretLen+1 to MaxSecretLen+64. A secret
// shrinks toward the empty one (too short) or MaxSecretLen+1 zero bytes
// (too long).
func GenInvalidSecret() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		n := gp.Rng.Intn(otp.MinSecretLen)
		if gp.Rng.Intn(2) == 1 {
			n = otp.MaxSecretLen + 1 + gp.Rng.Intn(64)
		}
		b := make([]byte, n)
		fill(gp.Rng, b)
		return gopter.NewGenResult(InvalidSecret(b), gentest.ShrinkerOf(shrinkInvalidSecret))
	}
}
