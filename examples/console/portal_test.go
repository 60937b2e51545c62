package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestPortalMyDevicesAndReset(t *testing.T) {
	c := newConsole(t)
	c.signInPortal("anna@example.com")
	body := c.get("/portal/").Body
	if !strings.Contains(body, "Warehouse scanner 7") || !strings.Contains(body, "Anna&#39;s work phone") || strings.Contains(body, "Ben&#39;s old tablet") {
		t.Fatal("My devices does not list exactly the user's devices")
	}
	// Another user's device is not found.
	if p := c.post("/portal/", "/portal/devices/dev-legacy-1/reset", nil); p.Status != http.StatusNotFound {
		t.Fatalf("another user's device: %d", p.Status)
	}
	// Within the re-authentication window: the reset goes through.
	c.clock.Advance(4 * time.Minute)
	p := c.post("/portal/", "/portal/devices/dev-do-1/reset", nil)
	pc := text(p.Body, "new-passcode")
	if p.Status != http.StatusOK || pc == "" || text(p.Body, "reset-state") != "pending" {
		t.Fatalf("reset: %d %q %q", p.Status, pc, text(p.Body, "error"))
	}
	if strings.Contains(c.get("/portal/").Body, pc) || strings.Contains(c.logText(), pc) {
		t.Fatal("passcode shown again or logged")
	}
	// Past it: sign out and in again first.
	c.clock.Advance(2 * time.Minute)
	p = c.post("/portal/", "/portal/devices/dev-cope-1/reset", nil)
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "sign out and sign in again") {
		t.Fatalf("stale sign-in: %d", p.Status)
	}
	c.post("/portal/", "/portal/signout", nil)
	c.signInPortal("anna@example.com")
	if p := c.post("/portal/", "/portal/devices/dev-cope-1/reset", nil); p.Status != http.StatusOK {
		t.Fatalf("after signing in again: %d %q", p.Status, text(p.Body, "error"))
	}
	// The device's outcome shows in the portal.
	sim := c.get("/device/?device=dev-do-1").Body
	id := regexp.MustCompile(`action="/device/reset/([^"]+)"`).FindStringSubmatch(sim)[1]
	for _, to := range []string{"acknowledged", "succeeded"} {
		c.post("/device/", "/device/reset/"+id, url.Values{"device": {"dev-do-1"}, "to": {to}})
	}
	if !strings.Contains(c.get("/portal/").Body, `data-device="dev-do-1">succeeded<`) {
		t.Fatal("outcome not shown")
	}
	// A platform that cannot be reset, for its own user.
	c2 := newConsole(t)
	c2.signInPortal("ben@example.com")
	if p := c2.post("/portal/", "/portal/devices/dev-legacy-1/reset", nil); !strings.Contains(text(p.Body, "error"), "cannot be reset") {
		t.Fatalf("legacy device: %q", text(p.Body, "error"))
	}
}

func TestPortalOneTimePIN(t *testing.T) {
	c := newConsole(t)
	c.signInPortal("anna@example.com")
	if !strings.Contains(c.get("/portal/").Body, "Generate one-time PIN") {
		t.Fatal("eligible user not offered the PIN")
	}
	p := c.post("/portal/", "/portal/pin", nil)
	pin := text(p.Body, "pin")
	if !regexp.MustCompile(`^[0-9]{8}$`).MatchString(pin) {
		t.Fatalf("PIN %q", pin)
	}
	want := c.clock.Now().Add(24 * time.Hour).In(c.zone).Format("2006-01-02 15:04 MST")
	if !strings.Contains(p.Body, "until "+want) {
		t.Fatal("24-hour expiry not shown")
	}
	if strings.Contains(c.get("/portal/").Body, pin) || strings.Contains(c.logText(), pin) {
		t.Fatal("PIN shown again or logged")
	}
	use := func(pin string) page {
		return c.post("/device/", "/device/pin", url.Values{"user": {"anna@example.com"}, "pin": {pin}})
	}
	if p := use(pin); p.Status != http.StatusOK || text(p.Body, "notice") == "" {
		t.Fatalf("PIN refused: %q", text(p.Body, "error"))
	}
	if p := use(pin); p.Status != http.StatusUnprocessableEntity {
		t.Fatal("PIN used twice")
	}
	// Wrong PINs void it (the SDK's attempt limit).
	pin = text(c.post("/portal/", "/portal/pin", nil).Body, "pin")
	var last string
	for range 5 {
		last = text(use("00000000").Body, "error")
	}
	if p := use(pin); !strings.Contains(text(p.Body, "error"), "no longer works") && !strings.Contains(text(p.Body, "error"), "No valid") {
		t.Fatalf("PIN after 5 wrong ones: %q (last %q)", text(p.Body, "error"), last)
	}

	// An ineligible user sees what is missing and cannot force a PIN.
	c2 := newConsole(t)
	c2.signInPortal("ben@example.com")
	body := c2.get("/portal/").Body
	if strings.Contains(body, "Generate one-time PIN") {
		t.Fatal("ineligible user offered the PIN")
	}
	for _, want := range []string{"qualifying licenses", "passcode recovery"} {
		if !strings.Contains(body, want) {
			t.Errorf("missing requirement %q not listed", want)
		}
	}
	if p := c2.post("/portal/", "/portal/pin", nil); p.Status != http.StatusForbidden || text(p.Body, "pin") != "" {
		t.Fatalf("forced PIN: %d", p.Status)
	}
}
