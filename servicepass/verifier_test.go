package servicepass_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

func TestVerify(t *testing.T) {
	f := newFixture(t, testMaster(1), testMaster(9))
	old := newFixture(t, testMaster(1)) // issues under key 1
	do := func(a servicepass.Actions) servicepass.Request {
		return servicepass.Request{DeviceID: "dev-A", Mode: servicepass.DeviceOwner, Actions: a, ExpiresAt: t0.Add(time.Hour)}
	}
	valid := func(f *fixture, r servicepass.Request) func(t *testing.T) string {
		return func(t *testing.T) string { return f.issue(t, r).Code.Reveal() }
	}
	mutate := func(r servicepass.Request, fn func(*servicepass.Payload)) func(t *testing.T) string {
		return func(t *testing.T) string {
			p, err := servicepass.Decode(f.issue(t, r).Code.Reveal())
			if err != nil {
				t.Fatal(err)
			}
			fn(&p)
			return p.Canonical()
		}
	}
	text := func(s string) func(*testing.T) string { return func(*testing.T) string { return s } }
	skew := servicepass.DefaultSkew
	tests := []struct {
		name      string
		code      func(t *testing.T) string
		mode      servicepass.Mode
		keyIDs    []uint8 // device keyring; nil: 1 and 9
		now       time.Time
		want      error
		wantScope servicepass.Scope
	}{
		{name: "unlock", code: valid(f, do(servicepass.Unlock))},
		{name: "all device owner actions", code: valid(f, do(servicepass.Reversible|servicepass.Unlock))},
		{name: "database reset", code: valid(f, do(servicepass.EmergencyDatabaseReset))},
		{name: "COPE unlock opens the work profile", mode: servicepass.COPE, wantScope: servicepass.ScopeWorkProfile,
			code: valid(f, servicepass.Request{DeviceID: "dev-A", Mode: servicepass.COPE, Actions: servicepass.Unlock})},
		{name: "older key ID still in the keyring", keyIDs: []uint8{1, 9}, code: valid(old, do(servicepass.Unlock))},
		{name: "typed loosely", code: func(t *testing.T) string {
			s := strings.ToLower(f.issue(t, do(servicepass.Unlock)).Display.Reveal())
			return " " + strings.NewReplacer("0", "o", "1", "l", "-", " - ").Replace(s) + " "
		}},
		{name: "just before expiry plus skew", now: t0.Add(time.Hour + skew - time.Nanosecond), code: valid(f, do(servicepass.Unlock))},

		{name: "empty", code: text(""), want: servicepass.ErrMalformed},
		{name: "short", code: text("ABCDE-FGHJK"), want: servicepass.ErrMalformed},
		{name: "long input", code: text(strings.Repeat("A", 200)), want: servicepass.ErrMalformed},
		{name: "foreign characters", code: text("ABCDE-FGHJK-MNPQR-STVWX-YZ01!"), want: servicepass.ErrMalformed},
		{name: "one symbol changed", want: servicepass.ErrTypo, code: func(t *testing.T) string {
			c := []byte(f.issue(t, do(servicepass.Unlock)).Code.Reveal())
			c[3] = map[bool]byte{true: 'X', false: 'Y'}[c[3] != 'X']
			return string(c)
		}},
		{name: "check symbol in a data position", want: servicepass.ErrTypo, code: func(t *testing.T) string {
			c := []byte(f.issue(t, do(servicepass.Unlock)).Code.Reveal())
			c[0] = 'U'
			return string(c)
		}},
		{name: "unknown version", want: servicepass.ErrVersion, code: mutate(do(servicepass.Unlock), func(p *servicepass.Payload) { p.Version = 2 })},
		{name: "retired key ID", keyIDs: []uint8{9}, want: servicepass.ErrUnknownKey, code: valid(old, do(servicepass.Unlock))},
		{name: "tampered MAC", want: servicepass.ErrInvalid, code: mutate(do(servicepass.Unlock), func(p *servicepass.Payload) { p.MAC = flipTag(p.MAC, 1) })},
		{name: "tampered actions", want: servicepass.ErrInvalid, code: mutate(do(servicepass.Unlock), func(p *servicepass.Payload) { p.Actions |= servicepass.AllowFactoryReset })},
		{name: "tampered expiry", want: servicepass.ErrInvalid, code: mutate(do(servicepass.Unlock), func(p *servicepass.Payload) { p.Expiry += 60 })},
		{name: "another device's code", want: servicepass.ErrInvalid,
			code: valid(f, servicepass.Request{DeviceID: "dev-B", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})},
		{name: "expired", now: t0.Add(time.Hour + skew), want: servicepass.ErrExpired, code: valid(f, do(servicepass.Unlock))},
		{name: "not yet valid", now: t0.Add(-servicepass.MaxValidity), want: servicepass.ErrNotYetValid,
			code: valid(f, servicepass.Request{DeviceID: "dev-A", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, ExpiresAt: t0.Add(servicepass.MaxValidity)})},
		{name: "COPE code on a Device Owner device", want: servicepass.ErrMode,
			code: valid(f, servicepass.Request{DeviceID: "dev-A", Mode: servicepass.COPE, Actions: servicepass.Unlock})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := tt.keyIDs
			if ids == nil {
				ids = []uint8{1, 9}
			}
			var keys []servicepass.DeviceKey
			for _, id := range ids {
				keys = append(keys, mustDeviceKey(t, testMaster(id), "dev-A"))
			}
			v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "dev-A", Mode: tt.mode, HasMode: true, Keys: keys, Location: warsaw}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			now := tt.now
			if now.IsZero() {
				now = t0.Add(time.Minute)
			}
			code := tt.code(t)
			g, err := v.Verify(context.Background(), code, now)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Verify = %+v, %v; want %v", g, err, tt.want)
				}
				if strings.Contains(err.Error(), code) && code != "" {
					t.Fatal("error holds the code")
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if g.Scope != tt.wantScope || g.Degraded || g.Actions == 0 || !g.WindowEnd.Equal(now.Add(servicepass.DefaultWindow)) {
				t.Fatalf("grant = %+v", g)
			}
			if _, err := v.Verify(context.Background(), code, now); !errors.Is(err, servicepass.ErrReplay) {
				t.Fatalf("second use: %v, want ErrReplay", err)
			}
		})
	}
}

func TestLockout(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	open := f.fileVerifier(t, "dev", path)
	v := open()
	good := f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	other := f.issue(t, servicepass.Request{DeviceID: "other", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	typo := []byte(good.Code.Reveal())
	typo[0] ^= 1 // '0'<->'1' and the like: a different data symbol
	now := t0.Add(time.Minute)
	for i := 0; i < servicepass.DefaultLockout.Free; i++ {
		if _, err := v.Verify(context.Background(), other.Code.Reveal(), now); !errors.Is(err, servicepass.ErrInvalid) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	for i := 0; i < 20; i++ { // typos never count
		if _, err := v.Verify(context.Background(), string(typo), now); !errors.Is(err, servicepass.ErrTypo) {
			t.Fatalf("typo: %v", err)
		}
	}
	if _, err := v.Verify(context.Background(), other.Code.Reveal(), now); !errors.Is(err, servicepass.ErrInvalid) {
		t.Fatalf("failure beyond the free ones: %v", err)
	}
	var le *servicepass.LockedOutError
	_, err := v.Verify(context.Background(), good.Code.Reveal(), now.Add(30*time.Second))
	if !errors.As(err, &le) || !errors.Is(err, servicepass.ErrLockedOut) || le.RetryAfter != 30*time.Second {
		t.Fatalf("during back-off: %v", err)
	}
	v = open() // the lockout survives a restart
	if _, err := v.Verify(context.Background(), good.Code.Reveal(), now.Add(59*time.Second)); !errors.Is(err, servicepass.ErrLockedOut) {
		t.Fatalf("after restart: %v", err)
	}
	now = now.Add(time.Minute)
	if _, err := v.Verify(context.Background(), other.Code.Reveal(), now); !errors.Is(err, servicepass.ErrInvalid) {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), good.Code.Reveal(), now.Add(2*time.Minute-time.Second)); !errors.As(err, &le) || le.RetryAfter != time.Second {
		t.Fatalf("second back-off doubles: %v", err)
	}
	if _, err := v.Verify(context.Background(), good.Code.Reveal(), now.Add(2*time.Minute)); err != nil {
		t.Fatalf("after back-off: %v", err)
	}
	// A success forgets the failures: the free ones are free again.
	for i := 0; i < servicepass.DefaultLockout.Free; i++ {
		if _, err := v.Verify(context.Background(), other.Code.Reveal(), now.Add(3*time.Minute)); !errors.Is(err, servicepass.ErrInvalid) {
			t.Fatalf("after success, failure %d: %v", i+1, err)
		}
	}
}

func TestClockBack(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "dev", servicepass.DeviceOwner, nil)
	r := servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, ExpiresAt: t0.Add(3 * time.Hour)}
	a, b, c := f.issue(t, r), f.issue(t, r), f.issue(t, r)
	if _, err := v.Verify(context.Background(), a.Code.Reveal(), t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), b.Code.Reveal(), t0.Add(2*time.Hour-servicepass.DefaultSkew-time.Second)); !errors.Is(err, servicepass.ErrClockBack) {
		t.Fatalf("clock turned back: %v", err)
	}
	if _, err := v.Verify(context.Background(), c.Code.Reveal(), t0.Add(2*time.Hour-servicepass.DefaultSkew)); err != nil {
		t.Fatalf("within skew: %v", err)
	}
}

// TestDayValidOncePerDay: a COPE Set Password code succeeds at most once
// per calendar day of the device until its date ends, also when the clock
// skew lets the device time go back a few minutes past midnight (which must
// not let the code succeed again by alternating between the two days).
func TestDayValidOncePerDay(t *testing.T) {
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, warsaw) }
	type step struct {
		now  time.Time
		want error
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"days", []step{
			{at(22, 11, 0), nil},
			{at(22, 23, 59), servicepass.ErrReplay},
			{at(23, 0, 0), nil},
			{at(23, 18, 0), servicepass.ErrReplay},
			{at(24, 23, 59), nil},
			{at(25, 0, 10), servicepass.ErrExpired},
		}},
		{"midnight within the skew", []step{
			{at(23, 0, 1), nil},
			{at(22, 23, 58), servicepass.ErrReplay}, // back within the skew, on the previous day
			{at(23, 0, 2), servicepass.ErrReplay},
			{at(22, 23, 59), servicepass.ErrReplay},
			{at(24, 0, 0), nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			v := f.verifier(t, "cope", servicepass.COPE, nil)
			iss := f.issue(t, servicepass.Request{DeviceID: "cope", Mode: servicepass.COPE, Actions: servicepass.SetPassword,
				ExpiryDate: servicepass.Date{Year: 2026, Month: 11, Day: 24}, Location: warsaw})
			for _, s := range tt.steps {
				g, err := v.Verify(context.Background(), iss.Code.Reveal(), s.now)
				if !errors.Is(err, s.want) || (err == nil && (!g.DayValid || g.Actions != servicepass.SetPassword || !g.Expiry.Equal(at(25, 0, 0)))) {
					t.Fatalf("at %v: %+v, %v; want %v", s.now, g, err, s.want)
				}
			}
		})
	}
}

func TestWindow(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "state")
	open := f.fileVerifier(t, "dev", path)
	v := open()
	if st, err := v.Window(context.Background(), t0); err != nil || st != (servicepass.WindowStatus{}) {
		t.Fatalf("no window: %+v %v", st, err)
	}
	a := f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock | servicepass.DisableKiosk})
	b := f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.AllowDeveloperOptions})
	g, err := v.Verify(context.Background(), a.Code.Reveal(), t0)
	if err != nil || !g.WindowEnd.Equal(t0.Add(time.Hour)) {
		t.Fatal(g, err)
	}
	v = open() // survives a restart
	g, err = v.Verify(context.Background(), b.Code.Reveal(), t0.Add(30*time.Minute))
	if err != nil || !g.WindowEnd.Equal(t0.Add(90*time.Minute)) {
		t.Fatal(g, err)
	}
	st, err := v.Window(context.Background(), t0.Add(89*time.Minute))
	want := servicepass.Unlock | servicepass.DisableKiosk | servicepass.AllowDeveloperOptions
	if err != nil || !st.Active || st.Actions != want || st.Revert != 0 || !st.Start.Equal(t0) {
		t.Fatalf("active window: %+v %v", st, err)
	}
	st, _ = open().Window(context.Background(), t0.Add(90*time.Minute))
	if st.Active || st.Revert != servicepass.DisableKiosk|servicepass.AllowDeveloperOptions || !st.Ended.Equal(t0.Add(90*time.Minute)) {
		t.Fatalf("ended window: %+v", st)
	}
	if err := v.ClearWindow(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if st, _ := open().Window(context.Background(), t0.Add(2*time.Hour)); st.Active || st.Revert != 0 {
		t.Fatalf("after ClearWindow: %+v", st)
	}
}

func TestWindowConfigurable(t *testing.T) {
	f := newFixture(t)
	keys, _ := f.is.DeviceKeys("dev")
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "dev", Mode: servicepass.DeviceOwner, HasMode: true, Keys: keys}, nil, &servicepass.VerifierOptions{Skew: -1, Window: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	iss := f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.AllowFactoryReset, ExpiresAt: t0.Add(time.Hour)})
	if g, err := v.Verify(context.Background(), iss.Code.Reveal(), t0); err != nil || !g.WindowEnd.Equal(t0.Add(10*time.Minute)) {
		t.Fatal(g, err)
	}
	iss = f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, ExpiresAt: t0.Add(time.Hour)})
	if _, err := v.Verify(context.Background(), iss.Code.Reveal(), t0.Add(time.Hour)); !errors.Is(err, servicepass.ErrExpired) {
		t.Fatalf("no skew: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	before := newFixture(t, testMaster(1))
	after := newFixture(t, testMaster(1), testMaster(2))
	a := before.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	b := after.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	if a.KeyID != 1 || b.KeyID != 2 {
		t.Fatalf("key IDs %d %d", a.KeyID, b.KeyID)
	}
	v := after.verifier(t, "dev", servicepass.DeviceOwner, nil)
	for _, c := range []servicepass.Issued{a, b} {
		if g, err := v.Verify(context.Background(), c.Code.Reveal(), t0); err != nil || g.KeyID != c.KeyID || g.Serial != c.Serial {
			t.Fatalf("key %d: %+v %v", c.KeyID, g, err)
		}
	}
	retired, _ := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "dev", Mode: servicepass.DeviceOwner, HasMode: true, Keys: []servicepass.DeviceKey{mustDeviceKey(t, testMaster(2), "dev")}}, nil, nil)
	if _, err := retired.Verify(context.Background(), a.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrUnknownKey) {
		t.Fatalf("retired key: %v", err)
	}
}

func TestDamagedState(t *testing.T) {
	for _, damage := range []struct {
		name string
		fn   func(path string) error
	}{
		{"flipped byte", func(p string) error {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)-3] ^= 0x20
			return os.WriteFile(p, b, 0o600)
		}},
		{"truncated", func(p string) error { return os.Truncate(p, 20) }},
		{"garbage", func(p string) error { return os.WriteFile(p, []byte("\x00\x01garbage"), 0o600) }},
		{"valid checksum, bad JSON", func(p string) error {
			return os.WriteFile(p, []byte("mdmcred servicepass device state v1\n"+strings.Repeat("0", 64)+"\n{"), 0o600)
		}},
	} {
		t.Run(damage.name, func(t *testing.T) {
			f := newFixture(t)
			path := filepath.Join(t.TempDir(), "state")
			open := f.fileVerifier(t, "dev", path)
			iss := f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
			if g, err := open().Verify(context.Background(), iss.Code.Reveal(), t0); err != nil || g.Degraded {
				t.Fatal(g, err)
			}
			if err := damage.fn(path); err != nil {
				t.Fatal(err)
			}
			v := open()
			// The replay history is gone: the code verifies again, degraded.
			g, err := v.Verify(context.Background(), iss.Code.Reveal(), t0.Add(time.Minute))
			if err != nil || !g.Degraded {
				t.Fatalf("after damage: %+v, %v", g, err)
			}
			if _, err := os.Stat(path + ".damaged"); err != nil {
				t.Fatalf("damaged file not kept aside: %v", err)
			}
			// The fresh state is saved and guards again.
			if _, err := open().Verify(context.Background(), iss.Code.Reveal(), t0.Add(2*time.Minute)); !errors.Is(err, servicepass.ErrReplay) {
				t.Fatalf("after recovery: %v", err)
			}
			// Codes issued long after the damage are not degraded.
			// (Within DamageGrace of device time after the damage was found,
			// every grant is degraded: the device clock cannot be trusted to
			// say when the damage happened.)
			f.clock.Set(t0.Add(servicepass.DamageGrace + time.Hour))
			late := f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, ExpiresAt: f.clock.Now().Add(servicepass.MaxValidity)})
			if g, err := open().Verify(context.Background(), late.Code.Reveal(), f.clock.Now()); err != nil || g.Degraded {
				t.Fatalf("late code: %+v %v", g, err)
			}
		})
	}
}

func TestUnwritableState(t *testing.T) {
	f := newFixture(t)
	fs, _ := servicepass.OpenFileStore(filepath.Join(t.TempDir(), "missing-dir", "state"))
	v := f.verifier(t, "dev", servicepass.DeviceOwner, fs)
	iss := f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	g, err := v.Verify(context.Background(), iss.Code.Reveal(), t0)
	if err != nil || !g.Degraded {
		t.Fatalf("grant with unwritable state: %+v %v", g, err)
	}
	if _, err := v.Verify(context.Background(), iss.Code.Reveal(), t0); !errors.Is(err, servicepass.ErrReplay) {
		t.Fatalf("replay in the same process: %v", err)
	}
}

type brokenStore struct{}

var errFire = errors.New("disk on fire")

func (brokenStore) Update(context.Context, func([]byte) ([]byte, error)) error {
	return errFire
}

func TestBrokenStore(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "dev", servicepass.DeviceOwner, brokenStore{})
	iss := f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	// A store that never runs the update decides nothing: every call
	// fails with its error (not a grant, not ErrNotSaved).
	if g, err := v.Verify(context.Background(), iss.Code.Reveal(), t0); !errors.Is(err, errFire) || !errors.Is(err, servicepass.ErrState) || errors.Is(err, servicepass.ErrNotSaved) || g.Actions != 0 {
		t.Fatalf("Verify = %+v, %v", g, err)
	}
	if _, err := v.Window(context.Background(), t0); !errors.Is(err, errFire) {
		t.Fatalf("Window = %v", err)
	}
	if err := v.ClearWindow(context.Background(), servicepass.WindowStatus{}); !errors.Is(err, errFire) {
		t.Fatalf("ClearWindow = %v", err)
	}
}

// TestDamagedStateSurvivesRestart: a damaged state file found by an update
// that saves nothing (Window), or by a process that stops before it saves,
// must still count as damaged on the next start.
func TestDamagedStateSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "state")
	open := f.fileVerifier(t, "dev", path)
	iss := f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	if _, err := open().Verify(context.Background(), iss.Code.Reveal(), t0); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 20); err != nil {
		t.Fatal(err)
	}
	// Window finds the damage and reports the lost revert duty.
	if st, err := open().Window(context.Background(), t0.Add(time.Minute)); !errors.Is(err, servicepass.ErrStateLost) || st.Revert != servicepass.Reversible {
		t.Fatalf("Window on a damaged state: %+v, %v", st, err)
	}
	g, err := open().Verify(context.Background(), iss.Code.Reveal(), t0.Add(2*time.Minute)) // after a restart
	if err != nil || !g.Degraded {
		t.Fatalf("replay after damage and restart: %+v, %v; want a degraded grant", g, err)
	}
}

// TestDamagedAtClockSetBack: setting the device clock back when the damage
// is found (any code that reaches the MAC check will do) must not make a
// later replay of a code used before the damage look undamaged.
func TestDamagedAtClockSetBack(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "state")
	open := f.fileVerifier(t, "dev", path)
	iss := f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	if _, err := open().Verify(context.Background(), iss.Code.Reveal(), t0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	v := open()
	// A forged code (wrong MAC) at a device time set far back.
	p, err := servicepass.Decode(iss.Code.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	p.MAC = flipTag(p.MAC, 1)
	if _, err := v.Verify(context.Background(), p.Canonical(), servicepass.Epoch); !errors.Is(err, servicepass.ErrInvalid) {
		t.Fatalf("forged code: %v", err)
	}
	g, err := v.Verify(context.Background(), iss.Code.Reveal(), t0.Add(time.Minute))
	if err != nil || !g.Degraded {
		t.Fatalf("replay after damage found at a clock set back: %+v, %v; want a degraded grant", g, err)
	}
}

// TestWindowClockTurnedBack: once the device has seen a time past the end
// of the privileged window, turning the clock back must not reopen it, also
// after a restart.
func TestWindowClockTurnedBack(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "state")
	open := f.fileVerifier(t, "dev", path)
	iss := f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.DisableKiosk})
	if _, err := open().Verify(context.Background(), iss.Code.Reveal(), t0); err != nil {
		t.Fatal(err)
	}
	if st, err := open().Window(context.Background(), t0.Add(2*time.Hour)); err != nil || st.Active || st.Revert != servicepass.DisableKiosk {
		t.Fatalf("after the end: %+v %v", st, err)
	}
	if st, err := open().Window(context.Background(), t0.Add(30*time.Minute)); err != nil || st.Active || st.Revert != servicepass.DisableKiosk {
		t.Fatalf("clock turned back into the window: %+v %v; want it ended", st, err)
	}
}

// TestDayValidMidnightGap: in a zone whose clocks skip midnight (Santiago
// springs forward from 00:00 to 01:00), a day-valid code is still valid in
// the last hour of its date, and expires when the next date begins.
func TestDayValidMidnightGap(t *testing.T) {
	santiago := mustLoc("America/Santiago")
	f := newFixture(t)
	f.clock.Set(time.Date(2026, 9, 1, 12, 0, 0, 0, santiago))
	keys, _ := f.is.DeviceKeys("cope")
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "cope", Mode: servicepass.COPE, HasMode: true, Keys: keys, Location: santiago}, nil, &servicepass.VerifierOptions{Skew: -1})
	if err != nil {
		t.Fatal(err)
	}
	iss := f.issue(t, servicepass.Request{DeviceID: "cope", Mode: servicepass.COPE, Actions: servicepass.SetPassword,
		ExpiryDate: servicepass.Date{Year: 2026, Month: 9, Day: 5}, Location: santiago})
	end := time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC) // 2026-09-06 01:00 -03, the first instant of the 6th
	if !iss.ExpiresAt.Equal(end) {
		t.Errorf("Issued.ExpiresAt = %v, want %v", iss.ExpiresAt, end)
	}
	lastHour := time.Date(2026, 9, 5, 23, 30, 0, 0, santiago)
	g, err := v.Verify(context.Background(), iss.Code.Reveal(), lastHour)
	if err != nil || !g.Expiry.Equal(end) {
		t.Fatalf("at %v: %+v, %v; want a grant expiring at %v", lastHour, g, err, end)
	}
	if _, err := v.Verify(context.Background(), iss.Code.Reveal(), end); !errors.Is(err, servicepass.ErrExpired) {
		t.Fatalf("at %v: %v; want expired", end, err)
	}
}

// failingStore runs every update but fails to store while fail is set: a
// third-party store whose disk is full.
type failingStore struct {
	mem  *servicepass.MemDeviceStore
	fail bool
}

var errFull = errors.New("disk full")

func (s *failingStore) Update(ctx context.Context, fn func([]byte) ([]byte, error)) error {
	stored := false
	err := s.mem.Update(ctx, func(old []byte) ([]byte, error) {
		next, err := fn(old)
		if err != nil || next == nil || s.fail {
			return nil, err
		}
		stored = true
		return next, nil
	})
	if err == nil && s.fail && !stored {
		return errFull
	}
	return err
}

// TestVerifierKeepsUnsavedState (issue 22): the store contract no longer
// asks a store to keep a state it failed to save; the verifier keeps it,
// so the replay guard holds while the process runs, and the next save that
// succeeds stores it.
func TestVerifierKeepsUnsavedState(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	store := &failingStore{mem: servicepass.NewMemDeviceStore(), fail: true}
	v := f.verifier(t, "dev", servicepass.DeviceOwner, store)
	a, b := f.do(t, servicepass.Unlock, t0.Add(time.Hour)), f.do(t, servicepass.DisableKiosk, t0.Add(time.Hour))
	g, err := v.Verify(ctx, a, t0)
	if err != nil || !g.Degraded || !errors.Is(g.StateError, errFull) {
		t.Fatalf("grant on a full disk: %+v %v", g, err)
	}
	if _, err := v.Verify(ctx, a, t0.Add(time.Second)); !errors.Is(err, servicepass.ErrReplay) || !errors.Is(err, servicepass.ErrNotSaved) {
		t.Fatalf("replay on a full disk: %v; want ErrReplay and ErrNotSaved", err)
	}
	store.fail = false
	if g, err := v.Verify(ctx, b, t0.Add(2*time.Second)); err != nil || g.Degraded {
		t.Fatalf("grant once the disk has room: %+v %v", g, err)
	}
	// Another verifier (another process) sees both uses and the window.
	w := f.verifier(t, "dev", servicepass.DeviceOwner, store)
	if _, err := w.Verify(ctx, a, t0.Add(3*time.Second)); !errors.Is(err, servicepass.ErrReplay) {
		t.Fatalf("the first use was not saved with the second: %v", err)
	}
	st, err := w.Window(ctx, t0.Add(4*time.Second))
	if err != nil || st.Actions != servicepass.Unlock|servicepass.DisableKiosk {
		t.Fatalf("window: %+v %v", st, err)
	}
}
