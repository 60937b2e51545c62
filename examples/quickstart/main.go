// Command quickstart walks through every mdmcred flow in one run, with
// in-memory stores and the development outbox, printing what an
// administrator and a user would see:
//
//  1. an admin issues a service password (QR code in the terminal, email);
//  2. the device agent verifies it offline and opens the privileged window;
//  3. a typo, a code for another device and a replay are refused;
//  4. a site's company passcode is generated, attacked into lockout, and the
//     admins get the alert email;
//  5. a device passcode reset goes through its states, with its audit trail;
//  6. a portal one-time PIN is issued and used once;
//  7. an authenticator (TOTP) key is enrolled and a code validated.
//
// Run it with
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -keep   # keep the emails (.eml) and device state
//
// Emails are written as .eml files into a temporary directory whose path is
// printed; the directory is removed at the end unless -keep is given. Keys and peppers are drawn from crypto/rand at start, as a host
// would load them from its secret store; the clock is fixed so the times
// shown are the same on every run.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // the demo's time zones, on any system

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/notify"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/qr"
	"github.com/mdmcred/mdmcred/servicepass"
)

func main() {
	keep := flag.Bool("keep", false, "keep the outbox (.eml files) and device state instead of removing them at exit")
	flag.Parse()
	if err := run(os.Stdout, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// start is the demo clock's first reading.
var start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// clock is the demo's clock: fixed, advanced by hand.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time            { return c.now }
func (c *clock) Advance(d time.Duration)   { c.now = c.now.Add(d) }
func (c *clock) Set(t time.Time) time.Time { c.now = t; return t }

// demo holds what the sections share.
type demo struct {
	w      io.Writer
	ctx    context.Context
	clock  *clock
	zone   *time.Location // the admins' and devices' time zone
	dir    string         // scratch directory: outbox, device state
	outbox *notify.Outbox
	sent   *notify.Recorder // a copy of every email, to print
	mail   *notify.Notifier
}

// run runs every section, writing to w. The scratch directory is removed
// at the end unless keep is set.
func run(w io.Writer, keep bool) (err error) {
	dir, err := os.MkdirTemp("", "mdmcred-quickstart-")
	if err != nil {
		return err
	}
	if !keep {
		defer func() {
			if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
				err = rerr
			}
		}()
	}
	zone, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return err
	}
	d := &demo{w: w, ctx: context.Background(), clock: &clock{now: start}, zone: zone, dir: dir, sent: &notify.Recorder{}}
	d.outbox, err = notify.NewOutbox(notify.OutboxConfig{Dir: filepath.Join(dir, "outbox"), From: "mdm@example.com", Now: d.clock.Now})
	if err != nil {
		return err
	}
	// Every email goes to the outbox (files) and the recorder (to print).
	both := notify.MailerFunc(func(ctx context.Context, m notify.Message) error {
		if err := d.outbox.Send(ctx, m); err != nil {
			return err
		}
		return d.sent.Send(ctx, m)
	})
	if d.mail, err = notify.NewNotifier(notify.NotifierConfig{Mailer: both}); err != nil {
		return err
	}

	fmt.Fprintln(w, "mdmcred quickstart")
	fmt.Fprintf(w, "emails are written to %s\n", d.outbox.Dir())
	// Every time below is on this clock, not the machine's.
	fmt.Fprintf(w, "demo clock: %s (%s), a fixed clock the demo advances by hand\n",
		d.clock.Now().In(zone).Format("2006-01-02 15:04 MST"), zone)
	for _, section := range []func() error{d.servicePassword, d.companyPasscode, d.passcodeReset, d.oneTimePIN, d.totp} {
		if err := section(); err != nil {
			return err
		}
	}
	if keep {
		fmt.Fprintf(w, "\n%d emails in %s (kept)\n", d.sent.Len(), d.outbox.Dir())
	} else {
		fmt.Fprintf(w, "\n%d emails sent; %s removed (run with -keep to keep them)\n", d.sent.Len(), d.outbox.Dir())
	}
	return nil
}

// heading prints a section heading.
func (d *demo) heading(title string) {
	fmt.Fprintf(d.w, "\n== %s ==\n", title)
}

// at formats t in the demo's zone.
func (d *demo) at(t time.Time) string { return t.In(d.zone).Format("2006-01-02 15:04 MST") }

// randomKey draws n bytes from crypto/rand: a stand-in for a key the host
// loads from its secret store.
func randomKey(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return b
}

// servicePassword runs sections 1 to 3.
func (d *demo) servicePassword() error {
	d.heading("1. Admin: issue a service password")
	master, err := servicepass.GenerateMasterKey(1, nil)
	if err != nil {
		return err
	}
	issuer, err := servicepass.NewIssuer(servicepass.IssuerConfig{
		Keys:   []servicepass.MasterKey{master},
		QR:     qr.PNGEncoder{},
		Mailer: notify.ServicePassMailer{Notifier: d.mail},
		Now:    d.clock.Now,
	})
	if err != nil {
		return err
	}
	// At enrollment the agent of device-42 was given its provisioning: its
	// keyring, mode and time zone. Installing it creates the device state,
	// then writes the provisioning file.
	prov, err := issuer.Provision("device-42", servicepass.DeviceOwner, d.zone)
	if err != nil {
		return err
	}
	provPath, statePath := filepath.Join(d.dir, "device-42.provisioning"), filepath.Join(d.dir, "device-42.state")
	if err := servicepass.InstallProvisioning(d.ctx, provPath, prov, mustFileStore(statePath)); err != nil {
		return err
	}

	actions := servicepass.Unlock | servicepass.DisableKiosk | servicepass.RemoveNetworkRestrictions
	issued, err := issuer.Issue(d.ctx, servicepass.Request{
		DeviceID:  "device-42",
		Mode:      servicepass.DeviceOwner,
		Actions:   actions,
		ExpiresAt: d.clock.Now().Add(4 * time.Hour),
		Location:  prov.Location, // the device's zone: the email shows the expiry on its clock
		WantQR:    true,
		SendEmail: true,
		EmailTo:   "field-tech@example.com",
		Language:  "en",
		Admin:     "admin@example.com",
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "device:   device-42 (%s)\n", servicepass.DeviceOwner)
	fmt.Fprintf(d.w, "actions:  %s\n", actions)
	fmt.Fprintf(d.w, "expires:  %s\n", d.at(issued.ExpiresAt))
	fmt.Fprintf(d.w, "code:     %s\n", issued.Display.Reveal()) // shown once to the admin
	fmt.Fprintf(d.w, "serial:   %06x (key %d), QR PNG %d bytes\n", issued.Serial, issued.KeyID, issued.QRPNG.Len())
	term, err := qr.Terminal(issued.Display.Reveal(), qr.Options{HalfBlocks: true})
	if err != nil {
		return err
	}
	fmt.Fprint(d.w, term) // on a dark terminal, use qr.Options{Invert: true}
	if m, ok := d.sent.Last(); ok {
		fmt.Fprintf(d.w, "email to %s: %q (with the QR inline)\n", strings.Join(m.To, ", "), m.Subject)
	}

	d.heading("2. Device agent: verify the code offline")
	dev, err := servicepass.ReadProvisioningFile(provPath)
	if err != nil {
		return err
	}
	agent, err := servicepass.NewVerifier(dev, mustFileStore(statePath), nil)
	if err != nil {
		return err
	}
	d.clock.Advance(20 * time.Minute)
	// The user types it in lowercase, with spaces instead of hyphens.
	typed := strings.ToLower(strings.ReplaceAll(issued.Display.Reveal(), "-", " "))
	grant, err := agent.Verify(d.ctx, typed, d.clock.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "GRANTED:  %s, scope %s\n", grant.Actions, grant.Scope)
	fmt.Fprintf(d.w, "window:   privileged until %s\n", d.at(grant.WindowEnd))
	var lifted []string
	for _, p := range servicepass.NetworkPolicies(grant.Mode) {
		lifted = append(lifted, p.ID)
	}
	fmt.Fprintf(d.w, "lifted:   %s\n", strings.Join(lifted, ", "))
	// An hour later the agent asks whether the window is still open; once the
	// device has seen its end, it stays ended even if the clock is turned back.
	d.clock.Set(grant.WindowEnd)
	ws, err := agent.Window(d.ctx, d.clock.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "at %s the window ends: revert %s\n", d.at(ws.Ended), ws.Revert)

	d.heading("3. Device agent: refusals")
	other, err := issuer.Issue(d.ctx, servicepass.Request{DeviceID: "device-43", Mode: servicepass.DeviceOwner,
		Actions: servicepass.Unlock, Admin: "admin@example.com"})
	if err != nil {
		return err
	}
	for _, try := range []struct{ what, code string }{
		{"typo", mistype(issued.Display.Reveal())},
		{"code for device-43", other.Display.Reveal()},
		{"replay", issued.Display.Reveal()},
	} {
		d.clock.Advance(time.Minute)
		_, err := agent.Verify(d.ctx, try.code, d.clock.Now())
		fmt.Fprintf(d.w, "%-19s REFUSED: %v\n", try.what+":", err)
	}

	// When the device clock or its state cannot be trusted: the device
	// shows a challenge, the help desk answers it, the response works once.
	challenge, err := agent.NewChallenge(servicepass.ChallengeOptions{})
	if err != nil {
		return err
	}
	resp, err := issuer.Respond(d.ctx, servicepass.ResponseRequest{DeviceID: "device-42", Challenge: challenge.String(),
		Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "helpdesk@example.com"})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "challenge shown:    %s, response %s\n", challenge, resp.Display.Reveal())
	// The device clock is years off: a response does not care.
	g, err := agent.VerifyResponse(d.ctx, resp.Display.Reveal(), d.clock.Now().AddDate(-5, 0, 0))
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "response:           GRANTED %s (degraded: %v)\n", g.Actions, g.Degraded)
	_, err = agent.VerifyResponse(d.ctx, resp.Display.Reveal(), d.clock.Now())
	fmt.Fprintf(d.w, "response again:     REFUSED: %v\n", err)
	return nil
}

// mistype changes one symbol of a code, as a user might.
func mistype(code string) string {
	b := []byte(code)
	if b[7] == 'X' {
		b[7] = 'Y'
	} else {
		b[7] = 'X'
	}
	return string(b)
}

// mustFileStore opens a FileStore; OpenFileStore fails only on an empty path.
func mustFileStore(path string) *servicepass.FileStore {
	s, err := servicepass.OpenFileStore(path)
	if err != nil {
		panic(err)
	}
	return s
}

// companyPasscode runs section 4.
func (d *demo) companyPasscode() error {
	d.heading("4. Admin: company passcode, failed into lockout")
	d.clock.Set(start.Add(2 * time.Hour))
	const threshold = 3
	svc, err := enrollment.New(enrollment.Config{
		Store:   enrollment.NewMemStore(),
		Alerter: notify.EnrollmentAlerter{Notifier: d.mail, Language: "en", TimeZone: d.zone},
		Admins: func(context.Context, string) ([]string, error) {
			return []string{"it-security@example.com"}, nil
		},
		Peppers:   enrollment.NewKeys(map[uint8][]byte{1: randomKey(32)}),
		PepperID:  1,
		Threshold: threshold,
		Now:       d.clock.Now,
	})
	if err != nil {
		return err
	}
	pc, err := svc.Generate(d.ctx, "berlin", "admin@example.com")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "site berlin, passcode %s (shown once; %d characters)\n", pc.Reveal(), pc.Len())
	fmt.Fprintf(d.w, "employee enrolls with it: %v\n", errText(svc.Verify(d.ctx, "berlin", pc.Reveal(), "10.0.0.7")))
	for i := range threshold + 1 {
		d.clock.Advance(time.Minute)
		err := svc.Verify(d.ctx, "berlin", fmt.Sprintf("Guess%dGuess%d", i, i), fmt.Sprintf("203.0.113.%d", 10+i))
		fmt.Fprintf(d.w, "attempt %d from 203.0.113.%d: %v\n", i+1, 10+i, err)
	}
	fmt.Fprintf(d.w, "the right passcode now: %v\n", svc.Verify(d.ctx, "berlin", pc.Reveal(), "10.0.0.7"))
	st, err := svc.Status(d.ctx, "berlin")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "status: %s, %d failed attempts, locked at %s\n", st.State, st.FailedAttempts, d.at(st.LockedAt))
	m, ok := d.sent.Last()
	if !ok {
		return errors.New("no alert email")
	}
	fmt.Fprintf(d.w, "alert email to %s\nSubject: %s\n", strings.Join(m.To, ", "), m.Subject)
	fmt.Fprintln(d.w, indent(m.Text.Reveal()))
	return nil
}

// passcodeReset runs section 5.
func (d *demo) passcodeReset() error {
	d.heading("5. Admin: device passcode reset")
	d.clock.Set(start.Add(3 * time.Hour))
	svc, err := passcode.New(passcode.Config{
		Store:     passcode.NewMemStore(),
		SealKeys:  passcode.NewKeys(map[uint8][]byte{1: randomKey(32)}),
		SealKeyID: 1,
		Mailer:    notify.PasscodeMailer{Notifier: d.mail, TimeZone: d.zone},
		Now:       d.clock.Now,
	})
	if err != nil {
		return err
	}
	phone := passcode.Device{ID: "device-17", Name: "Anna's Pixel", Platform: passcode.AndroidDeviceOwner,
		APILevel: 34, ResetTokenActive: true, Owner: "anna"}
	res, err := svc.Request(d.ctx, passcode.ResetRequest{Device: phone, Actor: "admin@example.com",
		NotifyUser: true, UserEmail: "anna@example.com", Language: "en"})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "%s on %q: %s, new passcode %s (policy %s)\n", res.Capability.Action, phone.Name,
		res.Reset.State, res.Passcode.Reveal(), res.Capability.Policy)
	if m, ok := d.sent.Last(); ok {
		fmt.Fprintf(d.w, "email to %s: %q\n", strings.Join(m.To, ", "), m.Subject)
	}
	_, err = svc.Request(d.ctx, passcode.ResetRequest{Device: phone, Actor: "other-admin@example.com"})
	fmt.Fprintf(d.w, "a second reset meanwhile: %v\n", err)
	for _, to := range []passcode.State{passcode.Pending, passcode.Acknowledged, passcode.Succeeded} {
		d.clock.Advance(time.Minute)
		r, err := svc.Transition(d.ctx, res.Reset.ID, to, "mdm-channel")
		if err != nil {
			return err
		}
		fmt.Fprintf(d.w, "device reports: %s\n", r.State)
	}
	_, err = svc.Reveal(d.ctx, res.Reset.ID, passcode.Viewer{ID: "other-admin@example.com"})
	fmt.Fprintf(d.w, "another admin asks to see it: %v\n", err)
	again, err := svc.Reveal(d.ctx, res.Reset.ID, passcode.Viewer{ID: "admin@example.com"})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "the requesting admin sees it again: %v\n", again.Equal(res.Passcode.Reveal()))
	events, err := svc.Events(d.ctx, passcode.EventQuery{DeviceID: phone.ID})
	if err != nil {
		return err
	}
	fmt.Fprintln(d.w, "Events:")
	for _, e := range events {
		from := e.From.String()
		if e.From == 0 {
			from = "-" // the first event has no previous state
		}
		fmt.Fprintf(d.w, "  %s  %-11s %-12s -> %-12s %s\n", d.at(e.At), e.Kind, from, e.To, e.Actor)
	}
	return nil
}

// oneTimePIN runs section 6.
func (d *demo) oneTimePIN() error {
	d.heading("6. User portal: one-time PIN")
	d.clock.Set(start.Add(4 * time.Hour))
	svc, err := otp.NewPINService(otp.PINConfig{
		Store:    otp.NewMemStore(),
		Peppers:  otp.NewKeys(map[uint8][]byte{1: randomKey(32)}),
		PepperID: 1,
		Now:      d.clock.Now,
	})
	if err != nil {
		return err
	}
	rule := otp.Eligibility{Role: "passcode-reset", Licenses: []string{"E3", "E5"}}
	user := otp.Subject{Roles: []string{"passcode-reset"}, Licenses: []string{"E5"}, Policy: &otp.Policy{RequiresPasscode: true, AllowsRecovery: true}}
	fmt.Fprintf(d.w, "eligible: %v\n", errText(rule.Check(user)))
	pin, expires, err := svc.Issue(d.ctx, "anna@example.com")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "PIN for anna@example.com: %s (%d digits), valid until %s\n", pin.Reveal(), pin.Len(), d.at(expires))
	d.clock.Advance(10 * time.Minute)
	fmt.Fprintf(d.w, "used: %v\n", errText(svc.Verify(d.ctx, "anna@example.com", pin.Reveal())))
	fmt.Fprintf(d.w, "used again: %v\n", svc.Verify(d.ctx, "anna@example.com", pin.Reveal()))
	return nil
}

// totp runs section 7.
func (d *demo) totp() error {
	d.heading("7. Authenticator app: TOTP")
	d.clock.Set(start.Add(5 * time.Hour))
	key, err := otp.GenerateKey(nil, otp.Params{Algorithm: otp.SHA256}) // SHA256: FIPS 140-3 mode refuses SHA1
	if err != nil {
		return err
	}
	uri, err := otp.URI{Issuer: "Example MDM", Account: "anna@example.com", Key: key}.Build()
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "key: %v; the app scans a QR code of the otpauth:// URI (%d characters)\n", key, uri.Len())
	code := otp.TOTP(key, d.clock.Now()) // what the app shows
	fmt.Fprintf(d.w, "app shows %s at %s\n", code.Reveal(), d.at(d.clock.Now()))
	d.clock.Advance(20 * time.Second)
	var next uint64 // persisted per user: the last step used, plus one
	step, err := otp.ValidateTOTP(key, code.Reveal(), d.clock.Now(), otp.ValidateOpts{Past: 1, MinStep: next})
	if err != nil {
		return err
	}
	next = step + 1
	fmt.Fprintf(d.w, "validated at step %d\n", step)
	_, err = otp.ValidateTOTP(key, code.Reveal(), d.clock.Now(), otp.ValidateOpts{Past: 1, MinStep: next})
	fmt.Fprintf(d.w, "same code again: %v\n", err)
	return nil
}

// errText prints a nil error as "ok".
func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// indent indents every line of s by four spaces.
func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}
