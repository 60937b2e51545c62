package otptest

import (
	"errors"
	"slices"
	"time"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/otp"
)

func shrinkAlgorithm(a otp.Algorithm) []otp.Algorithm {
	var out []otp.Algorithm
	for b := minAlgorithm(); b < a; b++ {
		out = append(out, b)
	}
	return out
}

// shrinkParams moves each parameter toward the first algorithm the mode
// accepts (SHA1, or SHA256 in FIPS mode), MinDigits and 1 s.
func shrinkParams(p otp.Params) []otp.Params {
	var out []otp.Params
	for _, a := range shrinkAlgorithm(p.Algorithm) {
		c := p
		c.Algorithm = a
		out = append(out, c)
	}
	for _, d := range gentest.Toward(int64(p.Digits), otp.MinDigits) {
		c := p
		c.Digits = int(d)
		out = append(out, c)
	}
	for _, s := range gentest.Toward(int64(p.Period/time.Second), 1) {
		c := p
		c.Period = time.Duration(s) * time.Second
		out = append(out, c)
	}
	return out
}

// shrinkSecret moves a secret toward the shortest the mode accepts, in zero
// bytes: all zeros, shorter, one byte zeroed.
func shrinkSecret(b []byte) [][]byte {
	var out [][]byte
	zero := make([]byte, minSecretLen())
	if !slices.Equal(b, zero) {
		out = append(out, zero)
	}
	out = append(out, gentest.Shorter(b, minSecretLen())...)
	for i, c := range b {
		if c != 0 {
			z := slices.Clone(b)
			z[i] = 0
			out = append(out, z)
		}
	}
	return out
}

// shrinkKey shrinks a key's secret, then its parameters.
func shrinkKey(k *otp.Key) []*otp.Key {
	if k == nil {
		return nil
	}
	secret, err := otp.DecodeSecret(k.Secret().Reveal())
	if err != nil {
		return nil
	}
	p := k.Params()
	var out []*otp.Key
	add := func(s []byte, p otp.Params) {
		if c, err := otp.NewKey(s, p); err == nil {
			out = append(out, c)
		}
	}
	for _, s := range shrinkSecret(secret) {
		add(s, p)
	}
	for _, q := range shrinkParams(p) {
		add(secret, q)
	}
	return out
}

// shrinkName shortens a name and replaces its runes with 'a', keeping it
// a name GenName could make: 1 rune or more, no space at either end.
func shrinkName(s string) []string {
	r := []rune(s)
	var out []string
	add := func(c []rune) {
		if len(c) > 0 && c[0] != ' ' && c[len(c)-1] != ' ' {
			out = append(out, string(c))
		}
	}
	for _, c := range gentest.Shorter(r, 1) {
		add(c)
	}
	for i, c := range r {
		if c != 'a' {
			x := slices.Clone(r)
			x[i] = 'a'
			add(x)
		}
	}
	return out
}

// shrinkUser shortens a user name and replaces its bytes with 'a'.
func shrinkUser(s string) []string {
	var out []string
	for _, c := range gentest.Shorter([]byte(s), 1) {
		out = append(out, string(c))
	}
	for i := range len(s) {
		if s[i] != 'a' {
			out = append(out, s[:i]+"a"+s[i+1:])
		}
	}
	return out
}

// shrinkURI moves a URI toward TOTP with counter 0, no issuer, a short
// account and a simple key.
func shrinkURI(u otp.URI) []otp.URI {
	var out []otp.URI
	if u.Kind == otp.HOTPKind {
		c := u
		c.Kind, c.Counter = otp.TOTPKind, 0
		out = append(out, c)
		for _, n := range towardUint(u.Counter) {
			c := u
			c.Counter = n
			out = append(out, c)
		}
	}
	if u.Issuer != "" {
		c := u
		c.Issuer = ""
		out = append(out, c)
		for _, s := range shrinkName(u.Issuer) {
			c := u
			c.Issuer = s
			out = append(out, c)
		}
	}
	for _, s := range shrinkName(u.Account) {
		c := u
		c.Account = s
		out = append(out, c)
	}
	for _, k := range shrinkKey(u.Key) {
		c := u
		c.Key = k
		out = append(out, c)
	}
	return out
}

// towardUint lists values between 0 and v, 0 first.
func towardUint(v uint64) []uint64 {
	if v == 0 {
		return nil
	}
	out := []uint64{0}
	for h := v / 2; h != 0; h /= 2 {
		out = append(out, v-h)
	}
	return out
}

// shrinkTime moves an instant toward the Unix epoch, in whole seconds.
func shrinkTime(t time.Time) []time.Time {
	var out []time.Time
	for _, s := range gentest.Toward(t.Unix(), 0) {
		out = append(out, time.Unix(s, 0).UTC())
	}
	return out
}

// refusedFor reports whether NewKey refuses p for field in every mode: a
// refusal FIPS 140-3 mode alone makes (ErrFIPS, on the same fields) does
// not count.
func refusedFor(p otp.Params, field string) bool {
	_, err := otp.NewKey(make([]byte, otp.MinSecretLen), p)
	var pe *otp.ParamError
	return errors.As(err, &pe) && pe.Field == field && !errors.Is(err, otp.ErrFIPS)
}

func shrinkInvalidParams(v InvalidParams) []InvalidParams {
	p := v.Params
	var cands []otp.Params
	switch v.Field {
	case "Algorithm":
		for _, a := range gentest.Toward(int64(p.Algorithm), 0) {
			cands = append(cands, otp.Params{Algorithm: otp.Algorithm(a), Digits: p.Digits, Period: p.Period})
		}
	case "Digits":
		for _, d := range gentest.Toward(int64(p.Digits), 0) {
			cands = append(cands, otp.Params{Algorithm: p.Algorithm, Digits: int(d), Period: p.Period})
		}
	case "Period":
		for _, d := range gentest.Toward(int64(p.Period), 0) {
			cands = append(cands, otp.Params{Algorithm: p.Algorithm, Digits: p.Digits, Period: time.Duration(d)})
		}
	}
	var out []InvalidParams
	for _, c := range cands {
		if refusedFor(c, v.Field) {
			out = append(out, InvalidParams{c, v.Field})
		}
	}
	return out
}

func shrinkInvalidSecret(s InvalidSecret) []InvalidSecret {
	var out []InvalidSecret
	if len(s) < otp.MinSecretLen {
		for _, c := range gentest.Shorter(s, 0) {
			out = append(out, c)
		}
	} else {
		for _, c := range gentest.Shorter(s, otp.MaxSecretLen+1) {
			out = append(out, c)
		}
	}
	for i, c := range s {
		if c != 0 {
			z := slices.Clone(s)
			z[i] = 0
			out = append(out, z)
		}
	}
	return out
}
