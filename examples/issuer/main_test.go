package main

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/mdmcred/mdmcred/examples/internal/provision"
	"github.com/mdmcred/mdmcred/servicepass"
)

// now is the issuing time in every test.
const now = "2026-11-22T10:00:00Z"

func runCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	status := run(args, &out, &errOut)
	return status, out.String(), errOut.String()
}

// master writes a master key file in a new directory.
func master(t *testing.T) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "master.keys")
	if status, out, errOut := runCLI("masterkey", "-out", path); status != exitOK {
		t.Fatalf("masterkey: %d %s %s", status, out, errOut)
	}
	return dir, path
}

func TestMasterKey(t *testing.T) {
	dir, path := master(t)
	keys := readMaster(t, path)
	if len(keys) != 1 || keys[0].ID() != 1 {
		t.Fatalf("keys %v", keys)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi.Mode(), err)
	}
	if status, _, errOut := runCLI("masterkey", "-out", path); status != exitUsage || !strings.Contains(errOut, "exists") {
		t.Errorf("overwrite: %d %s", status, errOut)
	}
	if status, _, errOut := runCLI("masterkey", "-out", path, "-rotate", "-id", "1"); status != exitUsage || !strings.Contains(errOut, "key ID 1 is already") {
		t.Errorf("duplicate rotate: %d %s", status, errOut)
	}
	if status, out, errOut := runCLI("masterkey", "-out", path, "-rotate", "-id", "2"); status != exitOK || !strings.Contains(out, "added master key 2") {
		t.Fatalf("rotate: %d %s %s", status, out, errOut)
	}
	keys2 := readMaster(t, path)
	if len(keys2) != 2 || keys2[1].ID() != 2 || !bytes.Equal(keys2[0].Bytes(), keys[0].Bytes()) || bytes.Equal(keys2[1].Bytes(), keys[0].Bytes()) {
		t.Fatalf("after rotation: %v", keys2)
	}
	for _, args := range [][]string{
		{"masterkey"},
		{"masterkey", "-out", filepath.Join(dir, "x"), "-id", "256"},
		{"masterkey", "-out", filepath.Join(dir, "y"), "-rotate"},
		{"masterkey", "-out", filepath.Join(dir, "z"), "extra"},
		{"masterkey", "-out", filepath.Join(dir, "none", "z")},
	} {
		if status, _, _ := runCLI(args...); status != exitUsage {
			t.Errorf("%v: status %d", args, status)
		}
	}
}

func readMaster(t *testing.T, path string) []servicepass.MasterKey {
	t.Helper()
	data, err := provision.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := provision.ParseMasterKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestDeviceKey(t *testing.T) {
	dir, path := master(t)
	out := filepath.Join(dir, "d.keys")
	if status, stdout, errOut := runCLI("devicekey", "-master", path, "-device", "device 42", "-out", out); status != exitOK || !strings.Contains(stdout, `"device 42" (key IDs 1)`) {
		t.Fatalf("%d %s %s", status, stdout, errOut)
	}
	data, _ := os.ReadFile(out)
	dev, ring, err := provision.ParseDeviceKeys(data)
	if err != nil || dev != "device 42" || len(ring) != 1 {
		t.Fatalf("%q %v %v", dev, ring, err)
	}
	want, _ := servicepass.DeriveDeviceKey(readMaster(t, path)[0], "device 42")
	if !bytes.Equal(ring[0].Bytes(), want.Bytes()) {
		t.Error("device key is not the HKDF derivation")
	}
	// After a rotation the keyring holds both keys, the new one last.
	runCLI("masterkey", "-out", path, "-rotate", "-id", "9")
	if status, stdout, _ := runCLI("devicekey", "-master", path, "-device", "device 42", "-out", out); status != exitOK || !strings.Contains(stdout, "key IDs 1, 9") {
		t.Fatalf("after rotation: %d %s", status, stdout)
	}
	for _, args := range [][]string{
		{"devicekey", "-master", path, "-out", out},
		{"devicekey", "-master", path, "-device", "d"},
		{"devicekey", "-device", "d", "-out", out},
		{"devicekey", "-master", out, "-device", "d", "-out", out}, // a device file is not a master file
		{"devicekey", "-master", path, "-device", strings.Repeat("x", 256), "-out", out},
	} {
		if status, _, _ := runCLI(args...); status != exitUsage {
			t.Errorf("%v: status %d", args, status)
		}
	}
}

var codeLine = regexp.MustCompile(`(?m)^  code:    ([0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}-[0-9A-HJKMNP-TV-Z]{4}[0-9A-HJKMNP-TV-Z*$U])$`)

func TestIssue(t *testing.T) {
	dir, path := master(t)
	base := []string{"issue", "-master", path, "-device", "device-42", "-admin", "admin@example.com", "-now", now}
	cases := []struct {
		name   string
		args   []string
		status int
		want   []string // in stdout on success, in stderr otherwise
	}{
		{"default validity", []string{"-mode", "device-owner", "-actions", "unlock,disable-kiosk"}, exitOK,
			[]string{`Service password for "device-42" (DeviceOwner)`, "actions: Unlock|DisableKiosk", "expires: 2026-11-23 10:00 UTC", "(key 1)"}},
		{"duration", []string{"-mode", "cope", "-actions", "Unlock,RemoveNetworkRestrictions", "-valid", "90m"}, exitOK,
			[]string{"(COPE)", "expires: 2026-11-22 11:30 UTC"}},
		{"date and time in a zone", []string{"-mode", "do", "-actions", "allow-factory-reset", "-expires", "2026-11-25 18:30", "-tz", "Europe/Warsaw"}, exitOK,
			[]string{"expires: 2026-11-25 18:30 CET"}},
		{"COPE set password by date", []string{"-mode", "cope", "-actions", "set-password", "-date", "2026-11-30", "-tz", "Europe/Paris"}, exitOK,
			[]string{"valid:   through 2026-11-30 (device calendar, Europe/Paris), once per day"}},
		{"exactly the minimum", []string{"-mode", "do", "-actions", "unlock", "-valid", "5m"}, exitOK, []string{"expires: 2026-11-22 10:05 UTC"}},
		{"exactly the maximum", []string{"-mode", "do", "-actions", "unlock", "-valid", "720h"}, exitOK, []string{"expires: 2026-12-22 10:00 UTC"}},

		{"too short", []string{"-mode", "do", "-actions", "unlock", "-valid", "4m"}, exitRule, []string{"validity shorter than the minimum"}},
		{"too long", []string{"-mode", "do", "-actions", "unlock", "-valid", "721h"}, exitRule, []string{"validity longer than the maximum"}},
		{"kiosk on COPE", []string{"-mode", "cope", "-actions", "disable-kiosk"}, exitRule, []string{"disable kiosk is not available on COPE"}},
		{"set password on device owner", []string{"-mode", "do", "-actions", "set-password", "-date", "2026-11-30"}, exitRule, []string{"set password is available only on COPE"}},
		{"database reset combined", []string{"-mode", "do", "-actions", "emergency-database-reset,unlock"}, exitRule, []string{"emergency database reset cannot be combined"}},
		{"no action", []string{"-mode", "do", "-actions", ","}, exitRule, []string{"no action chosen"}},
		{"QR for COPE set password", []string{"-mode", "cope", "-actions", "set-password", "-date", "2026-11-30", "-qr", filepath.Join(dir, "no.png")}, exitRule, []string{"no QR code"}},
		{"set password without date", []string{"-mode", "cope", "-actions", "set-password"}, exitRule, []string{"expiration date"}},
		{"bad email", []string{"-mode", "do", "-actions", "unlock", "-email", "not an address", "-outbox", filepath.Join(dir, "ob")}, exitRule, []string{"invalid email address"}},

		{"unknown action", []string{"-mode", "do", "-actions", "reboot"}, exitUsage, []string{`unknown action "reboot"`}},
		{"unknown mode", []string{"-mode", "byod", "-actions", "unlock"}, exitUsage, []string{"unknown mode"}},
		{"missing actions", []string{"-mode", "do"}, exitUsage, []string{"required"}},
		{"two expiries", []string{"-mode", "do", "-actions", "unlock", "-valid", "1h", "-expires", "2026-11-23 10:00"}, exitUsage, []string{"choose one of"}},
		{"bad expires", []string{"-mode", "do", "-actions", "unlock", "-expires", "tomorrow"}, exitUsage, []string{"-expires"}},
		{"bad date", []string{"-mode", "cope", "-actions", "set-password", "-date", "30/11/2026"}, exitUsage, []string{"-date"}},
		{"bad zone", []string{"-mode", "do", "-actions", "unlock", "-tz", "Nowhere/City"}, exitUsage, []string{"-tz"}},
		{"email without outbox", []string{"-mode", "do", "-actions", "unlock", "-email", "u@example.com"}, exitUsage, []string{"-email needs -outbox"}},
		{"language without email", []string{"-mode", "do", "-actions", "unlock", "-lang", "de"}, exitUsage, []string{"-lang goes with -email"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, errOut := runCLI(append(append([]string{}, base...), tc.args...)...)
			if status != tc.status {
				t.Fatalf("status %d, want %d\nstdout: %s\nstderr: %s", status, tc.status, out, errOut)
			}
			where := out
			if tc.status != exitOK {
				where = errOut
			} else if !codeLine.MatchString(out) {
				t.Errorf("no code line in:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(where, w) {
					t.Errorf("output lacks %q:\n%s", w, where)
				}
			}
		})
	}
	if status, _, _ := runCLI("issue", "-mode", "do", "-actions", "unlock", "-device", "d", "-admin", "a@example.com"); status != exitUsage {
		t.Errorf("no master: %d", status)
	}
	if status, _, _ := runCLI("nonsense"); status != exitUsage {
		t.Errorf("unknown command: %d", status)
	}
	if status, _, _ := runCLI(); status != exitUsage {
		t.Errorf("no command: %d", status)
	}
	if status, out, _ := runCLI("help"); status != exitOK || !strings.Contains(out, "issuer masterkey") {
		t.Errorf("help: %d %s", status, out)
	}
}

// TestIssueQRAndEmail: the PNG decodes to the code, the terminal QR is
// drawn, and the email lands in the outbox in the chosen language.
func TestIssueQRAndEmail(t *testing.T) {
	dir, path := master(t)
	pngPath := filepath.Join(dir, "code.png")
	outbox := filepath.Join(dir, "outbox")
	status, out, errOut := runCLI("issue", "-master", path, "-device", "device-42", "-mode", "do",
		"-actions", "unlock,disable-kiosk,allow-developer-options", "-admin", "admin@example.com", "-now", now,
		"-qr", pngPath, "-qr-terminal", "-email", "tech@example.com", "-lang", "de", "-outbox", outbox, "-tz", "Europe/Berlin")
	if status != exitOK {
		t.Fatalf("%d %s %s", status, out, errOut)
	}
	m := codeLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no code in %s", out)
	}
	code := m[1]
	if !strings.Contains(out, "▀") {
		t.Error("no half-block QR in the output")
	}

	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("decoding the PNG: %v", err)
	}
	if res.GetText() != code {
		t.Errorf("QR holds %q, printed %q", res.GetText(), code)
	}

	entries, err := os.ReadDir(outbox)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox: %v %v", entries, err)
	}
	emlPath := filepath.Join(outbox, entries[0].Name())
	if !strings.Contains(out, "email:   to tech@example.com, "+emlPath) {
		t.Errorf("the email's file is not printed:\n%s", out)
	}
	eml, err := os.ReadFile(emlPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"To: <tech@example.com>", "Content-Language: de", "From: <mdm@localhost>"} {
		if !bytes.Contains(eml, []byte(w)) {
			t.Errorf("email lacks %q", w)
		}
	}
	if bytes.Contains(eml, []byte("Subject: "+code)) {
		t.Error("the subject holds the code")
	}
}

// TestRoundTrip runs the whole provisioning path: the issuer makes the keys
// and a code, the device agent (built from ../deviceagent) grants it, then
// refuses its replay, a typo and a code for another device.
func TestRoundTrip(t *testing.T) {
	dir, path := master(t)
	agent := filepath.Join(t.TempDir(), "deviceagent")
	if out, err := exec.Command("go", "build", "-o", agent, "../deviceagent").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	keys := filepath.Join(dir, "device.keys")
	if status, _, errOut := runCLI("devicekey", "-master", path, "-device", "device-42", "-out", keys); status != exitOK {
		t.Fatal(errOut)
	}
	issue := func(device string) string {
		status, out, errOut := runCLI("issue", "-master", path, "-device", device, "-mode", "cope", "-actions", "unlock", "-admin", "admin@example.com", "-valid", "2h")
		m := codeLine.FindStringSubmatch(out)
		if status != exitOK || m == nil {
			t.Fatalf("%d %s %s", status, out, errOut)
		}
		return m[1]
	}
	code := issue("device-42")
	verify := func(code string) (int, string) {
		// A COPE agent needs the device zone (issue 13: no local default).
		cmd := exec.Command(agent, "-keys", keys, "-mode", "cope", "-tz", "UTC", "-state", filepath.Join(dir, "agent.state"), code)
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	typo := []byte(code)
	typo[0] = map[bool]byte{true: '1', false: '0'}[typo[0] == '0']
	steps := []struct {
		code   string
		status int
		prefix string
	}{
		{string(typo), 1, "REFUSED typo:"},
		{issue("device-43"), 1, "REFUSED invalid:"},
		{code, 0, "GRANTED Unlock\n  scope:        WorkProfile\n"},
		{code, 1, "REFUSED replay:"},
	}
	for _, st := range steps {
		status, out := verify(st.code)
		if status != st.status || !strings.HasPrefix(out, st.prefix) {
			t.Errorf("%d %q, want %d %q", status, out, st.status, st.prefix)
		}
	}
}

// TestRotationRoundTrip: after a rotation, a device provisioned with the
// new keyring still verifies a code made under the old key.
func TestRotationRoundTrip(t *testing.T) {
	dir, path := master(t)
	status, out, _ := runCLI("issue", "-master", path, "-device", "d", "-mode", "do", "-actions", "unlock", "-admin", "a@example.com")
	m := codeLine.FindStringSubmatch(out)
	if status != exitOK || m == nil {
		t.Fatal(out)
	}
	runCLI("masterkey", "-out", path, "-rotate", "-id", "2")
	keys := filepath.Join(dir, "d.keys")
	runCLI("devicekey", "-master", path, "-device", "d", "-out", keys)
	data, _ := os.ReadFile(keys)
	dev, ring, err := provision.ParseDeviceKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	v, err := servicepass.NewVerifier(servicepass.VerifierConfig{DeviceID: dev, Mode: servicepass.DeviceOwner, Keys: ring})
	if err != nil {
		t.Fatal(err)
	}
	if g, err := v.Verify(m[1], time.Now()); err != nil || g.KeyID != 1 {
		t.Fatalf("old code after rotation: %v %v", g, err)
	}
	_, out, _ = runCLI("issue", "-master", path, "-device", "d", "-mode", "do", "-actions", "unlock", "-admin", "a@example.com")
	if !strings.Contains(out, "(key 2)") {
		t.Errorf("new codes are not made under the new key:\n%s", out)
	}
}
