package otp_test

import (
	"context"
	"errors"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/otp/otptest"
)

func properties(t *testing.T) *gopter.Properties {
	p := gopter.DefaultTestParameters()
	p.MinSuccessfulTests = 300
	p.Rng = rand.New(rand.NewSource(time.Now().UnixNano()))
	return gopter.NewProperties(p)
}

// accepted reports whether a successful validation is sound: the matched
// step lies in [lo, hi] and its code is the one presented. Codes of 6
// digits collide between steps with probability about 10^-6 each, so the
// properties state soundness rather than "matched exactly step s".
func accepted(k *otp.Key, code string, step, lo, hi uint64) bool {
	return step >= lo && step <= hi && otp.HOTP(k, step).Reveal() == code
}

func TestProperties(t *testing.T) {
	ps := properties(t)
	skew := gen.IntRange(0, 3)

	ps.Property("a code from any step within the skew is accepted", prop.ForAll(
		func(k *otp.Key, now time.Time, past, future, pick int) bool {
			off := pick%(past+future+1) - past
			cur := int64(k.Step(now))
			if cur+int64(off) < 0 {
				return true
			}
			at := now.Add(time.Duration(off) * k.Period())
			code := otp.TOTP(k, at).Reveal()
			step, err := otp.ValidateTOTP(k, code, now, otp.ValidateOpts{Past: past, Future: future})
			return err == nil && step >= uint64(cur+int64(off)) && accepted(k, code, step, uint64(max(0, cur-int64(past))), uint64(cur+int64(future)))
		},
		otptest.GenKey(), otptest.GenTime(), skew, skew, gen.IntRange(0, 1000)))

	ps.Property("a code from outside the skew is refused, or matches a step inside it", prop.ForAll(
		func(k *otp.Key, now time.Time, past, future, beyond int, ahead bool) bool {
			off := -(past + 1 + beyond)
			if ahead {
				off = future + 1 + beyond
			}
			code := otp.TOTP(k, now.Add(time.Duration(off)*k.Period())).Reveal()
			cur := k.Step(now)
			step, err := otp.ValidateTOTP(k, code, now, otp.ValidateOpts{Past: past, Future: future})
			if err != nil {
				return errors.Is(err, otp.ErrInvalid)
			}
			return accepted(k, code, step, cur-min(cur, uint64(past)), cur+uint64(future))
		},
		otptest.GenKey(), otptest.GenTime().SuchThat(func(t time.Time) bool { return t.Unix() > 1e6 }), skew, skew, gen.IntRange(0, 50), gen.Bool()))

	ps.Property("a code is accepted once: replaying it with MinStep = matched+1 is refused", prop.ForAll(
		func(k *otp.Key, now time.Time, past int) bool {
			code := otp.TOTP(k, now).Reveal()
			opts := otp.ValidateOpts{Past: past, Future: 1}
			step, err := otp.ValidateTOTP(k, code, now, opts)
			if err != nil {
				return false
			}
			opts.MinStep = step + 1
			again, err := otp.ValidateTOTP(k, code, now, opts)
			if err != nil {
				return errors.Is(err, otp.ErrReplay)
			}
			return again > step && otp.HOTP(k, again).Reveal() == code
		},
		otptest.GenKey(), otptest.GenTime(), skew))

	ps.Property("TOTP, AppendTOTP and HOTP at the step agree, fixed width", prop.ForAll(
		func(k *otp.Key, now time.Time) bool {
			c := otp.TOTP(k, now).Reveal()
			return len(c) == k.Digits() && string(otp.AppendTOTP(nil, k, now)) == c &&
				otp.HOTP(k, k.Step(now)).Reveal() == c && strings.Trim(c, "0123456789") == ""
		},
		otptest.GenKey(), otptest.GenTime()))

	ps.Property("ValidateHOTP accepts a counter in the look-ahead and returns one with that code", prop.ForAll(
		func(k *otp.Key, next uint64, ahead, window int) bool {
			ahead %= window + 1
			code := otp.HOTP(k, next+uint64(ahead)).Reveal()
			got, err := otp.ValidateHOTP(k, code, next, window)
			return err == nil && got >= next && got <= next+uint64(ahead) && otp.HOTP(k, got).Reveal() == code
		},
		otptest.GenKey(), gen.UInt64Range(0, 1<<62), gen.IntRange(0, 20), gen.IntRange(0, 20)))

	ps.Property("Base32 secrets survive encode/decode, in any case and grouping", prop.ForAll(
		func(b []byte, lower bool, group int) bool {
			s := otp.EncodeSecret(b).Reveal()
			if lower {
				s = strings.ToLower(s)
			}
			var sb strings.Builder
			for i, r := range s {
				if i > 0 && i%group == 0 {
					sb.WriteByte(' ')
				}
				sb.WriteRune(r)
			}
			got, err := otp.DecodeSecret(sb.String())
			return err == nil && string(got) == string(b)
		},
		otptest.GenSecret(), gen.Bool(), gen.IntRange(1, 8)))

	ps.Property("key URIs survive build/parse", prop.ForAll(
		func(u otp.URI) bool {
			s, err := u.Build()
			if err != nil {
				return false
			}
			v, err := otp.ParseURI(s.Reveal())
			return err == nil && v.Kind == u.Kind && v.Issuer == u.Issuer && v.Account == u.Account &&
				sameKey(u.Kind, v.Key, u.Key) && (u.Kind == otp.TOTPKind || v.Counter == u.Counter)
		},
		otptest.GenURI()))

	ps.Property("a PIN verifies once for its user and never for another", prop.ForAll(
		func(user, other string, seed int64) bool {
			ctx := context.Background()
			svc, err := otp.NewPINService(otp.PINConfig{Store: otp.NewMemStore(), Peppers: otp.NewKeys(map[uint8][]byte{1: pepper1}), PepperID: 1,
				Rand: mdmcredtest.Reader(rand.New(rand.NewSource(seed)))})
			if err != nil {
				return false
			}
			pin, _, err := svc.Issue(ctx, user)
			if err != nil {
				return false
			}
			if user != other && !errors.Is(svc.Verify(ctx, other, pin.Reveal()), otp.ErrPINNotFound) {
				return false
			}
			return svc.Verify(ctx, user, pin.Reveal()) == nil &&
				errors.Is(svc.Verify(ctx, user, pin.Reveal()), otp.ErrPINNotFound)
		},
		otptest.GenUser(), otptest.GenUser(), gen.Int64()))

	ps.TestingRun(t)
}

// sameKey compares keys as a key URI of kind carries them: an HOTP URI has
// no period.
func sameKey(kind otp.Kind, a, b *otp.Key) bool {
	if kind == otp.TOTPKind {
		return a.Equal(b)
	}
	return a.Algorithm() == b.Algorithm() && a.Digits() == b.Digits() && a.Secret().Equal(b.Secret().Reveal())
}
