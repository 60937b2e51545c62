package browsertest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// recoveryLockRe is a Recovery Lock password as the escrow package draws
// it: 20 characters of its readable alphabet (escrow.Readable: no 0, O, o,
// 1, I or l). The nested module does not import the SDK's crypto.
var recoveryLockRe = regexp.MustCompile(`^[2-9A-HJ-NP-Za-km-z]{20}$`)

// The device card's Escrowed secrets, as an admin uses them: the demo
// Mac's secrets by kind and state, a Reveal the browser does not send
// without a reason, a Reveal with one (the secret shown once, the view in
// the history), and a Rotate that the simulated device acknowledges.
func TestEscrowInChromium(t *testing.T) {
	cp := startConsole(t)
	b := newBrowser(t, cp.base)
	b.signIn("/admin/signin", "admin@example.com", cp.adminPass)
	b.submit(link("Design MacBook Pro"))

	card := b.text(`//section[@id="escrow"]`)
	for _, want := range []string{"Escrowed secrets", "Lock PIN: active (version 1)", "Recovery Lock password: active (version 1)",
		"No one has viewed these secrets."} {
		if !strings.Contains(card, want) {
			t.Fatalf("card lacks %q:\n%s", want, card)
		}
	}
	b.shot("escrow-secrets")

	// The reason is required: the browser keeps the form, nothing is shown
	// or recorded.
	b.do(chromedp.Click(chromedp.Search(button("Reveal Recovery Lock password"))))
	if b.attr("Reason for viewing the Recovery Lock password", "validity.valueMissing") != "true" {
		t.Fatal("the reason field is not required")
	}
	if got := b.page(); strings.Contains(got, "Shown here once") || !strings.Contains(got, "No one has viewed these secrets.") {
		t.Fatalf("revealed without a reason:\n%s", got)
	}

	b.typeIn("Reason for viewing the Recovery Lock password", "Ticket 4711: Mac stuck in recovery")
	b.submit(button("Reveal Recovery Lock password"))
	b.do(chromedp.WaitVisible(chromedp.ID("revealed")))
	secret := b.text(`//output[@id="revealed-secret"]`)
	if !recoveryLockRe.MatchString(secret) {
		t.Fatalf("revealed %q", secret)
	}
	if loc := eval[string](b, "location.href"); strings.Contains(loc, secret) {
		t.Fatal("secret in the URL")
	}
	views := b.text(`//table[@id="escrow-views"]`)
	if !strings.Contains(views, "admin@example.com\t127.0.0.1\tRecovery Lock password version 1\tTicket 4711: Mac stuck in recovery") {
		t.Fatalf("view history:\n%q", views)
	}
	b.shot("escrow-revealed")

	// Back on the card, the history has the view and the secret is gone.
	b.submit(link("Back to the device"))
	if got := b.page(); strings.Contains(got, secret) || !strings.Contains(got, "Ticket 4711: Mac stuck in recovery") {
		t.Fatalf("card after the view:\n%s", got)
	}

	b.submit(button("Rotate Recovery Lock password"))
	if n := b.text(`//*[@id="escrow-notice"]`); n != "Rotated: the device acknowledged Recovery Lock password version 2, which is now active." {
		t.Fatalf("notice %q", n)
	}
	card = b.text(`//section[@id="escrow"]`)
	if !strings.Contains(card, "Recovery Lock password: active (version 2)") || !strings.Contains(card, "rotated") {
		t.Fatalf("card after rotation:\n%s", card)
	}
	b.typeIn("Reason for viewing the Recovery Lock password", "check the rotation")
	b.submit(button("Reveal Recovery Lock password"))
	if again := b.text(`//output[@id="revealed-secret"]`); again == secret || !recoveryLockRe.MatchString(again) {
		t.Fatalf("after rotation revealed %q (before %q)", again, secret)
	}
	if h := b.text(`//h2[@id="revealed-heading"]`); h != "Recovery Lock password (version 2, active)" {
		t.Fatalf("revealed heading %q", h)
	}

	// The rotated version stays revealable, chosen by its version.
	if got := b.attr("Version of the Recovery Lock password to reveal", `options[1].text`); got != "version 1 (rotated)" {
		t.Fatalf("second version offered: %q", got)
	}
	_ = b.attr("Version of the Recovery Lock password to reveal", `selectedIndex = 1`)
	b.typeIn("Reason for viewing the Recovery Lock password", "device applied the old one")
	b.submit(button("Reveal Recovery Lock password"))
	if old := b.text(`//output[@id="revealed-secret"]`); old != secret {
		t.Fatalf("version 1 revealed %q, want %q", old, secret)
	}
	if n := strings.Count(b.text(`//table[@id="escrow-views"]`), "admin@example.com"); n != 3 {
		t.Fatalf("%d views in the history, want 3", n)
	}
}
