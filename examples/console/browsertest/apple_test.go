package browsertest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startDemoMDM builds and starts the demo Apple MDM (NanoMDM in process
// with the mdmcred middleware and three simulated devices, a program of the
// nested module apple/nanomdm) with the API token token, and returns its
// base URL once its devices are enrolled.
func startDemoMDM(t *testing.T, token string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "demomdm")
	build := exec.Command("go", "build", "-o", bin, "./cmd/demomdm")
	build.Dir = "../../../apple/nanomdm"
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build demomdm: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "APPLE_MDM_TOKEN="+token)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base, ready := "", false
	sc := bufio.NewScanner(out)
	for !ready && sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "demo MDM on "):
			base = strings.TrimSuffix(strings.TrimPrefix(line, "demo MDM on "), "/")
		case strings.HasPrefix(line, "console: "): // printed once the devices are enrolled
			ready = true
		}
	}
	if base == "" || !ready {
		t.Fatalf("demomdm did not start: %q %v", base, sc.Err())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return base
}

// The Apple devices' Reset passcode, Lock and Lost Mode, clicked by their
// labels, go through the demo MDM server to its simulated devices, and the
// Events view shows what each device answered; Lost Mode on the
// unsupervised iPad is refused with the reason, and nothing is sent.
func TestAppleDevicesThroughMDM(t *testing.T) {
	token := "browsertest-" + time.Now().Format("150405.000000000")
	mdm := startDemoMDM(t, token)
	t.Setenv("APPLE_MDM_TOKEN", token) // the console reads it from its environment
	cp := startConsole(t, "-apple-mdm", mdm)
	b := newBrowser(t, cp.base)
	b.signIn("/admin/signin", "admin@example.com", cp.adminPass)

	// The iPhone: Reset passcode is a ClearPasscode carrying the
	// UnlockToken the device escrowed, which the device checks.
	b.open("/admin/")
	b.submit(link("Carla's iPhone"))
	if got := b.text(`//dd[@id="supervised"]`); got != "yes" {
		t.Fatalf("iPhone supervised = %q", got)
	}
	b.submit(link("Reset passcode"))
	b.submit(button("Reset"))
	if got := b.text(`//strong[@id="reset-state"]`); got != "succeeded" {
		t.Errorf("iPhone reset state %q, want succeeded (the device acknowledged)\n%s", got, b.page())
	}
	b.submit(link("Events"))
	events := b.text(`//table[@id="mdm-events"]`)
	for _, want := range []string{"ClearPasscode", "queued", "device answered Acknowledged", "passcode reset succeeded"} {
		if !strings.Contains(events, want) {
			t.Errorf("iPhone events lack %q:\n%s", want, events)
		}
	}
	b.shot("apple-iphone-events")

	// Lost Mode on the supervised iPhone: on, then off.
	b.submit(link("Device"))
	b.typeIn("Lost Mode message", "Found this phone? Call ACME IT.")
	b.submit(button("Enable Lost Mode"))
	if got := b.text(`//p[@id="apple-result"]`); !strings.Contains(got, "device answered Acknowledged") {
		t.Errorf("Enable Lost Mode: %q", got)
	}
	b.submit(button("Disable Lost Mode"))
	if got := b.text(`//p[@id="apple-result"]`); !strings.Contains(got, "device answered Acknowledged") {
		t.Errorf("Disable Lost Mode: %q", got)
	}

	// The unsupervised iPad: the reason is on the card, and Enable Lost
	// Mode is refused with it before anything is sent.
	b.open("/admin/")
	b.submit(link("Front desk iPad"))
	if got := b.text(`//p[@id="why-lost"]`); got != "Not available: Lost Mode needs a supervised device" {
		t.Errorf("iPad Lost Mode reason %q", got)
	}
	b.submit(button("Enable Lost Mode"))
	if got := b.text(`//p[@id="error"]`); got != "Enable Lost Mode refused: Lost Mode needs a supervised device. Nothing was sent to the device." {
		t.Errorf("iPad refusal %q", got)
	}
	b.shot("apple-ipad-lostmode-refused")
	b.submit(link("Events"))
	events = b.text(`//table[@id="mdm-events"]`)
	if !strings.Contains(events, "refused by the console") || !strings.Contains(events, "Lost Mode needs a supervised device; nothing was sent to the device") {
		t.Errorf("iPad events lack the refusal:\n%s", events)
	}
	if strings.Contains(events, "queued") || strings.Contains(events, "answered") {
		t.Errorf("a refused command reached the MDM server:\n%s", events)
	}

	// The Mac: Lock with a 6-digit PIN, shown once, then again from its
	// sealed copy (a recorded view).
	b.open("/admin/")
	b.submit(link("Design MacBook Pro"))
	b.typeIn("Message on the Lock Screen", "Locked by IT <help desk & co>")
	b.submit(button("Lock"))
	pin := b.text(`//output[@id="lock-pin"]`)
	if len(pin) != 6 || strings.Trim(pin, "0123456789") != "" {
		t.Fatalf("lock PIN %q, want 6 digits", pin)
	}
	if got := b.text(`//p[@id="apple-result"]`); !strings.Contains(got, "device answered Acknowledged") || !strings.Contains(got, "Lock Screen message: Success") {
		t.Errorf("Lock: %q", got)
	}
	b.shot("apple-mac-lock")
	b.open("/admin/devices/mac-1")
	if strings.Contains(b.page(), pin) {
		t.Errorf("the PIN is on the card without being asked for")
	}
	b.submit(button("Show lock PIN again"))
	if got := b.text(`//output[@id="lock-pin"]`); got != pin {
		t.Errorf("PIN shown again %q, want %q", got, pin)
	}
	b.submit(link("Events"))
	events = b.text(`//table[@id="mdm-events"]`)
	for _, want := range []string{"DeviceLock", "the PIN is sealed in the MDM server's escrow", "device answered Acknowledged", "passcode reset succeeded"} {
		if !strings.Contains(events, want) {
			t.Errorf("Mac events lack %q:\n%s", want, events)
		}
	}
	if strings.Contains(b.page(), pin) {
		t.Errorf("the Events view shows the PIN")
	}
	if resets := b.text(`//table[@id="events"]`); !strings.Contains(resets, "viewed") {
		t.Errorf("the second view of the PIN is not recorded:\n%s", resets)
	}
	b.shot("apple-mac-events")

	// A second console without -apple-mdm shows the Apple devices with a
	// note that no MDM server is configured, and sends nothing.
	bare := startConsole(t)
	b.base = bare.base
	b.signIn("/admin/signin", "admin@example.com", bare.adminPass)
	b.open("/admin/")
	b.submit(link("Carla's iPhone"))
	if got := b.text(`//p[@id="no-mdm"]`); !strings.HasPrefix(got, "No Apple MDM server is configured") {
		t.Errorf("no-MDM note %q", got)
	}
	b.submit(link("Reset passcode"))
	if got := b.text(`//p[@id="unsupported"]`); !strings.Contains(got, "No Apple MDM server is configured") {
		t.Errorf("reset without MDM: %q", got)
	}
}
