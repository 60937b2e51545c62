package main

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

func TestServicePasswordPanelLabels(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	body := c.get("/admin/devices/dev-do-1").Body
	for _, label := range []string{"Unlock device", "Disable Kiosk", "Remove network restrictions", "Allow developer options",
		"Allow deactivation", "Allow factory reset", "Emergency Database Reset", "Set Password (COPE only)",
		"Service password expiration date (on device)", "Generate QR code", "Send service password via email", "Email",
		"Message language", "Generate"} {
		if !strings.Contains(body, ">"+label+"<") {
			t.Errorf("label %q missing", label)
		}
	}
	// The expiry field is bounded to 5 minutes .. 30 days ahead on the device's clock.
	now := c.clock.Now().In(c.zone)
	if !strings.Contains(body, `min="`+now.Add(5*time.Minute).Format(localLayout)+`" max="`+now.Add(30*24*time.Hour).Format(localLayout)+`"`) {
		t.Error("expiry bounds missing")
	}
	// Every input and select has a label.
	ids := regexp.MustCompile(`<(?:input|select)[^>]* id="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(ids) < 12 {
		t.Fatalf("only %d inputs", len(ids))
	}
	for _, m := range ids {
		if !strings.Contains(body, `<label for="`+m[1]+`">`) {
			t.Errorf("input %s has no label", m[1])
		}
	}
}

// The panel takes per-mode availability, exclusivity and the network
// policies from the SDK.
func TestServicePasswordPanelFollowsTheMode(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	for _, tc := range []struct {
		device   string
		mode     servicepass.Mode
		disabled []string
		enabled  []string
	}{
		{"dev-do-1", servicepass.DeviceOwner, []string{"SetPassword"}, []string{"Unlock", "DisableKiosk", "EmergencyDatabaseReset"}},
		{"dev-cope-1", servicepass.COPE, []string{"DisableKiosk"}, []string{"Unlock", "SetPassword", "EmergencyDatabaseReset"}},
	} {
		body := c.get("/admin/devices/" + tc.device).Body
		for _, a := range tc.disabled {
			if !regexp.MustCompile(`id="act-`+a+`"[^>]* disabled`).MatchString(body) || text(body, "why-"+a) == "" {
				t.Errorf("%s: %s not disabled with a reason", tc.device, a)
			}
		}
		for _, a := range tc.enabled {
			if regexp.MustCompile(`id="act-` + a + `"[^>]* disabled`).MatchString(body) {
				t.Errorf("%s: %s disabled", tc.device, a)
			}
		}
		if !regexp.MustCompile(`id="act-EmergencyDatabaseReset"[^>]* data-exclusive`).MatchString(body) {
			t.Errorf("%s: Emergency Database Reset not exclusive", tc.device)
		}
		if regexp.MustCompile(`id="act-Unlock"[^>]* data-exclusive`).MatchString(body) {
			t.Errorf("%s: Unlock exclusive", tc.device)
		}
		help := body[strings.Index(body, `id="help-RemoveNetworkRestrictions"`):]
		help = help[:strings.Index(help, "</div>")]
		policies := servicepass.NetworkPolicies(tc.mode)
		if got := strings.Count(help, "<li>"); got != len(policies) {
			t.Errorf("%s: %d policies listed, SDK has %d", tc.device, got, len(policies))
		}
		for _, p := range policies {
			if !strings.Contains(help, "<li>"+p.Name+"</li>") {
				t.Errorf("%s: policy %q missing", tc.device, p.Name)
			}
		}
	}
	if !regexp.MustCompile(`id="act-SetPassword"[^>]* data-day-valid`).MatchString(c.get("/admin/devices/dev-cope-1").Body) {
		t.Error("COPE Set Password not marked day-valid")
	}
}

func TestServicePasswordRulesAreCheckedByTheServer(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	now := c.clock.Now().In(c.zone)
	at := func(d time.Duration) string { return now.Add(d).Format(localLayout) }
	tomorrow := now.AddDate(0, 0, 1).Format(time.DateOnly)
	for _, tc := range []struct {
		name   string
		device string
		form   url.Values
		field  string // where the error shows; empty: issued
	}{
		{"device owner unlock and kiosk", "dev-do-1", url.Values{"action": {"Unlock", "DisableKiosk"}}, ""},
		{"default expiry", "dev-do-1", url.Values{"action": {"Unlock"}, "expires": {""}}, ""},
		{"no action", "dev-do-1", url.Values{}, "actions"},
		{"unknown action", "dev-do-1", url.Values{"action": {"Teleport"}}, "actions"},
		{"two actions in one value", "dev-do-1", url.Values{"action": {"Unlock|DisableKiosk"}}, "actions"},
		{"kiosk on COPE", "dev-cope-1", url.Values{"action": {"DisableKiosk"}}, "actions"},
		{"set password on device owner", "dev-do-1", url.Values{"action": {"SetPassword"}, "expires": {tomorrow}}, "actions"},
		{"database reset combined", "dev-do-1", url.Values{"action": {"EmergencyDatabaseReset", "Unlock"}}, "actions"},
		{"set password combined", "dev-cope-1", url.Values{"action": {"SetPassword", "Unlock"}, "expires": {tomorrow}}, "actions"},
		{"COPE set password by date", "dev-cope-1", url.Values{"action": {"SetPassword"}, "expires": {tomorrow}}, ""},
		{"COPE set password with QR", "dev-cope-1", url.Values{"action": {"SetPassword"}, "expires": {tomorrow}, "qr": {"on"}}, "qr"},
		{"COPE set password without date", "dev-cope-1", url.Values{"action": {"SetPassword"}}, "expires"},
		{"date only for another action", "dev-do-1", url.Values{"action": {"Unlock"}, "expires": {tomorrow}}, "expires"},
		{"expiry under 5 minutes", "dev-do-1", url.Values{"action": {"Unlock"}, "expires": {at(4 * time.Minute)}}, "expires"},
		{"expiry 30 days", "dev-do-1", url.Values{"action": {"Unlock"}, "expires": {at(30 * 24 * time.Hour)}}, ""},
		{"expiry over 30 days", "dev-do-1", url.Values{"action": {"Unlock"}, "expires": {at(30*24*time.Hour + time.Minute)}}, "expires"},
		{"expiry not a time", "dev-do-1", url.Values{"action": {"Unlock"}, "expires": {"next week"}}, "expires"},
		{"email without address", "dev-do-1", url.Values{"action": {"Unlock"}, "send_email": {"on"}}, "email"},
		{"email bad address", "dev-do-1", url.Values{"action": {"Unlock"}, "send_email": {"on"}, "email": {"tech@example.com\r\nBcc: x@evil.test"}}, "email"},
		{"bad language", "dev-do-1", url.Values{"action": {"Unlock"}, "lang": {"not a tag!"}}, "lang"},
		{"email sent", "dev-do-1", url.Values{"action": {"Unlock"}, "send_email": {"on"}, "email": {"tech@example.com"}, "lang": {"de"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := c.issue(tc.device, tc.form)
			code := text(p.Body, "code")
			if tc.field == "" {
				if p.Status != http.StatusOK || code == "" {
					t.Fatalf("not issued: %d %q", p.Status, fieldErrors(p.Body))
				}
				return
			}
			if p.Status != http.StatusUnprocessableEntity || code != "" || fieldError(p.Body, tc.field) == "" {
				t.Fatalf("status %d, code %q, errors %v; want an error beside %s", p.Status, code, fieldErrors(p.Body), tc.field)
			}
		})
	}
}

// fieldErrors lists the errors shown on a page, for failure messages.
func fieldErrors(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`id="err-([a-z]+)"[^>]*>([^<]*)`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+": "+m[2])
	}
	return out
}

func TestServicePasswordDialog(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	p := c.issue("dev-do-1", url.Values{"action": {"Unlock", "DisableKiosk"}, "qr": {"on"}, "send_email": {"on"},
		"email": {"tech@example.com"}, "lang": {"en"}})
	if !strings.Contains(p.Body, "Service password generated for device Warehouse scanner 7") {
		t.Fatal("dialog heading missing")
	}
	code := text(p.Body, "code")
	if !regexp.MustCompile(`^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}-[0-9A-Z]{4}[0-9A-Z*~$=]$`).MatchString(code) {
		t.Fatalf("code %q not grouped", code)
	}
	if !strings.Contains(p.Body, `data-copy="code"`) {
		t.Error("no copy button")
	}
	want := c.clock.Now().Add(24 * time.Hour).In(c.zone).Format("2006-01-02 15:04 MST")
	if got := text(p.Body, "expiry"); got != want {
		t.Errorf("expiry %q, want %q (24 h ahead on the device's clock)", got, want)
	}
	if !strings.Contains(p.Body, `id="qr-image"`) {
		t.Error("QR asked for but not shown")
	}
	m, ok := c.mail.Last()
	if !ok || m.To[0] != "tech@example.com" || !strings.Contains(m.Text.Reveal(), code) {
		t.Fatalf("email: %v %v", ok, m)
	}
	// Without asking, no QR.
	if p := c.issue("dev-do-1", url.Values{"action": {"Unlock"}}); strings.Contains(p.Body, `id="qr-image"`) {
		t.Error("QR shown though not asked for")
	}
	// The code is in no log line and on no page reachable by GET.
	if strings.Contains(c.logText(), code) || strings.Contains(c.logText(), strings.ReplaceAll(code, "-", "")) {
		t.Error("code in the log")
	}
	for _, path := range []string{"/admin/devices/dev-do-1", "/admin/outbox", "/admin/"} {
		if strings.Contains(c.get(path).Body, code) {
			t.Errorf("code on GET %s", path)
		}
	}
}

// The QR in the dialog decodes (with gozxing) to the code in the dialog.
func TestServicePasswordQRDecodes(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	p := c.issue("dev-do-1", url.Values{"action": {"Unlock"}, "qr": {"on"}})
	got, err := readQR(strings.NewReader(string(qrPNG(t, p.Body))))
	if err != nil {
		t.Fatal(err)
	}
	if want := text(p.Body, "code"); got != want {
		t.Fatalf("QR says %q, dialog %q", got, want)
	}
}

// qrPNG is the QR image of the dialog.
func qrPNG(t *testing.T, body string) []byte {
	t.Helper()
	m := regexp.MustCompile(`id="qr-image" src="data:image/png;base64,([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no QR image")
	}
	b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(m[1], "&#43;", "+"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServicePasswordEmailNamesTheDevice: the email names the device as
// the console does, not by its ID (issue 27).
func TestServicePasswordEmailNamesTheDevice(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	p := c.issue("dev-do-1", url.Values{"action": {"Unlock"}, "send_email": {"on"}, "email": {"tech@example.com"}, "lang": {"en"}})
	if text(p.Body, "code") == "" {
		t.Fatalf("not issued: %v", fieldErrors(p.Body))
	}
	m, ok := c.mail.Last()
	if !ok {
		t.Fatal("no email")
	}
	if !strings.Contains(m.Subject, "Warehouse scanner 7") || strings.Contains(m.Subject, "dev-do-1") {
		t.Errorf("subject %q", m.Subject)
	}
	if !strings.Contains(m.Text.Reveal(), "Warehouse scanner 7") {
		t.Errorf("the text does not name the device")
	}
}
