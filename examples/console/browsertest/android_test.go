package browsertest

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The Android Enterprise device's Reset passcode and Lock go to the fake
// Android Management API the console runs, whose device runs each command
// 2 seconds after it is issued; the Events show the device's answers.
func TestAndroidEnterpriseInChromium(t *testing.T) {
	cp := startConsole(t)
	b := newBrowser(t, cp.base)
	b.signIn("/admin/signin", "admin@example.com", cp.adminPass)

	// Reset passcode: Android 14 raises the numeric policy to 6 digits.
	b.submit(link("Sales Pixel 8"))
	b.submit(link("Reset passcode"))
	if got := b.page(); !strings.Contains(got, "Android Management API (RESET_PASSWORD)") ||
		!strings.Contains(got, "numeric 6") || !strings.Contains(got, "Android 14 and later refuse a numeric passcode shorter than 6 digits") {
		t.Fatalf("wizard: %s", got)
	}
	b.submit(button("Reset"))
	pc := b.text(`//output[@id="new-passcode"]`)
	if state := b.text(`//strong[@id="reset-state"]`); state != "pending" || !regexp.MustCompile(`^[0-9]{6}$`).MatchString(pc) {
		t.Fatalf("reset: %q %q: %s", state, pc, b.page())
	}
	b.shot("6-android-enterprise-reset")
	b.submit(link("Events"))
	if got := b.text(`//table[@id="commands"]`); !strings.Contains(got, "RESET_PASSWORD") || !strings.Contains(got, "pending") {
		t.Fatalf("commands before the device ran the reset: %s", got)
	}
	b.do(chromedp.Sleep(2500 * time.Millisecond))
	b.open("/admin/devices/dev-ae-1/events")
	events, commands := b.text(`//table[@id="events"]`), b.text(`//table[@id="commands"]`)
	if !strings.Contains(events, "succeeded") || !strings.Contains(events, "amapi") || !strings.Contains(events, "admin@example.com") {
		t.Fatalf("events: %s", events)
	}
	if !strings.Contains(commands, "RESET_PASSWORD") || !strings.Contains(commands, "succeeded") {
		t.Fatalf("commands: %s", commands)
	}
	if strings.Contains(b.page(), pc) {
		t.Fatal("the new passcode shown again in the Events")
	}

	// Lock, from the device card.
	b.open("/admin/")
	b.submit(link("Sales Pixel 8"))
	b.submit(button("Lock"))
	if state := b.text(`//strong[@id="command-state"]`); state != "pending" {
		t.Fatalf("lock: %q: %s", state, b.page())
	}
	b.do(chromedp.Sleep(2500 * time.Millisecond))
	b.submit(link("Events"))
	commands = b.text(`//table[@id="commands"]`)
	if !regexp.MustCompile(`LOCK\s+admin@example.com\s+succeeded`).MatchString(commands) {
		t.Fatalf("commands after the lock: %s", commands)
	}

	// Lost Mode right after the reset: the device refuses, and says why.
	b.open("/admin/devices/dev-ae-1")
	b.typeIn("Message shown on the device", "Found this phone? Call IT.")
	b.submit(button("Start Lost Mode"))
	if state := b.text(`//strong[@id="command-state"]`); state != "pending" {
		t.Fatalf("Start Lost Mode: %q: %s", state, b.page())
	}
	b.do(chromedp.Sleep(2500 * time.Millisecond))
	b.submit(link("Events"))
	commands = b.text(`//table[@id="commands"]`)
	if !regexp.MustCompile(`START_LOST_MODE\s+admin@example.com\s+failed\s+RESET_PASSWORD_RECENTLY: not put into Lost Mode: its password was reset recently`).MatchString(commands) {
		t.Fatalf("commands after Start Lost Mode: %s", commands)
	}
	b.shot("6-android-enterprise-events")

	// A personally-owned work profile: no Lost Mode, with the reason.
	b.open("/admin/devices/dev-ae-wp-1")
	if got := b.text(`//p[@id="lost-mode-unavailable"]`); !strings.Contains(got, "company-owned") {
		t.Fatalf("work profile: %q", got)
	}
	if eval[bool](b, `[...document.querySelectorAll("button")].some(e => e.textContent.trim() === "Start Lost Mode")`) {
		t.Fatal("Start Lost Mode offered on a personally-owned work profile")
	}

	// A device outside AMAPI has no Lock.
	b.open("/admin/devices/dev-do-1")
	if eval[bool](b, `[...document.querySelectorAll("button")].some(e => e.textContent.trim() === "Lock")`) {
		t.Fatal("Lock offered on a Device Owner device outside AMAPI")
	}
}
