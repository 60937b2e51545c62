package servicepass_test

import (
	"context"
	"errors"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/internal/crockford"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
)

func params(seed int64, n int) *gopter.TestParameters {
	p := gopter.DefaultTestParametersWithSeed(seed)
	p.MinSuccessfulTests = n
	return p
}

// TestPropertyRoundTrip: every valid request issues a code that verifies on
// its device, once, with what was asked for.
func TestPropertyRoundTrip(t *testing.T) {
	f := newFixture(t)
	props := gopter.NewProperties(params(3, 200))
	props.Property("issue then verify", prop.ForAll(func(r servicepass.Request) bool {
		iss, err := f.is.Issue(context.Background(), r)
		if err != nil {
			t.Logf("Issue: %v", err)
			return false
		}
		v := f.verifier(t, r.DeviceID, r.Mode, nil)
		g, err := v.Verify(context.Background(), iss.Display.Reveal(), t0)
		if err != nil {
			t.Logf("Verify: %v", err)
			return false
		}
		_, again := v.Verify(context.Background(), iss.Code.Reveal(), t0)
		return g.Actions == r.Actions && g.Mode == r.Mode && g.Serial == iss.Serial && g.Expiry.Equal(iss.ExpiresAt) &&
			g.DayValid == iss.DayValid && g.Scope == servicepass.ScopeOf(r.Mode, r.Actions) && errors.Is(again, servicepass.ErrReplay)
	}, servicepasstest.GenAnyRequest(t0, warsaw)))
	props.TestingRun(t)
}

// TestPropertyTypos: every single-symbol substitution and every adjacent
// transposition of a valid code is reported as a typo.
func TestPropertyTypos(t *testing.T) {
	f := newFixture(t)
	props := gopter.NewProperties(params(4, 25))
	props.Property("substitutions and transpositions are typos", prop.ForAll(func(r servicepass.Request) bool {
		iss, err := f.is.Issue(context.Background(), r)
		if err != nil {
			return false
		}
		v := f.verifier(t, r.DeviceID, r.Mode, nil)
		code := iss.Code.Reveal()
		b := []byte(code)
		for i := range b {
			for j := 0; j < len(crockford.CheckAlphabet); j++ {
				c := crockford.CheckAlphabet[j]
				if c == code[i] {
					continue
				}
				b[i] = c
				if _, err := v.Verify(context.Background(), string(b), t0); !errors.Is(err, servicepass.ErrTypo) {
					t.Logf("substitution %q at %d: %v", c, i, err)
					return false
				}
			}
			b[i] = code[i]
		}
		for i := 0; i+1 < len(b); i++ {
			if b[i] == b[i+1] {
				continue
			}
			b[i], b[i+1] = b[i+1], b[i]
			if _, err := v.Verify(context.Background(), string(b), t0); !errors.Is(err, servicepass.ErrTypo) {
				t.Logf("transposition at %d: %v", i, err)
				return false
			}
			b[i], b[i+1] = b[i+1], b[i]
		}
		_, err = v.Verify(context.Background(), code, t0) // typos did not count, the code is unused
		return err == nil
	}, servicepasstest.GenAnyRequest(t0, warsaw)))
	props.TestingRun(t)
}

// TestPropertyPayloadChangeFailsMAC: any change to the decoded fields or
// the tag, re-encoded with a correct check symbol, fails verification: the
// MAC (or, if the key ID changed, the keyring lookup) refuses it.
func TestPropertyPayloadChangeFailsMAC(t *testing.T) {
	f := newFixture(t)
	props := gopter.NewProperties(params(5, 300))
	props.Property("changed payloads fail", prop.ForAll(func(r servicepass.Request, mask []byte) bool {
		iss, err := f.is.Issue(context.Background(), r)
		if err != nil {
			return false
		}
		p, err := servicepass.Decode(iss.Code.Reveal())
		if err != nil {
			return false
		}
		b := p.Bytes()
		changed := false
		for i := range b {
			m := mask[i]
			if i == 0 {
				m &= 0x0F // keep the version
			}
			b[i] ^= m
			changed = changed || m != 0
		}
		if !changed {
			b[14] ^= 1
		}
		q, err := servicepass.Decode(encode(b))
		if err != nil {
			t.Logf("Decode: %v", err)
			return false
		}
		v := f.verifier(t, r.DeviceID, r.Mode, nil)
		_, err = v.Verify(context.Background(), q.Canonical(), t0)
		if q.KeyID != p.KeyID {
			return errors.Is(err, servicepass.ErrUnknownKey)
		}
		if !errors.Is(err, servicepass.ErrInvalid) {
			t.Logf("Verify(changed) = %v", err)
			return false
		}
		return true
	}, servicepasstest.GenAnyRequest(t0, warsaw), gen.SliceOfN(15, gen.UInt8())))
	props.TestingRun(t)
}

// encode makes the canonical text of 15 payload bytes.
func encode(b []byte) string {
	data := crockford.Encode(b, servicepass.PayloadBits)
	c, _ := crockford.Check(data)
	return data + string(c)
}

// TestPropertyOtherDevice: a code for device A never verifies on device B.
func TestPropertyOtherDevice(t *testing.T) {
	f := newFixture(t)
	props := gopter.NewProperties(params(6, 200))
	props.Property("device A's code fails on device B", prop.ForAll(func(r servicepass.Request, other string) bool {
		if other == r.DeviceID {
			return true
		}
		iss, err := f.is.Issue(context.Background(), r)
		if err != nil {
			return false
		}
		_, err = f.verifier(t, other, r.Mode, nil).Verify(context.Background(), iss.Code.Reveal(), t0)
		return errors.Is(err, servicepass.ErrInvalid)
	}, servicepasstest.GenAnyRequest(t0, warsaw), servicepasstest.GenDeviceID()))
	props.TestingRun(t)
}

// TestPropertyDecodeRoundTrip: Canonical and Decode are inverse for every
// payload (whatever the MAC).
func TestPropertyDecodeRoundTrip(t *testing.T) {
	props := gopter.NewProperties(params(7, 500))
	props.Property("Decode(Canonical(p)) == p", prop.ForAll(func(b []byte) bool {
		b[0] = b[0]&0x0F | servicepass.Version<<4
		p, err := servicepass.Decode(encode(b))
		if err != nil {
			return false
		}
		q, err := servicepass.Decode(servicepass.Display(p.Canonical()))
		return err == nil && string(q.Bytes()) == string(p.Bytes()) && q.MAC.Reveal() == p.MAC.Reveal() && string(q.Bytes()) == string(b)
	}, gen.SliceOfN(15, gen.UInt8())))
	props.TestingRun(t)
}
