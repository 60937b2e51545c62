package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base32"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/internal/attempt"
	"github.com/mdmcred/mdmcred/passcode"
)

//go:embed templates static
var assets embed.FS

// app is the console: the SDK wiring, the inventory and the web layer.
type app struct {
	sdk  *sdk
	inv  *inventory
	zone *time.Location
	now  func() time.Time
	log  *slog.Logger

	adminID     string
	adminPass   [32]byte // SHA-256 of the demo admin password
	portalPass  [32]byte // SHA-256 of the demo users' password
	admin       *sessions
	portal      *sessions
	device      *sessions
	signinGuard *guard

	pages map[string]*template.Template
	mux   *http.ServeMux

	// apple is the Apple MDM server's client; nil when none is configured.
	apple *appleMDM
}

// appConfig is what main (or a test) gives the console.
type appConfig struct {
	SDK            *sdk
	Inventory      *inventory
	Zone           *time.Location
	Now            func() time.Time
	Logger         *slog.Logger
	AdminPassword  string
	PortalPassword string
	// AppleMDM is the Apple MDM server's client; nil when none is
	// configured.
	AppleMDM *appleMDM
}

const adminID = "admin@example.com"

func newApp(cfg appConfig) (*app, error) {
	if cfg.Inventory != nil {
		for _, d := range cfg.Inventory.Devices {
			// Service passwords are for devices managed as device owner
			// (Device Owner or COPE): one on the legacy device admin API
			// would be listed with a mode it does not have.
			if d.Platform.Platform == passcode.AndroidDeviceAdmin {
				return nil, fmt.Errorf("console: device %s is listed as %v but uses the legacy device admin API", d.ID, d.Mode)
			}
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &app{
		sdk: cfg.SDK, inv: cfg.Inventory, zone: cfg.Zone, now: cfg.Now, log: cfg.Logger,
		adminID:     adminID,
		adminPass:   sha256.Sum256([]byte(cfg.AdminPassword)),
		portalPass:  sha256.Sum256([]byte(cfg.PortalPassword)),
		admin:       newSessions("console_admin", "/admin", cfg.Now),
		portal:      newSessions("console_portal", "/portal", cfg.Now),
		device:      newSessions("console_device", "/device", cfg.Now),
		signinGuard: newGuard(cfg.Now),
		pages:       map[string]*template.Template{},
	}
	a.apple = cfg.AppleMDM
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs(a)).ParseFS(assets, "templates/layout.html", "templates/partials/*.html", n)
		if err != nil {
			return nil, err
		}
		a.pages[n[len("templates/"):]] = t
	}
	a.routes()
	return a, nil
}

// ServeHTTP adds the security headers every response carries and logs the
// request line without its query (where nothing secret is ever put anyway).
func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	a.mux.ServeHTTP(sw, r)
	a.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (a *app) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/admin/", http.StatusSeeOther) })
	m.HandleFunc("/", a.notFound)

	// Admin console.
	m.HandleFunc("GET /admin/signin", a.page(a.admin, "signin.html", a.adminSignInPage))
	m.HandleFunc("POST /admin/signin", a.post(a.admin, a.adminSignIn))
	m.HandleFunc("POST /admin/signout", a.post(a.admin, a.signOut(a.admin, "/admin/signin")))
	m.HandleFunc("GET /admin/{$}", a.adminOnly(a.home))
	m.HandleFunc("GET /admin/devices/{id}", a.adminOnly(a.devicePage))
	m.HandleFunc("POST /admin/devices/{id}/servicepass", a.adminOnly(a.issueServicePassword))
	m.HandleFunc("GET /admin/devices/{id}/reset", a.adminOnly(a.resetPage))
	m.HandleFunc("POST /admin/devices/{id}/reset", a.adminOnly(a.resetPasscode))
	m.HandleFunc("GET /admin/devices/{id}/events", a.adminOnly(a.eventsPage))
	m.HandleFunc("GET /admin/devices/{id}/escrow", a.adminOnly(a.escrowPage))
	m.HandleFunc("POST /admin/devices/{id}/escrow/reveal", a.adminOnly(a.revealEscrow))
	m.HandleFunc("POST /admin/devices/{id}/escrow/rotate", a.adminOnly(a.rotateEscrow))
	m.HandleFunc("POST /admin/devices/{id}/lock", a.adminOnly(a.lockDevice()))
	m.HandleFunc("POST /admin/devices/{id}/lostmode/start", a.adminOnly(a.startLostMode()))
	m.HandleFunc("POST /admin/devices/{id}/lostmode/stop", a.adminOnly(a.stopLostMode()))
	m.HandleFunc("GET /admin/sites/{site}", a.adminOnly(a.sitePage))
	m.HandleFunc("POST /admin/sites/{site}/generate", a.adminOnly(a.generateSitePasscode))
	m.HandleFunc("POST /admin/sites/{site}/disable", a.adminOnly(a.disableSite))
	m.HandleFunc("POST /admin/sites/{site}/reveal", a.adminOnly(a.revealSitePasscode))
	m.HandleFunc("GET /admin/outbox", a.adminOnly(a.outboxPage))
	a.appleRoutes(m)

	// User portal.
	m.HandleFunc("GET /portal/signin", a.page(a.portal, "portal_signin.html", a.portalSignInPage))
	m.HandleFunc("POST /portal/signin", a.post(a.portal, a.portalSignIn))
	m.HandleFunc("POST /portal/signout", a.post(a.portal, a.signOut(a.portal, "/portal/signin")))
	m.HandleFunc("GET /portal/{$}", a.userOnly(a.portalHome))
	m.HandleFunc("POST /portal/devices/{id}/reset", a.userOnly(a.portalReset))
	m.HandleFunc("POST /portal/pin", a.userOnly(a.portalPIN))

	// The device side: what a device's agent and its user see.
	m.HandleFunc("GET /device/{$}", a.page(a.device, "simulator.html", a.simulatorPage))
	m.HandleFunc("POST /device/verify", a.post(a.device, a.simulatorVerify))
	m.HandleFunc("POST /device/challenge", a.post(a.device, a.simulatorChallenge))
	m.HandleFunc("POST /device/respond", a.post(a.device, a.simulatorRespond))
	m.HandleFunc("POST /device/window/end", a.post(a.device, a.simulatorEndWindow))
	m.HandleFunc("POST /device/reset/{id}", a.post(a.device, a.simulatorReport))
	m.HandleFunc("POST /device/pin", a.post(a.device, a.simulatorPIN))
	m.HandleFunc("GET /device/enroll", a.page(a.device, "enroll.html", a.enrollPage))
	m.HandleFunc("POST /device/enroll", a.post(a.device, a.enroll))
	a.mux = m
}

// page is a GET handler in an area: it makes sure the visitor has a
// session there (for the CSRF token of the forms it shows).
func (a *app) page(ss *sessions, name string, data func(*http.Request, *session) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := ss.ensure(w, r)
		a.render(w, r, s, http.StatusOK, name, data(r, s))
	}
}

// handler is a handler that knows its session.
type handler func(http.ResponseWriter, *http.Request, *session)

// maxForm bounds a request body: a photo of a QR code fits.
const maxForm = 8 << 20

// parseForm reads a urlencoded or multipart body (files over 1 MiB go to
// temporary files, which net/http removes after the request).
func parseForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return err
		}
		return nil
	}
	return r.ParseForm()
}

// post checks the CSRF token of a state-changing request before h runs.
func (a *app) post(ss *sessions, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := ss.get(r)
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		// Read the form first: past the size limit the CSRF token cannot
		// be read, and "expired" would be the wrong answer.
		if err := parseForm(r); err != nil {
			a.formError(w, r, err)
			return
		}
		if s == nil || !s.checkCSRF(r.PostFormValue("csrf")) {
			a.errorPage(w, r, http.StatusForbidden, "Form expired", "This form has expired. Go back, reload the page and try again.")
			return
		}
		h(w, r, s)
	}
}

// adminOnly requires a signed-in admin (and the CSRF token on POST).
func (a *app) adminOnly(h handler) http.HandlerFunc { return a.signedIn(a.admin, "/admin/signin", h) }

// userOnly requires a signed-in portal user (and the CSRF token on POST).
func (a *app) userOnly(h handler) http.HandlerFunc { return a.signedIn(a.portal, "/portal/signin", h) }

func (a *app) signedIn(ss *sessions, signin string, h handler) http.HandlerFunc {
	check := func(w http.ResponseWriter, r *http.Request, s *session) {
		if s.User == "" {
			http.Redirect(w, r, signin, http.StatusSeeOther)
			return
		}
		h(w, r, s)
	}
	post := a.post(ss, check)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			post(w, r)
			return
		}
		s := ss.get(r)
		if s == nil {
			http.Redirect(w, r, signin, http.StatusSeeOther)
			return
		}
		check(w, r, s)
	}
}

// view is what every template gets.
type view struct {
	Title string
	CSRF  string
	User  string
	Area  string
	Data  any
}

func (a *app) render(w http.ResponseWriter, r *http.Request, s *session, status int, name string, data any) {
	t, ok := a.pages[name]
	if !ok {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	v := view{Data: data}
	if s != nil {
		v.CSRF, v.User = s.CSRF, s.User
	}
	if title, ok := data.(interface{ title() string }); ok {
		v.Title = title.title()
	}
	switch {
	case len(r.URL.Path) >= 7 && r.URL.Path[:7] == "/portal":
		v.Area = "portal"
	case len(r.URL.Path) >= 7 && r.URL.Path[:7] == "/device":
		v.Area = "device"
	default:
		v.Area = "admin"
	}
	var buf bytes.Buffer // a template error must not leave half a page
	if err := t.Execute(&buf, v); err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// notFound answers an unknown device, site, reset or page.
func (a *app) notFound(w http.ResponseWriter, r *http.Request) {
	a.errorPage(w, r, http.StatusNotFound, "Not found", "There is no such page, device, site or reset here.")
}

// fail answers an unexpected error without its text (which may name
// internals); the log has it.
func (a *app) fail(w http.ResponseWriter, r *http.Request, err error) {
	a.log.Error("request failed", "err", err)
	a.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "Something went wrong. Try again.")
}

// clientIP is the source recorded for a guessable attempt.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// randomToken is a random 160-bit token in Base32.
func randomToken() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand never fails (it panics instead)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// passwordOK compares a typed password with the stored digest in constant time.
func passwordOK(typed string, want [32]byte) bool {
	got := sha256.Sum256([]byte(typed))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// guard slows down password guessing: failures are counted per account
// and source ([guardKey]), so a source that guesses is backed off while
// the account's owner, signing in from anywhere else, is not: nobody can
// keep the admin out by failing on purpose. It holds at most
// maxGuardEntries sources; when full, entries no longer backed off make
// room, and past that new sources share one entry per account (the only
// case where one source's failures slow another's).
type guard struct {
	policy attempt.Policy
	now    func() time.Time
	mu     sync.Mutex
	states map[string]attempt.State
}

// maxGuardEntries bounds the guard's memory.
const maxGuardEntries = 4096

func newGuard(now func() time.Time) *guard {
	return &guard{policy: attempt.Policy{Free: 5, Backoff: 2 * time.Second, MaxBackoff: 15 * time.Minute},
		now: now, states: map[string]attempt.State{}}
}

// guardKey is what an attempt counts against: the account and the
// source's network (its IPv4 address, its IPv6 /64, where one host gets
// many addresses).
func guardKey(account, remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	src := host
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		if a.Is6() {
			p, _ := a.WithZone("").Prefix(64)
			src = p.String()
		} else {
			src = a.String()
		}
	}
	return account + "\x00" + src
}

// check refuses an attempt during a back-off.
func (g *guard) check(key string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.policy.Check(g.state(key), g.now())
}

// state is key's state, or the shared one of its account when key has no
// room (see guard).
func (g *guard) state(key string) attempt.State {
	if st, ok := g.states[key]; ok {
		return st
	}
	return g.states[overflowKey(key)]
}

func overflowKey(key string) string {
	account, _, _ := strings.Cut(key, "\x00")
	return account + "\x00*"
}

// result records the outcome of an attempt.
func (g *guard) result(key string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ok {
		delete(g.states, key)
		return
	}
	if _, found := g.states[key]; !found && len(g.states) >= maxGuardEntries {
		now := g.now()
		for k, st := range g.states {
			if g.policy.Check(st, now) == nil && !strings.HasSuffix(k, "\x00*") {
				delete(g.states, k)
			}
		}
		if len(g.states) >= maxGuardEntries {
			key = overflowKey(key)
		}
	}
	g.states[key] = g.policy.Fail(g.states[key], g.now()).State
}
