package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/android/androidtest"
)

// wire is what the fake AMAPI received: the test's own record, which holds
// the password the console sent (the console keeps none).
type wire struct {
	mu   sync.Mutex
	reqs []wireRequest
}

type wireRequest struct {
	Method, Path string
	Body         []byte
}

func (w *wire) all() []wireRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]wireRequest(nil), w.reqs...)
}

// amapiConsole is a console whose AMAPI is a fake on a loopback
// httptest server, on the console's clock. wrap, if set, stands between
// the console and the fake.
type amapiConsole struct {
	*console
	fake *androidtest.Server
	wire *wire
}

func newAMAPIConsole(t *testing.T, delay time.Duration, wrap func(http.Handler) http.Handler) *amapiConsole {
	t.Helper()
	ac := &amapiConsole{wire: &wire{}}
	fake, err := fakeAMAPI(demoInventory(time.UTC), func() time.Time { return ac.clock.Now() }, delay)
	if err != nil {
		t.Fatal(err)
	}
	ac.fake = fake
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ac.wire.mu.Lock()
		ac.wire.reqs = append(ac.wire.reqs, wireRequest{r.Method, r.URL.Path, body})
		ac.wire.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		fake.ServeHTTP(w, r)
	})
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ac.console = newConsoleWith(t, sdkConfig{AMAPIEndpoint: srv.URL})
	return ac
}

const aeDevice = "dev-ae-1"

// resetAE resets the Android Enterprise device from the wizard and returns
// the page and the passcode shown.
func (c *console) resetAE(t *testing.T) (page, string) {
	t.Helper()
	p := c.post("/admin/devices/"+aeDevice+"/reset", "/admin/devices/"+aeDevice+"/reset", url.Values{})
	return p, text(p.Body, "new-passcode")
}

// eventRow is one row of the Events table, as its cells' text.
func eventRow(from, to, actor string) string {
	return "<td>" + from + "</td><td>" + to + "</td><td>" + actor + "</td>"
}

// commandRow is one row of the AMAPI commands table, from its Command cell.
func commandRow(typ, by, state, answer string) string {
	return "<td>" + typ + "</td><td>" + by + "</td><td>" + state + "</td><td>" + answer + "</td>"
}

func TestAndroidEnterpriseResetThroughAMAPI(t *testing.T) {
	c := newAMAPIConsole(t, 2*time.Second, nil)
	c.signInAdmin()
	wizard := c.get("/admin/devices/" + aeDevice + "/reset").Body
	for _, want := range []string{"Android Management API (RESET_PASSWORD)", "numeric 6", "Android 14 and later refuse a numeric passcode shorter than 6 digits", ">Reset<"} {
		if !strings.Contains(wizard, want) {
			t.Errorf("wizard lacks %q", want)
		}
	}
	p, pc := c.resetAE(t)
	if p.Status != http.StatusOK || !regexp.MustCompile(`^[0-9]{6}$`).MatchString(pc) || text(p.Body, "reset-state") != "pending" {
		t.Fatalf("reset: %d %q %q %q", p.Status, pc, text(p.Body, "reset-state"), text(p.Body, "error"))
	}
	// The request on the wire is the android package's RESET_PASSWORD with
	// the passcode shown.
	reqs := c.wire.all()
	if len(reqs) < 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/v1/enterprises/"+demoEnterprise+"/devices/"+aeDevice+":issueCommand" {
		t.Fatalf("requests: %+v", reqs)
	}
	var cmd map[string]any
	if err := json.Unmarshal(reqs[0].Body, &cmd); err != nil || cmd["type"] != "RESET_PASSWORD" || cmd["newPassword"] != pc || cmd["duration"] != "600s" {
		t.Fatalf("command %v (%v)", cmd, err)
	}

	// Before the device runs it: pending, and each view polls.
	c.clock.Advance(time.Second)
	events := c.get("/admin/devices/" + aeDevice + "/events").Body
	if !strings.Contains(events, eventRow("requested", "pending", "amapi")) || strings.Contains(events, "succeeded") ||
		!strings.Contains(events, commandRow("RESET_PASSWORD", adminID, "pending", "—")) {
		t.Fatalf("events before the device ran it:\n%s", events)
	}
	for _, r := range c.wire.all()[1:] {
		if r.Method != http.MethodGet || !strings.Contains(r.Path, "/operations/") {
			t.Fatalf("after the issueCommand, %s %s; want polls", r.Method, r.Path)
		}
	}
	c.clock.Advance(time.Second)
	events = c.get("/admin/devices/" + aeDevice + "/events").Body
	for _, want := range []string{"<td>requested</td><td>" + adminID + "</td>", eventRow("requested", "pending", "amapi"),
		eventRow("pending", "acknowledged", "amapi"), eventRow("acknowledged", "succeeded", "amapi"),
		commandRow("RESET_PASSWORD", adminID, "succeeded", "—"), "/operations/1700000000001\">1700000000001<"} {
		if !strings.Contains(events, want) {
			t.Errorf("events lack %q", want)
		}
	}
	// Done: no more polls, and a new reset may be made.
	n := len(c.wire.all())
	c.get("/admin/devices/" + aeDevice + "/events")
	if len(c.wire.all()) != n {
		t.Fatal("a finished command polled again")
	}
	if !strings.Contains(c.get("/admin/devices/"+aeDevice+"/reset").Body, ">Reset<") {
		t.Fatal("no new reset offered after success")
	}

	// The passcode is nowhere but in the response to Reset: not in the
	// logs, the pages, the commands the console keeps, or what AMAPI
	// answered.
	var seen strings.Builder
	seen.WriteString(c.logText())
	for _, path := range []string{"/admin/devices/" + aeDevice + "/reset", "/admin/devices/" + aeDevice + "/events", "/admin/devices/" + aeDevice, "/admin/"} {
		seen.WriteString(c.get(path).Body)
	}
	fmt.Fprintf(&seen, "%+v %#v", c.app.sdk.amapi.commands(aeDevice), c.app.sdk.amapi.commands(aeDevice))
	rs, ok, err := c.app.sdk.latestReset(t.Context(), aeDevice)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	fmt.Fprintf(&seen, "%+v %s", rs, rs.Sealed)
	for _, r := range c.wire.all()[1:] {
		seen.WriteString(r.Path)
	}
	if strings.Contains(seen.String(), pc) {
		t.Fatal("the new passcode is kept or shown somewhere")
	}
}

func TestAndroidEnterpriseLock(t *testing.T) {
	c := newAMAPIConsole(t, 2*time.Second, nil)
	c.signInAdmin()
	card := c.get("/admin/devices/" + aeDevice).Body
	if !strings.Contains(card, `action="/admin/devices/`+aeDevice+`/lock"`) || !strings.Contains(card, ">Lock<") {
		t.Fatal("no Lock button on the Android Enterprise device's card")
	}
	if strings.Contains(c.get("/admin/devices/dev-do-1").Body, "/lock\"") {
		t.Fatal("Lock offered on a device outside AMAPI")
	}
	p := c.post("/admin/devices/"+aeDevice, "/admin/devices/"+aeDevice+"/lock", nil)
	if p.Status != http.StatusOK || text(p.Body, "command-state") != "pending" {
		t.Fatalf("lock: %d %q %q", p.Status, text(p.Body, "command-state"), text(p.Body, "error"))
	}
	var cmd map[string]any
	if reqs := c.wire.all(); len(reqs) != 1 || json.Unmarshal(reqs[0].Body, &cmd) != nil || cmd["type"] != "LOCK" {
		t.Fatalf("requests: %+v", reqs)
	}
	c.clock.Advance(2 * time.Second)
	events := c.get("/admin/devices/" + aeDevice + "/events").Body
	if !strings.Contains(events, commandRow("LOCK", adminID, "succeeded", "—")) || !strings.Contains(events, "No passcode resets yet.") {
		t.Fatalf("events:\n%s", events)
	}

	// A device outside AMAPI is refused, with nothing sent.
	n := len(c.wire.all())
	p = c.post("/admin/devices/dev-do-1", "/admin/devices/dev-do-1/lock", nil)
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(text(p.Body, "error"), "not managed through the Android Management API") || len(c.wire.all()) != n {
		t.Fatalf("lock of a device outside AMAPI: %d %q", p.Status, text(p.Body, "error"))
	}
	if p := c.post("/admin/devices/"+aeDevice, "/admin/devices/nope/lock", nil); p.Status != http.StatusNotFound {
		t.Fatalf("unknown device: %d", p.Status)
	}
}

// The device answers: a command it refuses, one it never runs, and AMAPI
// refusing or not answering the call, each shown in the Events.
func TestAndroidEnterpriseAnswers(t *testing.T) {
	t.Run("short numeric password on Android 14", func(t *testing.T) {
		// The inventory still says Android 13, where 4 digits are fine;
		// the device runs Android 14 and refuses them at once (its
		// refusal is in the issueCommand answer).
		c := newAMAPIConsole(t, 0, nil)
		for i := range c.app.inv.Devices {
			if c.app.inv.Devices[i].ID == aeDevice {
				c.app.inv.Devices[i].Platform.APILevel = 33
				c.app.inv.Devices[i].Platform.Policy.MaxLength = 4
			}
		}
		c.signInAdmin()
		p, pc := c.resetAE(t)
		if len(pc) != 4 || text(p.Body, "reset-state") != "failed" {
			t.Fatalf("reset: %q %q", pc, text(p.Body, "reset-state"))
		}
		events := c.get("/admin/devices/" + aeDevice + "/events").Body
		if !strings.Contains(events, eventRow("requested", "failed", "amapi")) || !strings.Contains(events, commandRow("RESET_PASSWORD", adminID, "failed", "INVALID_VALUE: a value was refused (on Android 14, a numeric passcode shorter than 6 digits)")) {
			t.Fatalf("events:\n%s", events)
		}
	})
	t.Run("device never runs it", func(t *testing.T) {
		c := newAMAPIConsole(t, time.Hour, nil)
		c.signInAdmin()
		if _, pc := c.resetAE(t); pc == "" {
			t.Fatal("no reset")
		}
		c.clock.Advance(10*time.Minute - time.Nanosecond)
		if ev := c.get("/admin/devices/" + aeDevice + "/events").Body; strings.Contains(ev, "expired") {
			t.Fatal("expired before the command's deadline")
		}
		c.clock.Advance(time.Nanosecond)
		events := c.get("/admin/devices/" + aeDevice + "/events").Body
		if !strings.Contains(events, eventRow("pending", "expired", "amapi")) || !strings.Contains(events, commandRow("RESET_PASSWORD", adminID, "expired", "—")) {
			t.Fatalf("events:\n%s", events)
		}
	})
	t.Run("AMAPI refuses the call", func(t *testing.T) {
		// The refusal repeats the request, password included, as Google's
		// errors may: the console keeps only its status.
		c := newAMAPIConsole(t, 0, func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": 400, "status": "INVALID_ARGUMENT", "message": "Invalid command " + string(body)}})
			})
		})
		c.signInAdmin()
		p, pc := c.resetAE(t)
		if text(p.Body, "reset-state") != "failed" {
			t.Fatalf("reset: %q", text(p.Body, "reset-state"))
		}
		events := c.get("/admin/devices/" + aeDevice + "/events").Body
		if !strings.Contains(events, eventRow("requested", "failed", "amapi")) || !strings.Contains(events, commandRow("RESET_PASSWORD", adminID, "failed", "INVALID_ARGUMENT")) {
			t.Fatalf("events:\n%s", events)
		}
		if strings.Contains(events+c.logText()+fmt.Sprintf("%+v", c.app.sdk.amapi.commands(aeDevice)), pc) {
			t.Fatal("the refusal's password kept")
		}
		p = c.post("/admin/devices/"+aeDevice, "/admin/devices/"+aeDevice+"/lock", nil)
		if p.Status != http.StatusBadGateway || !strings.Contains(text(p.Body, "error"), "INVALID_ARGUMENT") {
			t.Fatalf("refused lock: %d %q", p.Status, text(p.Body, "error"))
		}
	})
	t.Run("no AMAPI", func(t *testing.T) {
		c := newConsole(t) // no endpoint: nothing answers
		c.signInAdmin()
		p, _ := c.resetAE(t)
		if text(p.Body, "reset-state") != "requested" {
			t.Fatalf("reset: %q", text(p.Body, "reset-state"))
		}
		events := c.get("/admin/devices/" + aeDevice + "/events").Body
		if !strings.Contains(events, commandRow("RESET_PASSWORD", adminID, "none", errNoAnswer.Error())) {
			t.Fatalf("events:\n%s", events)
		}
	})
}

// Lost Mode: refused before any call where passcode.CheckLostMode says no;
// otherwise sent, and the device's statuses shown in the Events.
func TestAndroidEnterpriseLostMode(t *testing.T) {
	c := newAMAPIConsole(t, 0, nil)
	c.signInAdmin()
	lost := url.Values{"lost_message": {"This device is lost."}, "lost_phone": {"+49 30 1234567"}}
	start := func(device string, form url.Values) page {
		return c.post("/admin/devices/"+device, "/admin/devices/"+device+"/lostmode/start", form)
	}
	stop := func() page {
		return c.post("/admin/devices/"+aeDevice, "/admin/devices/"+aeDevice+"/lostmode/stop", nil)
	}

	// The personally-owned work profile: no Lost Mode, and nothing sent.
	card := c.get("/admin/devices/dev-ae-wp-1").Body
	if !strings.Contains(text(card, "lost-mode-unavailable"), "company-owned") || strings.Contains(card, "Start Lost Mode") {
		t.Fatalf("work profile card: %q", text(card, "lost-mode-unavailable"))
	}
	for _, p := range []page{start("dev-ae-wp-1", lost), c.post("/admin/devices/dev-ae-wp-1", "/admin/devices/dev-ae-wp-1/lostmode/stop", nil)} {
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(text(p.Body, "error"), "Lost Mode is not available on this device") {
			t.Fatalf("Lost Mode on a personal work profile: %d %q", p.Status, text(p.Body, "error"))
		}
	}
	if p := start("dev-do-1", lost); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("Lost Mode outside AMAPI: %d", p.Status)
	}
	if p := start(aeDevice, url.Values{}); p.Status != http.StatusUnprocessableEntity || !strings.Contains(text(p.Body, "error"), "needs a message or a phone number") {
		t.Fatalf("empty Lost Mode: %d %q", p.Status, text(p.Body, "error"))
	}
	if n := len(c.wire.all()); n != 0 {
		t.Fatalf("%d requests sent for refused commands", n)
	}

	// Right after a passcode reset the device refuses; an hour later it
	// takes it; again, it is already in Lost Mode; stopped twice.
	if _, pc := c.resetAE(t); pc == "" {
		t.Fatal("no reset")
	}
	c.clock.Advance(time.Minute)
	for _, step := range []struct {
		send    func() page
		advance time.Duration
		state   string
		answer  string
	}{
		{func() page { return start(aeDevice, lost) }, time.Hour, "failed", "RESET_PASSWORD_RECENTLY: not put into Lost Mode: its password was reset recently"},
		{func() page { return start(aeDevice, lost) }, time.Minute, "succeeded", ""},
		{func() page { return start(aeDevice, lost) }, time.Minute, "failed", "ALREADY_IN_LOST_MODE: already in Lost Mode"},
		{stop, time.Minute, "succeeded", ""},
		{stop, time.Minute, "failed", "NOT_IN_LOST_MODE: not in Lost Mode"},
	} {
		p := step.send()
		if p.Status != http.StatusOK || text(p.Body, "command-state") != step.state || text(p.Body, "command-answer") != step.answer {
			t.Fatalf("%d %q %q, want %s %q", p.Status, text(p.Body, "command-state"), text(p.Body, "command-answer"), step.state, step.answer)
		}
		c.clock.Advance(step.advance)
		c.signInAdmin() // the session may have lapsed meanwhile
	}
	var sent []string
	for _, r := range c.wire.all() {
		var cmd struct{ Type string }
		if r.Method == http.MethodPost && json.Unmarshal(r.Body, &cmd) == nil {
			sent = append(sent, cmd.Type)
		}
	}
	if got := strings.Join(sent, " "); got != "RESET_PASSWORD START_LOST_MODE START_LOST_MODE START_LOST_MODE STOP_LOST_MODE STOP_LOST_MODE" {
		t.Fatalf("sent %s", got)
	}
	events := c.get("/admin/devices/" + aeDevice + "/events").Body
	for _, want := range []string{commandRow("START_LOST_MODE", adminID, "failed", "RESET_PASSWORD_RECENTLY: not put into Lost Mode: its password was reset recently"),
		commandRow("START_LOST_MODE", adminID, "succeeded", "—"), commandRow("STOP_LOST_MODE", adminID, "failed", "NOT_IN_LOST_MODE: not in Lost Mode")} {
		if !strings.Contains(events, want) {
			t.Errorf("events lack %q", want)
		}
	}
}

// The device's user resets it from the portal: the same AMAPI delivery,
// and the portal shows the device's answer.
func TestAndroidEnterprisePortalReset(t *testing.T) {
	c := newAMAPIConsole(t, 2*time.Second, nil)
	c.signInPortal("anna@example.com")
	p := c.post("/portal/", "/portal/devices/"+aeDevice+"/reset", nil)
	if pc := text(p.Body, "new-passcode"); p.Status != http.StatusOK || len(pc) != 6 || text(p.Body, "reset-state") != "pending" {
		t.Fatalf("portal reset: %d %q %q", p.Status, text(p.Body, "reset-state"), text(p.Body, "error"))
	}
	var cmd struct{ Type string }
	if reqs := c.wire.all(); len(reqs) == 0 || json.Unmarshal(reqs[0].Body, &cmd) != nil || cmd.Type != "RESET_PASSWORD" {
		t.Fatalf("requests: %+v", reqs)
	}
	c.clock.Advance(2 * time.Second)
	if body := c.get("/portal/").Body; !strings.Contains(body, `data-device="`+aeDevice+`">succeeded<`) {
		t.Fatal("the portal does not show the device's answer")
	}
	c.signInAdmin()
	if events := c.get("/admin/devices/" + aeDevice + "/events").Body; !strings.Contains(events, commandRow("RESET_PASSWORD", "anna@example.com", "succeeded", "—")) {
		t.Fatalf("events:\n%s", events)
	}
}

// The device simulator does not answer for an Android Enterprise device:
// its fake AMAPI device does.
func TestAndroidEnterpriseNotInSimulator(t *testing.T) {
	c := newAMAPIConsole(t, time.Hour, nil)
	c.signInAdmin()
	if _, pc := c.resetAE(t); pc == "" {
		t.Fatal("no reset")
	}
	rs, ok, err := c.app.sdk.latestReset(t.Context(), aeDevice)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if sim := c.get("/device/?device=" + aeDevice).Body; strings.Contains(sim, "/device/reset/") {
		t.Fatal("the simulator offers to answer an AMAPI command")
	}
	p := c.post("/device/", "/device/reset/"+rs.ID, url.Values{"device": {aeDevice}, "to": {"succeeded"}})
	if p.Status != http.StatusNotFound {
		t.Fatalf("simulator report: %d", p.Status)
	}
	if rs, _, _ = c.app.sdk.latestReset(t.Context(), aeDevice); rs.State.String() != "pending" {
		t.Fatalf("reset %s", rs.State)
	}
}
