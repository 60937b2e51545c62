// Package browsertest drives examples/console in headless Chromium, end to
// end: the console runs as its own process and the browser clicks the
// labelled controls a person would. It is a nested module so that chromedp
// stays out of the SDK's go.mod.
//
//	cd examples/console/browsertest && go test ./...
//	go test ./... -screenshots ../../../docs/screenshots   # refresh the README's pictures
//
// The test needs Debian's chromium (or Chrome) on PATH; without it the test
// is skipped, except under CI=true, where it fails.
package browsertest

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	_ "github.com/jackc/pgx/v5/stdlib" // for the schema of the console's stores

	"github.com/mdmcred/mdmcred/internal/citest"
)

var screenshots = flag.String("screenshots", "", "directory to write the screens' PNG screenshots to (default: the test's temporary directory)")

// chromium finds the browser.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	citest.Missing(t, "no chromium on PATH", "apt-get install chromium (.ci/run does)")
	return ""
}

// consoleProcess builds and starts the console, and reads its address and
// demo passwords from its first lines.
type consoleProcess struct {
	base, adminPass, portalPass string
}

func startConsole(t *testing.T, extra ...string) consoleProcess {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "console")
	build := exec.Command("go", "build", "-o", bin, "./examples/console")
	build.Dir = "../../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// A short re-authentication window, so that the test sees the portal
	// ask for a fresh sign-in.
	args := []string{"-addr", "127.0.0.1:0", "-outbox", t.TempDir(), "-reauth", reauth.String()}
	if dsn := postgresDSN(t); dsn != "" {
		args = append(args, "-postgres", dsn)
	}
	args = append(args, extra...)
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var cp consoleProcess
	sc := bufio.NewScanner(out)
	for sc.Scan() && (cp.base == "" || cp.adminPass == "" || cp.portalPass == "") {
		f := strings.Fields(sc.Text())
		switch {
		case strings.HasPrefix(sc.Text(), "mdmcred console on "):
			cp.base = strings.TrimSuffix(f[3], "/")
		case strings.HasPrefix(sc.Text(), "admin:"):
			cp.adminPass = f[len(f)-1]
		case strings.HasPrefix(sc.Text(), "portal:"):
			cp.portalPass = f[len(f)-1]
		}
	}
	if cp.base == "" || cp.adminPass == "" || cp.portalPass == "" {
		t.Fatalf("console did not start: %+v %v", cp, sc.Err())
	}
	go func() { // keep reading so the console never blocks on stdout
		for sc.Scan() {
		}
	}()
	return cp
}

// postgresDSN is, when MDMCRED_POSTGRES_DSN is set (make unit sets it), a
// DSN for a fresh schema on that server, dropped when t ends; the console
// then keeps every server-side store there.
func postgresDSN(t *testing.T) string {
	dsn := os.Getenv("MDMCRED_POSTGRES_DSN")
	if dsn == "" {
		return ""
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "console_browser_" + hex.EncodeToString(b[:])
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		db.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil || !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// reauth is the console's portal re-authentication window in the test.
const reauth = 8 * time.Second

// browser is one headless Chromium tab.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string // screenshots
}

func newBrowser(t *testing.T, base string) *browser {
	chromeTmp := t.TempDir()
	t.Cleanup(func() {
		// Runs after the browser has stopped (cleanups run last first):
		// Chromium's scratch directories went to chromeTmp, which the
		// test removes, not to the machine's temporary directory, where
		// two were left a run (issue 27).
		if made, _ := filepath.Glob(filepath.Join(chromeTmp, "*org.chromium.*")); len(made) == 0 {
			t.Error("Chromium made no scratch directory in the test's TMPDIR: it writes them elsewhere")
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
		// Chromium makes its own directories in TMPDIR (.org.chromium.*,
		// two a run) and leaves them: keep them in the test's directory,
		// which the test removes (issue 27).
		chromedp.Env("TMPDIR=" + chromeTmp),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	dir := *screenshots
	if dir == "" {
		dir = t.TempDir()
	}
	b := &browser{t: t, ctx: ctx, base: base, dir: dir}
	// The first action starts the browser: it gets no timeout, which would
	// stop the browser with it.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *browser) timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, 20*time.Second)
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) open(path string) { b.t.Helper(); b.do(chromedp.Navigate(b.base + path)) }

// submit clicks a control that sends a form and waits for the next page.
func (b *browser) submit(sel string) {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(sel))); err != nil {
		b.t.Fatalf("submit %s: %v", sel, err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.Search(sel)))
	if err != nil {
		b.t.Fatalf("text %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// page is the visible text of the page.
func (b *browser) page() string { b.t.Helper(); return eval[string](b, "document.body.innerText") }

func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// The selectors find controls the way a person does: by their label or
// their visible name.
func field(label string) string {
	return fmt.Sprintf(`//*[@id=//label[normalize-space()=%q]/@for]`, label)
}
func label(text string) string  { return fmt.Sprintf(`//label[normalize-space()=%q]`, text) }
func button(name string) string { return fmt.Sprintf(`//button[normalize-space()=%q]`, name) }
func link(name string) string   { return fmt.Sprintf(`//a[normalize-space()=%q]`, name) }
func (b *browser) typeIn(l, s string) {
	b.t.Helper()
	_ = b.attr(l, `value = ""`) // clear what the field holds
	b.do(chromedp.SendKeys(chromedp.Search(field(l)), s))
}

func (b *browser) signIn(path, email, password string) {
	b.t.Helper()
	b.open(path)
	b.typeIn("Email", email)
	b.typeIn("Password", password)
	b.submit(button("Sign in"))
}

func (b *browser) checked(l string) bool {
	return eval[bool](b, fmt.Sprintf(`document.getElementById(document.evaluate(%q, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue.htmlFor).checked`, label(l)))
}

func (b *browser) attr(l, js string) string {
	return eval[string](b, fmt.Sprintf(`String(document.getElementById(document.evaluate(%q, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue.htmlFor).%s)`, label(l), js))
}

var (
	codeRe      = regexp.MustCompile(`^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}-[0-9A-Z]{4}[0-9A-Z*~$=]$`)
	challengeRe = regexp.MustCompile(`^[0-9A-Z]{5}-[0-9A-Z]{4}[0-9A-Z*~$=U]$`)
	responseRe  = regexp.MustCompile(`^[0-9A-Z]{4}(-[0-9A-Z]{4}){2}-[0-9A-Z]{3}[0-9A-Z*~$=U]$`)
)

func TestConsoleInChromium(t *testing.T) {
	cp := startConsole(t)
	b := newBrowser(t, cp.base)

	b.signIn("/admin/signin", "admin@example.com", "wrong password")
	if !strings.Contains(b.page(), "The email or password is wrong.") {
		t.Fatal("wrong password accepted")
	}
	b.signIn("/admin/signin", "admin@example.com", cp.adminPass)
	b.submit(link("Warehouse scanner 7"))

	// Screen 1, Device Owner: issue a code by clicking the labelled controls.
	b.do(chromedp.Click(chromedp.Search(label("Unlock device"))), chromedp.Click(chromedp.Search(label("Disable Kiosk"))),
		chromedp.Click(chromedp.Search(label("Generate QR code"))))
	if !b.checked("Unlock device") || !b.checked("Disable Kiosk") {
		t.Fatal("labels do not toggle their checkboxes")
	}
	// An exclusive action clears the others, and another clears it.
	b.do(chromedp.Click(chromedp.Search(label("Emergency Database Reset"))))
	if b.checked("Unlock device") || b.checked("Disable Kiosk") {
		t.Fatal("Emergency Database Reset did not clear the others")
	}
	b.do(chromedp.Click(chromedp.Search(label("Unlock device"))), chromedp.Click(chromedp.Search(label("Disable Kiosk"))))
	if b.checked("Emergency Database Reset") {
		t.Fatal("another action did not clear Emergency Database Reset")
	}
	if b.attr("Set Password (COPE only)", "disabled") != "true" {
		t.Fatal("Set Password enabled on a Device Owner device")
	}
	b.shot("1-service-password-panel")
	b.submit(button("Generate"))
	b.do(chromedp.WaitVisible(chromedp.ID("issued")))
	if h := b.text(`//h2[@id="issued-heading"]`); h != "Service password generated for device Warehouse scanner 7" {
		t.Fatalf("dialog heading %q", h)
	}
	code := b.text(`//output[@id="code"]`)
	if !codeRe.MatchString(code) {
		t.Fatalf("code %q", code)
	}
	qrSrc := eval[string](b, `document.getElementById("qr-image").src`)
	if !strings.HasPrefix(qrSrc, "data:image/png;base64,") {
		t.Fatal("no QR in the dialog")
	}
	if loc := eval[string](b, "location.href"); strings.Contains(loc, code) || strings.Contains(loc, strings.ReplaceAll(code, "-", "")) {
		t.Fatal("code in the URL")
	}
	b.shot("1-service-password-dialog")

	// Screen 5: the device simulator takes the code.
	b.open("/device/?device=dev-do-1")
	b.typeIn("Service password", strings.ToLower(code))
	b.submit(button("Check"))
	b.do(chromedp.WaitVisible(chromedp.ID("grant")))
	got := b.page()
	for _, want := range []string{"Service password accepted", "Unlock device", "Disable Kiosk", "left", "Disable Kiosk will be reverted"} {
		if !strings.Contains(got, want) {
			t.Fatalf("simulator lacks %q:\n%s", want, got)
		}
	}
	first := b.text(`//span[@id="countdown"]`)
	b.do(chromedp.Sleep(1100 * time.Millisecond))
	if second := b.text(`//span[@id="countdown"]`); second == first || !strings.Contains(second, "min") {
		t.Fatalf("countdown does not run: %q then %q", first, second)
	}
	b.shot("5-device-simulator")
	// The same code again: a replay, worded for the device's user.
	b.typeIn("Service password", code)
	b.submit(button("Check"))
	if r := b.text(`//p[@id="refusal"]`); !strings.Contains(r, "already used") {
		t.Fatalf("replay: %q", r)
	}

	// The QR code, uploaded as a PNG, gives the same grant.
	b.open("/admin/devices/dev-do-1")
	b.do(chromedp.Click(chromedp.Search(label("Unlock device"))), chromedp.Click(chromedp.Search(label("Disable Kiosk"))),
		chromedp.Click(chromedp.Search(label("Generate QR code"))))
	b.submit(button("Generate"))
	qrSrc = eval[string](b, `document.getElementById("qr-image").src`)
	pngBytes, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(qrSrc, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	qrFile := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(qrFile, pngBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	b.open("/device/?device=dev-do-1")
	b.do(chromedp.SetUploadFiles(chromedp.Search(field("Or a photo or PNG of its QR code")), []string{qrFile}))
	b.submit(button("Check"))
	b.do(chromedp.WaitVisible(chromedp.ID("grant")))
	if got := b.text(`//section[@id="grant"]`); !strings.Contains(got, "Unlock device") || !strings.Contains(got, "Disable Kiosk") {
		t.Fatalf("QR grant: %q", got)
	}

	// Screen 1 in "Device shows a challenge" mode: the simulator shows a
	// challenge, the admin types it into the panel (a mistyped one is
	// caught before anything is issued), and the response typed back on
	// the device grants.
	b.open("/device/?device=dev-do-1")
	b.submit(button("Show a challenge"))
	challenge := b.text(`//output[@id="shown-challenge"]`)
	if !challengeRe.MatchString(challenge) {
		t.Fatalf("challenge %q", challenge)
	}
	b.open("/admin/devices/dev-do-1")
	if !eval[bool](b, `document.getElementById("challenge").closest("p").hidden`) {
		t.Fatal("challenge field shown in the code mode")
	}
	b.do(chromedp.Click(chromedp.Search(label("Device shows a challenge"))))
	if b.attr("Service password expiration date (on device)", "disabled") != "true" || b.attr("Generate QR code", "disabled") != "true" ||
		b.attr("Challenge shown on the device", "disabled") != "false" {
		t.Fatal("the challenge mode keeps the expiry and QR fields, or has no challenge field")
	}
	mistyped := []byte(challenge)
	if mistyped[0] == 'X' { // another first symbol: the check symbol catches it
		mistyped[0] = 'Y'
	} else {
		mistyped[0] = 'X'
	}
	b.typeIn("Challenge shown on the device", string(mistyped))
	b.do(chromedp.Click(chromedp.Search(label("Unlock device"))), chromedp.Click(chromedp.Search(label("Disable Kiosk"))))
	b.submit(button("Generate"))
	if e := b.text(`//span[@id="err-challenge"]`); !strings.Contains(e, "typing mistake") || eval[bool](b, `document.getElementById("issued") !== null`) {
		t.Fatalf("mistyped challenge: %q", e)
	}
	if !b.checked("Device shows a challenge") || !b.checked("Unlock device") || !b.checked("Disable Kiosk") {
		t.Fatal("the panel lost its choices after the error")
	}
	b.typeIn("Challenge shown on the device", strings.ToLower(challenge))
	b.submit(button("Generate"))
	b.do(chromedp.WaitVisible(chromedp.ID("issued")))
	response := b.text(`//output[@id="code"]`)
	if !responseRe.MatchString(response) || b.text(`//span[@id="answers"]`) != challenge {
		t.Fatalf("response %q for %q", response, b.text(`//span[@id="answers"]`))
	}
	b.shot("1-service-password-challenge")
	b.open("/device/?device=dev-do-1")
	if got := b.text(`//output[@id="shown-challenge"]`); got != challenge {
		t.Fatalf("the device shows %q, not %q", got, challenge)
	}
	b.typeIn("Response", response)
	b.shot("5-device-simulator-challenge")
	b.submit(button("Check response"))
	b.do(chromedp.WaitVisible(chromedp.ID("grant")))
	if got := b.text(`//section[@id="grant"]`); !strings.Contains(got, "Unlock device") || !strings.Contains(got, "Disable Kiosk") {
		t.Fatalf("response grant: %q", got)
	}

	// Screen 1, COPE: Disable Kiosk disabled, Set Password by date only, no QR.
	b.open("/admin/devices/dev-cope-1")
	if b.attr("Disable Kiosk", "disabled") != "true" || !strings.Contains(b.page(), "disable kiosk is not available on COPE") {
		t.Fatal("Disable Kiosk not disabled with its reason on COPE")
	}
	if !strings.Contains(b.text(`//div[@id="help-RemoveNetworkRestrictions"]`), "Private DNS") {
		t.Fatal("COPE network policies lack private DNS")
	}
	b.do(chromedp.Click(chromedp.Search(label("Unlock device"))), chromedp.Click(chromedp.Search(label("Set Password (COPE only)"))))
	if b.checked("Unlock device") {
		t.Fatal("Set Password did not clear Unlock")
	}
	if typ := b.attr("Service password expiration date (on device)", "type"); typ != "date" {
		t.Fatalf("expiry field is %q for COPE Set Password", typ)
	}
	if b.attr("Generate QR code", "disabled") != "true" {
		t.Fatal("QR offered for COPE Set Password")
	}
	b.shot("1-service-password-cope")
	b.submit(button("Generate"))
	if got := b.text(`//span[@id="expiry"]`); !strings.HasPrefix(got, "end of ") {
		t.Fatalf("COPE expiry %q", got)
	}
	if eval[bool](b, `document.getElementById("qr-image") !== null`) {
		t.Fatal("QR shown for COPE Set Password")
	}

	// Screen 2: a company passcode, failed into lockout, and the alert.
	b.open("/admin/sites/berlin")
	b.submit(button("Generate new"))
	pc := b.text(`//output[@id="company-passcode"]`)
	if len(pc) != 12 {
		t.Fatalf("company passcode %q", pc)
	}
	b.open("/device/enroll")
	b.typeIn("Company passcode", pc)
	b.submit(button("Enroll"))
	if !strings.Contains(b.page(), "Company passcode accepted") {
		t.Fatal("right company passcode refused")
	}
	for i := range 10 {
		b.typeIn("Company passcode", fmt.Sprintf("Wrong%dGuessX", i))
		b.submit(button("Enroll"))
	}
	b.typeIn("Company passcode", pc)
	b.submit(button("Enroll"))
	if !strings.Contains(b.text(`//p[@id="error"]`), "locked") {
		t.Fatalf("no lockout: %q", b.page())
	}
	b.shot("2-self-service-enrollment-device")
	b.open("/admin/outbox")
	if !strings.Contains(b.text(`//table[@id="outbox"]`), "it-security@example.com") {
		t.Fatal("no alert in the outbox")
	}
	b.open("/admin/sites/berlin")
	if got := b.page(); !strings.Contains(got, "locked") || !strings.Contains(got, "alert sent after 10 failed attempts") {
		t.Fatalf("site page: %s", got)
	}
	b.shot("2-self-service-enrollment")

	// Screen 3: reset a passcode, with the Events.
	b.open("/admin/devices/dev-legacy-1/reset")
	if !strings.Contains(b.text(`//p[@id="unsupported"]`), "cannot be reset") {
		t.Fatal("legacy platform not refused")
	}
	// Issue 27: listed as Device Owner, so no word of the device admin API;
	// the platform named for people.
	if got := b.page(); strings.Contains(strings.ToLower(got), "device admin") || !strings.Contains(got, "Android, managed as device owner") {
		t.Fatalf("legacy device page: %s", got)
	}
	// An unknown device: an error page of the console with a way back.
	b.open("/admin/devices/no-such-device")
	if !strings.Contains(b.text(`//p[@id="error-message"]`), "no such") {
		t.Fatalf("not-found page: %s", b.page())
	}
	b.submit(link("Back to the console"))
	if got := b.page(); !strings.Contains(got, "Warehouse scanner 7") {
		t.Fatalf("the way back did not lead to the console: %s", got)
	}
	b.open("/admin/devices/dev-do-1/reset")
	b.do(chromedp.Click(chromedp.Search(label("Send new passcode also to device user"))))
	b.submit(button("Reset"))
	if b.text(`//strong[@id="reset-state"]`) != "pending" || b.text(`//output[@id="new-passcode"]`) == "" {
		t.Fatalf("reset: %s", b.page())
	}
	b.shot("3-reset-passcode")
	b.open("/device/?device=dev-do-1")
	b.submit(button("Acknowledge command"))
	b.submit(button("Report passcode set"))
	b.open("/admin/devices/dev-do-1/events")
	if got := b.text(`//table[@id="events"]`); !strings.Contains(got, "succeeded") || !strings.Contains(got, "admin@example.com") {
		t.Fatalf("events: %s", got)
	}
	b.shot("3-events")

	// Screen 4: the portal reset through its states, and a one-time PIN.
	b.signIn("/portal/signin", "anna@example.com", cp.portalPass)
	b.do(chromedp.Sleep(reauth + time.Second))
	b.submit(`//form[@action="/portal/devices/dev-cope-1/reset"]/button`)
	if !strings.Contains(b.text(`//div[@id="reauth"]`), "sign out and sign in again") {
		t.Fatalf("stale sign-in not asked to sign in again: %s", b.page())
	}
	b.submit(button("Sign out and sign in again"))
	b.typeIn("Email", "anna@example.com")
	b.typeIn("Password", cp.portalPass)
	b.submit(button("Sign in"))
	b.submit(`//form[@action="/portal/devices/dev-cope-1/reset"]/button`)
	if b.text(`//strong[@id="reset-state"]`) != "pending" || b.text(`//output[@id="new-passcode"]`) == "" {
		t.Fatalf("portal reset: %s", b.page())
	}
	b.open("/device/?device=dev-cope-1")
	b.submit(button("Acknowledge command"))
	b.open("/portal/")
	if got := b.text(`//span[@data-device="dev-cope-1"]`); got != "acknowledged" {
		t.Fatalf("portal state %q", got)
	}
	b.open("/device/?device=dev-cope-1")
	b.submit(button("Report passcode set"))
	b.open("/portal/")
	if got := b.text(`//span[@data-device="dev-cope-1"]`); got != "succeeded" {
		t.Fatalf("portal outcome %q", got)
	}
	b.submit(button("Generate one-time PIN"))
	pin := b.text(`//output[@id="pin"]`)
	if !regexp.MustCompile(`^[0-9]{8}$`).MatchString(pin) || !strings.Contains(b.page(), "Valid for 24 hours") {
		t.Fatalf("PIN %q", pin)
	}
	b.shot("4-user-portal")
	b.open("/device/?device=dev-cope-1")
	b.typeIn("One-time PIN", pin)
	b.submit(button("Use PIN"))
	if !strings.Contains(b.page(), "One-time PIN accepted") {
		t.Fatal("PIN refused on the device")
	}
	// An ineligible user is told what is missing.
	b.do(chromedp.Navigate(cp.base + "/portal/"))
	b.submit(button("Sign out"))
	b.signIn("/portal/signin", "ben@example.com", cp.portalPass)
	if got := b.page(); strings.Contains(got, "Generate one-time PIN") || !strings.Contains(got, "qualifying licenses") {
		t.Fatalf("ineligible portal: %s", got)
	}
}

// Every control of the Service password panel is reachable with Tab.
func TestPanelIsKeyboardReachable(t *testing.T) {
	cp := startConsole(t)
	b := newBrowser(t, cp.base)
	b.signIn("/admin/signin", "admin@example.com", cp.adminPass)
	b.open("/admin/devices/dev-do-1")
	// A radio group is one Tab stop, its checked radio; the arrow keys
	// move within it (checked below).
	want := eval[[]string](b, `[...document.querySelectorAll("#sp-form input:not([type=hidden]):not([disabled]):not([type=radio]:not(:checked)), #sp-form select, #sp-form button")].map(e => e.id || e.textContent.trim())`)
	seen := map[string]bool{}
	for range len(want) + 12 { // the header's links and buttons come first
		b.do(chromedp.KeyEvent(kb.Tab))
		seen[eval[string](b, `document.activeElement.id || document.activeElement.textContent.trim()`)] = true
	}
	for _, id := range want {
		if !seen[id] {
			t.Errorf("%s not reachable by keyboard", id)
		}
	}
	if len(want) < 12 {
		t.Fatalf("only %d controls", len(want))
	}
	// The arrow key moves to "Device shows a challenge", whose challenge
	// field is then reachable.
	b.do(chromedp.Focus(chromedp.ID("kind-code")), chromedp.KeyEvent(kb.ArrowDown))
	if !b.checked("Device shows a challenge") || eval[string](b, `document.activeElement.id`) != "kind-challenge" {
		t.Fatal("the arrow key does not move to Device shows a challenge")
	}
	b.do(chromedp.KeyEvent(kb.Tab))
	if id := eval[string](b, `document.activeElement.id`); id != "challenge" {
		t.Fatalf("Tab after the challenge mode reaches %q, not the challenge field", id)
	}
	b.do(chromedp.Focus(chromedp.ID("kind-challenge")), chromedp.KeyEvent(kb.ArrowUp))
	// Space toggles a focused checkbox.
	b.do(chromedp.Focus(chromedp.ID("act-Unlock")), chromedp.KeyEvent(" "))
	if !b.checked("Unlock device") {
		t.Fatal("Space does not check Unlock device")
	}
}
