package main

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/notify"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
)

// hostileName is seeded as a device name: every page must escape it.
const hostileName = `<script>alert("x")</script><img src=x onerror=alert(1)>'"&`

// fakeClock is the tests' clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// console is one console under test, with a browser-like client.
type console struct {
	t      testing.TB
	srv    *httptest.Server
	app    *app
	clock  *fakeClock
	mail   *notify.Recorder
	logs   *bytes.Buffer
	client *http.Client
	zone   *time.Location
}

const (
	testAdminPass  = "admin-pass-1234"
	testPortalPass = "portal-pass-5678"
)

func newConsole(t testing.TB) *console { t.Helper(); return newConsoleWith(t, sdkConfig{}) }

// newConsoleWith starts a console whose SDK wiring takes cfg's options.
func newConsoleWith(t testing.TB, cfg sdkConfig) *console {
	t.Helper()
	zone, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	c := &console{t: t, clock: &fakeClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}, mail: &notify.Recorder{},
		logs: &bytes.Buffer{}, zone: zone}
	logger := slog.New(slog.NewTextHandler(lockedWriter{w: c.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	inv := demoInventory(zone)
	inv.Devices = append(inv.Devices, Device{ID: "dev-hostile", Name: hostileName, Mode: servicepass.DeviceOwner, Zone: zone,
		Owner: "anna@example.com", Platform: passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true}})
	cfg.Mailer, cfg.Zone, cfg.Now, cfg.Logger, cfg.DB = c.mail, zone, c.clock.Now, logger, testDB(t)
	cfg.DeviceName = inv.deviceName
	s, err := newSDK(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.app, err = newApp(appConfig{SDK: s, Inventory: inv, Zone: zone, Now: c.clock.Now, Logger: logger,
		AdminPassword: testAdminPass, PortalPassword: testPortalPass})
	if err != nil {
		t.Fatal(err)
	}
	c.srv = httptest.NewServer(c.app)
	t.Cleanup(c.srv.Close)
	c.client = c.newClient()
	return c
}

// newClient is a browser: its own cookie jar, redirects followed.
func (c *console) newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	cl := c.srv.Client()
	cl.Jar = jar
	return cl
}

type lockedWriter struct{ w *bytes.Buffer }

var logMu sync.Mutex

func (l lockedWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return l.w.Write(p)
}

func (c *console) logText() string { logMu.Lock(); defer logMu.Unlock(); return c.logs.String() }

// page is one response.
type page struct {
	Status int
	Body   string
	URL    *url.URL
}

func (c *console) do(req *http.Request) page {
	c.t.Helper()
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{Status: resp.StatusCode, Body: string(b), URL: resp.Request.URL}
}

func (c *console) get(path string) page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	return c.do(req)
}

// csrfRe finds a form's CSRF token.
var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token of the area's session, read from one of its pages.
func (c *console) csrf(pagePath string) string {
	c.t.Helper()
	m := csrfRe.FindStringSubmatch(c.get(pagePath).Body)
	if m == nil {
		c.t.Fatalf("no CSRF token on %s", pagePath)
	}
	return m[1]
}

// post submits a form with the CSRF token of from's session.
func (c *console) post(from, path string, form url.Values) page {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", c.csrf(from))
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// postFile submits a multipart form with one file.
func (c *console) postFile(from, path string, fields map[string]string, file string, data []byte) page {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fields["csrf"] = c.csrf(from)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile(file, "qr.png")
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func (c *console) signInAdmin() {
	c.t.Helper()
	p := c.post("/admin/signin", "/admin/signin", url.Values{"email": {adminID}, "password": {testAdminPass}})
	if p.URL.Path != "/admin/" {
		c.t.Fatalf("admin sign-in ended at %s (%d)", p.URL.Path, p.Status)
	}
}

func (c *console) signInPortal(user string) {
	c.t.Helper()
	p := c.post("/portal/signin", "/portal/signin", url.Values{"email": {user}, "password": {testPortalPass}})
	if p.URL.Path != "/portal/" {
		c.t.Fatalf("portal sign-in ended at %s (%d)", p.URL.Path, p.Status)
	}
}

// text finds the text of the element with the given id.
func text(body, id string) string {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(strings.TrimSpace(m[1]))
}

// fieldError is the error shown beside a field of the Service password panel.
func fieldError(body, field string) string { return text(body, "err-"+field) }

// issue submits the Service password panel of a device.
func (c *console) issue(device string, form url.Values) page {
	c.t.Helper()
	return c.post("/admin/devices/"+device, "/admin/devices/"+device+"/servicepass", form)
}

// enter types a code into the device simulator.
func (c *console) enter(device, code string) page {
	c.t.Helper()
	return c.postFile("/device/", "/device/verify", map[string]string{"device": device, "code": code}, "none", nil)
}
