package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
)

func TestSelfServiceEnrollment(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	if body := c.get("/admin/sites/berlin").Body; !strings.Contains(body, "No company passcode yet") {
		t.Fatal("a new site has a passcode")
	}
	p := c.post("/admin/sites/berlin", "/admin/sites/berlin/generate", nil)
	pc := text(p.Body, "company-passcode")
	if len(pc) != enrollment.Length {
		t.Fatalf("passcode %q", pc)
	}
	if text(p.Body, "site-status") != "active" || !strings.Contains(p.Body, adminID) {
		t.Fatal("status or generated-by missing")
	}
	// Shown once: not on the page afterwards, nor in the log.
	if strings.Contains(c.get("/admin/sites/berlin").Body, pc) || strings.Contains(c.logText(), pc) {
		t.Fatal("company passcode shown again or logged")
	}

	enroll := func(input string) page {
		return c.post("/device/enroll", "/device/enroll", url.Values{"site": {"berlin"}, "passcode": {input}})
	}
	if p := enroll(pc); p.Status != http.StatusOK || text(p.Body, "result") == "" {
		t.Fatalf("right passcode: %d %s", p.Status, text(p.Body, "error"))
	}
	for i := range enrollment.DefaultThreshold {
		c.clock.Advance(time.Minute)
		p := enroll("Wrong1Guess" + string(rune('a'+i)))
		if p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: %d", i, p.Status)
		}
	}
	p = enroll(pc)
	if !strings.Contains(text(p.Body, "error"), "locked") {
		t.Fatalf("after the threshold the right passcode: %q", text(p.Body, "error"))
	}
	body := c.get("/admin/sites/berlin").Body
	if text(body, "site-status") != "locked" || text(body, "failed-attempts") == "0" {
		t.Fatalf("status %q, failures %q", text(body, "site-status"), text(body, "failed-attempts"))
	}
	if !strings.Contains(body, "alert sent after 10 failed attempts") || !strings.Contains(body, "from 127.0.0.1") {
		t.Fatal("alert or last source missing")
	}
	// Exactly one alert, in the outbox.
	alerts := 0
	for _, m := range c.mail.Messages() {
		if m.To[0] == "it-security@example.com" {
			alerts++
		}
	}
	if alerts != 1 {
		t.Fatalf("%d alerts", alerts)
	}
	if ob := c.get("/admin/outbox").Body; !strings.Contains(ob, "it-security@example.com") {
		t.Fatal("alert not in the outbox page")
	}

	// Generate new turns it on again; Disable turns it off.
	pc2 := text(c.post("/admin/sites/berlin", "/admin/sites/berlin/generate", nil).Body, "company-passcode")
	if pc2 == "" || pc2 == pc {
		t.Fatal("no new passcode")
	}
	p = c.post("/admin/sites/berlin", "/admin/sites/berlin/disable", nil)
	if text(p.Body, "site-status") != "disabled" {
		t.Fatalf("after Disable: %q", text(p.Body, "site-status"))
	}
	if p := enroll(pc2); !strings.Contains(text(p.Body, "error"), "turned off") {
		t.Fatalf("disabled site: %q", text(p.Body, "error"))
	}
	if p := c.post("/device/enroll", "/device/enroll", url.Values{"site": {"nowhere"}, "passcode": {pc2}}); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown site: %d", p.Status)
	}
}

func TestCompanyPasscodeRevealWhereSealingIsOn(t *testing.T) {
	for _, sealed := range []bool{false, true} {
		c := newConsoleWith(t, sdkConfig{RevealPasscodes: sealed})
		c.signInAdmin()
		pc := text(c.post("/admin/sites/berlin", "/admin/sites/berlin/generate", nil).Body, "company-passcode")
		body := c.get("/admin/sites/berlin").Body
		if strings.Contains(body, "Show passcode") != sealed || strings.Contains(body, pc) {
			t.Fatalf("sealed=%v: Show passcode offered %v", sealed, !sealed)
		}
		p := c.post("/admin/sites/berlin", "/admin/sites/berlin/reveal", nil)
		if got := text(p.Body, "company-passcode"); (got == pc) != sealed {
			t.Fatalf("sealed=%v: revealed %q", sealed, got)
		}
		if !sealed && !strings.Contains(p.Body, "cannot be shown again") {
			t.Fatal("no explanation")
		}
		if sealed && !strings.Contains(c.get("/admin/sites/berlin").Body, "<td>viewed</td><td>"+adminID) {
			t.Fatal("the view is not in the events")
		}
	}
}
