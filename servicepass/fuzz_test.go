package servicepass_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// fuzzSeeds are the table inputs plus real codes and their near misses.
func fuzzSeeds(t testing.TB, f *fixture) []string {
	seeds := []string{"", "ABCDE-FGHJK", strings.Repeat("A", 200), "ABCDE-FGHJK-MNPQR-STVWX-YZ01!", "uuuuu-uuuuu-uuuuu-uuuuu-uuuuu",
		"00000-00000-00000-00000-00000", "~~~~~~~~~~~~~~~~~~~~~~~~~", "\xff\xfe", "oOiIlL"}
	for _, a := range []servicepass.Actions{servicepass.Unlock, servicepass.EmergencyDatabaseReset} {
		iss := f.issue(t, servicepass.Request{DeviceID: "fuzz", Mode: servicepass.DeviceOwner, Actions: a})
		c := iss.Code.Reveal()
		seeds = append(seeds, c, iss.Display.Reveal(), strings.ToLower(c), c[:24], c+"0", c[1:]+c[:1])
	}
	return seeds
}

var verifySentinels = []error{
	servicepass.ErrMalformed, servicepass.ErrTypo, servicepass.ErrVersion, servicepass.ErrUnknownKey, servicepass.ErrInvalid,
	servicepass.ErrExpired, servicepass.ErrNotYetValid, servicepass.ErrMode, servicepass.ErrReplay, servicepass.ErrLockedOut,
	servicepass.ErrClockBack,
}

func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	for _, s := range fuzzSeeds(f, fx) {
		f.Add(s)
	}
	v := fx.verifier(f, "fuzz", servicepass.DeviceOwner, nil)
	f.Fuzz(func(t *testing.T, code string) {
		g, err := v.Verify(context.Background(), code, t0.Add(time.Minute))
		if err == nil {
			if g.Actions == 0 || servicepass.CheckRules(g.Mode, g.Actions) != nil {
				t.Fatalf("granted %+v", g)
			}
			return
		}
		for _, s := range verifySentinels {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("Verify(%q) = %v, not a sentinel", code, err)
	})
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f, newFixture(f)) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		p, err := servicepass.Decode(code)
		if err != nil {
			if !errors.Is(err, servicepass.ErrMalformed) && !errors.Is(err, servicepass.ErrTypo) && !errors.Is(err, servicepass.ErrVersion) {
				t.Fatalf("Decode(%q) = %v, not a sentinel", code, err)
			}
			return
		}
		c := p.Canonical()
		if len(c) != servicepass.CodeLen {
			t.Fatalf("Canonical = %q", c)
		}
		if q, err := servicepass.Decode(c); err != nil || q.Canonical() != c || q.MAC.Reveal() != p.MAC.Reveal() || string(q.Bytes()) != string(p.Bytes()) {
			t.Fatalf("round trip of %q: %+v %v", code, q, err)
		}
	})
}
