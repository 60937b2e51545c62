package servicepass_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/internal/crockford"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
)

// monoClock is a fake monotonic clock for challenge lifetimes.
type monoClock struct{ t time.Time }

func (c *monoClock) now() time.Time { return c.t }

// respondFor makes the response to v's new challenge.
func respondFor(t testing.TB, f *fixture, v *servicepass.Verifier, deviceID string, m servicepass.Mode, a servicepass.Actions, opts servicepass.ChallengeOptions) (servicepass.Challenge, servicepass.Response) {
	t.Helper()
	c, err := v.NewChallenge(opts)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.is.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: deviceID, Challenge: c.String(), Mode: m, Actions: a, Admin: "a"})
	if err != nil {
		t.Fatal(err)
	}
	return c, r
}

// TestChallengeRoundTrip: for every valid request in both modes, the
// response to a device's challenge verifies on that device once, at any
// wall-clock time, never degraded, and grants exactly what was asked.
func TestChallengeRoundTrip(t *testing.T) {
	f := newFixture(t, testMaster(1), testMaster(2))
	p := gopter.NewProperties(params(11, 300))
	for _, m := range []servicepass.Mode{servicepass.DeviceOwner, servicepass.COPE} {
		v := f.verifier(t, "rt-"+m.String(), m, servicepass.NewMemDeviceStore())
		p.Property("respond, then verify once in "+m.String(), prop.ForAll(
			func(a servicepass.Actions, held uint8, wall int64) bool {
				c, err := v.NewChallenge(servicepass.ChallengeOptions{})
				if err != nil {
					return false
				}
				ids := [][]uint8{nil, {1}, {2}, {1, 2}}[held%4]
				r, err := f.is.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: "rt-" + m.String(), Challenge: strings.ToLower(c.Canonical()), Mode: m, Actions: a, KeyIDs: servicepass.KeyIDsOf(ids...), Admin: "a"})
				if err != nil || r.Code.Len() != servicepass.ResponseLen || r.Challenge != c.String() {
					t.Logf("Respond: %v", err)
					return false
				}
				now := time.Unix(wall, 0)
				g, err := v.VerifyResponse(context.Background(), r.Display.Reveal(), now)
				if err != nil {
					t.Logf("VerifyResponse(%s) at %s: %v", r.Display.Reveal(), now, err)
					return false
				}
				wantKey := uint8(2)
				if len(ids) == 1 {
					wantKey = ids[0]
				}
				if g.Actions != a || g.Mode != m || g.Scope != servicepass.ScopeOf(m, a) || g.Degraded || g.KeyID != wantKey || r.KeyID != wantKey || !g.WindowEnd.Equal(now.Add(servicepass.DefaultWindow)) && g.WindowEnd.Before(now) {
					t.Logf("grant %+v", g)
					return false
				}
				_, again := v.VerifyResponse(context.Background(), r.Code.Reveal(), now)
				return errors.Is(again, servicepass.ErrNoChallenge)
			},
			servicepasstest.GenValidActions(m), gen.UInt8(),
			gen.OneGenOf(gen.Const(int64(0)), gen.Int64Range(-1<<40, 1<<40), gen.Const(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix())),
		))
	}
	p.TestingRun(t)
}

// TestChallengeText: the challenge's text form, its check symbol, and
// every single-symbol substitution and adjacent transposition of a
// challenge reported as a typo.
func TestChallengeText(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "d", servicepass.DeviceOwner, nil)
	for i := 0; i < 50; i++ {
		c, err := v.NewChallenge(servicepass.ChallengeOptions{Rand: &detRand{seed: fmt.Sprint("c", i)}})
		if err != nil {
			t.Fatal(err)
		}
		s := c.Canonical()
		if len(s) != servicepass.ChallengeLen || len(c.String()) != servicepass.ChallengeLen+1 || c.String()[5] != '-' {
			t.Fatalf("text %q %q", s, c)
		}
		if want, _ := crockford.Check(s[:9]); want != s[9] {
			t.Fatalf("%s: check symbol %c, want %c", s, s[9], want)
		}
		for _, typed := range []string{s, c.String(), strings.ToLower(s), " " + s[:3] + " " + s[3:] + " "} {
			if back, err := servicepass.ParseChallenge(typed); err != nil || back != c {
				t.Fatalf("ParseChallenge(%q) = %v, %v", typed, back, err)
			}
		}
		for _, typo := range typos(s) {
			if _, err := servicepass.ParseChallenge(typo); !errors.Is(err, servicepass.ErrChallengeTypo) {
				t.Fatalf("ParseChallenge(%q) = %v, want ErrChallengeTypo (from %s)", typo, err, s)
			}
		}
	}
	for _, bad := range []string{"", "K7Q2M-9XJ4", "K7Q2M-9XJ4GT", "K7Q2M-9XJ4!", strings.Repeat("0", 100)} {
		if _, err := servicepass.ParseChallenge(bad); !errors.Is(err, servicepass.ErrChallengeMalformed) {
			t.Errorf("ParseChallenge(%q) = %v, want ErrChallengeMalformed", bad, err)
		}
	}
}

// typos returns every single-symbol substitution (by any of the 37 check
// symbols) and every transposition of two different adjacent symbols of s.
func typos(s string) []string {
	var out []string
	for i := range s {
		for j := 0; j < len(crockford.CheckAlphabet); j++ {
			if crockford.CheckAlphabet[j] != s[i] {
				out = append(out, s[:i]+string(crockford.CheckAlphabet[j])+s[i+1:])
			}
		}
		if i+1 < len(s) && s[i] != s[i+1] {
			out = append(out, s[:i]+string(s[i+1])+string(s[i])+s[i+2:])
		}
	}
	return out
}

// TestResponseTypos: every single-symbol substitution and adjacent
// transposition of a response is reported as a typo and does not count
// toward the lockout or void the challenge.
func TestResponseTypos(t *testing.T) {
	f := newFixture(t)
	store := servicepass.NewMemDeviceStore()
	v := f.verifier(t, "d", servicepass.COPE, store)
	for i := 0; i < 5; i++ {
		_, r := respondFor(t, f, v, "d", servicepass.COPE, servicepass.Unlock|servicepass.RemoveNetworkRestrictions, servicepass.ChallengeOptions{})
		s := r.Code.Reveal()
		for _, typo := range typos(s) {
			if _, err := v.VerifyResponse(context.Background(), typo, t0); !errors.Is(err, servicepass.ErrTypo) {
				t.Fatalf("VerifyResponse(%q) = %v, want ErrTypo (from %s)", typo, err, s)
			}
		}
		if _, err := v.VerifyResponse(context.Background(), s, t0); err != nil {
			t.Fatalf("after the typos: %v", err)
		}
	}
	_ = peek(store, func(s *servicepass.TestState) bool {
		if s.Failures != 0 {
			t.Errorf("typos counted: %d failures", s.Failures)
		}
		return false
	})
	if r := strings.Count(respDisplay(t, f, v), "-"); r != 3 {
		t.Errorf("display form has %d hyphens", r)
	}
}

func respDisplay(t *testing.T, f *fixture, v *servicepass.Verifier) string {
	_, r := respondFor(t, f, v, "d", servicepass.COPE, servicepass.Unlock, servicepass.ChallengeOptions{})
	return r.Display.Reveal()
}

// TestResponseRefusals: a response answers one challenge of one device,
// once.
func TestResponseRefusals(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "dev-a", servicepass.DeviceOwner, nil)
	other := f.verifier(t, "dev-b", servicepass.DeviceOwner, nil)

	// Before any challenge.
	_, rA := respondFor(t, f, other, "dev-a", servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{})
	if _, err := v.VerifyResponse(context.Background(), rA.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrNoChallenge) {
		t.Errorf("no challenge: %v", err)
	}
	// For another challenge: A's response after B replaced A.
	_, rA = respondFor(t, f, v, "dev-a", servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{})
	_, rB := respondFor(t, f, v, "dev-a", servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{})
	if _, err := v.VerifyResponse(context.Background(), rA.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrInvalid) {
		t.Errorf("response to a replaced challenge: %v", err)
	}
	// For another device: dev-b's verifier with dev-a's response to dev-b's challenge text.
	cB, err := other.NewChallenge(servicepass.ChallengeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wrongDev, err := f.is.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: "dev-a", Challenge: cB.String(), Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.VerifyResponse(context.Background(), wrongDev.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrInvalid) {
		t.Errorf("response made for another device: %v", err)
	}
	// The genuine one still works (one failure does not void), once.
	if _, err := v.VerifyResponse(context.Background(), rB.Code.Reveal(), t0); err != nil {
		t.Fatalf("genuine response: %v", err)
	}
	if _, err := v.VerifyResponse(context.Background(), rB.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrNoChallenge) {
		t.Errorf("after use: %v", err)
	}
	// A response is not a service password and the reverse.
	iss := f.issue(t, servicepass.Request{DeviceID: "dev-a", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	respondFor(t, f, v, "dev-a", servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{})
	if _, err := v.VerifyResponse(context.Background(), iss.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrMalformed) {
		t.Errorf("a code as a response: %v", err)
	}
	if _, err := v.Verify(context.Background(), rB.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrMalformed) {
		t.Errorf("a response as a code: %v", err)
	}
	// A key the device does not hold.
	f2 := newFixture(t, testMaster(1), testMaster(9))
	c, _ := v.NewChallenge(servicepass.ChallengeOptions{})
	r9, _ := f2.is.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: "dev-a", Challenge: c.String(), Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a"})
	if _, err := v.VerifyResponse(context.Background(), r9.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
}

// TestChallengeLifetime: a challenge lasts its lifetime on the monotonic
// clock, whatever the wall clock says.
func TestChallengeLifetime(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "d", servicepass.DeviceOwner, nil)
	mono := &monoClock{t: time.Unix(1000, 0)}
	for _, tc := range []struct {
		lifetime, after time.Duration
		want            error
	}{
		{0, servicepass.DefaultChallengeLifetime - time.Nanosecond, nil},
		{0, servicepass.DefaultChallengeLifetime, servicepass.ErrChallengeExpired},
		{time.Minute, 59 * time.Second, nil},
		{time.Minute, time.Hour, servicepass.ErrChallengeExpired},
	} {
		_, r := respondFor(t, f, v, "d", servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{Lifetime: tc.lifetime, Clock: mono.now})
		mono.t = mono.t.Add(tc.after)
		// The wall-clock time passed to VerifyResponse does not matter.
		_, err := v.VerifyResponse(context.Background(), r.Code.Reveal(), time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC))
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("lifetime %s, after %s: %v, want %v", tc.lifetime, tc.after, err, tc.want)
		}
		if tc.want != nil {
			if _, err := v.VerifyResponse(context.Background(), r.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrChallengeExpired) {
				t.Errorf("again: %v", err)
			}
		}
	}
	for _, bad := range []time.Duration{-time.Second, servicepass.MaxChallengeLifetime + 1} {
		if _, err := v.NewChallenge(servicepass.ChallengeOptions{Lifetime: bad}); err == nil {
			t.Errorf("lifetime %s accepted", bad)
		}
	}
	if _, err := v.NewChallenge(servicepass.ChallengeOptions{Rand: bytes.NewReader([]byte{1, 2})}); err == nil {
		t.Error("a short randomness source")
	}
}

// TestChallengeFailures: MAC failures count toward the lockout, and after
// ChallengeFailures of them the challenge is void.
func TestChallengeFailures(t *testing.T) {
	f := newFixture(t)
	store := servicepass.NewMemDeviceStore()
	v := f.verifier(t, "d", servicepass.DeviceOwner, store)
	c, r := respondFor(t, f, v, "d", servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{})
	wrong := forgeWrong(t, c.String())
	for i := 1; i <= servicepass.ChallengeFailures; i++ {
		if _, err := v.VerifyResponse(context.Background(), wrong, t0); !errors.Is(err, servicepass.ErrInvalid) {
			t.Fatalf("wrong response %d: %v", i, err)
		}
	}
	if _, err := v.VerifyResponse(context.Background(), r.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrChallengeVoid) {
		t.Fatalf("genuine response after the limit: %v", err)
	}
	failures := 0
	_ = peek(store, func(s *servicepass.TestState) bool { failures = s.Failures; return false })
	if failures != servicepass.ChallengeFailures {
		t.Errorf("lockout counted %d failures, want %d", failures, servicepass.ChallengeFailures)
	}
	// The lockout the failures built up refuses the next attempt on a new
	// challenge until it passes; then the genuine response grants.
	lv, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "d", Mode: servicepass.DeviceOwner, HasMode: true, Keys: must(f.is.DeviceKeys("d")), Location: time.UTC}, servicepass.NewMemDeviceStore(), &servicepass.VerifierOptions{Lockout: servicepass.Lockout{Free: 0, Backoff: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	c2, r2 := respondFor(t, f, lv, "d", servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{})
	if _, err := lv.VerifyResponse(context.Background(), forgeWrong(t, c2.String()), t0); !errors.Is(err, servicepass.ErrInvalid) {
		t.Fatal(err)
	}
	var le *servicepass.LockedOutError
	if _, err := lv.VerifyResponse(context.Background(), r2.Code.Reveal(), t0.Add(30*time.Second)); !errors.As(err, &le) {
		t.Fatalf("during the back-off: %v", err)
	}
	if _, err := lv.VerifyResponse(context.Background(), r2.Code.Reveal(), t0.Add(time.Minute)); err != nil {
		t.Fatalf("after the back-off: %v", err)
	}
}

// forgeWrong returns a well-formed response to challenge c with a wrong
// MAC: the genuine response to c under another device key.
func forgeWrong(t *testing.T, c string) string {
	text, _ := servicepass.ForgeResponse(mustDeviceKey(t, testMaster(77), "d"), "d", c, 1, 1, servicepass.Unlock, servicepass.DeviceOwner)
	return text
}

// TestResponseModeRules: the mode and the action rules apply to responses,
// Set Password on COPE included.
func TestResponseModeRules(t *testing.T) {
	f := newFixture(t)
	cope := f.verifier(t, "d", servicepass.COPE, nil)
	owner := f.verifier(t, "d", servicepass.DeviceOwner, nil)
	_, r := respondFor(t, f, cope, "d", servicepass.COPE, servicepass.SetPassword, servicepass.ChallengeOptions{})
	if g, err := cope.VerifyResponse(context.Background(), r.Code.Reveal(), t0); err != nil || g.Actions != servicepass.SetPassword || g.Scope != servicepass.ScopeOf(servicepass.COPE, servicepass.SetPassword) {
		t.Fatalf("COPE set password: %+v %v", g, err)
	}
	c, _ := owner.NewChallenge(servicepass.ChallengeOptions{})
	forCOPE, _ := f.is.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: "d", Challenge: c.String(), Mode: servicepass.COPE, Actions: servicepass.Unlock, Admin: "a"})
	if _, err := owner.VerifyResponse(context.Background(), forCOPE.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrMode) {
		t.Errorf("a COPE response on a Device Owner device: %v", err)
	}
	if _, err := owner.VerifyResponse(context.Background(), forCOPE.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrNoChallenge) {
		t.Errorf("the challenge is used up: %v", err)
	}
	dk := mustDeviceKey(t, testMaster(1), "d")
	for _, tc := range []struct {
		a    servicepass.Actions
		m    servicepass.Mode
		want error
	}{
		{servicepass.SetPassword, servicepass.DeviceOwner, servicepass.ErrSetPasswordNotCOPE},
		{servicepass.EmergencyDatabaseReset | servicepass.Unlock, servicepass.DeviceOwner, servicepass.ErrDatabaseResetCombined},
		{servicepass.SetPassword | servicepass.Unlock, servicepass.COPE, servicepass.ErrSetPasswordCombined},
		{servicepass.DisableKiosk, servicepass.COPE, servicepass.ErrKioskOnCOPE},
		{0, servicepass.DeviceOwner, servicepass.ErrNoActions},
	} {
		// The issuer refuses to make it ...
		v := map[servicepass.Mode]*servicepass.Verifier{servicepass.COPE: cope, servicepass.DeviceOwner: owner}[tc.m]
		c, _ := v.NewChallenge(servicepass.ChallengeOptions{})
		if _, err := f.is.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: "d", Challenge: c.String(), Mode: tc.m, Actions: tc.a, Admin: "a"}); !errors.Is(err, tc.want) {
			t.Errorf("Respond(%v, %v) = %v, want %v", tc.m, tc.a, err, tc.want)
		}
		// ... and the device refuses it from a key holder who made it anyway.
		text, _ := servicepass.ForgeResponse(dk, "d", c.String(), 1, 1, tc.a, tc.m)
		if _, err := v.VerifyResponse(context.Background(), text, t0); !errors.Is(err, servicepass.ErrMode) || !errors.Is(err, tc.want) {
			t.Errorf("VerifyResponse(%v, %v) = %v, want ErrMode and %v", tc.m, tc.a, err, tc.want)
		}
	}
	// A response of another format version.
	c, _ = owner.NewChallenge(servicepass.ChallengeOptions{})
	text, _ := servicepass.ForgeResponse(dk, "d", c.String(), 2, 1, servicepass.Unlock, servicepass.DeviceOwner)
	if _, err := owner.VerifyResponse(context.Background(), text, t0); !errors.Is(err, servicepass.ErrVersion) {
		t.Errorf("version 2: %v", err)
	}
}

// TestResponseWithoutState: a response works on a damaged, deleted or
// unwritable state, and when the store does not run at all, never degraded.
func TestResponseWithoutState(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	damaged := filepath.Join(dir, "damaged.state")
	if err := os.WriteFile(damaged, []byte("mdmcred servicepass device state v1\nnot a checksum\n{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	unwritable := filepath.Join(dir, "ro")
	if err := os.Mkdir(unwritable, 0o500); err != nil {
		t.Fatal(err)
	}
	stores := map[string]func() servicepass.DeviceStore{
		"damaged":           func() servicepass.DeviceStore { return mustOpen(t, damaged) },
		"deleted":           func() servicepass.DeviceStore { return mustOpen(t, filepath.Join(dir, "gone.state")) },
		"unwritable":        func() servicepass.DeviceStore { return mustOpen(t, filepath.Join(unwritable, "state")) },
		"store never runs":  func() servicepass.DeviceStore { return brokenStore{} },
		"memory (baseline)": func() servicepass.DeviceStore { return servicepass.NewMemDeviceStore() },
	}
	for name, open := range stores {
		v := f.verifier(t, "d", servicepass.DeviceOwner, open())
		for _, now := range []time.Time{t0, time.Unix(0, 0), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)} {
			_, r := respondFor(t, f, v, "d", servicepass.DeviceOwner, servicepass.Unlock|servicepass.DisableKiosk, servicepass.ChallengeOptions{})
			g, err := v.VerifyResponse(context.Background(), r.Code.Reveal(), now)
			if err != nil || g.Degraded || g.Actions != servicepass.Unlock|servicepass.DisableKiosk {
				t.Errorf("%s at %s: %+v %v", name, now, g, err)
			}
			if _, err := v.VerifyResponse(context.Background(), r.Code.Reveal(), now); !errors.Is(err, servicepass.ErrNoChallenge) {
				t.Errorf("%s: replay: %v", name, err)
			}
		}
		// Wrong responses still void the challenge without any state.
		c, r := respondFor(t, f, v, "d", servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{})
		for i := 0; i < servicepass.ChallengeFailures; i++ {
			_, _ = v.VerifyResponse(context.Background(), forgeWrong(t, c.String()), t0.Add(time.Duration(i)*48*time.Hour))
		}
		if _, err := v.VerifyResponse(context.Background(), r.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrChallengeVoid) && !errors.Is(err, servicepass.ErrLockedOut) {
			t.Errorf("%s: after wrong responses: %v", name, err)
		}
	}
}

func mustOpen(t *testing.T, path string) *servicepass.FileStore {
	fs, err := servicepass.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestRespondRequest(t *testing.T) {
	f := newFixture(t)
	c := "K7Q2M-9XJ4" + string(must(crockford.Check("K7Q2M9XJ4")))
	ok := servicepass.ResponseRequest{DeviceID: "d", Challenge: c, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "admin@example.com"}
	if _, err := servicepass.ParseChallenge(c); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		edit func(*servicepass.ResponseRequest)
		want error
	}{
		{func(r *servicepass.ResponseRequest) { r.Admin = "" }, servicepass.ErrAdmin},
		{func(r *servicepass.ResponseRequest) { r.DeviceID = "a\u0085b" }, servicepass.ErrDeviceID},
		{func(r *servicepass.ResponseRequest) { r.Challenge = "K7Q2M-9XJ4" }, servicepass.ErrChallengeMalformed},
		{func(r *servicepass.ResponseRequest) { r.Challenge = "K7Q2M-9XJ5" + c[10:] }, servicepass.ErrChallengeTypo},
		{func(r *servicepass.ResponseRequest) { r.Mode = 4 }, servicepass.ErrUnknownMode},
		{func(r *servicepass.ResponseRequest) { r.KeyIDs = servicepass.KeyIDsOf(5) }, servicepass.ErrKeyNotHeld},
	}
	for i, tc := range bad {
		r := ok
		tc.edit(&r)
		if _, err := f.is.Respond(context.Background(), r); !errors.Is(err, tc.want) {
			t.Errorf("case %d: %v, want %v", i, err, tc.want)
		}
	}
	if _, err := f.is.Respond(nilContext(), ok); !errors.Is(err, servicepass.ErrNilContext) {
		t.Errorf("nil context: %v", err)
	}
	r, err := f.is.Respond(context.Background(), ok)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := f.audit.Events(context.Background(), "d")
	if len(evs) != 1 || evs[0].Type != servicepass.EventResponded || !strings.Contains(evs[0].Detail, "K7Q2M-9XJ4") {
		t.Fatalf("audit %+v", evs)
	}
	if s := fmt.Sprintf("%+v %v", evs, r); strings.Contains(s, r.Code.Reveal()) || strings.Contains(s, r.Code.Reveal()[:8]) {
		t.Errorf("the response leaks: %s", s)
	}
	// The same request makes the same response: it depends on nothing else.
	r2, _ := f.is.Respond(context.Background(), ok)
	if r2.Code.Reveal() != r.Code.Reveal() {
		t.Error("Respond is not deterministic")
	}
}

func nilContext() context.Context { return nil }

// TestResponseConcurrent: of many goroutines racing with the right
// response, exactly one is granted.
func TestResponseConcurrent(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "d", servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	for trial := 0; trial < 50; trial++ {
		_, r := respondFor(t, f, v, "d", servicepass.DeviceOwner, servicepass.Unlock, servicepass.ChallengeOptions{})
		results := make(chan error, 16)
		for i := 0; i < 16; i++ {
			go func() { _, err := v.VerifyResponse(context.Background(), r.Code.Reveal(), t0); results <- err }()
		}
		granted := 0
		for i := 0; i < 16; i++ {
			if err := <-results; err == nil {
				granted++
			} else if !errors.Is(err, servicepass.ErrNoChallenge) {
				t.Fatal(err)
			}
		}
		if granted != 1 {
			t.Fatalf("trial %d: %d grants", trial, granted)
		}
	}
}

func FuzzParseChallenge(f *testing.F) {
	for _, s := range []string{"", "K7Q2M-9XJ4G", "k7q2m 9xj4t", "00000-00000", "ZZZZZ-ZZZZZ", "~~~~~~~~~~", "oOiIlL0000", strings.Repeat("A", 70), "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := servicepass.ParseChallenge(s)
		if err != nil {
			if !errors.Is(err, servicepass.ErrChallengeMalformed) && !errors.Is(err, servicepass.ErrChallengeTypo) {
				t.Fatalf("ParseChallenge(%q): unexpected error %v", s, err)
			}
			return
		}
		if back, err := servicepass.ParseChallenge(c.String()); err != nil || back != c {
			t.Fatalf("round trip of %q: %v %v", s, back, err)
		}
	})
}

var responseSentinels = []error{servicepass.ErrMalformed, servicepass.ErrTypo, servicepass.ErrVersion, servicepass.ErrUnknownKey,
	servicepass.ErrInvalid, servicepass.ErrMode, servicepass.ErrLockedOut, servicepass.ErrNoChallenge, servicepass.ErrChallengeVoid, servicepass.ErrChallengeExpired}

func FuzzVerifyResponse(f *testing.F) {
	fx := newFixture(f)
	v := fx.verifier(f, "fuzz", servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	c, err := v.NewChallenge(servicepass.ChallengeOptions{Lifetime: servicepass.MaxChallengeLifetime})
	if err != nil {
		f.Fatal(err)
	}
	r, _ := fx.is.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: "other", Challenge: c.String(), Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a"})
	for _, s := range []string{"", r.Code.Reveal(), r.Display.Reveal(), strings.ToLower(r.Code.Reveal()), r.Code.Reveal()[:15], r.Code.Reveal() + "0", "UUUU-UUUU-UUUU-UUUU", "0000-0000-0000-0000", strings.Repeat("Z", 80)} {
		f.Add(s)
	}
	lockout := servicepass.Lockout{Free: 1 << 30, Backoff: time.Minute}
	fv, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "fuzz", Mode: servicepass.DeviceOwner, HasMode: true, Keys: must(fx.is.DeviceKeys("fuzz")), Location: time.UTC}, nil, &servicepass.VerifierOptions{Lockout: lockout})
	if err != nil {
		f.Fatal(err)
	}
	mono := &monoClock{t: time.Unix(0, 0)}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := fv.NewChallenge(servicepass.ChallengeOptions{Clock: mono.now, Rand: &detRand{seed: "fuzz"}}); err != nil {
			t.Fatal(err)
		}
		g, err := fv.VerifyResponse(context.Background(), s, t0)
		if err == nil {
			t.Fatalf("granted %+v for %q", g, s)
		}
		for _, e := range responseSentinels {
			if errors.Is(err, e) {
				return
			}
		}
		t.Fatalf("VerifyResponse(%q): unexpected error %v", s, err)
	})
}

// BenchmarkVerifyResponse verifies a valid response, then makes the same
// challenge outstanding again for the next iteration, both timed: stopping
// the timer each iteration would stop the world twice per call
// (runtime.ReadMemStats), which takes far longer than what is measured.
// BenchmarkNewChallenge times the second half alone; the difference is the
// cost of VerifyResponse. Compare with BenchmarkHMACFloor.
func BenchmarkVerifyResponse(b *testing.B) {
	v, code, renew := benchChallenge(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.VerifyResponse(context.Background(), code, t0); err != nil {
			b.Fatal(err)
		}
		renew()
	}
}

// BenchmarkNewChallenge makes the benchmark's challenge outstanding again
// each iteration: the part of BenchmarkVerifyResponse that is not
// VerifyResponse.
func BenchmarkNewChallenge(b *testing.B) {
	_, _, renew := benchChallenge(b)
	b.ReportAllocs()
	for b.Loop() {
		renew()
	}
}

// benchChallenge returns a verifier with an outstanding challenge, its
// response, and renew, which makes the same challenge outstanding again
// (from the same random bytes).
func benchChallenge(b *testing.B) (*servicepass.Verifier, string, func()) {
	f := newFixture(b)
	v := f.verifier(b, benchDevice, servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	mono := &monoClock{t: time.Unix(0, 0)}
	_, r := respondFor(b, f, v, benchDevice, servicepass.DeviceOwner, servicepass.Unlock|servicepass.DisableKiosk, servicepass.ChallengeOptions{Clock: mono.now, Rand: &detRand{seed: "bench"}})
	seed := make([]byte, 6)
	_, _ = (&detRand{seed: "bench"}).Read(seed)
	rd := bytes.NewReader(seed)
	opts := servicepass.ChallengeOptions{Clock: mono.now, Rand: rd}
	return v, r.Code.Reveal(), func() {
		rd.Reset(seed)
		if _, err := v.NewChallenge(opts); err != nil {
			b.Fatal(err)
		}
	}
}

// ExampleVerifier_NewChallenge shows the challenge and response flow: the
// device shows a challenge, the help desk types it into the console, and
// the user types the response on the device.
func ExampleVerifier_NewChallenge() {
	master, _ := servicepass.GenerateMasterKey(1, nil) // in production, load it from the server's secret store
	issuer, _ := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{master}})
	keys, _ := issuer.DeviceKeys("device-42")
	verifier, _ := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "device-42", Mode: servicepass.COPE, HasMode: true, Keys: keys, Location: time.UTC}, nil, nil)

	challenge, _ := verifier.NewChallenge(servicepass.ChallengeOptions{}) // shown on the device
	resp, err := issuer.Respond(context.Background(), servicepass.ResponseRequest{
		DeviceID: "device-42", Challenge: challenge.String(), Mode: servicepass.COPE,
		Actions: servicepass.SetPassword, Admin: "helpdesk@example.com",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(challenge.String()), len(resp.Display.Reveal()))
	grant, err := verifier.VerifyResponse(context.Background(), resp.Display.Reveal(), time.Now())
	fmt.Println(grant.Actions, grant.Degraded, err)
	_, err = verifier.VerifyResponse(context.Background(), resp.Display.Reveal(), time.Now())
	fmt.Println(err)
	// Output:
	// 11 19
	// SetPassword false <nil>
	// servicepass: no outstanding challenge; show a new one
}

// TestResponseMACHighBits: the response MAC is compared on all of its 56
// bits. Every one of the 63 responses that differ from the genuine one only
// in MAC bits 50 to 55 fails the MAC (defect: they were compared through
// the 50-bit code mask and all granted).
func TestResponseMACHighBits(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "d", servicepass.DeviceOwner, servicepass.NewMemDeviceStore())
	granted := 0
	for hi := uint64(1); hi < 64; hi++ {
		_, r := respondFor(t, f, v, "d", servicepass.DeviceOwner, servicepass.AllowFactoryReset, servicepass.ChallengeOptions{})
		flipped := servicepass.FlipResponseMAC(r.Code.Reveal(), hi<<50)
		if _, err := v.VerifyResponse(context.Background(), flipped, t0); !errors.Is(err, servicepass.ErrInvalid) {
			t.Errorf("MAC bits 50-55 xor %06b: %v, want ErrInvalid", hi, err)
			granted++
			continue
		}
		if _, err := v.VerifyResponse(context.Background(), r.Code.Reveal(), t0); err != nil {
			t.Fatalf("genuine response after one wrong: %v", err)
		}
	}
	if granted > 0 {
		t.Errorf("%d of 63 high-bit flips granted", granted)
	}
}
