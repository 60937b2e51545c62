package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"image/png"
	"io"
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
	"github.com/mdmcred/mdmcred/keyfile"
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
	f, err := keyfile.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := f.Unwrap(context.Background(), keyfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := ring.Master()
	return keys
}

// TestOldMasterFile: a master key file of the earlier format is read, and
// rewritten as a key file (keys and retired IDs kept) on its next change.
func TestOldMasterFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "old.keys")
	k1 := bytes.Repeat([]byte{0x11}, 32)
	k2 := bytes.Repeat([]byte{0x22}, 32)
	old := "mdmcred master keys v1\nretired 0\nkey 1 " + hex.EncodeToString(k1) + "\nkey 2 " + hex.EncodeToString(k2) + "\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "d.keys")
	if status, stdout, errOut := runCLI("devicekey", "-master", path, "-device", "d1", "-out", out); status != exitOK || !strings.Contains(stdout, "key IDs 1, 2") {
		t.Fatalf("devicekey on the old format: %d %s %s", status, stdout, errOut)
	}
	if status, _, errOut := runCLI("retire", "-master", path, "-id", "1"); status != exitOK {
		t.Fatalf("retire: %d %s", status, errOut)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), keyfile.Header) || !strings.Contains(string(data), "master retired 0") || !strings.Contains(string(data), "master retired 1") {
		t.Fatalf("not rewritten as a key file:\n%s", data)
	}
	if keys := readMaster(t, path); len(keys) != 1 || keys[0].ID() != 2 || !bytes.Equal(keys[0].Bytes(), k2) {
		t.Fatalf("keys %v", keys)
	}
	if status, _, errOut := runCLI("masterkey", "-out", path, "-rotate", "-id", "0"); status != exitUsage || !strings.Contains(errOut, "key ID 0 is already") {
		t.Fatalf("a retired ID reused: %d %s", status, errOut)
	}
}

func TestDeviceKey(t *testing.T) {
	dir, path := master(t)
	out := filepath.Join(dir, "d.keys")
	if status, stdout, errOut := runCLI("devicekey", "-master", path, "-device", "device 42", "-out", out); status != exitOK || !strings.Contains(stdout, `"device 42" (key IDs 1, zone UTC)`) {
		t.Fatalf("%d %s %s", status, stdout, errOut)
	}
	p, err := servicepass.ReadProvisioningFile(out)
	if err != nil || p.DeviceID != "device 42" || len(p.Keys) != 1 || p.HasMode || p.Location.String() != "UTC" {
		t.Fatalf("%v %v", p, err)
	}
	ring := p.Keys
	want, _ := servicepass.DeriveDeviceKey(readMaster(t, path)[0], "device 42")
	if !bytes.Equal(ring[0].Bytes(), want.Bytes()) {
		t.Error("device key is not the HKDF derivation")
	}
	// After a rotation the keyring holds both keys, the new one last.
	runCLI("masterkey", "-out", path, "-rotate", "-id", "9")
	if status, stdout, _ := runCLI("devicekey", "-master", path, "-device", "device 42", "-out", out); status != exitOK || !strings.Contains(stdout, "key IDs 1, 9") {
		t.Fatalf("after rotation: %d %s", status, stdout)
	}
	// The mode and zone go into the provisioning file.
	if status, stdout, errOut := runCLI("devicekey", "-master", path, "-device", "c", "-out", out, "-mode", "cope", "-tz", "Europe/Warsaw"); status != exitOK || !strings.Contains(stdout, "zone Europe/Warsaw") {
		t.Fatalf("%d %s %s", status, stdout, errOut)
	}
	if p, err := servicepass.ReadProvisioningFile(out); err != nil || !p.HasMode || p.Mode != servicepass.COPE || p.Location.String() != "Europe/Warsaw" {
		t.Fatalf("%v %v", p, err)
	}
	for _, args := range [][]string{
		{"devicekey", "-master", path, "-device", "d", "-out", out, "-tz", "Local"},
		{"devicekey", "-master", path, "-device", "d", "-out", out, "-tz", "Nowhere/City"},
		{"devicekey", "-master", path, "-device", "d", "-out", out, "-mode", "byod"},
		{"devicekey", "-master", path, "-device", "a\u0085b", "-out", out},
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
	p, err := servicepass.ReadProvisioningFile(keys)
	if err != nil {
		t.Fatal(err)
	}
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: p.DeviceID, Mode: servicepass.DeviceOwner, HasMode: true, Keys: p.Keys, Location: p.Location}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := v.Verify(context.Background(), m[1], time.Now()); err != nil || g.KeyID != 1 {
		t.Fatalf("old code after rotation: %v %v", g, err)
	}
	_, out, _ = runCLI("issue", "-master", path, "-device", "d", "-mode", "do", "-actions", "unlock", "-admin", "a@example.com")
	if !strings.Contains(out, "(key 2)") {
		t.Errorf("new codes are not made under the new key:\n%s", out)
	}
}

// TestRotationRunbook walks docs/servicepass-format.md's runbook: add a key,
// keep issuing under the old one to a device that has not confirmed the new
// keyring, retire the old key, and never reuse its ID.
func TestRotationRunbook(t *testing.T) {
	dir, path := master(t)
	old := filepath.Join(dir, "old.prov")
	runCLI("devicekey", "-master", path, "-device", "d", "-out", old)
	if status, out, errOut := runCLI("masterkey", "-out", path, "-rotate", "-id", "2"); status != exitOK || !strings.Contains(out, "added master key 2") {
		t.Fatalf("add: %d %s %s", status, out, errOut)
	}
	p, err := servicepass.ReadProvisioningFile(old)
	if err != nil {
		t.Fatal(err)
	}
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "d", Mode: servicepass.DeviceOwner, HasMode: true, Keys: p.Keys, Location: p.Location}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(extra ...string) (int, string, string) {
		return runCLI(append([]string{"issue", "-master", path, "-device", "d", "-mode", "do", "-actions", "unlock", "-admin", "a@example.com"}, extra...)...)
	}
	// The device confirmed only key 1: the code is made under key 1 and
	// verifies on the device that never got key 2.
	status, out, errOut := issue("-key-ids", "1")
	m := codeLine.FindStringSubmatch(out)
	if status != exitOK || m == nil || !strings.Contains(out, "(key 1)") {
		t.Fatalf("%d %s %s", status, out, errOut)
	}
	if _, err := v.Verify(context.Background(), m[1], time.Now()); err != nil {
		t.Fatalf("the offline device refused: %v", err)
	}
	if status, out, _ := issue("-key-ids", "1, 2"); status != exitOK || !strings.Contains(out, "(key 2)") {
		t.Errorf("confirmed keyring: %d %s", status, out)
	}
	if status, _, errOut := issue("-key-ids", "7"); status != exitRule || !strings.Contains(errOut, "holds none of the issuer's key IDs") {
		t.Errorf("unknown key IDs: %d %s", status, errOut)
	}
	if status, _, errOut := issue("-key-ids", "1,x"); status != exitUsage || !strings.Contains(errOut, "-key-ids") {
		t.Errorf("bad key IDs: %d %s", status, errOut)
	}
	// Retire key 1: it no longer issues, and its ID is never reused.
	if status, out, errOut := runCLI("retire", "-master", path, "-id", "1"); status != exitOK || !strings.Contains(out, "retired master key 1") {
		t.Fatalf("retire: %d %s %s", status, out, errOut)
	}
	if status, _, errOut := issue("-key-ids", "1"); status != exitRule || !strings.Contains(errOut, "holds none") {
		t.Errorf("issuing under a retired key: %d %s", status, errOut)
	}
	if status, _, errOut := runCLI("masterkey", "-out", path, "-rotate", "-id", "1"); status != exitUsage || !strings.Contains(errOut, "retired") {
		t.Errorf("reusing a retired ID: %d %s", status, errOut)
	}
	for _, args := range [][]string{
		{"retire", "-master", path, "-id", "2"}, // the only key left
		{"retire", "-master", path, "-id", "9"}, // no such key
		{"retire", "-master", path},
		{"retire", "-id", "2"},
	} {
		if status, _, _ := runCLI(args...); status != exitUsage {
			t.Errorf("%v: status %d", args, status)
		}
	}
	// A hand-edited file that gives a retired ID to a key is refused.
	data, _ := os.ReadFile(path)
	edited := strings.Replace(string(data), "key 2 ", "key 1 ", 1)
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if status, _, errOut := issue(); status != exitUsage || !strings.Contains(errOut, "appears twice") {
		t.Errorf("reused ID in the file: %d %s", status, errOut)
	}
}

// TestMessages: the command-line messages of issue 14 (finding 6).
func TestMessages(t *testing.T) {
	dir, path := master(t)
	// The command name appears once.
	if _, _, errOut := runCLI("masterkey", "-out", filepath.Join(dir, "x"), "extra"); !strings.HasPrefix(errOut, "issuer masterkey: unexpected argument \"extra\"") {
		t.Errorf("unexpected argument: %q", errOut)
	}
	base := []string{"issue", "-master", path, "-device", "d", "-mode", "do", "-actions", "unlock", "-admin", "a@example.com"}
	// A clock outside the format's range says so.
	status, _, errOut := runCLI(append(base, "-now", "1970-01-01T00:00:00Z")...)
	if status != exitRule || !strings.Contains(errOut, "clock outside the code format's range") || strings.Contains(errOut, "longer than the maximum") {
		t.Errorf("1970 clock: %d %s", status, errOut)
	}
	// Durations in whole seconds.
	status, _, errOut = runCLI(append(base, "-now", "2026-11-22T10:00:30.123456789Z", "-valid", "5m")...)
	if status != exitRule || !strings.Contains(errOut, "valid for 4m29s, minimum 5m0s") {
		t.Errorf("duration: %d %s", status, errOut)
	}
	status, _, errOut = runCLI(append(base, "-now", "2026-11-22T10:00:00Z", "-valid", "720h0m0.25s")...)
	if status != exitRule || !strings.Contains(errOut, "valid for 720h0m1s, maximum 720h0m0s") {
		t.Errorf("duration: %d %s", status, errOut)
	}
	// An unknown email language is served in English, and the CLI says so.
	for _, tc := range []struct {
		lang string
		note bool
	}{{"xx", true}, {"pt-BR", true}, {"ay", true}, {"de", false}, {"de-AT", false}, {"en", false}} {
		status, out, errOut := runCLI(append(base, "-now", now, "-email", "u@example.com", "-outbox", filepath.Join(dir, "ob"), "-lang", tc.lang)...)
		if status != exitOK {
			t.Fatalf("-lang %s: %d %s %s", tc.lang, status, out, errOut)
		}
		if got := strings.Contains(errOut, "the email is in English"); got != tc.note {
			t.Errorf("-lang %s: note %v, want %v: %q", tc.lang, got, tc.note, errOut)
		}
	}
}

var responseLine = regexp.MustCompile(`(?m)^  response: ([0-9A-Z*~$=]{4}-[0-9A-Z*~$=]{4}-[0-9A-Z*~$=]{4}-[0-9A-Z*~$=]{4})$`)

// TestChallengeRoundTrip runs the challenge flow across real processes: the
// device agent shows a challenge, the issuer answers it, and the agent,
// still waiting, grants the response once.
func TestChallengeRoundTrip(t *testing.T) {
	dir, path := master(t)
	agent := filepath.Join(t.TempDir(), "deviceagent")
	if out, err := exec.Command("go", "build", "-o", agent, "../deviceagent").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	prov := filepath.Join(dir, "device.prov")
	if status, _, errOut := runCLI("devicekey", "-master", path, "-device", "device-42", "-mode", "cope", "-out", prov); status != exitOK {
		t.Fatal(errOut)
	}
	run := func(answer func(challenge string) string) (int, string) {
		// A wild device clock: a response does not care.
		cmd := exec.Command(agent, "-keys", prov, "-state", filepath.Join(dir, "agent.state"), "-challenge", "-now", "2099-01-01T00:00:00Z")
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		buf := make([]byte, 256)
		for !strings.Contains(out.String(), "\n  read it") {
			n, err := stdout.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				t.Fatalf("agent output %q: %v", out.String(), err)
			}
		}
		m := regexp.MustCompile(`CHALLENGE ([0-9A-Z*~$=]{5}-[0-9A-Z*~$=]{5})`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no challenge in %q", out.String())
		}
		_, _ = stdin.Write([]byte(answer(m[1]) + "\n"))
		stdin.Close()
		rest, _ := io.ReadAll(stdout)
		err := cmd.Wait()
		status := 0
		if ee, ok := err.(*exec.ExitError); ok {
			status = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return status, out.String() + string(rest)
	}
	respond := func(device, challenge string) string {
		status, out, errOut := runCLI("respond", "-master", path, "-device", device, "-challenge", strings.ToLower(challenge), "-mode", "cope", "-actions", "set-password", "-admin", "helpdesk@example.com")
		m := responseLine.FindStringSubmatch(out)
		if status != exitOK || m == nil {
			t.Fatalf("respond: %d %s %s", status, out, errOut)
		}
		return m[1]
	}
	status, out := run(func(c string) string { return respond("device-42", c) })
	if status != 0 || !strings.Contains(out, "GRANTED SetPassword") || !strings.Contains(out, "once, for the challenge shown") || strings.Contains(out, "DEGRADED") {
		t.Fatalf("%d %s", status, out)
	}
	// A response made for another device, and one for an earlier challenge.
	status, out = run(func(c string) string { return respond("device-43", c) })
	if status != 1 || !strings.Contains(out, "REFUSED invalid:") {
		t.Errorf("other device: %d %s", status, out)
	}
	var earlier string
	run(func(c string) string { earlier = respond("device-42", c); return "" })
	status, out = run(func(string) string { return earlier })
	if status != 1 || !strings.Contains(out, "REFUSED invalid:") {
		t.Errorf("earlier challenge: %d %s", status, out)
	}
}

func TestRespondFlags(t *testing.T) {
	_, path := master(t)
	base := []string{"respond", "-master", path, "-device", "d", "-mode", "do", "-actions", "unlock", "-admin", "a@example.com"}
	if status, _, errOut := runCLI(append(base, "-challenge", "K7Q2M-9XJ4Z")...); status != exitRule || !strings.Contains(errOut, "challenge mistyped") || !strings.Contains(errOut, "read the challenge again") {
		t.Errorf("typo: %d %s", status, errOut)
	}
	if status, _, errOut := runCLI(append(base, "-challenge", "K7Q2M")...); status != exitRule || !strings.Contains(errOut, "malformed challenge") {
		t.Errorf("short: %d %s", status, errOut)
	}
	for _, args := range [][]string{
		{"respond", "-master", path, "-device", "d"},
		append(append([]string{}, base...), "-challenge", "K7Q2M-9XJ4G", "-mode", "byod"),
		append(append([]string{}, base...), "-challenge", "K7Q2M-9XJ4G", "-key-ids", "x"),
		append(append([]string{}, base...), "-challenge", "K7Q2M-9XJ4G", "extra"),
	} {
		if status, _, _ := runCLI(args...); status != exitUsage {
			t.Errorf("%v: status %d", args, status)
		}
	}
	if status, _, errOut := runCLI(append(base, "-challenge", "K7Q2M-9XJ4G", "-actions", "set-password")...); status != exitRule || !strings.Contains(errOut, "only on COPE") {
		t.Errorf("rules: %d %s", status, errOut)
	}
}

// TestHelpExitsZero: -h prints the flags and exits 0, for every command
// (issue 27: it exited 2, as for a mistake).
func TestHelpExitsZero(t *testing.T) {
	for _, cmd := range [][]string{{"-h"}, {"help"}, {"masterkey", "-h"}, {"retire", "-h"}, {"devicekey", "-h"},
		{"issue", "-h"}, {"respond", "-h"}, {"issue", "--help"}} {
		if status, _, stderr := runCLI(cmd...); status != 0 {
			t.Errorf("issuer %v: status %d, %q", cmd, status, stderr)
		}
	}
}
