package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/escrow"
)

// escrowRecords are a device's records of one kind, oldest first.
func (c *console) escrowRecords(device, kind string) []escrow.Record {
	c.t.Helper()
	h, err := c.app.sdk.escrow.History(context.Background(), device, kind)
	if err != nil {
		c.t.Fatal(err)
	}
	return h
}

// escrowViews are the device's recorded views (and refused views).
func (c *console) escrowViews(device string) []escrow.Event {
	c.t.Helper()
	events, err := c.app.sdk.escrow.Events(context.Background(), escrow.EventQuery{DeviceID: device})
	if err != nil {
		c.t.Fatal(err)
	}
	var out []escrow.Event
	for _, e := range events {
		if e.Type == escrow.EventViewed || e.Type == escrow.EventViewDenied {
			out = append(out, e)
		}
	}
	return out
}

// postRaw submits a form as is: no CSRF token is added.
func (c *console) postRaw(path string, form url.Values) page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// reveal submits the Reveal form of the device card.
func (c *console) reveal(device, record, reason string) page {
	c.t.Helper()
	return c.post("/admin/devices/"+device, "/admin/devices/"+device+"/escrow/reveal", url.Values{"record": {record}, "reason": {reason}})
}

var (
	pinRe          = regexp.MustCompile(`^[0-9]{6}$`)
	recoveryLockRe = regexp.MustCompile(`^[` + regexp.QuoteMeta(escrow.Readable) + `]{20}$`)
)

func TestEscrowCardShowsSecretsByKindAndState(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	body := c.get("/admin/devices/mac-1").Body
	for _, want := range []string{
		`<h2 id="escrow-heading">Escrowed secrets</h2>`,
		`Lock PIN: <span id="escrow-devicelock-pin-state">active</span> (version 1)`,
		`Recovery Lock password: <span id="escrow-recovery-lock-password-state">active</span> (version 1)`,
		`<label for="reason-devicelock-pin">Reason for viewing the Lock PIN</label>`,
		`>Reveal Lock PIN<`, `>Reveal Recovery Lock password<`, `>Rotate Recovery Lock password<`,
		`No one has viewed these secrets.`,
		`<td>1</td><td>active</td><td>escrow-`, // the command that carried it
	} {
		if !strings.Contains(body, want) {
			t.Errorf("device card lacks %q", want)
		}
	}
	if strings.Contains(body, ">Rotate Lock PIN<") {
		t.Error("a lock PIN offered for rotation (a new PIN comes with a new lock)")
	}
	// The seeded secrets went through the lifecycle: acknowledged, so Active.
	for _, kind := range []string{escrow.KindDeviceLockPIN, escrow.KindRecoveryLock} {
		h := c.escrowRecords("mac-1", kind)
		if len(h) != 1 || h[0].State != escrow.Active || h[0].CommandID == "" || h[0].ActivatedAt.IsZero() {
			t.Errorf("%s: %+v", kind, h)
		}
	}
	if body := c.get("/admin/devices/dev-do-1").Body; !strings.Contains(body, "No escrowed secrets for this device.") {
		t.Error("an Android device without secrets does not say so")
	}
	// Seeding again (a restart on PostgreSQL) adds nothing.
	if err := c.app.sdk.seedEscrow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h := c.escrowRecords("mac-1", escrow.KindRecoveryLock); len(h) != 1 {
		t.Fatalf("seeding twice made %d records", len(h))
	}
}

func TestEscrowRevealNeedsAReasonAndIsRecordedOnce(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	pin := c.escrowRecords("mac-1", escrow.KindDeviceLockPIN)[0]
	other := newConsole(t) // another admin session, whose token is not this one's
	other.signInAdmin()
	otherCSRF := other.csrf("/admin/devices/mac-1")

	// Refusals: nothing is shown and no view is recorded.
	for _, tc := range []struct {
		name   string
		send   func() page
		status int
		says   string
	}{
		{"no reason", func() page { return c.reveal("mac-1", pin.ID, "") }, http.StatusUnprocessableEntity, "Say why you need the Lock PIN"},
		{"blank reason", func() page { return c.reveal("mac-1", pin.ID, " \t ") }, http.StatusUnprocessableEntity, "Say why you need the Lock PIN"},
		{"reason with a control character", func() page { return c.reveal("mac-1", pin.ID, "unlock\x00now") }, http.StatusUnprocessableEntity, "The reason cannot be recorded: holds a control character"},
		{"reason too long", func() page { return c.reveal("mac-1", pin.ID, strings.Repeat("x", escrow.MaxReasonLen+1)) }, http.StatusUnprocessableEntity, "The reason cannot be recorded: too long"},
		{"no CSRF token", func() page {
			return c.postRaw("/admin/devices/mac-1/escrow/reveal", url.Values{"record": {pin.ID}, "reason": {"ticket 1"}})
		}, http.StatusForbidden, "This form has expired"},
		{"another session's CSRF token", func() page {
			return c.postRaw("/admin/devices/mac-1/escrow/reveal", url.Values{"record": {pin.ID}, "reason": {"ticket 1"}, "csrf": {otherCSRF}})
		}, http.StatusForbidden, "This form has expired"},
		{"another device's card", func() page { return c.reveal("dev-do-1", pin.ID, "ticket 1") }, http.StatusNotFound, "There is no such page"},
		{"unknown record", func() page { return c.reveal("mac-1", "0123456789abcdef0123456789abcdef", "ticket 1") }, http.StatusNotFound, "There is no such page"},
		{"malformed record ID", func() page { return c.reveal("mac-1", "", "ticket 1") }, http.StatusNotFound, "There is no such page"},
		{"unknown device", func() page {
			return c.post("/admin/devices/mac-1", "/admin/devices/no-such-device/escrow/reveal", url.Values{"record": {pin.ID}, "reason": {"ticket 1"}})
		}, http.StatusNotFound, "There is no such page"},
		{"signed out", func() page {
			anon := newConsoleClient(c)
			return anon.postRaw("/admin/devices/mac-1/escrow/reveal", url.Values{"record": {pin.ID}, "reason": {"ticket 1"}})
		}, http.StatusForbidden, "This form has expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.send()
			if p.Status != tc.status || !strings.Contains(p.Body, tc.says) {
				t.Fatalf("%d %q, want %d %q", p.Status, p.Body, tc.status, tc.says)
			}
			if strings.Contains(p.Body, `id="revealed-secret"`) {
				t.Fatal("a secret shown")
			}
			if v := c.escrowViews("mac-1"); len(v) != 0 {
				t.Fatalf("refusal recorded as a view: %+v", v)
			}
		})
	}
	// The refused reason goes back into its field.
	if p := c.reveal("mac-1", pin.ID, "unlock\x01"); !strings.Contains(p.Body, `value="unlock`) {
		t.Error("a refused reason was not put back in its field")
	}

	// A view: the secret, once, and exactly one event with who, from where, when and why.
	c.clock.Advance(time.Minute)
	p := c.reveal("mac-1", pin.ID, "Ticket 4711: user locked out")
	sec := text(p.Body, "revealed-secret")
	if p.Status != http.StatusOK || !pinRe.MatchString(sec) {
		t.Fatalf("reveal: %d %q %q", p.Status, sec, text(p.Body, "escrow-error"))
	}
	views := c.escrowViews("mac-1")
	if len(views) != 1 {
		t.Fatalf("%d views recorded for one view", len(views))
	}
	v := views[0]
	if v.Type != escrow.EventViewed || v.RecordID != pin.ID || v.Actor != adminID || v.Source.String() != "127.0.0.1" ||
		v.Reason != "Ticket 4711: user locked out" || !v.At.Equal(c.clock.Now()) {
		t.Fatalf("view event %+v", v)
	}
	// The result page's history has the line; the card shows it without the secret.
	line := "<td>" + adminID + "</td><td>127.0.0.1</td><td>Lock PIN version 1</td><td>Ticket 4711: user locked out</td>"
	card := c.get("/admin/devices/mac-1").Body
	if !strings.Contains(p.Body, line) || !strings.Contains(card, line) {
		t.Fatal("view history lacks the view")
	}
	if strings.Contains(card, sec) || strings.Contains(c.get("/admin/devices/mac-1/escrow").Body, sec) {
		t.Fatal("the secret shown again on GET")
	}
	// Nowhere else: not in the logs, not in any event under any verb.
	if strings.Contains(c.logText(), sec) {
		t.Fatal("secret in the logs")
	}
	events, _ := c.app.sdk.escrow.Events(context.Background(), escrow.EventQuery{DeviceID: "mac-1"})
	for _, e := range events {
		for _, verb := range []string{"%v", "%+v", "%#v"} {
			if strings.Contains(fmt.Sprintf(verb, e), sec) {
				t.Fatalf("secret in an event (%s)", verb)
			}
		}
	}
	// A second view is a second record, and the revealed value is the same.
	p = c.reveal("mac-1", pin.ID, "second look")
	if text(p.Body, "revealed-secret") != sec || len(c.escrowViews("mac-1")) != 2 {
		t.Fatalf("second view: %q, %d views", text(p.Body, "revealed-secret"), len(c.escrowViews("mac-1")))
	}
	if r := c.escrowRecords("mac-1", escrow.KindDeviceLockPIN)[0]; r.Views != 2 {
		t.Fatalf("record counts %d views", r.Views)
	}
}

// newConsoleClient is a second browser on the same console, not signed in
// (a client of its own: newClient sets the jar of the server's one client).
func newConsoleClient(c *console) *console {
	cp := *c
	jar, _ := cookiejar.New(nil)
	cp.client = &http.Client{Transport: c.srv.Client().Transport, Jar: jar}
	return &cp
}

func TestEscrowRotateRunsTheLifecycle(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	old := c.escrowRecords("mac-1", escrow.KindRecoveryLock)[0]
	oldSec := text(c.reveal("mac-1", old.ID, "before rotation").Body, "revealed-secret")
	if !recoveryLockRe.MatchString(oldSec) {
		t.Fatalf("recovery lock password %q", oldSec)
	}

	// Without the token nothing happens.
	if p := c.postRaw("/admin/devices/mac-1/escrow/rotate", url.Values{"kind": {escrow.KindRecoveryLock}}); p.Status != http.StatusForbidden {
		t.Fatalf("rotate without CSRF: %d", p.Status)
	}
	if h := c.escrowRecords("mac-1", escrow.KindRecoveryLock); len(h) != 1 {
		t.Fatal("rotated without the CSRF token")
	}

	c.clock.Advance(time.Minute)
	p := c.post("/admin/devices/mac-1", "/admin/devices/mac-1/escrow/rotate", url.Values{"kind": {escrow.KindRecoveryLock}})
	if p.Status != http.StatusOK || text(p.Body, "escrow-notice") != "Rotated: the device acknowledged Recovery Lock password version 2, which is now active." {
		t.Fatalf("rotate: %d %q %q", p.Status, text(p.Body, "escrow-notice"), text(p.Body, "escrow-error"))
	}
	h := c.escrowRecords("mac-1", escrow.KindRecoveryLock)
	if len(h) != 2 || h[0].State != escrow.Rotated || h[1].State != escrow.Active || h[1].CommandID == "" || h[1].CreatedBy != adminID {
		t.Fatalf("after rotation: %+v", h)
	}
	for _, want := range []string{`<span id="escrow-recovery-lock-password-state">active</span> (version 2)`,
		"<td>2</td><td>active</td>", "<td>1</td><td>rotated</td>"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The Reveal form now shows the new one; the old one stays in the history.
	newSec := text(c.reveal("mac-1", h[1].ID, "after rotation").Body, "revealed-secret")
	if !recoveryLockRe.MatchString(newSec) || newSec == oldSec {
		t.Fatalf("new password %q (old %q)", newSec, oldSec)
	}
	card := c.get("/admin/devices/mac-1").Body
	if !strings.Contains(card, `<option value="`+h[1].ID+`" selected>version 2 (active)</option>`) ||
		!strings.Contains(card, `<option value="`+h[0].ID+`">version 1 (rotated)</option>`) {
		t.Error("the Reveal form does not offer the active version first and the rotated one")
	}
	// The rotated version stays revealable (a device that applied a command
	// late uses it) until retention purges it.
	if got := text(c.reveal("mac-1", h[0].ID, "the device still has the old one").Body, "revealed-secret"); got != oldSec {
		t.Fatalf("rotated version revealed %q, want %q", got, oldSec)
	}
	if strings.Contains(c.logText(), newSec) || strings.Contains(c.logText(), oldSec) {
		t.Fatal("secret in the logs")
	}

	// Refusals.
	for _, tc := range []struct {
		name, kind string
		setup      func()
		status     int
		says       string
	}{
		{"lock PIN", escrow.KindDeviceLockPIN, nil, http.StatusUnprocessableEntity, "cannot be rotated from the console"},
		{"unknown kind", "no-such-kind", nil, http.StatusUnprocessableEntity, "cannot be rotated from the console"},
		{"a kind the device has none of", escrow.KindAdminPassword, nil, http.StatusUnprocessableEntity, "This device has no Local admin password to rotate."},
		{"already being set", escrow.KindRecoveryLock, func() {
			if _, err := c.app.sdk.escrow.Generate(context.Background(), "mac-1", escrow.KindRecoveryLock, adminID); err != nil {
				t.Fatal(err)
			}
		}, http.StatusConflict, "A new Recovery Lock password is already being set on this device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			before := len(c.escrowRecords("mac-1", tc.kind))
			p := c.post("/admin/devices/mac-1", "/admin/devices/mac-1/escrow/rotate", url.Values{"kind": {tc.kind}})
			if p.Status != tc.status || !strings.Contains(text(p.Body, "escrow-error"), tc.says) {
				t.Fatalf("%d %q", p.Status, text(p.Body, "escrow-error"))
			}
			if after := len(c.escrowRecords("mac-1", tc.kind)); after != before {
				t.Fatalf("records %d -> %d", before, after)
			}
		})
	}
}

func TestEscrowPagesEscapeHostileText(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	pin := c.escrowRecords("mac-1", escrow.KindDeviceLockPIN)[0]
	if p := c.reveal("mac-1", pin.ID, hostileName); p.Status != http.StatusOK {
		t.Fatalf("reveal: %d", p.Status)
	}
	for _, path := range []string{"/admin/devices/mac-1", "/admin/devices/mac-1/escrow", "/admin/devices/dev-hostile", "/admin/devices/dev-hostile/escrow"} {
		body := c.get(path).Body
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s: hostile text not escaped", path)
		}
	}
	if !strings.Contains(c.get("/admin/devices/mac-1").Body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("the hostile reason is not in the view history")
	}
}

func TestEscrowRotatesAnHourAfterTheFirstView(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	ctx := context.Background()
	rl := c.escrowRecords("mac-1", escrow.KindRecoveryLock)[0]
	pin := c.escrowRecords("mac-1", escrow.KindDeviceLockPIN)[0]
	c.reveal("mac-1", rl.ID, "first view")
	c.reveal("mac-1", pin.ID, "first view")
	c.clock.Advance(30 * time.Minute)
	c.reveal("mac-1", rl.ID, "a later view does not move the deadline")
	for _, tc := range []struct {
		advance time.Duration
		want    int
	}{
		{29 * time.Minute, 0}, // 59 minutes after the first view
		{2 * time.Minute, 1},  // 61 minutes: the Recovery Lock password, once
		{time.Minute, 0},      // already rotated; the PIN never is
		{48 * time.Hour, 0},
	} {
		c.clock.Advance(tc.advance)
		got, err := c.app.sdk.rotateDue(ctx)
		if err != nil || len(got) != tc.want {
			t.Fatalf("after %v more: %d rotations (%v), want %d", tc.advance, len(got), err, tc.want)
		}
		for _, r := range got {
			if r.Kind != escrow.KindRecoveryLock || r.State != escrow.Active || r.Version != 2 || r.CreatedBy != escrow.ActorSystem {
				t.Fatalf("rotation %+v", r)
			}
		}
	}
	h := c.escrowRecords("mac-1", escrow.KindRecoveryLock)
	if len(h) != 2 || h[0].State != escrow.Rotated || h[1].State != escrow.Active {
		t.Fatalf("history %+v", h)
	}
	if p := c.escrowRecords("mac-1", escrow.KindDeviceLockPIN); len(p) != 1 || p[0].State != escrow.Active {
		t.Fatalf("lock PIN %+v", p)
	}
	c.signInAdmin() // the session went idle meanwhile
	if body := c.get("/admin/devices/mac-1").Body; !strings.Contains(body, `Recovery Lock password: <span id="escrow-recovery-lock-password-state">active</span> (version 2)`) {
		t.Error("the card does not show the rotated password")
	}
}

func TestEscrowRotateEveryStopsWithItsContext(t *testing.T) {
	c := newConsole(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.app.sdk.rotateEvery(ctx, time.Millisecond, c.app.log); close(done) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("rotateEvery did not stop")
	}
	if strings.Contains(c.logText(), "escrow rotation") {
		t.Fatalf("rotation errors: %s", c.logText())
	}
}

// revealAttempt is one Reveal request of the property below.
type revealAttempt struct {
	Kind      int // 0: the lock PIN, 1: the Recovery Lock password
	Reason    string
	CSRF      bool // with the session's token
	OwnDevice bool // on the card of the secret's device
}

// For any sequence of Reveal requests (any reason, with or without the
// CSRF token, on the secret's card or another's), the views recorded are
// exactly the ones shown: one event per secret shown, with the reason as
// given, none for a refusal, and no shown secret in the logs or events.
func TestEscrowEveryViewRecordedExactlyOnce(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	recs := []escrow.Record{c.escrowRecords("mac-1", escrow.KindDeviceLockPIN)[0], c.escrowRecords("mac-1", escrow.KindRecoveryLock)[0]}
	formats := []*regexp.Regexp{pinRe, recoveryLockRe}
	genAttempt := gopter.CombineGens(gen.IntRange(0, 1), gen.OneGenOf(gen.AnyString(), gen.AlphaString(), gen.Const(""), gen.Const(" ")),
		gen.Bool(), gen.Bool()).Map(func(v []any) revealAttempt {
		return revealAttempt{Kind: v[0].(int), Reason: v[1].(string), CSRF: v[2].(bool), OwnDevice: v[3].(bool)}
	})
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 25
	p := gopter.NewProperties(params)
	p.Property("every view is recorded exactly once, no refusal is", prop.ForAll(func(attempts []revealAttempt) string {
		before := len(c.escrowViews("mac-1"))
		var shown []string
		var reasons []string
		for _, at := range attempts {
			device := "dev-do-1"
			if at.OwnDevice {
				device = "mac-1"
			}
			form := url.Values{"record": {recs[at.Kind].ID}, "reason": {at.Reason}}
			if at.CSRF {
				form.Set("csrf", c.csrf("/admin/devices/mac-1"))
			}
			pg := c.postRaw("/admin/devices/"+device+"/escrow/reveal", form)
			sec := text(pg.Body, "revealed-secret")
			switch {
			case pg.Status == http.StatusOK:
				if !at.CSRF || !at.OwnDevice || !formats[at.Kind].MatchString(sec) {
					return fmt.Sprintf("shown %+v", at)
				}
				shown, reasons = append(shown, sec), append(reasons, strings.TrimSpace(at.Reason))
			case strings.Contains(pg.Body, `id="revealed-secret"`):
				return fmt.Sprintf("refused (%d) but shown: %+v", pg.Status, at)
			case at.CSRF && at.OwnDevice && strings.TrimSpace(at.Reason) != "" && pg.Status != http.StatusUnprocessableEntity:
				return fmt.Sprintf("a good request refused with %d: %+v", pg.Status, at)
			}
		}
		views := c.escrowViews("mac-1")[before:]
		if len(views) != len(shown) {
			return fmt.Sprintf("%d shown, %d recorded", len(shown), len(views))
		}
		for i, v := range views {
			if v.Reason != reasons[i] || v.Actor != adminID || !v.Source.IsValid() {
				return fmt.Sprintf("view %d: %+v", i, v)
			}
			for _, s := range shown {
				if strings.Contains(fmt.Sprintf("%+v", v), s) {
					return "secret in an event"
				}
			}
		}
		logs := c.logText()
		for _, s := range shown {
			if strings.Contains(logs, s) {
				return "secret in the logs"
			}
		}
		return ""
	}, gen.SliceOfN(6, genAttempt)))
	p.TestingRun(t)
	if len(c.escrowViews("mac-1")) == 0 {
		t.Fatal("no request was shown a secret: the property saw refusals only")
	}
}

// Everything the escrow page holds prints without the secret it shows:
// the revealed value stays an escrow.Secret until the template reveals it.
func TestEscrowPageViewIsRedacted(t *testing.T) {
	const s = "Secret-Recovery-Lock-1234"
	v := escrowPageView{Revealed: &revealedSecret{Label: "Recovery Lock password", Version: 1, Secret: escrow.NewSecret(s)}}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("view", "v", v, "r", *v.Revealed)
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	outs := []string{logged.String(), string(js)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outs = append(outs, fmt.Sprintf(verb, v), fmt.Sprintf(verb, *v.Revealed))
	}
	for _, out := range outs {
		if strings.Contains(out, s) || strings.Contains(out, fmt.Sprintf("%x", s)) {
			t.Fatalf("secret in %q", out)
		}
	}
}

// The Reveal and Rotate forms answer any input with the page or a
// refusal, never a server error; only an answer that shows a secret adds a
// view, and only a successful Rotate adds a record.
func FuzzEscrowForms(f *testing.F) {
	for _, s := range []struct{ device, record, reason, kind string }{
		{"mac-1", "", "Ticket 4711", escrow.KindRecoveryLock},
		{"mac-1", "", "", escrow.KindDeviceLockPIN},
		{"mac-1", "", " \t ", "no-such-kind"},
		{"mac-1", "0123456789abcdef0123456789abcdef", "unlock\x00now", ""},
		{"dev-do-1", "", "\u202e", escrow.KindAdminPassword},
		{"no-such-device", "x", strings.Repeat("x", escrow.MaxReasonLen+1), "\xff"},
	} {
		f.Add(s.device, s.record, s.reason, s.kind, true)
	}
	c := newConsole(f)
	c.signInAdmin()
	token := c.csrf("/admin/")
	pin := c.escrowRecords("mac-1", escrow.KindDeviceLockPIN)[0].ID
	f.Fuzz(func(t *testing.T, device, record, reason, kind string, usePIN bool) {
		if usePIN && record == "" {
			record = pin
		}
		// Every event of the Mac: the only device with secrets to view.
		events := func() int {
			e, err := c.app.sdk.escrow.Events(context.Background(), escrow.EventQuery{DeviceID: "mac-1"})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, x := range e {
				if x.Type == escrow.EventViewed {
					n++
				}
			}
			return n
		}
		before := events()
		resp, err := c.client.PostForm(c.srv.URL+"/admin/devices/"+url.PathEscape(device)+"/escrow/reveal",
			url.Values{"csrf": {token}, "record": {record}, "reason": {reason}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("reveal %q %q %q: status %d", device, record, reason, resp.StatusCode)
		}
		if views := events() - before; views != 0 && (resp.StatusCode != http.StatusOK || views != 1) {
			t.Fatalf("reveal answered %d and recorded %d views", resp.StatusCode, views)
		}
		resp, err = c.client.PostForm(c.srv.URL+"/admin/devices/"+url.PathEscape(device)+"/escrow/rotate",
			url.Values{"csrf": {token}, "kind": {kind}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("rotate %q %q: status %d", device, kind, resp.StatusCode)
		}
	})
}
