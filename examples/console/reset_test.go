package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/passcode"
)

func TestResetPasscodeWizardAndEvents(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	body := c.get("/admin/devices/dev-do-1/reset").Body
	for _, want := range []string{"Warehouse scanner 7", "Anna Nowak (anna@example.com)", "Send new passcode also to device user", ">Reset<"} {
		if !strings.Contains(body, want) {
			t.Errorf("wizard lacks %q", want)
		}
	}
	p := c.post("/admin/devices/dev-do-1/reset", "/admin/devices/dev-do-1/reset", url.Values{"notify_user": {"on"}})
	pc := text(p.Body, "new-passcode")
	if p.Status != http.StatusOK || pc == "" || text(p.Body, "reset-state") != "pending" {
		t.Fatalf("reset: %d %q %q", p.Status, pc, text(p.Body, "error"))
	}
	if m, ok := c.mail.Last(); !ok || m.To[0] != "anna@example.com" {
		t.Fatal("device user not mailed")
	}
	if strings.Contains(c.logText(), pc) || strings.Contains(c.get("/admin/devices/dev-do-1/reset").Body, pc) {
		t.Fatal("passcode logged or shown on GET")
	}
	// A second reset meanwhile is refused.
	p = c.post("/admin/devices/dev-do-1/reset", "/admin/devices/dev-do-1/reset", nil)
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(text(p.Body, "error"), "already in progress") {
		t.Fatalf("second reset: %d %q", p.Status, text(p.Body, "error"))
	}
	// The device acknowledges and reports success in the simulator.
	sim := c.get("/device/?device=dev-do-1").Body
	id := regexp.MustCompile(`action="/device/reset/([^"]+)"`).FindStringSubmatch(sim)
	if id == nil {
		t.Fatal("no reset command on the device")
	}
	for _, to := range []string{"acknowledged", "succeeded"} {
		c.clock.Advance(time.Minute)
		p := c.post("/device/", "/device/reset/"+id[1], url.Values{"device": {"dev-do-1"}, "to": {to}})
		if p.Status != http.StatusOK {
			t.Fatalf("report %s: %d %s", to, p.Status, text(p.Body, "error"))
		}
	}
	if p := c.post("/device/", "/device/reset/"+id[1], url.Values{"device": {"dev-do-1"}, "to": {"failed"}}); p.Status != http.StatusConflict {
		t.Fatalf("report on a finished reset: %d", p.Status) // the lifecycle refuses it
	}
	events := c.get("/admin/devices/dev-do-1/events").Body
	for _, want := range []string{"<td>requested</td><td>" + adminID + "</td>", "<td>requested</td><td>pending</td><td>mdm-channel</td>",
		"<td>pending</td><td>acknowledged</td>", "<td>acknowledged</td><td>succeeded</td>", "notified"} {
		if !strings.Contains(events, want) {
			t.Errorf("events lack %q", want)
		}
	}
	// Issue 27: resets are numbered for people, not shown by their
	// 32-hex IDs.
	if regexp.MustCompile(`[0-9a-f]{32}`).MatchString(events) || !strings.Contains(events, "<td>Reset 1</td>") {
		t.Errorf("events show reset IDs: %s", regexp.MustCompile(`[0-9a-f]{32}`).FindString(events))
	}
}

func TestResetRefusedWithThePlatformsReason(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	body := c.get("/admin/devices/dev-legacy-1/reset").Body
	reason := text(body, "unsupported")
	if reason == "" || strings.Contains(body, ">Reset<") {
		t.Fatal("unsupported platform offered a reset")
	}
	// The server refuses too, with the SDK's reason.
	p := c.post("/admin/devices/dev-legacy-1/reset", "/admin/devices/dev-legacy-1/reset", nil)
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(text(p.Body, "error"), "cannot be reset") {
		t.Fatalf("forced reset: %d %q", p.Status, text(p.Body, "error"))
	}
	if !strings.Contains(text(p.Body, "error"), strings.TrimPrefix(reason, "This device's passcode cannot be reset: ")) {
		t.Fatalf("reason %q not %q", text(p.Body, "error"), reason)
	}
}

// TestListedModeMatchesPlatform: a device listed as Device Owner or COPE is
// managed as device owner, so no page says it uses the device admin API,
// and a platform is named for people, not as an SDK identifier (issue 27).
func TestListedModeMatchesPlatform(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	for _, d := range c.app.inv.Devices {
		body := c.get("/admin/devices/" + d.ID + "/reset").Body
		if strings.Contains(strings.ToLower(body), "device admin") {
			t.Errorf("%s, listed as %v: the reset page says %q", d.ID, d.Mode, text(body, "unsupported"))
		}
		// The device's own ID ("ios-1") may contain the identifier.
		if strings.Contains(strings.ReplaceAll(body, d.ID, ""), d.Platform.Platform.String()) {
			t.Errorf("%s: the reset page shows the identifier %q", d.ID, d.Platform.Platform)
		}
	}
	inv := demoInventory(time.UTC)
	inv.Devices[0].Platform.Platform = passcode.AndroidDeviceAdmin
	if _, err := newApp(appConfig{SDK: c.app.sdk, Inventory: inv, AdminPassword: "a", PortalPassword: "b"}); err == nil {
		t.Error("newApp took a device listed as Device Owner on the device admin API")
	}
}

// TestResetOutcomeInWords: what a reset does is said in words for every
// platform's outcome (Android and Windows Phone set a passcode, iOS clears
// it for the user to set a new one within the grace, macOS locks with a
// PIN), never as the SDK's identifier (issue 27).
func TestResetOutcomeInWords(t *testing.T) {
	for _, tc := range []struct {
		d    passcode.Device
		want string
	}{
		{passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true}, "Sets a new passcode"},
		{passcode.Device{Platform: passcode.WindowsPhone81}, "Sets a new passcode"},
		{passcode.Device{Platform: passcode.IOS, UnlockTokenEscrowed: true}, "Clears the passcode; the user then has 1 hour to set a new one"},
		{passcode.Device{Platform: passcode.IPadOS, UnlockTokenEscrowed: true}, "Clears the passcode"},
		{passcode.Device{Platform: passcode.MacOS}, "Locks the Mac with a 6-digit PIN"},
	} {
		c, err := passcode.Check(tc.d)
		if err != nil {
			t.Fatalf("%v: %v", tc.d.Platform, err)
		}
		got := resetOutcome(c)
		if !strings.Contains(got, tc.want) || strings.Contains(got, c.Action.String()) {
			t.Errorf("%v: %q, want %q", tc.d.Platform, got, tc.want)
		}
		if after := resultOutcome(c); after == "" || strings.Contains(after, c.Action.String()) {
			t.Errorf("%v: after the request %q", tc.d.Platform, after)
		}
	}
	c := newConsole(t)
	c.signInAdmin()
	if body := c.get("/admin/devices/dev-do-1/reset").Body; !strings.Contains(body, "Sets a new passcode") || strings.Contains(body, "set-passcode") {
		t.Errorf("reset page: %s", text(body, "outcome"))
	}
	p := c.post("/admin/devices/dev-do-1/reset", "/admin/devices/dev-do-1/reset", nil)
	if got := text(p.Body, "reset-outcome"); !strings.Contains(got, "the new passcode above unlocks it") {
		t.Errorf("after the request: %q", got)
	}
}
