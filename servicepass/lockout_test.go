package servicepass_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/servicepass"
)

// unauthInput is one input an attacker without the device key can type:
// a code or a response with a wrong MAC, or a mistyped code, at any device
// time.
type unauthInput struct {
	Kind int // 0: wrong code, 1: wrong response, 2: mistyped code
	At   time.Time
}

func (u unauthInput) String() string {
	return fmt.Sprintf("%s at %s", [...]string{"wrong code", "wrong response", "typo"}[u.Kind], u.At.Format(time.RFC3339))
}

// genDeviceTime generates device times near t0, decades and millennia
// away on both sides, and the edges of the RFC 3339 range.
func genDeviceTime() gopter.Gen {
	return gen.OneGenOf(
		gen.Int64Range(-48*3600, 48*3600).Map(func(s int64) time.Time { return t0.Add(time.Duration(s) * time.Second) }),
		gen.IntRange(-20000, 20000).Map(func(y int) time.Time { return t0.AddDate(y, 0, 0) }),
		gen.OneConstOf(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
			time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)),
	)
}

func genUnauthInputs() gopter.Gen {
	one := gopter.CombineGens(gen.IntRange(0, 2), genDeviceTime()).Map(func(v []any) unauthInput {
		return unauthInput{Kind: v[0].(int), At: v[1].(time.Time)}
	})
	return gen.SliceOfN(12, one).Map(func(s []unauthInput) []unauthInput { return s })
}

// wrongCode returns a well-formed code for deviceID under key 1 whose MAC
// is wrong: a genuine code with its last MAC bit flipped.
func wrongCode(t testing.TB, f *fixture, deviceID string) string {
	iss := f.issue(t, servicepass.Request{DeviceID: deviceID, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	p, err := servicepass.Decode(iss.Code.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	b := p.Bytes()
	b[14] ^= 1
	return encode(b)
}

// TestPropertyLockoutBounded: no unauthenticated input, typed at any device
// time, keeps a genuine code, an Emergency Database Reset code or a
// challenge response locked out for longer than the back-off cap (24 hours)
// of device time. For every sequence of wrong codes, wrong responses and
// typos at any device times, each of the three typed at the real time T is
// either granted or refused with a retry-after of at most the cap, and
// typed again at T plus that retry-after it is granted. (Defect: one wrong
// code typed while the clock read 2100 locked everything out until then.)
func TestPropertyLockoutBounded(t *testing.T) {
	f := newFixture(t)
	const dev = "lockout-dev"
	bad := wrongCode(t, f, dev)
	cap := servicepass.DefaultLockout.MaxBackoff
	props := gopter.NewProperties(params(22, 150))
	props.Property("retry after at most the cap, then granted", prop.ForAll(func(inputs []unauthInput) bool {
		for _, kind := range []string{"code", "emergency database reset", "response"} {
			v := f.verifier(t, dev, servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
			for _, in := range inputs {
				switch in.Kind {
				case 0:
					_, _ = v.Verify(context.Background(), bad, in.At)
				case 1:
					c, err := v.NewChallenge(servicepass.ChallengeOptions{})
					if err != nil {
						t.Fatal(err)
					}
					_, _ = v.VerifyResponse(context.Background(), forgeWrongFor(t, dev, c.String()), in.At)
				case 2:
					_, _ = v.Verify(context.Background(), mistype(bad), in.At)
				}
			}
			var attempt func(at time.Time) error
			switch kind {
			case "code", "emergency database reset":
				a := servicepass.Unlock
				if kind != "code" {
					a = servicepass.EmergencyDatabaseReset
				}
				iss := f.issue(t, servicepass.Request{DeviceID: dev, Mode: servicepass.DeviceOwner, Actions: a, ExpiresAt: t0.Add(7 * 24 * time.Hour)})
				attempt = func(at time.Time) error { _, err := v.Verify(context.Background(), iss.Code.Reveal(), at); return err }
			default:
				_, r := respondFor(t, f, v, dev, servicepass.DeviceOwner, servicepass.AllowFactoryReset, servicepass.ChallengeOptions{})
				attempt = func(at time.Time) error {
					_, err := v.VerifyResponse(context.Background(), r.Code.Reveal(), at)
					return err
				}
			}
			err := attempt(t0)
			if err == nil {
				continue
			}
			var le *servicepass.LockedOutError
			if !errors.As(err, &le) || le.RetryAfter <= 0 || le.RetryAfter > cap {
				t.Logf("%s at the real time: %v", kind, err)
				return false
			}
			if err := attempt(t0.Add(le.RetryAfter)); err != nil {
				t.Logf("%s %s later: %v", kind, le.RetryAfter, err)
				return false
			}
		}
		return true
	}, genUnauthInputs()))
	props.TestingRun(t)
}

// forgeWrongFor is forgeWrong for a device ID: a well-formed response to c
// made under another device's key.
func forgeWrongFor(t testing.TB, deviceID, c string) string {
	text, _ := servicepass.ForgeResponse(mustDeviceKey(t, testMaster(77), deviceID), deviceID, c, 1, 1, servicepass.Unlock, servicepass.DeviceOwner)
	return text
}

// TestLockoutFarFuture is the reported case: three wrong codes, a fourth
// typed while the clock reads 2100; at the real time the genuine code, an
// Emergency Database Reset code and a response each wait at most the cap.
func TestLockoutFarFuture(t *testing.T) {
	f := newFixture(t)
	const dev = "far-future"
	bad := wrongCode(t, f, dev)
	v := f.verifier(t, dev, servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	for range 3 {
		if _, err := v.Verify(context.Background(), bad, t0); !errors.Is(err, servicepass.ErrInvalid) {
			t.Fatal(err)
		}
	}
	if _, err := v.Verify(context.Background(), bad, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)); !errors.Is(err, servicepass.ErrInvalid) {
		t.Fatal(err)
	}
	iss := f.issue(t, servicepass.Request{DeviceID: dev, Mode: servicepass.DeviceOwner, Actions: servicepass.EmergencyDatabaseReset})
	_, err := v.Verify(context.Background(), iss.Code.Reveal(), t0.Add(time.Minute))
	var le *servicepass.LockedOutError
	if err != nil && (!errors.As(err, &le) || le.RetryAfter > servicepass.DefaultLockout.MaxBackoff) {
		t.Fatalf("Emergency Database Reset at the real time: %v", err)
	}
	if err != nil {
		if _, err := v.Verify(context.Background(), iss.Code.Reveal(), t0.Add(time.Minute+le.RetryAfter)); err != nil {
			t.Fatalf("after the retry-after: %v", err)
		}
	}
}

func TestLockoutReanchorPersists(t *testing.T) {
	// A back-off found ahead of the clock by more than its length is
	// re-anchored at the clock with its full length, so that turning the
	// clock back does not escape it either.
	f := newFixture(t)
	const dev = "reanchor"
	bad := wrongCode(t, f, dev)
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: dev, Mode: servicepass.DeviceOwner, HasMode: true, Keys: must(f.is.DeviceKeys(dev)), Location: time.UTC}, nil, &servicepass.VerifierOptions{Lockout: servicepass.Lockout{Free: 0, Backoff: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), bad, t0.AddDate(50, 0, 0)); !errors.Is(err, servicepass.ErrInvalid) {
		t.Fatal(err)
	}
	iss := f.issue(t, servicepass.Request{DeviceID: dev, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	var le *servicepass.LockedOutError
	if _, err := v.Verify(context.Background(), iss.Code.Reveal(), t0); !errors.As(err, &le) || le.RetryAfter != time.Hour {
		t.Fatalf("at the real time: %v, want a retry after 1h", err)
	}
	if _, err := v.Verify(context.Background(), iss.Code.Reveal(), t0.Add(59*time.Minute)); !errors.As(err, &le) || le.RetryAfter != time.Minute {
		t.Fatalf("59 minutes on: %v, want a retry after 1m", err)
	}
	if _, err := v.Verify(context.Background(), iss.Code.Reveal(), t0.Add(time.Hour)); err != nil {
		t.Fatalf("an hour on: %v", err)
	}
}
