package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/apple"
)

// fakeMDM is the MDM server's API as the console sees it: it records every
// command queued and answers each with the status answer gives it (the
// real server is tested in apple/nanomdm/cmd/demomdm and, with the console,
// in the browser test).
type fakeMDM struct {
	t      *testing.T
	srv    *httptest.Server
	answer func(rt, udid string) string // a result plist's Status and rest

	mu      sync.Mutex
	queued  []fakeQueued
	results []map[string]any
}

type fakeQueued struct {
	EnrollmentID string `json:"enrollment_id"`
	Command      []byte `json:"command"`
	PIN          string `json:"pin"`
}

const fakeToken = "fake-token"

func newFakeMDM(t *testing.T) *fakeMDM {
	f := &fakeMDM{t: t, answer: func(string, string) string { return "<key>Status</key><string>Acknowledged</string>" }}
	m := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+fakeToken {
				http.Error(w, `{"error":"token"}`, http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	m.HandleFunc("GET /v1/devices", auth(func(w http.ResponseWriter, r *http.Request) {
		at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
		_ = json.NewEncoder(w).Encode([]map[string]any{
			{"enrollment_id": "DEMO-IPHONE-0001", "unlock_token_at": at},
			{"enrollment_id": "DEMO-IPAD-0001", "unlock_token_at": at},
			{"enrollment_id": "DEMO-MAC-0001"},
		})
	}))
	m.HandleFunc("POST /v1/commands", auth(func(w http.ResponseWriter, r *http.Request) {
		var q fakeQueued
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			http.Error(w, `{"error":"json"}`, http.StatusBadRequest)
			return
		}
		uuid, rt := plistString(q.Command, "CommandUUID"), plistString(q.Command, "RequestType")
		f.mu.Lock()
		f.queued = append(f.queued, q)
		raw := `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>CommandUUID</key><string>` + uuid +
			`</string><key>UDID</key><string>` + q.EnrollmentID + `</string>` + f.answer(rt, q.EnrollmentID) + `</dict></plist>`
		f.results = append(f.results, map[string]any{"seq": len(f.results) + 1, "at": time.Now().UTC(), "enrollment_id": q.EnrollmentID,
			"command_uuid": uuid, "request_type": rt, "raw": []byte(raw)})
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{}`))
	}))
	m.HandleFunc("GET /v1/results", auth(func(w http.ResponseWriter, r *http.Request) {
		var after int
		_, _ = fmt.Sscan(r.URL.Query().Get("after"), &after)
		f.mu.Lock()
		defer f.mu.Unlock()
		out := []map[string]any{}
		if after < len(f.results) {
			out = f.results[after:]
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	f.srv = httptest.NewServer(m)
	t.Cleanup(f.srv.Close)
	return f
}

// plistString is the string value of key in a command plist.
func plistString(plist []byte, key string) string {
	m := regexp.MustCompile(`<key>` + key + `</key>\s*<string>([^<]*)</string>`).FindSubmatch(plist)
	if m == nil {
		return ""
	}
	return string(m[1])
}

func (f *fakeMDM) sent() []fakeQueued {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeQueued(nil), f.queued...)
}

// newAppleConsole is a console pointed at f (nil: no MDM server).
func newAppleConsole(t *testing.T, f *fakeMDM) *console {
	c := newConsole(t)
	if f != nil {
		m, err := newAppleMDM(f.srv.URL, fakeToken, c.app.sdk.resets, c.clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		c.app.apple = m // before the first request
	}
	c.signInAdmin()
	return c
}

// Without -apple-mdm the Apple devices are listed and say that no MDM
// server is configured; their actions send nothing and say so.
func TestAppleWithoutMDM(t *testing.T) {
	c := newAppleConsole(t, nil)
	if home := c.get("/admin/").Body; !strings.Contains(home, "Carla&#39;s iPhone") || !strings.Contains(home, "Mac (Apple MDM)") {
		t.Fatalf("home lacks the Apple devices")
	}
	for id, os := range map[string]string{"ios-1": "iPhone, iOS 17.4", "ipad-1": "iPad, iPadOS 17.2", "mac-1": "Mac, macOS 14.4"} {
		if !strings.Contains(c.get("/admin/devices/"+id).Body, os) {
			t.Errorf("%s card lacks %q", id, os)
		}
		if got := text(c.get("/admin/devices/"+id).Body, "no-mdm"); !strings.HasPrefix(got, "No Apple MDM server is configured") {
			t.Errorf("%s card: %q", id, got)
		}
		if got := text(c.get("/admin/devices/"+id+"/reset").Body, "unsupported"); !strings.Contains(got, "No Apple MDM server is configured") {
			t.Errorf("%s reset wizard: %q", id, got)
		}
		for _, path := range []string{"/reset", "/apple/lock", "/apple/lostmode"} {
			p := c.post("/admin/devices/"+id, "/admin/devices/"+id+path, nil)
			if p.Status != http.StatusServiceUnavailable || !strings.Contains(text(p.Body, "error"), "No Apple MDM server is configured") {
				t.Errorf("POST %s%s: %d %q", id, path, p.Status, text(p.Body, "error"))
			}
		}
		if got := text(c.get("/admin/devices/"+id+"/events").Body, "no-mdm"); got == "" {
			t.Errorf("%s events lack the no-MDM note", id)
		}
	}
	// The Apple devices are not played by the device simulator (the MDM
	// server's devices answer for them).
	if sim := c.get("/device/").Body; strings.Contains(sim, `value="mac-1"`) || !strings.Contains(sim, `value="dev-do-1"`) {
		t.Errorf("device simulator lists Apple devices, or lost the Android ones")
	}
	if p := c.post("/device/", "/device/reset/any", url.Values{"device": {"ios-1"}, "to": {"succeeded"}}); p.Status != http.StatusNotFound {
		t.Errorf("device simulator reported for the iPhone: HTTP %d", p.Status)
	}
	// The Android devices are unchanged.
	if p := c.get("/admin/devices/dev-do-1"); !strings.Contains(p.Body, "Service password") || strings.Contains(p.Body, "no-mdm") {
		t.Errorf("Android card changed")
	}
}

// Each action is checked with apple.Check before any call: a refused one
// (Lost Mode on the unsupervised iPad or on the Mac) never reaches the MDM
// server, and the refusal is in the Events view.
func TestAppleRefusedBeforeAnyCall(t *testing.T) {
	f := newFakeMDM(t)
	c := newAppleConsole(t, f)
	for _, tc := range []struct {
		device, op, reason string
	}{
		{"ipad-1", "enable", "Lost Mode needs a supervised device"},
		{"ipad-1", "disable", "Lost Mode needs a supervised device"},
		{"mac-1", "enable", "Lost Mode is for iOS and iPadOS"},
	} {
		card := c.get("/admin/devices/" + tc.device).Body
		if got := text(card, "why-lost"); got != "Not available: "+tc.reason {
			t.Errorf("%s card: %q", tc.device, got)
		}
		p := c.post("/admin/devices/"+tc.device, "/admin/devices/"+tc.device+"/apple/lostmode", url.Values{"op": {tc.op}, "message": {"m"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(text(p.Body, "error"), tc.reason+". Nothing was sent to the device.") {
			t.Errorf("%s %s: %d %q", tc.device, tc.op, p.Status, text(p.Body, "error"))
		}
		if ev := c.get("/admin/devices/" + tc.device + "/events").Body; !strings.Contains(ev, "refused by the console") || !strings.Contains(ev, tc.reason) {
			t.Errorf("%s events lack the refusal", tc.device)
		}
	}
	if s := f.sent(); len(s) != 0 {
		t.Fatalf("refused commands reached the MDM server: %+v", s)
	}
}

// The Mac's Lock is a passcode reset: the PIN is generated by the passcode
// service, handed to the MDM server beside a template that holds only a
// placeholder, shown once, and shown again only from its sealed copy; the
// device's answer moves the reset.
func TestAppleMacLock(t *testing.T) {
	f := newFakeMDM(t)
	f.answer = func(rt, _ string) string {
		return "<key>Status</key><string>Acknowledged</string><key>MessageResult</key><string>Success</string>"
	}
	c := newAppleConsole(t, f)
	p := c.post("/admin/devices/mac-1", "/admin/devices/mac-1/apple/lock", url.Values{"message": {`Call IT <now> & "soon"`}})
	pin := text(p.Body, "lock-pin")
	if p.Status != http.StatusOK || len(pin) != 6 || strings.Trim(pin, "0123456789") != "" {
		t.Fatalf("lock: %d PIN %q %q", p.Status, pin, text(p.Body, "error"))
	}
	if got := text(p.Body, "apple-result"); !strings.Contains(got, "device answered Acknowledged") || !strings.Contains(got, "passcode reset succeeded") {
		t.Errorf("notice %q\n%s", got, c.logText())
	}
	s := f.sent()
	if len(s) != 1 || s[0].EnrollmentID != "DEMO-MAC-0001" || s[0].PIN != pin {
		t.Fatalf("sent %+v", s)
	}
	if strings.Contains(string(s[0].Command), pin) || apple.Placeholders(s[0].Command) != apple.FillPIN ||
		!strings.Contains(string(s[0].Command), "Call IT &lt;now&gt; &amp; &#34;soon&#34;") {
		t.Errorf("template %s", s[0].Command)
	}
	if strings.Contains(c.get("/admin/devices/mac-1").Body, pin) || strings.Contains(c.get("/admin/devices/mac-1/events").Body, pin) {
		t.Errorf("the PIN is shown without being asked for")
	}
	if strings.Contains(c.logText(), pin) {
		t.Errorf("the PIN is in the log")
	}
	if got := text(c.post("/admin/devices/mac-1", "/admin/devices/mac-1/apple/pin", nil).Body, "lock-pin"); got != pin {
		t.Errorf("shown again %q", got)
	}
	ev := c.get("/admin/devices/mac-1/events").Body
	for _, want := range []string{"DeviceLock", "device answered Acknowledged", "Lock Screen message: Success", ">viewed<", ">succeeded<"} {
		if !strings.Contains(ev, want) {
			t.Errorf("events lack %q", want)
		}
	}
}

// A device's error is shown with its chain; the reset fails; a second
// reset while one is open is refused, not stacked.
func TestAppleErrorAndOpenReset(t *testing.T) {
	f := newFakeMDM(t)
	f.answer = func(rt, _ string) string {
		if rt == "ClearPasscode" {
			return "<key>Status</key><string>Error</string><key>ErrorChain</key><array><dict><key>ErrorCode</key><integer>12021</integer>" +
				"<key>ErrorDomain</key><string>MCMDMErrorDomain</string><key>USEnglishDescription</key><string>Bad &lt;token&gt;</string></dict></array>"
		}
		return "<key>Status</key><string>NotNow</string>"
	}
	c := newAppleConsole(t, f)
	p := c.post("/admin/devices/ios-1/reset", "/admin/devices/ios-1/reset", nil)
	if got := text(p.Body, "reset-state"); got != "failed" {
		t.Errorf("iPhone reset %q", got)
	}
	if ev := c.get("/admin/devices/ios-1/events").Body; !strings.Contains(ev, "device answered Error") || !strings.Contains(ev, "error 12021 (MCMDMErrorDomain): Bad &lt;token&gt;") {
		t.Errorf("events lack the error chain")
	}
	// NotNow keeps the Mac's lock open: a second one is refused.
	p = c.post("/admin/devices/mac-1", "/admin/devices/mac-1/apple/lock", nil)
	if got := text(p.Body, "apple-result"); !strings.Contains(got, "device answered NotNow") {
		t.Errorf("first lock: %q %q", got, text(p.Body, "error"))
	}
	p = c.post("/admin/devices/mac-1", "/admin/devices/mac-1/apple/lock", nil)
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(text(p.Body, "error"), "already in progress") {
		t.Errorf("second lock: %d %q", p.Status, text(p.Body, "error"))
	}
	if n := len(f.sent()); n != 2 {
		t.Errorf("%d commands sent, want 2", n)
	}
}

func TestNewAppleMDM(t *testing.T) {
	for _, c := range []struct {
		url, token string
		ok         bool
	}{
		{"http://127.0.0.1:9400", "t", true},
		{"https://mdm.example.com/", "t", true},
		{"http://127.0.0.1:9400", "", false},
		{"127.0.0.1:9400", "t", false},
		{"ftp://x", "t", false},
		{"http://", "t", false},
		{"http://localhost:9400", "t", true},
		{"http://[::1]:9400", "t", true},
		{"http://mdm.example.com:9400", "t", false},
		{"http://10.0.0.5:9400", "t", false},
	} {
		if _, err := newAppleMDM(c.url, c.token, nil, nil); (err == nil) != c.ok {
			t.Errorf("newAppleMDM(%q, %q) = %v", c.url, c.token, err)
		}
	}
}

func TestOutcomeDetail(t *testing.T) {
	for _, c := range []struct {
		o    apple.Outcome
		want string
	}{
		{apple.Outcome{Kind: apple.Succeeded}, "the device ran the command"},
		{apple.Outcome{Kind: apple.Succeeded, MessageResult: apple.MessageSuccess}, "the device ran the command; Lock Screen message: Success"},
		{apple.Outcome{Kind: apple.StillPending}, "the device will ask for the command again later"},
		{apple.Outcome{Kind: apple.Failed, LostMode: apple.NotInLostMode, ErrorChain: []apple.ErrorChainItem{{ErrorCode: 12067, ErrorDomain: "MCMDMErrorDomain", LocalizedDescription: "Nicht im Modus", USEnglishDescription: "Not in Lost Mode."}}},
			"the command failed; error 12067 (MCMDMErrorDomain): Not in Lost Mode.; the device is not in Lost Mode"},
		{apple.Outcome{Kind: apple.Failed, LostMode: apple.LostModeRefused, ErrorChain: []apple.ErrorChainItem{{ErrorCode: 12069, ErrorDomain: "D", LocalizedDescription: "only localized"}}},
			"the command failed; error 12069 (D): only localized; the device refused Lost Mode"},
	} {
		if got := outcomeDetail(c.o); got != c.want {
			t.Errorf("outcomeDetail(%+v)\n got %q\nwant %q", c.o, got, c.want)
		}
	}
}
