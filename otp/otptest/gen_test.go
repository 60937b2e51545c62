package otptest_test

import (
	"bytes"
	"crypto/fips140"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/otp/otptest"
)

// The smallest algorithm and secret the mode accepts: in FIPS 140-3 mode
// otp refuses SHA1 and secrets under FIPSMinSecretLen, and the generators
// draw only what the mode accepts.
var minAlg, minLen = func() (otp.Algorithm, int) {
	if fips140.Enabled() {
		return otp.SHA256, otp.FIPSMinSecretLen
	}
	return otp.SHA1, otp.MinSecretLen
}()

func validParams(p otp.Params) bool {
	_, err := otp.NewKey(make([]byte, minLen), p)
	return err == nil && p.Digits >= otp.MinDigits && p.Period >= time.Second && p.Period <= 5*time.Minute
}

func validName(s string) bool {
	return s != "" && !strings.ContainsAny(s, ":\x00\n") && s[0] != ' ' && s[len(s)-1] != ' '
}

func secretOf(k *otp.Key) []byte {
	b, err := otp.DecodeSecret(k.Secret().Reveal())
	if err != nil {
		return nil
	}
	return b
}

// contracts pairs each exported generator with what its values promise.
var contracts = []gentest.Contract{
	{"GenAlgorithm", otptest.GenAlgorithm(), func(v any) bool {
		return validParams(otp.Params{Algorithm: v.(otp.Algorithm), Digits: 6, Period: time.Second})
	}},
	{"GenParams", otptest.GenParams(), func(v any) bool { return validParams(v.(otp.Params)) }},
	{"GenSecret", otptest.GenSecret(), func(v any) bool {
		b := v.([]byte)
		_, err := otp.NewKey(b, otp.Params{Algorithm: minAlg})
		return err == nil && len(b) <= 200
	}},
	{"GenKey", otptest.GenKey(), func(v any) bool {
		k := v.(*otp.Key)
		return k != nil && validParams(k.Params()) && len(secretOf(k)) >= minLen
	}},
	{"GenName", otptest.GenName(), func(v any) bool { return validName(v.(string)) }},
	{"GenURI", otptest.GenURI(), func(v any) bool {
		u := v.(otp.URI)
		s, err := u.Build()
		if err != nil {
			return false
		}
		back, err := otp.ParseURI(s.Reveal())
		if err != nil || back.Account != u.Account || back.Issuer != u.Issuer || back.Kind != u.Kind || back.Counter != u.Counter {
			return false
		}
		// An HOTP key URI carries no period.
		return bytes.Equal(secretOf(back.Key), secretOf(u.Key)) && back.Key.Algorithm() == u.Key.Algorithm() &&
			back.Key.Digits() == u.Key.Digits() && (u.Kind == otp.HOTPKind || back.Key.Period() == u.Key.Period())
	}},
	{"GenUser", otptest.GenUser(), func(v any) bool { s := v.(string); return len(s) >= 1 && len(s) <= 40 }},
	{"GenTime", otptest.GenTime(), func(v any) bool {
		t := v.(time.Time)
		return t.Location() == time.UTC && t.Nanosecond() == 0 && t.Unix() >= 0 && t.Year() <= 2100
	}},
	{"GenInvalidParams", otptest.GenInvalidParams(), func(v any) bool {
		ip := v.(otptest.InvalidParams)
		_, err := otp.NewKey(make([]byte, otp.MinSecretLen), ip.Params)
		var pe *otp.ParamError
		return errors.As(err, &pe) && pe.Field == ip.Field && errors.Is(err, otp.ErrParams)
	}},
	{"GenInvalidSecret", otptest.GenInvalidSecret(), func(v any) bool {
		_, err := otp.NewKey(v.(otptest.InvalidSecret), otp.Params{})
		return errors.Is(err, otp.ErrSecret)
	}},
}

func TestGeneratorContracts(t *testing.T) { gentest.CheckContracts(t, contracts) }

// An always-false property shrinks each generator's values to its simplest.
func TestShrinkToSimplest(t *testing.T) {
	never := func(any) bool { return false }
	zero := make([]byte, minLen)
	simpleKey := func(v any) bool {
		k := v.(*otp.Key)
		return bytes.Equal(secretOf(k), zero) && k.Params() == otp.Params{Algorithm: minAlg, Digits: 6, Period: time.Second}
	}
	for _, c := range []struct {
		name string
		gen  gopter.Gen
		want func(any) bool
	}{
		{"GenAlgorithm", otptest.GenAlgorithm(), func(v any) bool { return v == minAlg }},
		{"GenParams", otptest.GenParams(), func(v any) bool { return v == otp.Params{Algorithm: minAlg, Digits: 6, Period: time.Second} }},
		{"GenSecret", otptest.GenSecret(), func(v any) bool { return bytes.Equal(v.([]byte), zero) }},
		{"GenKey", otptest.GenKey(), simpleKey},
		{"GenName", otptest.GenName(), func(v any) bool { return v == "a" }},
		{"GenUser", otptest.GenUser(), func(v any) bool { return v == "a" }},
		{"GenTime", otptest.GenTime(), func(v any) bool { return v.(time.Time).Unix() == 0 }},
		{"GenURI", otptest.GenURI(), func(v any) bool {
			u := v.(otp.URI)
			return u.Kind == otp.TOTPKind && u.Issuer == "" && u.Account == "a" && simpleKey(u.Key)
		}},
		{"GenInvalidParams", otptest.GenInvalidParams(), func(v any) bool {
			switch v {
			case otptest.InvalidParams{Params: otp.Params{Algorithm: 3}, Field: "Algorithm"},
				otptest.InvalidParams{Params: otp.Params{Digits: -1}, Field: "Digits"},
				otptest.InvalidParams{Params: otp.Params{Digits: 1}, Field: "Digits"},
				otptest.InvalidParams{Params: otp.Params{Digits: otp.MaxDigits + 1}, Field: "Digits"},
				otptest.InvalidParams{Params: otp.Params{Period: time.Nanosecond}, Field: "Period"},
				otptest.InvalidParams{Params: otp.Params{Period: -time.Nanosecond}, Field: "Period"}:
				return true
			}
			return false
		}},
		{"GenInvalidSecret", otptest.GenInvalidSecret(), func(v any) bool {
			s := v.(otptest.InvalidSecret)
			return len(s) == 0 || bytes.Equal(s, make([]byte, otp.MaxSecretLen+1))
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
		if got := gentest.Counterexample(t, seed, otptest.GenParams(), func(p otp.Params) bool { return p.Digits < 8 }); got != (otp.Params{Algorithm: minAlg, Digits: 8, Period: time.Second}) {
			t.Errorf("seed %d: fewer than 8 digits: shrunk to %+v", seed, got)
		}
		if got := gentest.Counterexample(t, seed, otptest.GenSecret(), func(b []byte) bool { return len(b) <= 64 }).([]byte); !bytes.Equal(got, make([]byte, 65)) {
			t.Errorf("seed %d: secrets of at most 64 bytes: shrunk to %x", seed, got)
		}
		if got := gentest.Counterexample(t, seed, otptest.GenName(), func(s string) bool { return !strings.Contains(s, "é") }); got != "é" {
			t.Errorf("seed %d: no é in names: shrunk to %q", seed, got)
		}
		if got := gentest.Counterexample(t, seed, otptest.GenURI(), func(u otp.URI) bool { return u.Kind == otp.TOTPKind }).(otp.URI); got.Kind != otp.HOTPKind || got.Counter != 0 || got.Account != "a" || got.Issuer != "" {
			t.Errorf("seed %d: no HOTP URI: shrunk to %+v", seed, got)
		}
		if got := gentest.Counterexample(t, seed, otptest.GenTime(), func(t time.Time) bool { return t.Year() < 2000 }).(time.Time); !got.Equal(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("seed %d: instants before 2000: shrunk to %v", seed, got)
		}
	}
}

func TestRunStoreMem(t *testing.T) {
	otptest.RunStore(t, func(*testing.T) otp.Store { return otp.NewMemStore() })
}
