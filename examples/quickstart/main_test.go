package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRun runs the quickstart and checks the lines that show each flow.
// Codes, passcodes and PINs are random; their lines are matched by shape.
func TestRun(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // the outbox goes under the test's directory
	var b bytes.Buffer
	if err := run(&b, true); err != nil {
		t.Fatalf("run: %v\n%s", err, b.String())
	}
	out := b.String()

	lines := []string{
		// Issue 27: the demo runs on a fixed clock, and says so.
		"demo clock: 2026-11-23 10:00 CET (Europe/Berlin), a fixed clock the demo advances by hand",
		"== 1. Admin: issue a service password ==",
		"device:   device-42 (DeviceOwner)",
		"actions:  Unlock|DisableKiosk|RemoveNetworkRestrictions",
		"expires:  2026-11-23 14:00 CET",
		`email to field-tech@example.com: "Service password for device-42" (with the QR inline)`,

		"== 2. Device agent: verify the code offline ==",
		"GRANTED:  Unlock|DisableKiosk|RemoveNetworkRestrictions, scope Device",
		"window:   privileged until 2026-11-23 11:20 CET",
		"lifted:   configure_mobile_networks, roaming_data, tethering_and_hotspots, edit_wifi_configuration, wifi_sleep_setting, remove_added_wifi_networks",
		"at 2026-11-23 11:20 CET the window ends: revert DisableKiosk|RemoveNetworkRestrictions",

		"== 3. Device agent: refusals ==",
		"typo:               REFUSED: servicepass: code mistyped (check symbol mismatch)",
		"code for device-43: REFUSED: servicepass: invalid code",
		"replay:             REFUSED: servicepass: code already used",
		"response:           GRANTED Unlock (degraded: false)",
		"response again:     REFUSED: servicepass: no outstanding challenge; show a new one",

		"== 4. Admin: company passcode, failed into lockout ==",
		"employee enrolls with it: ok",
		"attempt 1 from 203.0.113.10: enrollment: wrong passcode (failure 1)",
		"attempt 3 from 203.0.113.12: enrollment: wrong passcode (failure 3); passcode locked",
		"attempt 4 from 203.0.113.13: enrollment: passcode locked (failure 4)",
		"the right passcode now: enrollment: passcode locked (failure 5)",
		"status: locked, 5 failed attempts, locked at 2026-11-23 12:03 CET",
		"alert email to it-security@example.com",
		"Subject: Security alert: company passcode locked for berlin",
		"    Failed attempts: 3",
		"    Last failed attempt: 2026-11-23 12:03 CET",
		"    Source of the last attempt: 203[.]0[.]113[.]12",
		"    Lockout rule: failed attempts in a row at the site",

		"== 5. Admin: device passcode reset ==",
		`email to anna@example.com: "Passcode reset for Anna's Pixel"`,
		"device reports: pending",
		"device reports: acknowledged",
		"device reports: succeeded",
		"another admin asks to see it: passcode: not allowed to view this passcode",
		"the requesting admin sees it again: true",
		"  2026-11-23 13:00 CET  transition  -            -> requested    admin@example.com",
		"  2026-11-23 13:01 CET  transition  requested    -> pending      mdm-channel",
		"  2026-11-23 13:02 CET  transition  pending      -> acknowledged mdm-channel",
		"  2026-11-23 13:03 CET  transition  acknowledged -> succeeded    mdm-channel",
		"  2026-11-23 13:03 CET  viewed      succeeded    -> succeeded    admin@example.com",

		"== 6. User portal: one-time PIN ==",
		"eligible: ok",
		"used: ok",
		"used again: otp: no PIN outstanding",

		"== 7. Authenticator app: TOTP ==",
		"validated at step 59848080",
		"same code again: otp: code already used",
	}
	for _, l := range lines {
		if !strings.Contains(out, l+"\n") {
			t.Errorf("missing line %q", l)
		}
	}
	patterns := []string{
		`(?m)^code:     [0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}-[0-9A-HJKMNP-TV-Z]{4}[0-9A-HJKMNP-TV-Z*$U]$`,
		`(?m)^serial:   [0-9a-f]{6} \(key 1\), QR PNG \d+ bytes$`,
		`(?m)^site berlin, passcode [0-9A-Za-z]{12} \(shown once; 12 characters\)$`,
		`(?m)^set-passcode on "Anna's Pixel": requested, new passcode [0-9A-Za-z]{8} \(policy alphanumeric 8\)$`,
		`(?m)^a second reset meanwhile: passcode: a reset is already in progress for this device`,
		`(?m)^PIN for anna@example.com: \d{8} \(8 digits\), valid until 2026-11-24 14:00 CET$`,
		`(?m)^app shows \d{6} at 2026-11-23 15:00 CET$`,
		`(?m)^emails are written to .+/outbox$`,
		`(?m)^3 emails in .+/outbox \(kept\)$`,
		`▀`, // the QR code, in half blocks
	}
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(out) {
			t.Errorf("no line matches %s", p)
		}
	}
	if strings.Contains(out, "[REDACTED]") && !strings.Contains(out, "key: otp.Key{SHA256, 6 digits, 30s, secret [REDACTED]}") {
		t.Error("a value meant to be shown printed as [REDACTED]")
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}

	// The outbox holds the three emails as files.
	dir := regexp.MustCompile(`(?m)^emails are written to (.+)$`).FindStringSubmatch(out)[1]
	emls, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(emls) != 3 {
		t.Fatalf("outbox holds %v (%v)", emls, err)
	}
	// The service password email holds the code printed above, and its
	// subject does not.
	code := regexp.MustCompile(`(?m)^code:     (\S+)$`).FindStringSubmatch(out)[1]
	found := false
	for _, p := range emls {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(code)) {
			found = true
			if bytes.Contains(data, []byte("Subject: "+code)) {
				t.Error("the code is in a subject")
			}
		}
	}
	if !found {
		t.Error("no email holds the service password")
	}
}

// TestRunCleansUp: without -keep the quickstart leaves nothing in the
// temporary directory (issue 14: it left its outbox in /tmp on every run).
func TestRunCleansUp(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var b bytes.Buffer
	if err := run(&b, false); err != nil {
		t.Fatalf("run: %v\n%s", err, b.String())
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("quickstart left %d entries in TMPDIR: %v", len(left), left)
	}
	if !regexp.MustCompile(`(?m)^3 emails sent; .+ removed \(run with -keep to keep them\)$`).MatchString(b.String()) {
		t.Errorf("no line says the outbox was removed:\n%s", b.String())
	}
}
