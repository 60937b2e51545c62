package servicepass_test

import (
	"context"
	"errors"
	"testing"
	"time"
	"unicode"

	"github.com/mdmcred/mdmcred/servicepass"
)

// The tests in this file pin the decisions docs/servicepass-format.md §12
// states for places an implementation written from the spec had to guess.

// TestGapDeviceIDUnicode: §12 G17, G18. Lone surrogates (their UTF-8-like
// encodings are invalid UTF-8) are refused, a literal U+FFFD is not; the Cf
// rule is Unicode 15.0.0's (a Go release with newer tables fails here, and
// the spec must say so before it ships).
func TestGapDeviceIDUnicode(t *testing.T) {
	if unicode.Version != "15.0.0" {
		t.Errorf("unicode.Version = %s: docs/servicepass-format.md §12 pins the Cf rule to 15.0.0; restate it", unicode.Version)
	}
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"dev-\xed\xa0\x80", false},             // U+D800 as CESU/WTF-8
		{"dev-\xed\xbf\xbf", false},             // U+DFFF
		{"dev-\xed\xa0\xbd\xed\xb8\x80", false}, // a surrogate pair spelled out (CESU-8 for U+1F600)
		{"dev-\U0001F600", true},
		{"dev-\uFFFD", true},
		{"dev-\u00AD", false},     // soft hyphen, Cf
		{"dev-\U000E0001", false}, // language tag, Cf
		{"dev-\u061C", false},     // Arabic letter mark, Cf and Bidi_Control
		{"dev-\uFDD0", false},     // noncharacter
		{"dev-\U0010FFFF", false}, // noncharacter
		{"dev-\u00A0", true},      // no-break space is Zs, allowed
	} {
		err := servicepass.CheckDeviceID(tc.id)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, servicepass.ErrDeviceID)) {
			t.Errorf("CheckDeviceID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}

// TestGapWindowAndRefusals: §12 G1-G4. Refusals leave the window alone; the
// window has ended at exactly its end; an acknowledgement of a status with
// nothing to revert succeeds without a change while the duty is still
// that one.
func TestGapWindowAndRefusals(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "dev", servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	g, err := v.Verify(context.Background(), f.do(t, servicepass.DisableKiosk, t0.Add(3*time.Hour)), t0)
	if err != nil {
		t.Fatal(err)
	}
	end := g.WindowEnd
	// A refusal (replay) at and after the window's end does not end it.
	bad := f.do(t, servicepass.DisableKiosk, t0.Add(3*time.Hour))
	if _, err := v.Verify(context.Background(), bad, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), bad, end.Add(time.Hour)); !errors.Is(err, servicepass.ErrReplay) {
		t.Fatal(err)
	}
	st, err := v.Window(context.Background(), end.Add(-time.Nanosecond))
	if err != nil || !st.Active || st.Revert != 0 {
		t.Fatalf("a nanosecond before the end, after a refusal past it: %+v %v", st, err)
	}
	// Acknowledging a status with nothing to revert: nil, nothing changes.
	if err := v.ClearWindow(context.Background(), st); err != nil {
		t.Fatalf("acknowledging a status with nothing to revert: %v", err)
	}
	if again, _ := v.Window(context.Background(), end.Add(-time.Nanosecond)); again != st {
		t.Fatalf("the acknowledgement changed the window: %+v, was %+v", again, st)
	}
	st, err = v.Window(context.Background(), end)
	if err != nil || st.Active || st.Revert != servicepass.DisableKiosk {
		t.Fatalf("at exactly the end: %+v %v", st, err)
	}
}

// TestGapLockoutBoundaries: §12 G5, G6, G8. The back-off refuses while now
// is before its end and not at it; shape, typo, version and unknown key are
// reported during a back-off and never count; a grant resets the count so
// the free failures are free again.
func TestGapLockoutBoundaries(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "dev", servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	good := f.do(t, servicepass.Unlock, t0.Add(3*time.Hour))
	p, _ := servicepass.Decode(good)
	p.MAC = flipTag(p.MAC, 1)
	wrong := p.Canonical()
	for range servicepass.DefaultLockout.Free + 1 {
		if _, err := v.Verify(context.Background(), wrong, t0); !errors.Is(err, servicepass.ErrInvalid) {
			t.Fatal(err)
		}
	}
	for _, in := range []struct {
		code string
		want error
	}{{"short", servicepass.ErrMalformed}, {mistype(good), servicepass.ErrTypo}} {
		if _, err := v.Verify(context.Background(), in.code, t0); !errors.Is(err, in.want) {
			t.Errorf("during the back-off: %v, want %v", err, in.want)
		}
	}
	var le *servicepass.LockedOutError
	if _, err := v.Verify(context.Background(), good, t0.Add(time.Minute-time.Nanosecond)); !errors.As(err, &le) || le.RetryAfter != time.Nanosecond {
		t.Fatalf("a nanosecond before the end: %v", err)
	}
	if _, err := v.Verify(context.Background(), good, t0.Add(time.Minute)); err != nil {
		t.Fatalf("at exactly the end: %v", err)
	}
	for range servicepass.DefaultLockout.Free {
		if _, err := v.Verify(context.Background(), wrong, t0.Add(time.Minute)); !errors.Is(err, servicepass.ErrInvalid) {
			t.Fatalf("after a grant the free failures are free again: %v", err)
		}
	}
	if _, err := v.Verify(context.Background(), f.do(t, servicepass.Unlock, t0.Add(3*time.Hour)), t0.Add(time.Minute)); err != nil {
		t.Fatalf("after %d free failures: %v", servicepass.DefaultLockout.Free, err)
	}
}

// TestGapChallengeOrder: §12 G13-G16. A void challenge stays void past its
// lifetime; a response to a replaced challenge is invalid and counts; a
// mode refusal uses the challenge up; a locked-out response does not count
// toward the challenge's limit.
func TestGapChallengeOrder(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "d", servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	mono := &monoClock{t: time.Unix(1000, 0)}
	c, r := respondFor(t, f, v, "d", servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{Clock: mono.now})
	for range servicepass.ChallengeFailures {
		if _, err := v.VerifyResponse(context.Background(), forgeWrong(t, c.String()), t0); !errors.Is(err, servicepass.ErrInvalid) {
			t.Fatal(err)
		}
	}
	mono.t = mono.t.Add(time.Hour)
	if _, err := v.VerifyResponse(context.Background(), r.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrChallengeVoid) {
		t.Fatalf("void past its lifetime: %v", err)
	}
	// Replaced: the old response fails the MAC against the new challenge.
	_, old := respondFor(t, f, v, "d", servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{})
	_, cur := respondFor(t, f, v, "d", servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{})
	if _, err := v.VerifyResponse(context.Background(), old.Code.Reveal(), t0.Add(time.Hour)); !errors.Is(err, servicepass.ErrInvalid) {
		t.Fatalf("response to a replaced challenge: %v", err)
	}
	// (It was the fourth failure: a 1-minute back-off.)
	if _, err := v.VerifyResponse(context.Background(), cur.Code.Reveal(), t0.Add(time.Hour+time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A mode refusal uses the challenge up.
	c2, err := v.NewChallenge(servicepass.ChallengeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cope, _ := servicepass.ForgeResponse(mustDeviceKey(t, testMaster(1), "d"), "d", c2.String(), 1, 1, servicepass.Unlock, servicepass.COPE)
	if _, err := v.VerifyResponse(context.Background(), cope, t0.Add(2*time.Hour)); !errors.Is(err, servicepass.ErrMode) {
		t.Fatal(err)
	}
	if _, err := v.VerifyResponse(context.Background(), cope, t0.Add(2*time.Hour)); !errors.Is(err, servicepass.ErrNoChallenge) {
		t.Fatalf("after a mode refusal: %v", err)
	}
}

// damagingStore is a memory store whose next update finds its state damaged.
type damagingStore struct {
	servicepass.MemDeviceStore
	damage bool
}

func (d *damagingStore) Update(ctx context.Context, fn func([]byte) ([]byte, error)) error {
	return d.MemDeviceStore.Update(ctx, func(old []byte) ([]byte, error) {
		if d.damage {
			old, d.damage = []byte("damaged"), false
		}
		return fn(old)
	})
}

// TestGapDamageGraceBoundary: §12 G9. After a damage found at T, damaged_at
// follows the device time of an attempt that reaches the MAC check while
// that time is before T + DamageGrace, not at it.
func TestGapDamageGraceBoundary(t *testing.T) {
	f := newFixture(t)
	p, _ := servicepass.Decode(f.do(t, servicepass.Unlock, t0.Add(time.Hour)))
	p.MAC = flipTag(p.MAC, 1)
	wrong := p.Canonical()
	for _, tc := range []struct {
		after time.Duration
		moves bool
	}{{servicepass.DamageGrace - time.Nanosecond, true}, {servicepass.DamageGrace, false}} {
		store := &damagingStore{damage: true}
		v := f.verifier(t, "dev", servicepass.DeviceOwner, store)
		if _, err := v.Window(context.Background(), t0); !errors.Is(err, servicepass.ErrStateLost) {
			t.Fatal(err)
		}
		at := t0.Add(tc.after)
		if _, err := v.Verify(context.Background(), wrong, at); !errors.Is(err, servicepass.ErrInvalid) {
			t.Fatal(err)
		}
		var damagedAt time.Time
		_ = peek(store, func(s *servicepass.TestState) bool { damagedAt = s.DamagedAt; return false })
		if got := damagedAt.Equal(at); got != tc.moves {
			t.Errorf("attempt %s after the damage: damaged_at %s, want moved=%v", tc.after, damagedAt, tc.moves)
		}
	}
}
