package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
)

// showChallenge has the simulated device show a new challenge and returns
// it as the screen shows it.
func (c *console) showChallenge(device string) string {
	c.t.Helper()
	p := c.post("/device/", "/device/challenge", url.Values{"device": {device}})
	ch := text(p.Body, "shown-challenge")
	if p.Status != http.StatusOK || ch == "" {
		c.t.Fatalf("no challenge shown: %d", p.Status)
	}
	return ch
}

// respond submits the panel in its "Device shows a challenge" mode.
func (c *console) respond(device, challenge string, actions ...string) page {
	c.t.Helper()
	return c.issue(device, url.Values{"kind": {"challenge"}, "challenge": {challenge}, "action": actions})
}

// respondCode is respond that must succeed; it returns the response.
func (c *console) respondCode(device, challenge string, actions ...string) string {
	c.t.Helper()
	p := c.respond(device, challenge, actions...)
	code := text(p.Body, "code")
	if p.Status != http.StatusOK || code == "" {
		c.t.Fatalf("no response: %d %v", p.Status, fieldErrors(p.Body))
	}
	return code
}

// enterResponse types a response into the device simulator.
func (c *console) enterResponse(device, response string) page {
	c.t.Helper()
	return c.post("/device/", "/device/respond", url.Values{"device": {device}, "response": {response}})
}

// mistype replaces the symbol at i by another one, which the check symbol
// catches.
func mistype(s string, i int) string {
	b := []byte(s)
	if b[i] == 'X' {
		b[i] = 'Y'
	} else {
		b[i] = 'X'
	}
	return string(b)
}

func TestChallengeModeLabels(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	body := c.get("/admin/devices/dev-do-1").Body
	for _, l := range []string{"Code with an expiration date", "Device shows a challenge", "Challenge shown on the device"} {
		if !strings.Contains(body, ">"+l+"<") {
			t.Errorf("label %q missing", l)
		}
	}
	if !regexp.MustCompile(`id="kind-code"[^>]* checked`).MatchString(body) {
		t.Error("the panel does not start in the code mode")
	}
	sim := c.get("/device/?device=dev-do-1").Body
	if !strings.Contains(sim, ">Show a challenge<") || strings.Contains(sim, `id="response"`) {
		t.Error("simulator: a response field before any challenge is shown, or no button to show one")
	}
	sim = c.post("/device/", "/device/challenge", url.Values{"device": {"dev-do-1"}}).Body
	if !strings.Contains(sim, `<label for="response">Response</label>`) {
		t.Error("simulator: no labelled response field with a challenge shown")
	}
}

// The whole flow: the device shows a challenge, the admin types it into
// the panel, the response typed back on the device grants, once.
func TestChallengeRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		device  string
		actions []string
		want    []string
	}{
		{"dev-do-1", []string{"Unlock", "DisableKiosk"}, []string{"<li>Unlock device</li>", "<li>Disable Kiosk</li>", "Unlock opens the whole device."}},
		{"dev-cope-1", []string{"Unlock"}, []string{"<li>Unlock device</li>", "Unlock opens the work profile."}},
		// Set Password on COPE: no expiry date is needed for a response.
		// Issue 27: no "Unlock opens the whole device" for a grant without
		// Unlock; the grant says what Set Password allows.
		{"dev-cope-1", []string{"SetPassword"}, []string{"<li>Set Password (COPE only)</li>", "You can now set a new device password", "!Unlock opens", "!whole device"}},
		{"dev-do-1", []string{"DisableKiosk"}, []string{"<li>Disable Kiosk</li>", "!Unlock opens"}},
		{"dev-do-1", []string{"EmergencyDatabaseReset"}, []string{"<li>Emergency Database Reset</li>"}},
	} {
		t.Run(tc.device+"/"+strings.Join(tc.actions, "+"), func(t *testing.T) {
			c := newConsole(t)
			c.signInAdmin()
			ch := c.showChallenge(tc.device)
			if _, err := servicepass.ParseChallenge(ch); err != nil || !regexp.MustCompile(`^[0-9A-Z]{5}-[0-9A-Z]{4}[0-9A-Z*~$=U]$`).MatchString(ch) {
				t.Fatalf("challenge %q: %v", ch, err)
			}
			// The admin types it in lower case without the hyphen.
			p := c.respond(tc.device, strings.ToLower(strings.ReplaceAll(ch, "-", "")), tc.actions...)
			code := text(p.Body, "code")
			if p.Status != http.StatusOK || !regexp.MustCompile(`^[0-9A-Z]{4}(-[0-9A-Z]{4}){2}-[0-9A-Z]{3}[0-9A-Z*~$=U]$`).MatchString(code) {
				t.Fatalf("response %q: %d %v", code, p.Status, fieldErrors(p.Body))
			}
			if !strings.Contains(p.Body, "Service password generated for device") || text(p.Body, "answers") != ch {
				t.Fatalf("dialog: answers %q, want %q", text(p.Body, "answers"), ch)
			}
			if strings.Contains(p.Body, `id="expiry"`) || strings.Contains(p.Body, `id="qr-image"`) {
				t.Error("a response shown with an expiry or a QR code")
			}
			if !regexp.MustCompile(`id="kind-challenge"[^>]* checked`).MatchString(p.Body) {
				t.Error("the panel left the challenge mode")
			}
			if strings.Contains(c.logText(), code) || strings.Contains(c.logText(), strings.ReplaceAll(code, "-", "")) {
				t.Error("response in the log")
			}
			g := c.enterResponse(tc.device, strings.ToLower(code))
			if g.Status != http.StatusOK || !strings.Contains(g.Body, "Service password accepted") {
				t.Fatalf("not granted: %d %q", g.Status, text(g.Body, "refusal"))
			}
			for _, w := range tc.want {
				if absent, ok := strings.CutPrefix(w, "!"); ok {
					if strings.Contains(g.Body, absent) {
						t.Errorf("grant says %q", absent)
					}
				} else if !strings.Contains(g.Body, w) {
					t.Errorf("grant lacks %q", w)
				}
			}
			if strings.Contains(g.Body, "may have been used before") {
				t.Error("a response grant is shown degraded")
			}
			if strings.Contains(g.Body, `id="shown-challenge"`) {
				t.Error("the used challenge is still shown")
			}
			// Once: the challenge is used up.
			if p := c.enterResponse(tc.device, code); p.Status != http.StatusUnprocessableEntity ||
				!strings.Contains(text(p.Body, "refusal"), "shows no challenge") {
				t.Fatalf("second use: %d %q", p.Status, text(p.Body, "refusal"))
			}
		})
	}
}

// The server checks every rule of the challenge mode; a mistyped challenge
// is caught by its check symbol before anything is issued.
func TestChallengeModeRulesAreCheckedByTheServer(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	do, cope := c.showChallenge("dev-do-1"), c.showChallenge("dev-cope-1")
	for _, tc := range []struct {
		name   string
		device string
		form   url.Values
		field  string // where the error shows; empty: issued
	}{
		{"unlock", "dev-do-1", url.Values{"challenge": {do}, "action": {"Unlock"}}, ""},
		{"COPE set password", "dev-cope-1", url.Values{"challenge": {cope}, "action": {"SetPassword"}}, ""},
		{"expiry field ignored", "dev-do-1", url.Values{"challenge": {do}, "action": {"Unlock"}, "expires": {"next week"}}, ""},
		{"mistyped first symbol", "dev-do-1", url.Values{"challenge": {mistype(do, 0)}, "action": {"Unlock"}}, "challenge"},
		{"mistyped check symbol", "dev-do-1", url.Values{"challenge": {mistype(do, len(do)-1)}, "action": {"Unlock"}}, "challenge"},
		{"transposed", "dev-do-1", url.Values{"challenge": {transpose(do)}, "action": {"Unlock"}}, "challenge"},
		{"too short", "dev-do-1", url.Values{"challenge": {do[:len(do)-1]}, "action": {"Unlock"}}, "challenge"},
		{"empty challenge", "dev-do-1", url.Values{"action": {"Unlock"}}, "challenge"},
		{"not Base32", "dev-do-1", url.Values{"challenge": {"K7Q2M-9XJ4!"}, "action": {"Unlock"}}, "challenge"},
		{"no action", "dev-do-1", url.Values{"challenge": {do}}, "actions"},
		{"unknown action", "dev-do-1", url.Values{"challenge": {do}, "action": {"Teleport"}}, "actions"},
		{"kiosk on COPE", "dev-cope-1", url.Values{"challenge": {cope}, "action": {"DisableKiosk"}}, "actions"},
		{"set password on device owner", "dev-do-1", url.Values{"challenge": {do}, "action": {"SetPassword"}}, "actions"},
		{"database reset combined", "dev-do-1", url.Values{"challenge": {do}, "action": {"EmergencyDatabaseReset", "Unlock"}}, "actions"},
		{"set password combined", "dev-cope-1", url.Values{"challenge": {cope}, "action": {"SetPassword", "Unlock"}}, "actions"},
		{"QR asked for", "dev-do-1", url.Values{"challenge": {do}, "action": {"Unlock"}, "qr": {"on"}}, "qr"},
		{"email asked for", "dev-do-1", url.Values{"challenge": {do}, "action": {"Unlock"}, "send_email": {"on"}, "email": {"tech@example.com"}}, "email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logged := strings.Count(c.logText(), "challenge response made")
			tc.form.Set("kind", "challenge")
			p := c.issue(tc.device, tc.form)
			code := text(p.Body, "code")
			issued := strings.Count(c.logText(), "challenge response made") - logged
			if tc.field == "" {
				if p.Status != http.StatusOK || code == "" || issued != 1 {
					t.Fatalf("not issued: %d %v (%d issued)", p.Status, fieldErrors(p.Body), issued)
				}
				return
			}
			if p.Status != http.StatusUnprocessableEntity || code != "" || fieldError(p.Body, tc.field) == "" || issued != 0 {
				t.Fatalf("status %d, code %q, errors %v, %d issued; want an error beside %s and nothing issued",
					p.Status, code, fieldErrors(p.Body), issued, tc.field)
			}
		})
	}
	if len(c.mail.Messages()) != 0 {
		t.Error("a response was mailed")
	}
}

// transpose swaps the first two symbols of a challenge (they differ or the
// test picks the next pair).
func transpose(s string) string {
	b := []byte(s)
	for i := 0; i+1 < len(b); i++ {
		if b[i] != b[i+1] && b[i] != '-' && b[i+1] != '-' {
			b[i], b[i+1] = b[i+1], b[i]
			return string(b)
		}
	}
	return s
}

func TestChallengeSimulatorRefusals(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()

	// No challenge shown yet (a genuine response, for another device).
	other := c.respondCode("dev-cope-1", c.showChallenge("dev-cope-1"), "Unlock")
	if p := c.enterResponse("dev-do-1", other); !strings.Contains(text(p.Body, "refusal"), "shows no challenge") {
		t.Errorf("no challenge: %q", text(p.Body, "refusal"))
	}

	// A response for challenge A does not verify once B replaced it; a
	// typo is caught and not counted; the response for another device
	// does not verify.
	a := c.showChallenge("dev-do-1")
	forA := c.respondCode("dev-do-1", a, "Unlock")
	b := c.showChallenge("dev-do-1")
	if a == b {
		t.Fatal("the same challenge twice")
	}
	for _, tc := range []struct{ name, response, want string }{
		{"typo", mistype(forA, 2), "typing mistake"},
		{"garbage", "hello", "typing mistake"},
		{"for the replaced challenge", forA, "does not answer the challenge"},
		{"for another device", c.respondCode("dev-cope-1", b, "Unlock"), "does not answer the challenge"},
	} {
		p := c.enterResponse("dev-do-1", tc.response)
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(text(p.Body, "refusal"), tc.want) {
			t.Errorf("%s: %d %q", tc.name, p.Status, text(p.Body, "refusal"))
		}
		if text(p.Body, "shown-challenge") != b {
			t.Errorf("%s: the device no longer shows its challenge", tc.name)
		}
	}
	// Two MAC failures so far: the third voids the challenge, and then
	// even its genuine response is refused.
	forB := c.respondCode("dev-do-1", b, "Unlock")
	_ = c.enterResponse("dev-do-1", forA)
	p := c.enterResponse("dev-do-1", forB)
	if !strings.Contains(text(p.Body, "refusal"), "no longer works") {
		t.Fatalf("void: %q", text(p.Body, "refusal"))
	}
	if strings.Contains(p.Body, `id="shown-challenge"`) {
		t.Error("the void challenge is still shown")
	}

	// A challenge expires after 15 minutes on the device's clock.
	e := c.showChallenge("dev-cope-1")
	forE := c.respondCode("dev-cope-1", e, "Unlock")
	c.clock.Advance(servicepass.DefaultChallengeLifetime)
	if p := c.enterResponse("dev-cope-1", forE); !strings.Contains(text(p.Body, "refusal"), "has expired") {
		t.Errorf("expired: %q", text(p.Body, "refusal"))
	}

	// A new challenge works again (after the lockout's back-off).
	c.clock.Advance(time.Hour)
	c.signInAdmin() // the admin session ended meanwhile
	n := c.showChallenge("dev-do-1")
	if p := c.enterResponse("dev-do-1", c.respondCode("dev-do-1", n, "Unlock")); !strings.Contains(p.Body, "Service password accepted") {
		t.Fatalf("new challenge: %q", text(p.Body, "refusal"))
	}
}

// The panel in challenge mode and the simulator's response field answer
// any input with the dialog, a grant, or an error for people, never with a
// server error.
func FuzzChallengeForm(f *testing.F) {
	for _, s := range []struct{ device, challenge, actions, response string }{
		{"dev-do-1", "K7Q2M-9XJ4G", "Unlock", "810C-RX7D-PPFA-NK7D"},
		{"dev-cope-1", "k7q2m 9xj4g", "SetPassword", ""},
		{"dev-do-1", "K7Q2M-9XJ4T", "EmergencyDatabaseReset,Unlock", "hello"},
		{"dev-cope-1", "", "DisableKiosk", "0000-0000-0000-0000"},
		{"nope", "\u202eK7Q2M", "Unlock|DisableKiosk", "\x00"},
	} {
		f.Add(s.device, s.challenge, s.actions, s.response, false, false)
	}
	c := newConsole(f)
	c.signInAdmin()
	token := c.csrf("/admin/")
	deviceToken := c.csrf("/device/")
	f.Fuzz(func(t *testing.T, device, challenge, actions, response string, wantQR, send bool) {
		form := url.Values{"kind": {"challenge"}, "challenge": {challenge}, "csrf": {token}}
		for _, a := range strings.Split(actions, ",") {
			form.Add("action", a)
		}
		if wantQR {
			form.Set("qr", "on")
		}
		if send {
			form.Set("send_email", "on")
		}
		resp, err := c.client.PostForm(c.srv.URL+"/admin/devices/"+url.PathEscape(device)+"/servicepass", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("panel %v: status %d", form, resp.StatusCode)
		}
		resp, err = c.client.PostForm(c.srv.URL+"/device/respond", url.Values{"device": {device}, "response": {response}, "csrf": {deviceToken}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("simulator %q: status %d", response, resp.StatusCode)
		}
	})
}

// For every action set a mode allows, the panel in challenge mode issues a
// response that the device grants, exactly those actions; for every
// mistyped challenge, the panel shows the error beside the field and
// issues nothing (gopter, with the test kit's generators).
func TestChallengeModeProperties(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 40
	p := gopter.NewProperties(params)
	for _, d := range []struct {
		id   string
		mode servicepass.Mode
	}{{"dev-do-1", servicepass.DeviceOwner}, {"dev-cope-1", servicepass.COPE}} {
		p.Property("every allowed action set is granted on "+d.id, prop.ForAll(func(a servicepass.Actions) bool {
			ch := c.showChallenge(d.id)
			var names []string
			for _, x := range a.List() {
				names = append(names, x.String())
			}
			code := c.respondCode(d.id, ch, names...)
			g := c.enterResponse(d.id, code)
			if g.Status != http.StatusOK {
				return false
			}
			grant := g.Body[strings.Index(g.Body, `id="grant"`):]
			grant = grant[:strings.Index(grant, "</section>")]
			return strings.Count(grant, "<li>") == a.Count()
		}, servicepasstest.GenValidActions(d.mode)))
	}
	p.Property("a mistyped challenge is caught before anything is issued", prop.ForAll(func(m servicepasstest.MistypedChallenge) bool {
		logged := strings.Count(c.logText(), "challenge response made")
		r := c.respond("dev-do-1", m.Text, "Unlock")
		return r.Status == http.StatusUnprocessableEntity && fieldError(r.Body, "challenge") != "" && text(r.Body, "code") == "" &&
			strings.Count(c.logText(), "challenge response made") == logged
	}, servicepasstest.GenMistypedChallenge()))
	p.TestingRun(t)
}
