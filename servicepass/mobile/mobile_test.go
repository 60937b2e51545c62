package mobile_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/internal/vectors"
	"github.com/mdmcred/mdmcred/servicepass/mobile"
)

// keystore is a DeviceMAC the way a phone's keystore answers: HMAC-SHA256
// under key bytes the verifier never sees; fail makes it fail.
type keystore struct {
	keys map[int32][]byte
	fail bool
}

func (k *keystore) MAC(keyID int32, msg []byte) ([]byte, error) {
	if k.fail {
		return nil, errors.New("keystore locked")
	}
	key, ok := k.keys[keyID]
	if !ok {
		return nil, errors.New("no such key")
	}
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil), nil
}

// importKeys is the provisioning step of a host that holds the keys: it
// parses the provisioning file and imports every key into its keystore.
func importKeys(t *testing.T, prov []byte) (*mobile.Provisioning, *keystore) {
	t.Helper()
	p, err := mobile.ParseProvisioning(prov)
	if err != nil {
		t.Fatal(err)
	}
	ks := &keystore{keys: map[int32][]byte{}}
	for _, id := range p.KeyIDs() {
		if ks.keys[int32(id)] = p.Key(int32(id)); len(ks.keys[int32(id)]) != 32 {
			t.Fatalf("key %d: %d bytes", id, len(ks.keys[int32(id)]))
		}
	}
	if p.Key(200) != nil {
		t.Fatal("a key for an ID not in the keyring")
	}
	return p, ks
}

// TestVectors runs servicepass's code vectors through the facade, with the
// key bytes and with the keys held by the host, and checks every step's
// outcome.
func TestVectors(t *testing.T) {
	cases, left, err := vectors.Load("../testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("only %d vectors runnable (left out: %v)", len(cases), left)
	}
	makers := []struct {
		name string
		make func(t *testing.T, prov []byte) (*mobile.Verifier, error)
	}{
		{"key bytes", func(t *testing.T, prov []byte) (*mobile.Verifier, error) { return mobile.NewVerifier(prov, "") }},
		{"held keys", func(t *testing.T, prov []byte) (*mobile.Verifier, error) {
			p, ks := importKeys(t, prov)
			return mobile.NewHeldVerifier(p.DeviceID(), p.Mode(), p.Zone(), p.KeyIDs(), "", ks)
		}},
	}
	for _, mk := range makers {
		steps := 0
		for _, c := range cases {
			t.Run(mk.name+"/"+c.Name, func(t *testing.T) {
				v, err := mk.make(t, c.Provisioning)
				if err != nil {
					t.Fatal(err)
				}
				defer v.Close()
				for i, s := range c.Steps {
					steps++
					var got string
					switch s.Op {
					case "verify":
						r := v.Verify(s.Code, s.NowMs)
						got = r.Outcome
						if r.Granted != (r.Outcome == mobile.OutcomeGranted) || r.NotSaved {
							t.Errorf("step %d: inconsistent result %+v", i, r)
						}
					case "window":
						w, err := v.Window(s.NowMs)
						if err != nil {
							t.Fatal(err)
						}
						got = map[bool]string{false: "ok", true: "state-lost"}[w.StateLost]
					}
					if got != s.Want {
						t.Errorf("step %d (%s %s): got %q, want %q", i, s.Op, s.Code, got, s.Want)
					}
				}
			})
		}
		t.Logf("%s: %d vectors, %d steps; left out (state loss or acknowledgements): %v", mk.name, len(cases), steps, left)
	}
}

// TestHeldKeyUnavailable: a failing keystore refuses with key-unavailable
// and changes nothing: once it answers, the code grants, not degraded.
func TestHeldKeyUnavailable(t *testing.T) {
	prov, is := device(t)
	p, ks := importKeys(t, prov)
	path := filepath.Join(t.TempDir(), "state")
	if err := mobile.InitState(path); err != nil {
		t.Fatal(err)
	}
	v, err := mobile.NewHeldVerifier(p.DeviceID(), p.Mode(), p.Zone(), p.KeyIDs(), path, ks)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	code := issue(t, is)
	now := t0.Add(time.Minute).UnixMilli()
	ks.fail = true
	for range 5 {
		if r := v.Verify(code, now); r.Outcome != mobile.OutcomeKeyUnavailable || r.Granted {
			t.Fatalf("keystore locked: %+v", r)
		}
	}
	ks.fail = false
	if r := v.Verify(code, now); r.Outcome != mobile.OutcomeGranted || r.Degraded {
		t.Fatalf("keystore back: %+v", r)
	}
}

func TestNewHeldVerifierRefuses(t *testing.T) {
	ks := &keystore{}
	tests := []struct {
		name, dev, mode, zone string
		ids                   []byte
		mac                   mobile.DeviceMAC
	}{
		{"no DeviceMAC", "d", "device-owner", "", []byte{1}, nil},
		{"unknown mode", "d", "kiosk", "", []byte{1}, ks},
		{"unknown zone", "d", "cope", "Mars/Olympus", []byte{1}, ks},
		{"Local zone", "d", "cope", "Local", []byte{1}, ks},
		{"COPE without zone", "d", "cope", "", []byte{1}, ks},
		{"no keys", "d", "device-owner", "", nil, ks},
		{"key ID twice", "d", "device-owner", "", []byte{1, 1}, ks},
		{"empty device ID", "", "device-owner", "", []byte{1}, ks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := mobile.NewHeldVerifier(tt.dev, tt.mode, tt.zone, tt.ids, "", tt.mac); err == nil {
				v.Close()
				t.Fatal("accepted")
			}
		})
	}
}

// device makes a provisioning file for a Device Owner device and an issuer
// for it.
func device(t *testing.T) ([]byte, *servicepass.Issuer) {
	t.Helper()
	mk, err := servicepass.NewMasterKey(1, []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{mk}, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	dk, err := servicepass.DeriveDeviceKey(mk, "device-1")
	if err != nil {
		t.Fatal(err)
	}
	p := servicepass.Provisioning{DeviceID: "device-1", Mode: servicepass.DeviceOwner, HasMode: true, Location: time.UTC, Keys: []servicepass.DeviceKey{dk}}
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return data, is
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func issue(t *testing.T, is *servicepass.Issuer) string {
	t.Helper()
	iss, err := is.Issue(context.Background(), servicepass.Request{DeviceID: "device-1", Mode: servicepass.DeviceOwner,
		Actions: servicepass.Unlock | servicepass.DisableKiosk, ExpiresAt: t0.Add(2 * time.Hour), Admin: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return iss.Display.Reveal()
}

// TestFileState: the state file outlives the verifier (a replay after a
// restart is refused), the window and use log read it, and a deleted state
// file on a provisioned device is reported as lost.
func TestFileState(t *testing.T) {
	prov, is := device(t)
	path := filepath.Join(t.TempDir(), "agent.state")
	if err := mobile.InitState(path); err != nil {
		t.Fatal(err)
	}
	code := issue(t, is)
	now := t0.Add(time.Minute).UnixMilli()
	v, err := mobile.NewVerifier(prov, path)
	if err != nil {
		t.Fatal(err)
	}
	r := v.Verify(code, now)
	if r.Outcome != mobile.OutcomeGranted || r.Actions != int32(servicepass.Unlock|servicepass.DisableKiosk) || r.Degraded ||
		r.WindowEndMs != now+time.Hour.Milliseconds() || r.ExpiryMs != t0.Add(2*time.Hour).UnixMilli() || r.Scope != "Device" {
		t.Fatalf("first use: %+v", r)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	v, err = mobile.NewVerifier(prov, path)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if r := v.Verify(code, now+1000); r.Outcome != mobile.OutcomeReplayed || r.Granted {
		t.Fatalf("after restart: %+v", r)
	}
	w, err := v.Window(now + 2000)
	if err != nil || !w.Active || w.Actions != r0(servicepass.Unlock|servicepass.DisableKiosk) || w.StateLost {
		t.Fatalf("window %+v, %v", w, err)
	}
	log, err := v.UseLog()
	if err != nil || !json(log, `"serial"`) {
		t.Fatalf("use log %s, %v", log, err)
	}
	if got := v.AckUseLog(0); got != mobile.AckDone {
		t.Fatalf("AckUseLog: %s", got)
	}
	// The window ends: its reversible actions are to be reverted.
	w, err = v.Window(now + 2*time.Hour.Milliseconds())
	if err != nil || w.Active || w.Revert == 0 {
		t.Fatalf("ended window %+v, %v", w, err)
	}
	if got := v.ClearWindow(w); got != mobile.AckDone {
		t.Fatalf("ClearWindow: %s", got)
	}
	if got := v.ClearWindow(w); got != mobile.AckWindowChanged {
		t.Fatalf("second ClearWindow: %s", got)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	w, err = v.Window(now + 3*time.Hour.Milliseconds())
	if err != nil || !w.StateLost || w.Revert == 0 {
		t.Fatalf("lost state: %+v, %v", w, err)
	}
}

func r0(a servicepass.Actions) int32 { return int32(a) }

func json(b []byte, sub string) bool { return len(b) > 0 && contains(string(b), sub) }

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestChallenge: a response from the issuer grants once; the lifetime runs
// on the monotonic readings the host passes, not on the wall clock.
func TestChallenge(t *testing.T) {
	prov, is := device(t)
	v, err := mobile.NewVerifier(prov, "")
	if err != nil {
		t.Fatal(err)
	}
	respond := func(ch string) string {
		resp, err := is.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: "device-1", Challenge: ch,
			Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Display.Reveal()
	}
	wall := t0.UnixMilli()
	tests := []struct {
		name           string
		startMono      int64
		atMono         int64
		wallOffsetMs   int64
		want, wantNext string
	}{
		{"in time", 1_000, 1_000 + 14*60_000, 0, mobile.OutcomeGranted, mobile.OutcomeNoChallenge},
		{"wall clock far off", 5_000, 6_000, 400 * 24 * 3600_000, mobile.OutcomeGranted, mobile.OutcomeNoChallenge},
		{"lifetime over", 0, 15 * 60_000, 0, mobile.OutcomeChallengeExpired, mobile.OutcomeChallengeExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := v.NewChallenge(tt.startMono)
			if err != nil {
				t.Fatal(err)
			}
			resp := respond(ch)
			if r := v.VerifyResponse(resp, wall+tt.wallOffsetMs, tt.atMono); r.Outcome != tt.want {
				t.Fatalf("got %+v, want %s", r, tt.want)
			}
			if r := v.VerifyResponse(resp, wall+tt.wallOffsetMs, tt.atMono); r.Outcome != tt.wantNext {
				t.Fatalf("again: got %+v, want %s", r, tt.wantNext)
			}
		})
	}
}

// TestResultCodes: every servicepass verification reason has its own
// code, wrapped or not, and a save failure sets NotSaved.
func TestResultCodes(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{servicepass.ErrMalformed, "malformed"}, {servicepass.ErrTypo, "typo"}, {servicepass.ErrVersion, "version"},
		{servicepass.ErrUnknownKey, "unknown-key"}, {&servicepass.LockedOutError{RetryAfter: time.Minute}, "locked-out"},
		{servicepass.ErrInvalid, "bad-mac"}, {servicepass.ErrExpired, "expired"}, {servicepass.ErrNotYetValid, "not-yet-valid"},
		{servicepass.ErrClockBack, "clock-back"}, {servicepass.ErrMode, "mode"}, {servicepass.ErrReplay, "replayed"},
		{servicepass.ErrNoChallenge, "no-challenge"}, {servicepass.ErrChallengeExpired, "challenge-expired"},
		{servicepass.ErrChallengeVoid, "challenge-void"}, {servicepass.ErrState, "state-unavailable"},
		{fmt.Errorf("%w; %w", servicepass.ErrReplay, &servicepass.NotSavedError{Err: errors.New("disk full")}), "replayed"},
		{errors.New("other"), "error"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		r := mobile.ResultOf(servicepass.Grant{}, tt.err)
		if r.Outcome != tt.want || r.Granted || r.Detail == "" {
			t.Errorf("%v: got %+v, want %s", tt.err, r, tt.want)
		}
		seen[r.Outcome] = true
	}
	if len(seen) != len(tests)-1 {
		t.Errorf("codes not distinct: %v", seen)
	}
	if r := mobile.ResultOf(servicepass.Grant{}, &servicepass.LockedOutError{RetryAfter: time.Minute}); r.RetryAfterMs != 60_000 {
		t.Errorf("RetryAfterMs %d", r.RetryAfterMs)
	}
	r := mobile.ResultOf(servicepass.Grant{Actions: servicepass.Unlock, StateError: &servicepass.NotSavedError{Err: errors.New("disk full")}, Degraded: true}, nil)
	if !r.Granted || !r.NotSaved || !r.Degraded || r.ActionNames != "Unlock" {
		t.Errorf("unsaved grant: %+v", r)
	}
}

func TestNewVerifierRefuses(t *testing.T) {
	prov, _ := device(t)
	noMode := bytes.Replace(prov, []byte("mode device-owner\n"), nil, 1)
	if bytes.Equal(noMode, prov) {
		t.Fatalf("no mode line in %q", prov)
	}
	tests := []struct {
		name  string
		prov  []byte
		state string
	}{
		{"empty provisioning", nil, ""},
		{"garbage", []byte("not a provisioning file"), ""},
		{"no mode recorded", noMode, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := mobile.NewVerifier(tt.prov, tt.state); err == nil {
				v.Close()
				t.Fatal("accepted")
			}
		})
	}
}

func ExampleVerifier_Verify() {
	// A code for device 3f2504e0-... from servicepass/testdata/vectors.json
	// ("valid-deviceowner-Unlock"), with its provisioning file.
	prov := []byte(`mdmcred servicepass provisioning v1
device "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
mode device-owner
zone Europe/Warsaw
key 1 ff58b0694251c37b011faf111cb84a8d9c5e1e45e86fd6dee28d585f545a5711
`)
	v, err := mobile.NewVerifier(prov, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()
	now := time.Date(2026, 11, 22, 10, 1, 0, 0, time.UTC).UnixMilli()
	r := v.Verify("20810-74VRA-RQQ4D-R1V0Q-5PJYV", now)
	fmt.Println(r.Outcome, r.ActionNames, r.Scope)
	fmt.Println(v.Verify("20810-74VRA-RQQ4D-R1V0Q-5PJYV", now).Outcome)
	fmt.Println(v.Verify("20810-74VRA-RQQ4D-R1V0Q-5PJYW", now).Outcome)
	// Output:
	// granted Unlock Device
	// replayed
	// typo
}
