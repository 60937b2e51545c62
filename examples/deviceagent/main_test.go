package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/examples/internal/provision"
	"github.com/mdmcred/mdmcred/servicepass"
)

// TestStandardLibraryOnly checks that the agent links nothing but the
// standard library and this module's own standard-library-only packages.
func TestStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := func(p string) bool {
		return p == "github.com/mdmcred/mdmcred/examples/deviceagent" ||
			p == "github.com/mdmcred/mdmcred/examples/internal/provision" ||
			p == "github.com/mdmcred/mdmcred/servicepass" ||
			strings.HasPrefix(p, "github.com/mdmcred/mdmcred/internal/")
	}
	deps := strings.Fields(string(out))
	if len(deps) < 3 {
		t.Fatalf("go list found only %v", deps)
	}
	for _, p := range deps {
		if !allowed(p) {
			t.Errorf("deviceagent depends on %s", p)
		}
	}
}

// site is an issuer and a provisioned device at a fixed time.
type site struct {
	t      *testing.T
	dir    string
	now    time.Time
	issuer *servicepass.Issuer
	keys   string // device key file of "device-42"
	state  string
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{t: t, dir: t.TempDir(), now: t0}
	master, err := servicepass.NewMasterKey(7, bytes.Repeat([]byte{42}, servicepass.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s.issuer, err = servicepass.NewIssuer(servicepass.IssuerConfig{
		Keys: []servicepass.MasterKey{master},
		Now:  func() time.Time { return s.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	s.keys = s.keyFile("device-42")
	s.state = filepath.Join(s.dir, "agent.state")
	// Provisioning: the key file is installed and the state created.
	if status, out, errOut := s.agent("do", t0, "", "-init"); status != exitGranted || out != "STATE initialized\n" {
		t.Fatalf("-init: %d %q %q", status, out, errOut)
	}
	return s
}

// keyFile writes the key file of device and returns its path.
func (s *site) keyFile(device string) string {
	ring, err := s.issuer.DeviceKeys(device)
	if err != nil {
		s.t.Fatal(err)
	}
	path := filepath.Join(s.dir, device+".keys")
	if err := provision.WriteFile(path, provision.MarshalDeviceKeys(device, ring), true); err != nil {
		s.t.Fatal(err)
	}
	return path
}

// issue makes a code for device.
func (s *site) issue(r servicepass.Request) string {
	if r.DeviceID == "" {
		r.DeviceID = "device-42"
	}
	if r.Actions == 0 {
		r.Actions = servicepass.Unlock | servicepass.DisableKiosk
	}
	r.Admin = "admin@example.com"
	iss, err := s.issuer.Issue(context.Background(), r)
	if err != nil {
		s.t.Fatal(err)
	}
	return iss.Display.Reveal()
}

// agent runs the program with the site's key and state files, the given
// mode and device time, and extra arguments.
func (s *site) agent(mode string, at time.Time, stdin string, extra ...string) (int, string, string) {
	args := append([]string{"-keys", s.keys, "-mode", mode, "-state", s.state, "-now", at.Format(time.RFC3339)}, extra...)
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func mistype(code string) string {
	b := []byte(code)
	if b[3] == 'A' {
		b[3] = 'B'
	} else {
		b[3] = 'A'
	}
	return string(b)
}

func TestGrantAndRefusals(t *testing.T) {
	s := newSite(t)
	code := s.issue(servicepass.Request{ExpiresAt: t0.Add(2 * time.Hour)})
	at := t0.Add(time.Minute)

	steps := []struct {
		name   string
		mode   string
		at     time.Time
		stdin  string
		args   []string
		status int
		want   []string
	}{
		{"typo first", "device-owner", at, "", []string{mistype(code)}, exitRefused, []string{"REFUSED typo:"}},
		{"malformed", "device-owner", at, "", []string{"hello"}, exitRefused, []string{"REFUSED malformed:"}},
		{"wrong mode", "cope", at, "", []string{"-tz", "UTC", code}, exitRefused, []string{"REFUSED mode:"}},
		{"not yet valid", "device-owner", t0.Add(-40 * 24 * time.Hour), "", []string{code}, exitRefused, []string{"REFUSED not-yet-valid:"}},
		{"grant, typed in lowercase groups", "device-owner", at, "", strings.Split(strings.ToLower(code), "-"), exitGranted, []string{
			"GRANTED Unlock|DisableKiosk", "scope:        Device", "mode:         DeviceOwner",
			"valid until:  2026-11-22T12:00:00Z", "window until: 2026-11-22T11:01:00Z", "then revert:  DisableKiosk",
		}},
		{"replay from stdin", "device-owner", at.Add(time.Minute), code + "\n", nil, exitRefused, []string{"REFUSED replay:", "error: servicepass: code already used"}},
		{"clock turned back", "device-owner", t0.Add(-time.Hour), "", []string{s.issue(servicepass.Request{ExpiresAt: t0.Add(3 * time.Hour)})}, exitRefused, []string{"REFUSED clock-back:"}},
		{"expired", "device-owner", t0.Add(3 * time.Hour), "", []string{code}, exitRefused, []string{"REFUSED expired:"}},
	}
	for _, st := range steps {
		status, out, errOut := s.agent(st.mode, st.at, st.stdin, st.args...)
		if status != st.status {
			t.Errorf("%s: status %d, want %d\n%s%s", st.name, status, st.status, out, errOut)
		}
		for _, w := range st.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", st.name, w, out)
			}
		}
		if strings.Contains(out, code) || strings.Contains(errOut, code) {
			t.Errorf("%s: the code was echoed", st.name)
		}
	}
}

func TestWrongDeviceAndLockout(t *testing.T) {
	s := newSite(t)
	other := s.issue(servicepass.Request{DeviceID: "device-43"})
	for i := range servicepass.DefaultLockout.Free {
		status, out, _ := s.agent("do", t0, "", other)
		if status != exitRefused || !strings.HasPrefix(out, "REFUSED invalid:") {
			t.Fatalf("attempt %d: %d %s", i, status, out)
		}
	}
	status, out, _ := s.agent("do", t0, "", other)
	if status != exitRefused || !strings.HasPrefix(out, "REFUSED invalid:") {
		t.Fatalf("fourth attempt: %d %s", status, out)
	}
	status, out, _ = s.agent("do", t0.Add(time.Second), "", s.issue(servicepass.Request{}))
	if status != exitRefused || !strings.HasPrefix(out, "REFUSED locked-out: too many wrong codes; try again in 59s") {
		t.Fatalf("during the back-off: %d %s", status, out)
	}
	status, out, _ = s.agent("do", t0.Add(2*time.Minute), "", s.issue(servicepass.Request{}))
	if status != exitGranted {
		t.Fatalf("after the back-off: %d %s", status, out)
	}
}

func TestUnknownKey(t *testing.T) {
	s := newSite(t)
	code := s.issue(servicepass.Request{})
	ring := provision.MarshalDeviceKeys("device-42", []servicepass.DeviceKey{mustDeviceKey(t, 3)})
	if err := provision.WriteFile(s.keys, ring, true); err != nil {
		t.Fatal(err)
	}
	status, out, _ := s.agent("do", t0, "", code)
	if status != exitRefused || !strings.HasPrefix(out, "REFUSED unknown-key:") {
		t.Fatalf("%d %s", status, out)
	}
}

func mustDeviceKey(t *testing.T, id uint8) servicepass.DeviceKey {
	k, err := servicepass.NewDeviceKey(id, bytes.Repeat([]byte{id + 1}, servicepass.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCOPEDayValid(t *testing.T) {
	s := newSite(t)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	code := s.issue(servicepass.Request{Mode: servicepass.COPE, Actions: servicepass.SetPassword,
		ExpiryDate: servicepass.Date{Year: 2026, Month: time.November, Day: 24}, Location: paris})
	status, out, _ := s.agent("cope", t0, "", "-tz", "Europe/Paris", code)
	if status != exitGranted || !strings.Contains(out, "GRANTED SetPassword") ||
		!strings.Contains(out, "valid until:  2026-11-25T00:00:00+01:00 (end of its day, once per day)") {
		t.Fatalf("%d %s", status, out)
	}
	status, out, _ = s.agent("cope", t0.Add(time.Hour), "", "-tz", "Europe/Paris", code)
	if status != exitRefused || !strings.HasPrefix(out, "REFUSED replay:") {
		t.Fatalf("same day: %d %s", status, out)
	}
	status, out, _ = s.agent("cope", t0.Add(24*time.Hour), "", "-tz", "Europe/Paris", code)
	if status != exitGranted {
		t.Fatalf("next day: %d %s", status, out)
	}
}

func TestWindowStatus(t *testing.T) {
	s := newSite(t)
	code := s.issue(servicepass.Request{Actions: servicepass.Unlock | servicepass.RemoveNetworkRestrictions})
	steps := []struct {
		at     time.Time
		args   []string
		status int
		want   string
	}{
		{t0, []string{"-status"}, exitGranted, "WINDOW none\n"},
		{t0, []string{code}, exitGranted, "lifted:       configure_mobile_networks roaming_data"},
		{t0.Add(30 * time.Minute), []string{"-status"}, exitGranted, "WINDOW active Unlock|RemoveNetworkRestrictions until 2026-11-22T11:00:00Z\n"},
		// -clear on an active window says why it does nothing (issue 14).
		{t0.Add(30 * time.Minute), []string{"-status", "-clear"}, exitRefused, "WINDOW active Unlock|RemoveNetworkRestrictions until 2026-11-22T11:00:00Z\nWINDOW not cleared: the window is active; its actions hold until 2026-11-22T11:00:00Z\n"},
		{t0.Add(2 * time.Hour), []string{"-status"}, exitGranted, "WINDOW ended 2026-11-22T11:00:00Z; revert RemoveNetworkRestrictions\n"},
		{t0.Add(2 * time.Hour), []string{"-status", "-clear"}, exitGranted, "WINDOW ended 2026-11-22T11:00:00Z; revert RemoveNetworkRestrictions\nWINDOW cleared revert RemoveNetworkRestrictions\n"},
		{t0.Add(2 * time.Hour), []string{"-status"}, exitGranted, "WINDOW none\n"},
		{t0.Add(2 * time.Hour), []string{"-status", "-clear"}, exitGranted, "WINDOW none\nWINDOW nothing to clear\n"},
		{t0, []string{"-clear", code}, exitUsage, ""},
		{t0, []string{"-log"}, exitGranted, "USE 0 key 7 serial"},
		{t0, []string{"-log", "-clear"}, exitGranted, "USE acknowledged\n"},
		{t0, []string{"-log"}, exitGranted, ""},
	}
	for i, st := range steps {
		status, out, errOut := s.agent("do", st.at, "", st.args...)
		if status != st.status || !strings.Contains(out, st.want) || (st.want == "" && out != "") {
			t.Errorf("step %d %v: %d %q %q, want %d %q", i, st.args, status, out, errOut, st.status, st.want)
		}
	}
}

func TestDamagedState(t *testing.T) {
	for _, damage := range []struct {
		name string
		fn   func(path string) error
	}{
		{"garbage", func(p string) error { return os.WriteFile(p, []byte("garbage"), 0o600) }},
		// The device is provisioned (it holds its key file): a deleted
		// state file is damage, not a fresh install (issue 13 finding 2).
		{"deleted", os.Remove},
	} {
		t.Run(damage.name, func(t *testing.T) {
			s := newSite(t)
			code := s.issue(servicepass.Request{})
			if status, out, _ := s.agent("do", t0, "", code); status != exitGranted || strings.Contains(out, "DEGRADED") {
				t.Fatalf("before the damage: %d %s", status, out)
			}
			if err := damage.fn(s.state); err != nil {
				t.Fatal(err)
			}
			status, out, _ := s.agent("do", t0.Add(time.Minute), "", "-status")
			if status != exitLost || !strings.Contains(out, "WINDOW lost: the device state was lost; revert "+servicepass.Reversible.String()+"\n") {
				t.Fatalf("status after the damage: %d %s", status, out)
			}
			status, out, _ = s.agent("do", t0.Add(2*time.Minute), "", code)
			if status != exitGranted || !strings.Contains(out, "DEGRADED") {
				t.Fatalf("replay after the damage: %d %s", status, out)
			}
			status, out, _ = s.agent("do", t0.Add(3*time.Minute), "", "-status", "-clear")
			if status != exitGranted || !strings.Contains(out, "WINDOW cleared revert") {
				t.Fatalf("acknowledging the lost duty: %d %s", status, out)
			}
		})
	}
	s := newSite(t)
	if err := os.WriteFile(s.state, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := s.agent("do", t0, "", s.issue(servicepass.Request{})); status != exitGranted {
		t.Fatal(status)
	}
	if _, err := os.Stat(s.state + ".damaged"); err != nil {
		t.Errorf("damaged file not kept aside: %v", err)
	}
}

// TestUnsavedState: a state that cannot be saved is never silent (issue 13
// finding 6): the agent says why and exits 3, for a grant and a refusal.
func TestUnsavedState(t *testing.T) {
	s := newSite(t)
	s.state = filepath.Join(s.dir, "no", "such", "state")
	code := s.issue(servicepass.Request{})
	status, out, _ := s.agent("do", t0, "", code)
	if status != exitUnsaved || !strings.HasPrefix(out, "GRANTED") || !strings.Contains(out, "STATE NOT SAVED: servicepass: locking device state: open ") ||
		!strings.Contains(out, "no such file or directory") {
		t.Fatalf("grant: %d %s", status, out)
	}
	status, out, _ = s.agent("do", t0, "", s.issue(servicepass.Request{DeviceID: "device-43"}))
	if status != exitUnsaved || !strings.HasPrefix(out, "REFUSED invalid:") || !strings.Contains(out, "STATE NOT SAVED:") {
		t.Fatalf("refusal: %d %s", status, out)
	}
}

func TestUsageErrors(t *testing.T) {
	s := newSite(t)
	bad := filepath.Join(s.dir, "bad.keys")
	if err := os.WriteFile(bad, []byte("nonsense\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no flags", nil, "usage: deviceagent"},
		{"unknown flag", []string{"-x"}, "flag provided but not defined"},
		{"no mode", []string{"-keys", s.keys, "-state", s.state}, "-mode is required"},
		{"mode against the file", []string{"-keys", s.copeFile(), "-state", s.state, "-mode", "do", "X"}, "provisioning file is for a COPE device"},
		{"bad mode", []string{"-keys", s.keys, "-state", s.state, "-mode", "byod", "X"}, "unknown mode"},
		{"missing keys", []string{"-keys", filepath.Join(s.dir, "none"), "-state", s.state, "-mode", "do", "X"}, "device not provisioned"},
		{"bad keys", []string{"-keys", bad, "-state", s.state, "-mode", "do", "X"}, "malformed provisioning file: line 1"},
		{"other device", []string{"-keys", s.keys, "-state", s.state, "-mode", "do", "-device", "device-43", "X"}, `key file is for device "device-42", not "device-43"`},
		{"bad zone", []string{"-keys", s.keys, "-state", s.state, "-mode", "do", "-tz", "Mars/Olympus", "X"}, "time zone"},
		{"status and log", []string{"-keys", s.keys, "-state", s.state, "-mode", "do", "-status", "-log"}, "separate"},
		{"bad now", []string{"-keys", s.keys, "-state", s.state, "-mode", "do", "-now", "yesterday", "X"}, "-now"},
		{"no code", []string{"-keys", s.keys, "-state", s.state, "-mode", "do"}, "no code"},
	}
	for _, tc := range cases {
		var out, errOut bytes.Buffer
		status := run(tc.args, strings.NewReader(""), &out, &errOut)
		if status != exitUsage || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%s: status %d, stderr %q, want %d and %q", tc.name, status, errOut.String(), exitUsage, tc.want)
		}
	}
}

// TestBinary builds the program and runs it as a user would, checking the
// exit statuses.
func TestBinary(t *testing.T) {
	s := newSite(t)
	bin := filepath.Join(t.TempDir(), "deviceagent")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	code := s.issue(servicepass.Request{})
	runBin := func(stdin string, args ...string) (int, string) {
		cmd := exec.Command(bin, append([]string{"-keys", s.keys, "-mode", "device-owner", "-state", s.state, "-now", t0.Format(time.RFC3339)}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if status, out := runBin(code + "\n"); status != 0 || !strings.HasPrefix(out, "GRANTED Unlock|DisableKiosk\n") {
		t.Fatalf("grant: %d %s", status, out)
	}
	if status, out := runBin("", code); status != 1 || !strings.HasPrefix(out, "REFUSED replay:") {
		t.Fatalf("replay: %d %s", status, out)
	}
	if status, _ := runBin("", "-mode"); status != 2 {
		t.Fatalf("usage: %d", status)
	}

	// Agents started at once on one state file grant a code exactly once
	// (issue 13 finding 1: the file store locks the file).
	const procs = 8
	for round := range 5 {
		code := s.issue(servicepass.Request{ExpiresAt: t0.Add(time.Hour + time.Duration(round)*time.Minute)})
		cmds := make([]*exec.Cmd, procs)
		outs := make([]bytes.Buffer, procs)
		for i := range cmds {
			cmds[i] = exec.Command(bin, "-keys", s.keys, "-mode", "device-owner", "-state", s.state, "-now", t0.Format(time.RFC3339), code)
			cmds[i].Stdout = &outs[i]
			if err := cmds[i].Start(); err != nil {
				t.Fatal(err)
			}
		}
		granted := 0
		for i, c := range cmds {
			err := c.Wait()
			switch {
			case err == nil && strings.HasPrefix(outs[i].String(), "GRANTED"):
				granted++
			case err != nil && strings.HasPrefix(outs[i].String(), "REFUSED replay:"):
			default:
				t.Errorf("round %d agent %d: %v %s", round, i, err, outs[i].String())
			}
		}
		if granted != 1 {
			t.Fatalf("round %d: %d of %d concurrent agents granted the same code", round, granted, procs)
		}
	}
}

// copeFile writes a provisioning file of "device-42" that records the COPE
// mode and the Paris zone.
func (s *site) copeFile() string {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		s.t.Fatal(err)
	}
	p, err := s.issuer.Provision("device-42", servicepass.COPE, paris)
	if err != nil {
		s.t.Fatal(err)
	}
	path := filepath.Join(s.dir, "cope.prov")
	if err := servicepass.WriteProvisioningFile(path, p); err != nil {
		s.t.Fatal(err)
	}
	return path
}

// TestProvisioningModeAndZone: without -mode and -tz the agent takes the
// provisioning file's mode and zone, so a COPE Set Password code ends at
// midnight in the issuer's zone for the device.
func TestProvisioningModeAndZone(t *testing.T) {
	s := newSite(t)
	paris, _ := time.LoadLocation("Europe/Paris")
	code := s.issue(servicepass.Request{Mode: servicepass.COPE, Actions: servicepass.SetPassword, ExpiryDate: servicepass.Date{Year: 2026, Month: 11, Day: 22}, Location: paris})
	// 22:30 UTC is 23:30 in Paris, still the code's date; 23:30 UTC is
	// 00:30 on the 23rd in Paris: expired there, though not in UTC.
	late := time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC)
	var out, errOut bytes.Buffer
	status := run([]string{"-keys", s.copeFile(), "-state", s.state, "-now", late.Add(-time.Hour).Format(time.RFC3339), code}, strings.NewReader(""), &out, &errOut)
	if status != exitGranted || !strings.HasPrefix(out.String(), "GRANTED SetPassword") || !strings.Contains(out.String(), "mode:         COPE") {
		t.Fatalf("%d %q %q", status, out.String(), errOut.String())
	}
	out.Reset()
	status = run([]string{"-keys", s.copeFile(), "-state", s.state, "-now", late.Format(time.RFC3339), code}, strings.NewReader(""), &out, &errOut)
	if status != exitRefused || !strings.HasPrefix(out.String(), "REFUSED expired:") {
		t.Fatalf("%d %q %q", status, out.String(), errOut.String())
	}
}

// TestChallengeFlag: -challenge shows a challenge and refuses what is not
// the response to it; arguments are a usage error (the response comes on
// standard input, after the challenge is shown).
func TestChallengeFlag(t *testing.T) {
	s := newSite(t)
	var out, errOut bytes.Buffer
	status := run([]string{"-keys", s.keys, "-state", s.state, "-mode", "do", "-challenge"}, strings.NewReader("0000-0000-0000-0000\n"), &out, &errOut)
	if status != exitRefused || !strings.HasPrefix(out.String(), "CHALLENGE ") || !strings.Contains(out.String(), "REFUSED ") {
		t.Fatalf("%d %q %q", status, out.String(), errOut.String())
	}
	c := strings.Fields(out.String())[1]
	if _, err := servicepass.ParseChallenge(c); err != nil {
		t.Errorf("the shown challenge %q does not parse: %v", c, err)
	}
	out.Reset()
	if status := run([]string{"-keys", s.keys, "-state", s.state, "-mode", "do", "-challenge", "X"}, strings.NewReader(""), &out, &errOut); status != exitUsage {
		t.Errorf("-challenge with an argument: %d", status)
	}
}

// challengeRun runs the agent with -challenge, feeding it the lines answer
// returns for the challenge it shows, then end of input.
func (s *site) challengeRun(answer func(challenge string) []string) (int, string) {
	s.t.Helper()
	pr, pw := io.Pipe()
	out := &watchWriter{onChallenge: func(c string) {
		go func() {
			for _, l := range answer(c) {
				_, _ = io.WriteString(pw, l+"\n")
			}
			_ = pw.Close()
		}()
	}}
	args := []string{"-keys", s.keys, "-mode", "do", "-state", s.state, "-now", s.now.Format(time.RFC3339), "-challenge"}
	var errOut bytes.Buffer
	status := run(args, pr, out, &errOut)
	_ = pr.Close()
	return status, out.String()
}

// watchWriter collects output and calls onChallenge with the challenge on
// the first CHALLENGE line.
type watchWriter struct {
	mu          sync.Mutex
	buf         bytes.Buffer
	onChallenge func(string)
	seen        bool
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, _ := w.buf.Write(p)
	if !w.seen {
		if _, rest, ok := strings.Cut(w.buf.String(), "CHALLENGE "); ok {
			if c, _, ok := strings.Cut(rest, "\n"); ok {
				w.seen = true
				w.onChallenge(c)
			}
		}
	}
	return n, nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func (s *site) respond(c string, a servicepass.Actions) string {
	r, err := s.issuer.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: "device-42", Challenge: c, Mode: servicepass.DeviceOwner, Actions: a, Admin: "a"})
	if err != nil {
		s.t.Fatal(err)
	}
	return r.Display.Reveal()
}

// TestChallengeAnswers (issue 22 defect 3): -challenge asks again after a
// typo or a malformed response, says "no response" at end of input, and
// reports a grant it could not save with its own exit status.
func TestChallengeAnswers(t *testing.T) {
	s := newSite(t)
	status, out := s.challengeRun(func(c string) []string {
		r := s.respond(c, servicepass.AllowFactoryReset)
		return []string{mistype(r), "", "not a response", r}
	})
	if status != exitGranted || strings.Count(out, "type the response again") != 2 || !strings.Contains(out, "REFUSED typo") ||
		!strings.Contains(out, "REFUSED malformed") || !strings.Contains(out, "GRANTED AllowFactoryReset") {
		t.Errorf("typo, malformed, then the response: %d\n%s", status, out)
	}
	for _, lines := range [][]string{nil, {""}, {"ABCD"}} {
		status, out = s.challengeRun(func(string) []string { return lines })
		if status != exitRefused || !strings.Contains(out, "REFUSED no-response") || strings.Contains(out, "not a service password\n") && len(lines) == 0 {
			t.Errorf("input %q then end of input: %d\n%s", lines, status, out)
		}
	}
	// A state directory that does not exist: the grant is reported unsaved.
	s.state = filepath.Join(s.dir, "missing", "agent.state")
	status, out = s.challengeRun(func(c string) []string { return []string{s.respond(c, servicepass.AllowFactoryReset)} })
	if status != exitUnsaved || !strings.Contains(out, "GRANTED AllowFactoryReset") || !strings.Contains(out, "STATE NOT SAVED:") {
		t.Errorf("unsaved grant: %d\n%s", status, out)
	}
	// And so is a wrong response's failure.
	status, out = s.challengeRun(func(c string) []string {
		r, err := s.issuer.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: "device-43", Challenge: c, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a"})
		if err != nil {
			t.Error(err)
		}
		return []string{r.Display.Reveal()}
	})
	if status != exitUnsaved || !strings.Contains(out, "REFUSED invalid") || !strings.Contains(out, "STATE NOT SAVED:") {
		t.Errorf("unsaved refusal: %d\n%s", status, out)
	}
}

// TestUnsavedEveryMode: every mode reports a state it could not save with
// the unsaved exit status, a lost state included.
func TestUnsavedEveryMode(t *testing.T) {
	s := newSite(t)
	s.state = filepath.Join(s.dir, "missing", "agent.state")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"init", []string{"-init"}},
		{"status", []string{"-status"}},
		{"status-clear", []string{"-status", "-clear"}},
	} {
		status, out, errOut := s.agent("do", t0, "", tc.args...)
		if status != exitUnsaved || !strings.Contains(out, "STATE NOT SAVED:") {
			t.Errorf("%s: %d %q %q", tc.name, status, out, errOut)
		}
	}
}

// TestHelpExitsZero: -h prints the usage and exits 0 (issue 27).
func TestHelpExitsZero(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		var out, errOut strings.Builder
		if status := run([]string{arg}, strings.NewReader(""), &out, &errOut); status != 0 || !strings.Contains(errOut.String(), "usage:") {
			t.Errorf("deviceagent %s: status %d, %q", arg, status, errOut.String())
		}
	}
}
