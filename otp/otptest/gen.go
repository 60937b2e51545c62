// Package otptest is the test kit for package otp: [RunStore], the
// conformance suite every [otp.Store] must pass, and gopter generators for
// key parameters, keys, key URIs and user names.
//
// Import it only from _test.go files: it pulls in testing and gopter.
package otptest

import (
	"math/rand"
	"reflect"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/otp"
)

// GenAlgorithm generates SHA1, SHA256 and SHA512.
func GenAlgorithm() gopter.Gen {
	return gen.OneConstOf(otp.SHA1, otp.SHA256, otp.SHA512)
}

// GenParams generates valid, fully specified parameters: any algorithm,
// 6 to 10 digits, a period of 1 s to 5 min.
func GenParams() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		p := otp.Params{
			Algorithm: otp.Algorithm(gp.Rng.Intn(3)),
			Digits:    otp.MinDigits + gp.Rng.Intn(otp.MaxDigits-otp.MinDigits+1),
			Period:    time.Duration(1+gp.Rng.Intn(300)) * time.Second,
		}
		return gopter.NewGenResult(p, gopter.NoShrinker)
	}
}

// GenSecret generates raw secrets of otp.MinSecretLen to 200 bytes, longer
// than a hash block sometimes, so that both HMAC key paths are covered.
func GenSecret() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		b := make([]byte, otp.MinSecretLen+gp.Rng.Intn(200-otp.MinSecretLen+1))
		fill(gp.Rng, b)
		return gopter.NewGenResult(b, gopter.NoShrinker)
	}
}

// GenKey generates keys with [GenParams] parameters and [GenSecret]
// secrets.
func GenKey() gopter.Gen {
	return gopter.CombineGens(GenSecret(), GenParams()).Map(func(v []any) *otp.Key {
		k, err := otp.NewKey(v[0].([]byte), v[1].(otp.Params))
		if err != nil {
			panic("otptest: generated key refused: " + err.Error())
		}
		return k
	})
}

// nameRunes mixes ASCII, spaces inside, punctuation that needs escaping in
// a URI, and non-ASCII letters.
var nameRunes = []rune("abcXYZ019 .-_@+&=?#%/é中")

// GenName generates issuer or account names that a key URI accepts: 1 to
// 24 runes, no ':' or control characters, no leading or trailing space.
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
		return gopter.NewGenResult(string(r), gopter.NoShrinker)
	}
}

// GenURI generates valid key URIs: either kind, an issuer (sometimes none),
// an account, a [GenKey] key and, for HOTP, any counter.
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
		return gopter.NewGenResult(u, gopter.NoShrinker)
	}
}

// GenUser generates portal user names: 1 to 40 bytes of letters, digits
// and e-mail punctuation.
func GenUser() gopter.Gen {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789.@-_"
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		b := make([]byte, 1+gp.Rng.Intn(40))
		for i := range b {
			b[i] = chars[gp.Rng.Intn(len(chars))]
		}
		return gopter.NewGenResult(string(b), gopter.NoShrinker)
	}
}

// GenTime generates instants from 1970 to about 2100, at whole seconds.
func GenTime() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		return gopter.NewGenResult(time.Unix(gp.Rng.Int63n(4102444800), 0).UTC(), gopter.NoShrinker)
	}
}

func fill(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}
