package servicepass_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// Regression tests for issue 13 (device-side state); each names its finding.

func (f *fixture) provisioned(t testing.TB, deviceID string, mode servicepass.Mode, store servicepass.DeviceStore, skew time.Duration) *servicepass.Verifier {
	t.Helper()
	keys, err := f.is.DeviceKeys(deviceID)
	if err != nil {
		t.Fatal(err)
	}
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: deviceID, Mode: mode, HasMode: true, Keys: keys, Location: warsaw}, store, &servicepass.VerifierOptions{Skew: skew})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// openFile opens the state file at path, closed when the test ends. A path
// never used before (no state file, no lock file) is provisioned first, as
// the agent's provisioning step does ([servicepass.InstallProvisioning]);
// a state file deleted after its first use stays deleted (a lost state). A
// path in a missing directory is left as it is (it cannot be saved).
func openFile(t testing.TB, path string) *servicepass.FileStore {
	t.Helper()
	if exists(filepath.Dir(path)) && !exists(path) && !exists(path+".lock") {
		install(t, path)
	}
	fs, err := servicepass.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fs.Close() })
	return fs
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func (f *fixture) do(t testing.TB, a servicepass.Actions, exp time.Time) string {
	t.Helper()
	return f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: a, ExpiresAt: exp}).Code.Reveal()
}

// Finding 2: on a provisioned device a deleted state file is damage. Since
// issue 22 the provisioning is what says provisioned: InstallProvisioning
// creates the state before it writes the provisioning file, a verifier made
// from the provisioning grants undegraded on it, and a state deleted
// afterwards is lost, also when the provisioning is installed again (a key
// rotation).
func TestProvisionedMissingState(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	path, provPath := filepath.Join(dir, "state"), filepath.Join(dir, "provisioning")
	prov, err := f.is.Provision("dev", servicepass.DeviceOwner, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := servicepass.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := servicepass.InstallProvisioning(ctx, provPath, prov, fs); err != nil {
		t.Fatal(err)
	}
	_ = fs.Close()
	open := func() *servicepass.Verifier {
		t.Helper()
		p, err := servicepass.ReadProvisioningFile(provPath)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := servicepass.OpenFileStore(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = fs.Close() })
		v, err := servicepass.NewVerifier(p, fs, nil)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	code := f.do(t, servicepass.Unlock|servicepass.DisableKiosk, t0.Add(2*time.Hour))
	if g, err := open().Verify(ctx, code, t0); err != nil || g.Degraded {
		t.Fatalf("first use: %+v %v", g, err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	g, err := open().Verify(ctx, code, t0.Add(time.Minute))
	if err != nil || !g.Degraded {
		t.Fatalf("replay after the state file was deleted: %+v, %v; want a degraded grant", g, err)
	}
	st, err := open().Window(ctx, t0.Add(2*time.Minute))
	if !errors.Is(err, servicepass.ErrStateLost) || st.Revert != servicepass.Reversible&^servicepass.DisableKiosk || !st.Active {
		t.Fatalf("window after the loss: %+v %v", st, err)
	}
	// Installing the provisioning again keeps the state there.
	if err := servicepass.InstallProvisioning(ctx, provPath, prov, openFile(t, path)); err != nil {
		t.Fatal(err)
	}
	if _, err := open().Verify(ctx, code, t0.Add(3*time.Minute)); !errors.Is(err, servicepass.ErrReplay) {
		t.Fatalf("after installing again on a live state: %v", err)
	}
	// ... and does not recreate a deleted one: it stays lost.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := servicepass.InstallProvisioning(ctx, provPath, prov, openFile(t, path)); err != nil {
		t.Fatal(err)
	}
	if exists(path) {
		t.Fatal("installing a provisioning again recreated a deleted state")
	}
	if g, err := open().Verify(ctx, code, t0.Add(4*time.Minute)); err != nil || !g.Degraded {
		t.Fatalf("after a reinstall over a deleted state: %+v %v; want degraded", g, err)
	}
	// A damaged provisioning file is replaced, and the state not
	// recreated.
	if err := os.WriteFile(provPath, []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := servicepass.InstallProvisioning(ctx, provPath, prov, openFile(t, path)); err != nil {
		t.Fatal(err)
	}
	if g, err := open().Verify(ctx, code, t0.Add(5*time.Minute)); err != nil || !g.Degraded {
		t.Fatalf("after a reinstall over a damaged provisioning file: %+v %v; want degraded", g, err)
	}
	// A provisioning for another device is refused.
	bad, err := f.is.Provision("other-dev", servicepass.DeviceOwner, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if err := servicepass.InstallProvisioning(ctx, provPath, bad, openFile(t, path)); !errors.Is(err, servicepass.ErrProvisioning) {
		t.Fatalf("install of another device's keys: %v", err)
	}
}

// Finding 3: no unauthenticated input moves the clock mark.
func TestClockMarkUnauthenticated(t *testing.T) {
	far := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		fn   func(f *fixture, v *servicepass.Verifier) error
	}{
		{"wrong MAC", func(f *fixture, v *servicepass.Verifier) error {
			p, _ := servicepass.Decode(f.do(t, servicepass.Unlock, t0.Add(time.Hour)))
			p.MAC = flipTag(p.MAC, 1)
			_, err := v.Verify(context.Background(), p.Canonical(), far)
			return expect(err, servicepass.ErrInvalid)
		}},
		{"expired genuine code", func(f *fixture, v *servicepass.Verifier) error {
			_, err := v.Verify(context.Background(), f.do(t, servicepass.Unlock, t0.Add(time.Hour)), far)
			return expect(err, servicepass.ErrExpired)
		}},
		{"window poll with a window open", func(f *fixture, v *servicepass.Verifier) error {
			if _, err := v.Verify(context.Background(), f.do(t, servicepass.DisableKiosk, t0.Add(time.Hour)), t0); err != nil {
				return err
			}
			_, err := v.Window(context.Background(), far)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			v := f.fileVerifier(t, "dev", filepath.Join(t.TempDir(), "state"))()
			if err := tc.fn(f, v); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(context.Background(), f.do(t, servicepass.Unlock, t0.Add(time.Hour)), t0.Add(time.Minute)); err != nil {
				t.Fatalf("genuine code at the real time after %s at %v: %v", tc.name, far, err)
			}
		})
	}
}

func expect(err, want error) error {
	if !errors.Is(err, want) {
		return errors.Join(errors.New("unexpected result"), err)
	}
	return nil
}

// Finding 3: an Emergency Database Reset code recovers a wrong clock mark,
// and the grant says so; a code whose record the wrong mark dropped is
// degraded when it comes back.
func TestClockMarkReset(t *testing.T) {
	f := newFixture(t)
	v := f.fileVerifier(t, "dev", filepath.Join(t.TempDir(), "state"))()
	early := f.do(t, servicepass.Unlock, t0.Add(time.Hour))
	if _, err := v.Verify(context.Background(), early, t0); err != nil {
		t.Fatal(err)
	}
	// A genuine long-lived code used while the clock was 29 days ahead.
	if _, err := v.Verify(context.Background(), f.do(t, servicepass.Unlock, t0.Add(servicepass.MaxValidity)), t0.Add(29*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), f.do(t, servicepass.Unlock, t0.Add(time.Hour)), t0.Add(time.Minute)); !errors.Is(err, servicepass.ErrClockBack) {
		t.Fatalf("clock set right: %v", err)
	}
	g, err := v.Verify(context.Background(), f.do(t, servicepass.EmergencyDatabaseReset, t0.Add(time.Hour)), t0.Add(2*time.Minute))
	if err != nil || !g.ClockReset {
		t.Fatalf("database reset code: %+v %v; want a grant with ClockReset", g, err)
	}
	// (A code expiring no later than a dropped record would be degraded.)
	if g, err := v.Verify(context.Background(), f.do(t, servicepass.Unlock, t0.Add(2*time.Hour)), t0.Add(3*time.Minute)); err != nil || g.ClockReset || g.Degraded {
		t.Fatalf("after the reset: %+v %v", g, err)
	}
	if g, err := v.Verify(context.Background(), early, t0.Add(4*time.Minute)); err != nil || !g.Degraded {
		t.Fatalf("code whose record the wrong mark dropped: %+v %v; want a degraded grant", g, err)
	}
}

// Finding 4a: a use after an ended window opens a new one.
func TestWindowNewAfterEnd(t *testing.T) {
	f := newFixture(t)
	v := f.fileVerifier(t, "dev", filepath.Join(t.TempDir(), "state"))()
	if _, err := v.Verify(context.Background(), f.do(t, servicepass.DisableKiosk, t0.Add(time.Hour)), t0); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(2 * time.Hour)
	if _, err := v.Verify(context.Background(), f.do(t, servicepass.Unlock, later.Add(time.Hour)), later); err != nil {
		t.Fatal(err)
	}
	st, err := v.Window(context.Background(), later.Add(time.Minute))
	if err != nil || !st.Active || st.Actions != servicepass.Unlock || !st.Start.Equal(later) || st.Revert != servicepass.DisableKiosk {
		t.Fatalf("%+v %v; want a new Unlock window from %v and DisableKiosk to revert", st, err, later)
	}
}

// Finding 4b: ClearWindow clears only the duty the agent saw.
func TestClearWindowCompareAndClear(t *testing.T) {
	f := newFixture(t)
	v := f.fileVerifier(t, "dev", filepath.Join(t.TempDir(), "state"))()
	if _, err := v.Verify(context.Background(), f.do(t, servicepass.DisableKiosk, t0.Add(time.Hour)), t0); err != nil {
		t.Fatal(err)
	}
	seen, err := v.Window(context.Background(), t0.Add(61*time.Minute))
	if err != nil || seen.Revert != servicepass.DisableKiosk {
		t.Fatal(seen, err)
	}
	// A grant lands between the agent's Window and its ClearWindow, and its
	// window ends too.
	if _, err := v.Verify(context.Background(), f.do(t, servicepass.AllowFactoryReset, t0.Add(2*time.Hour)), t0.Add(62*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Window(context.Background(), t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := v.ClearWindow(context.Background(), seen); !errors.Is(err, servicepass.ErrWindowChanged) {
		t.Fatalf("ClearWindow with a stale status: %v", err)
	}
	st, err := v.Window(context.Background(), t0.Add(3*time.Hour))
	if err != nil || st.Revert != servicepass.DisableKiosk|servicepass.AllowFactoryReset {
		t.Fatalf("after a stale ClearWindow: %+v %v", st, err)
	}
	if err := v.ClearWindow(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if st, _ := v.Window(context.Background(), t0.Add(3*time.Hour)); st.Revert != 0 || st.Active {
		t.Fatalf("after ClearWindow: %+v", st)
	}
	// A grant of an action pending revert takes it over: the status the
	// agent saw before it is stale.
	if _, err := v.Verify(context.Background(), f.do(t, servicepass.DisableKiosk, t0.Add(4*time.Hour)), t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	st, _ = v.Window(context.Background(), t0.Add(5*time.Hour))
	if _, err := v.Verify(context.Background(), f.do(t, servicepass.DisableKiosk, t0.Add(6*time.Hour)), t0.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := v.ClearWindow(context.Background(), st); !errors.Is(err, servicepass.ErrWindowChanged) {
		t.Fatalf("ClearWindow after the action was granted again: %v", err)
	}
}

// Finding 4c: a lost state during a window reports every reversible action.
func TestWindowLostState(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "state")
	open := f.fileVerifier(t, "dev", path)
	if _, err := open().Verify(context.Background(), f.do(t, servicepass.DisableKiosk|servicepass.AllowFactoryReset, t0.Add(time.Hour)), t0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // reported until acknowledged, also after a restart
		st, err := open().Window(context.Background(), t0.Add(time.Minute))
		if !errors.Is(err, servicepass.ErrStateLost) || st.Revert != servicepass.Reversible || st.Active {
			t.Fatalf("poll %d: %+v %v", i, st, err)
		}
		if i == 1 {
			if err := open().ClearWindow(context.Background(), st); err != nil {
				t.Fatal(err)
			}
		}
	}
	if st, err := open().Window(context.Background(), t0.Add(2*time.Minute)); err != nil || st != (servicepass.WindowStatus{RevertSeq: st.RevertSeq}) {
		t.Fatalf("after acknowledging: %+v %v", st, err)
	}
}

// Finding 4: a clock turned back before the window's start ends it.
func TestWindowClockBeforeStart(t *testing.T) {
	f := newFixture(t)
	v := f.fileVerifier(t, "dev", filepath.Join(t.TempDir(), "state"))()
	if _, err := v.Verify(context.Background(), f.do(t, servicepass.DisableKiosk, t0.Add(time.Hour)), t0); err != nil {
		t.Fatal(err)
	}
	if st, err := v.Window(context.Background(), t0.Add(-time.Hour)); err != nil || st.Active || st.Revert != servicepass.DisableKiosk {
		t.Fatalf("%+v %v", st, err)
	}
}

// Finding 5a: a day-valid code is degraded after a damage over the same
// 31-day bound the verifier accepts it by.
func TestDegradedDayValidBound(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(time.Date(2026, 11, 22, 0, 30, 0, 0, warsaw))
	path := filepath.Join(t.TempDir(), "state")
	open := func() *servicepass.Verifier { return f.provisioned(t, "cope", servicepass.COPE, openFile(t, path), 0) }
	code := f.issue(t, servicepass.Request{DeviceID: "cope", Mode: servicepass.COPE, Actions: servicepass.SetPassword,
		ExpiryDate: servicepass.Date{Year: 2026, Month: 12, Day: 21}, Location: warsaw}).Code.Reveal()
	device := time.Date(2026, 11, 20, 12, 0, 0, 0, warsaw) // the device clock is two days behind
	if err := servicepass.InstallProvisioning(context.Background(), "", nil, openFile(t, path)); err != nil {
		t.Fatal(err)
	}
	if g, err := open().Verify(context.Background(), code, device); err != nil || g.Degraded {
		t.Fatalf("first use, 31 days ahead: %+v %v", g, err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if g, err := open().Verify(context.Background(), code, device.Add(5*time.Minute)); err != nil || !g.Degraded {
		t.Fatalf("same-day replay after the damage: %+v, %v; want a degraded grant", g, err)
	}
}

// Finding 5b: spending an old code first at a clock set back must not make
// a later replay of a recent code look undamaged.
func TestDegradedOldCodeFirst(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "state")
	open := f.fileVerifier(t, "dev", path)
	f.clock.Set(t0.Add(-3 * 24 * time.Hour))
	old := f.do(t, servicepass.Unlock, t0.Add(-24*time.Hour))
	f.clock.Set(t0)
	recent := f.do(t, servicepass.Unlock, t0.Add(servicepass.MaxValidity))
	if _, err := open().Verify(context.Background(), recent, t0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if g, err := open().Verify(context.Background(), old, t0.Add(-2*24*time.Hour)); err != nil || !g.Degraded {
		t.Fatalf("old code at a clock set back: %+v %v", g, err)
	}
	if g, err := open().Verify(context.Background(), recent, t0.Add(time.Minute)); err != nil || !g.Degraded {
		t.Fatalf("replay of the recent code: %+v, %v; want a degraded grant", g, err)
	}
}

// Finding 5c: a verifier restarted with a larger skew must not accept, as
// undamaged, a code whose record was dropped under the smaller one.
func TestDegradedSkewGrows(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "state")
	open := func(skew time.Duration) *servicepass.Verifier {
		return f.provisioned(t, "dev", servicepass.DeviceOwner, openFile(t, path), skew)
	}
	if err := servicepass.InstallProvisioning(context.Background(), "", nil, openFile(t, path)); err != nil {
		t.Fatal(err)
	}
	a := f.do(t, servicepass.Unlock, t0.Add(10*time.Minute))
	b := f.do(t, servicepass.Unlock, t0.Add(2*time.Hour))
	c := f.do(t, servicepass.Unlock, t0.Add(2*time.Hour+30*time.Minute))
	small := open(5 * time.Minute)
	if _, err := small.Verify(context.Background(), a, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := small.Verify(context.Background(), b, t0.Add(21*time.Minute)); err != nil { // drops a's record
		t.Fatal(err)
	}
	large := open(time.Hour)
	if g, err := large.Verify(context.Background(), a, t0.Add(30*time.Minute)); err != nil || !g.Degraded {
		t.Fatalf("code whose record was dropped, under a larger skew: %+v, %v; want a degraded grant", g, err)
	}
	if _, err := large.Verify(context.Background(), b, t0.Add(31*time.Minute)); !errors.Is(err, servicepass.ErrReplay) {
		t.Fatalf("b under the larger skew: %v", err)
	}
	// The larger skew is remembered: back to the small one, b's record is
	// still kept for twice an hour past its expiry.
	if g, err := open(5*time.Minute).Verify(context.Background(), c, t0.Add(2*time.Hour+15*time.Minute)); err != nil || g.Degraded {
		t.Fatal(g, err)
	}
	if err := readState(t, path, func(s *servicepass.TestState) {
		if s.MaxSkew != time.Hour || len(s.Used) != 2 {
			t.Errorf("MaxSkew %v, %d records", s.MaxSkew, len(s.Used))
		}
	}); err != nil {
		t.Fatal(err)
	}
}

// Finding 5: the use log records every grant until the agent acknowledges.
func TestUseLog(t *testing.T) {
	f := newFixture(t)
	v := f.fileVerifier(t, "dev", filepath.Join(t.TempDir(), "state"))()
	var serials []uint32
	for i := range servicepass.UseLogSize + 3 {
		iss := f.issue(t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, ExpiresAt: t0.Add(time.Hour)})
		if _, err := v.Verify(context.Background(), iss.Code.Reveal(), t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
		serials = append(serials, iss.Serial)
	}
	entries, dropped, err := v.UseLog(context.Background())
	if err != nil || len(entries) != servicepass.UseLogSize || dropped != 3 {
		t.Fatalf("%d entries, %d dropped, %v", len(entries), dropped, err)
	}
	for i, e := range entries {
		if e.Seq != uint64(i+3) || e.Serial != serials[i+3] || e.KeyID != 1 || !e.At.Equal(t0.Add(time.Duration(i+3)*time.Second)) || e.Degraded {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
	if err := v.AckUseLog(context.Background(), entries[9].Seq); err != nil {
		t.Fatal(err)
	}
	entries, dropped, _ = v.UseLog(context.Background())
	if len(entries) != servicepass.UseLogSize-10 || dropped != 0 || entries[0].Seq != 13 {
		t.Fatalf("after the acknowledgement: %d entries from %d, %d dropped", len(entries), entries[0].Seq, dropped)
	}
}

// Finding 6: a state that cannot be saved is never silent, and the lockout
// still engages in memory.
func TestUnsavedStateNotSilent(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, "dev", servicepass.DeviceOwner, openFile(t, filepath.Join(t.TempDir(), "missing-dir", "state")))
	g, err := v.Verify(context.Background(), f.do(t, servicepass.Unlock, t0.Add(time.Hour)), t0)
	if err != nil || !g.Degraded || !errors.Is(g.StateError, servicepass.ErrNotSaved) || !errors.Is(g.StateError, os.ErrNotExist) {
		t.Fatalf("grant: %+v %v; want StateError matching ErrNotSaved and the cause", g, err)
	}
	p, _ := servicepass.Decode(f.do(t, servicepass.Unlock, t0.Add(time.Hour)))
	p.MAC = flipTag(p.MAC, 1)
	invalid := 0
	for range 50 {
		_, err := v.Verify(context.Background(), p.Canonical(), t0)
		if !errors.Is(err, servicepass.ErrNotSaved) && !errors.Is(err, servicepass.ErrLockedOut) {
			t.Fatalf("refusal does not say the state was not saved: %v", err)
		}
		if errors.Is(err, servicepass.ErrInvalid) {
			invalid++
		}
	}
	if invalid != servicepass.DefaultLockout.Free+1 {
		t.Fatalf("%d of 50 wrong codes reached the MAC check; want %d", invalid, servicepass.DefaultLockout.Free+1)
	}
	var ns *servicepass.NotSavedError
	_, err = v.Verify(context.Background(), p.Canonical(), t0.Add(48*time.Hour))
	if !errors.As(err, &ns) || !errors.Is(err, servicepass.ErrInvalid) {
		t.Fatalf("%v", err)
	}
}

// Finding 9: a COPE verifier needs its zone; there is no time.Local default.
func TestVerifierLocationRequired(t *testing.T) {
	dk := mustDeviceKey(t, testMaster(1), "d")
	_, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "d", Mode: servicepass.COPE, HasMode: true, Keys: []servicepass.DeviceKey{dk}}, nil, nil)
	var pe *servicepass.ProvisioningError
	if !errors.As(err, &pe) || pe.Field != "zone" {
		t.Fatalf("COPE without Location: %v", err)
	}
	if _, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "d", Mode: servicepass.DeviceOwner, HasMode: true, Keys: []servicepass.DeviceKey{dk}}, nil, nil); err != nil {
		t.Fatalf("Device Owner without Location: %v", err)
	}
}

// Finding 10: temporary files a crashed save left are removed at load.
func TestLeftoverTempFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	for _, n := range []string{"state.tmp123", "state.tmp", "state.tmp9876543"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	keep := filepath.Join(dir, "other.tmp1")
	if err := os.WriteFile(keep, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, err := servicepass.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if err := fs.Update(context.Background(), func([]byte) ([]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "state.tmp*"))
	if len(left) != 0 {
		t.Fatalf("left over: %v", left)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatal("another file's temporary file was removed")
	}
}
