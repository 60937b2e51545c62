package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	c.signInPortal("anna@example.com")
	for _, path := range []string{"/admin/", "/admin/signin", "/admin/devices/dev-do-1", "/admin/devices/dev-do-1/reset",
		"/admin/devices/dev-do-1/events", "/admin/sites/berlin", "/admin/outbox", "/portal/", "/portal/signin",
		"/device/", "/device/enroll", "/static/console.js"} {
		resp, err := c.client.Get(c.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", path, resp.StatusCode)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		for h, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
			"Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
	}
}

// No template holds an inline script or an event-handler attribute, which the
// CSP would block anyway.
func TestTemplatesHaveNoInlineScript(t *testing.T) {
	names, _ := assets.ReadDir("templates")
	for _, n := range names {
		b, _ := assets.ReadFile("templates/" + n.Name())
		s := string(b)
		if strings.Contains(s, "<script>") || strings.Contains(s, " onclick") || strings.Contains(s, " onchange") || strings.Contains(s, "style=") {
			t.Errorf("%s has inline script or style", n.Name())
		}
	}
}

func TestSessionCookies(t *testing.T) {
	for _, tls := range []bool{false, true} {
		c := newConsole(t)
		srv := c.srv
		if tls {
			srv = httptest.NewTLSServer(c.app)
			defer srv.Close()
		}
		for _, path := range []string{"/admin/signin", "/portal/signin", "/device/"} {
			resp, err := srv.Client().Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			cs := resp.Cookies()
			if len(cs) != 1 {
				t.Fatalf("%s: %d cookies", path, len(cs))
			}
			ck := cs[0]
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure != tls || !strings.HasPrefix(path, ck.Path) {
				t.Errorf("tls=%v %s: cookie %+v", tls, path, ck)
			}
		}
	}
}

func TestSignInStartsANewSession(t *testing.T) {
	c := newConsole(t)
	c.get("/admin/signin")
	u, _ := url.Parse(c.srv.URL + "/admin/")
	before := c.client.Jar.Cookies(u)
	c.signInAdmin()
	after := c.client.Jar.Cookies(u)
	if len(before) != 1 || len(after) != 1 || before[0].Value == after[0].Value {
		t.Fatalf("session ID not replaced at sign-in: %v -> %v", before, after)
	}
	// The old ID is worthless: a client holding it is not signed in.
	other := c.newClient()
	other.Jar.SetCookies(u, before)
	resp, err := other.Get(c.srv.URL + "/admin/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/admin/signin" {
		t.Fatalf("old session reached %s", resp.Request.URL.Path)
	}
}

func TestEveryStateChangeNeedsTheCSRFToken(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	c.signInPortal("anna@example.com")
	c.get("/device/")
	posts := []string{"/admin/signin", "/admin/signout", "/admin/devices/dev-do-1/servicepass", "/admin/devices/dev-do-1/reset",
		"/admin/sites/berlin/generate", "/admin/sites/berlin/disable", "/portal/signin", "/portal/signout",
		"/portal/devices/dev-do-1/reset", "/portal/pin", "/device/verify", "/device/window/end", "/device/reset/x",
		"/device/pin", "/device/enroll"}
	for _, path := range posts {
		for _, token := range []string{"", "wrong-token"} {
			form := url.Values{"csrf": {token}, "action": {"Unlock"}}
			resp, err := c.client.PostForm(c.srv.URL+path, form)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with token %q: status %d, want 403", path, token, resp.StatusCode)
			}
		}
	}
	if c.mail.Len() != 0 {
		t.Fatalf("a refused request sent %d emails", c.mail.Len())
	}
	// A token of one area does not work in another.
	adminToken := c.csrf("/admin/")
	resp, _ := c.client.PostForm(c.srv.URL+"/portal/pin", url.Values{"csrf": {adminToken}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("admin token accepted by the portal: %d", resp.StatusCode)
	}
}

func TestPagesNeedSignIn(t *testing.T) {
	c := newConsole(t)
	for path, signin := range map[string]string{"/admin/": "/admin/signin", "/admin/devices/dev-do-1": "/admin/signin",
		"/admin/sites/berlin": "/admin/signin", "/admin/outbox": "/admin/signin", "/admin/devices/dev-do-1/events": "/admin/signin",
		"/portal/": "/portal/signin"} {
		if p := c.get(path); p.URL.Path != signin {
			t.Errorf("%s: ended at %s", path, p.URL.Path)
		}
	}
	// A portal user is not an admin.
	c.signInPortal("anna@example.com")
	if p := c.get("/admin/"); p.URL.Path != "/admin/signin" {
		t.Fatalf("portal user reached %s", p.URL.Path)
	}
}

func TestSignInFailuresBackOff(t *testing.T) {
	c := newConsole(t)
	wrong := url.Values{"email": {adminID}, "password": {"guess"}}
	for i := range 5 {
		if p := c.post("/admin/signin", "/admin/signin", wrong); p.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d", i+1, p.Status)
		}
	}
	c.post("/admin/signin", "/admin/signin", wrong) // the first failure beyond the free ones
	right := url.Values{"email": {adminID}, "password": {testAdminPass}}
	p := c.post("/admin/signin", "/admin/signin", right)
	if p.Status != http.StatusTooManyRequests || !strings.Contains(p.Body, "Too many failed sign-ins") {
		t.Fatalf("during the back-off: status %d", p.Status)
	}
	c.clock.Advance(3 * time.Second)
	if p := c.post("/admin/signin", "/admin/signin", right); p.URL.Path != "/admin/" {
		t.Fatalf("after the back-off: %s %d", p.URL.Path, p.Status)
	}
	// An unknown account gets the same answer as a wrong password.
	p = c.post("/portal/signin", "/portal/signin", url.Values{"email": {"nobody@example.com"}, "password": {testPortalPass}})
	if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "The email or password is wrong.") {
		t.Fatalf("unknown user: %d", p.Status)
	}
}

func TestHostileDeviceNameIsEscapedEverywhere(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	c.signInPortal("anna@example.com")
	pages := map[string]string{}
	for _, path := range []string{"/admin/", "/admin/devices/dev-hostile", "/admin/devices/dev-hostile/reset",
		"/admin/devices/dev-hostile/events", "/portal/", "/device/?device=dev-hostile"} {
		pages[path] = c.get(path).Body
	}
	pages["issue"] = c.issue("dev-hostile", url.Values{"action": {"Unlock"}, "lang": {"en"}}).Body
	pages["reset"] = c.post("/admin/devices/dev-hostile/reset", "/admin/devices/dev-hostile/reset", nil).Body
	pages["portal reset"] = c.get("/portal/").Body
	for path, body := range pages {
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s: hostile name not escaped", path)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Errorf("%s: escaped name missing", path)
		}
	}
}

func TestUnknownThingsAreNotFound(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	for _, path := range []string{"/admin/devices/nope", "/admin/devices/nope/reset", "/admin/devices/nope/events", "/admin/sites/nope"} {
		if p := c.get(path); p.Status != http.StatusNotFound {
			t.Errorf("%s: %d", path, p.Status)
		}
	}
	if p := c.issue("dev-do-1", nil); p.Status == http.StatusNotFound {
		t.Fatal("known device not found")
	}
	p := c.post("/admin/", "/admin/devices/nope/servicepass", url.Values{"action": {"Unlock"}})
	if p.Status != http.StatusNotFound {
		t.Fatalf("issue for unknown device: %d", p.Status)
	}
}

// Every visible input and select on every screen has a <label for> naming it.
func TestEveryInputHasALabel(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	c.signInPortal("anna@example.com")
	pages := map[string]string{}
	for _, path := range []string{"/admin/signin", "/admin/devices/dev-do-1", "/admin/devices/dev-cope-1",
		"/admin/devices/dev-do-1/reset", "/admin/sites/berlin", "/portal/signin", "/portal/", "/device/", "/device/enroll"} {
		pages[path] = c.get(path).Body
	}
	pages["dialog"] = c.issue("dev-do-1", url.Values{"action": {"Unlock"}, "qr": {"on"}}).Body
	input := regexp.MustCompile(`<(?:input|select)\b[^>]*>`)
	id := regexp.MustCompile(`\bid="([^"]+)"`)
	for path, body := range pages {
		for _, tag := range input.FindAllString(body, -1) {
			if strings.Contains(tag, `type="hidden"`) {
				continue
			}
			m := id.FindStringSubmatch(tag)
			if m == nil || !strings.Contains(body, `<label for="`+m[1]+`">`) {
				t.Errorf("%s: %s has no label", path, tag)
			}
		}
	}
}

// TestPhotoTooLarge: a photo over the 8 MiB limit is answered with what
// went wrong (issue 27: it used to read "This form has expired", the size
// limit making the CSRF token unreadable), on an HTML page with a way back.
func TestPhotoTooLarge(t *testing.T) {
	c := newConsole(t)
	p := c.postFile("/device/", "/device/verify", map[string]string{"device": "dev-do-1"}, "qr", bytes.Repeat([]byte{0x89}, maxForm+1))
	if p.Status != http.StatusRequestEntityTooLarge || !strings.Contains(p.Body, "larger than 8 MiB") || strings.Contains(p.Body, "expired") {
		t.Fatalf("%d %q", p.Status, p.Body)
	}
	if !strings.Contains(p.Body, `<a href="/device/" id="back">`) {
		t.Errorf("no way back: %s", p.Body)
	}
}

// TestErrorPagesAreHTML: refusals and unknown pages are HTML pages of the
// console, with a way back to where the visitor came from (issue 27).
func TestErrorPagesAreHTML(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	for _, tc := range []struct {
		page page
		code int
		back string
	}{
		{c.get("/admin/devices/no-such-device"), http.StatusNotFound, "/admin/"},
		{c.get("/portal/no-such-page"), http.StatusNotFound, "/portal/"},
		{c.postForged("/device/verify"), http.StatusForbidden, "/device/"},
	} {
		if tc.page.Status != tc.code || !strings.Contains(tc.page.Body, "<!doctype html>") ||
			!strings.Contains(tc.page.Body, `<a href="`+tc.back+`" id="back">`) {
			t.Errorf("%d, want %d with a link to %s: %q", tc.page.Status, tc.code, tc.back, tc.page.Body)
		}
	}
}

// postForged posts a form with a CSRF token that is not the session's.
func (c *console) postForged(path string) page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+path, strings.NewReader("csrf=forged&device=dev-do-1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// fromSource returns a console client whose connections come from the
// loopback address ip (Linux routes all of 127.0.0.0/8 to lo).
func (c *console) fromSource(ip string) *console {
	c.t.Helper()
	other := *c
	cl := c.newClient()
	tr := c.srv.Client().Transport.(*http.Transport).Clone()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr.DialContext = d.DialContext
	cl.Transport = tr
	other.client = cl
	return &other
}

// TestSignInBackOffCannotKeepTheAdminOut: failures from one source slow
// that source down, not the admin signing in from another (issue 27:
// anyone could keep the admin out by failing on purpose).
func TestSignInBackOffCannotKeepTheAdminOut(t *testing.T) {
	c := newConsole(t)
	wrong := url.Values{"email": {adminID}, "password": {"guess"}}
	for range 8 {
		c.post("/admin/signin", "/admin/signin", wrong)
		c.clock.Advance(time.Second)
	}
	right := url.Values{"email": {adminID}, "password": {testAdminPass}}
	if p := c.post("/admin/signin", "/admin/signin", right); p.Status != http.StatusTooManyRequests {
		t.Fatalf("the guessing source is not slowed down: %d", p.Status)
	}
	admin := c.fromSource("127.0.0.2")
	if p := admin.post("/admin/signin", "/admin/signin", right); p.URL.Path != "/admin/" {
		t.Fatalf("the admin from another source was kept out: %s %d", p.URL.Path, p.Status)
	}
	if p := admin.get("/admin/"); p.Status != http.StatusOK || p.URL.Path != "/admin/" {
		t.Fatalf("not signed in: %s", p.URL.Path)
	}
}

// TestSignInGuardBounded: failures from very many sources do not grow the
// guard past its bound.
func TestSignInGuardBounded(t *testing.T) {
	g := newGuard(time.Now)
	for i := range 3 * maxGuardEntries {
		g.result(guardKey(adminID, fmt.Sprintf("10.%d.%d.%d:1234", i>>16&0xff, i>>8&0xff, i&0xff)), false)
	}
	if n := len(g.states); n > maxGuardEntries {
		t.Fatalf("%d entries, bound %d", n, maxGuardEntries)
	}
	// IPv6 sources count per /64.
	if guardKey(adminID, "[2001:db8::1]:1") != guardKey(adminID, "[2001:db8::ffff:1]:2") ||
		guardKey(adminID, "[2001:db8::1]:1") == guardKey(adminID, "[2001:db8:0:1::1]:1") {
		t.Error("IPv6 sources not grouped by /64")
	}
}
