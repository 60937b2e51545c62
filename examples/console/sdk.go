package main

// This file is the console's only contact with the mdmcred packages: every
// SDK call goes through it, so the handlers deal in the console's own types
// and an integrator sees in one place how stores, mail, keys and clocks are
// wired. Rules are never re-implemented here; they are asked of the SDK.
// The Apple devices' calls, made beside an MDM server, are in applemdm.go.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/notify"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/qr"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// sdkConfig is what the wiring needs from the host.
type sdkConfig struct {
	// DB, when set, keeps every server-side store in PostgreSQL.
	DB *sql.DB
	// DeviceName names a device by its ID in the emails (the inventory's
	// names). Zero: emails name devices by ID.
	DeviceName func(id string) string
	// Mailer delivers email (the dev outbox or SMTP). Every message is
	// also kept in the console's sent list.
	Mailer notify.Mailer
	// Zone is where admins and users read times.
	Zone *time.Location
	// Now is the clock; zero means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// RevealPasscodes keeps a sealed copy of each company passcode, so that
	// an admin can have it shown again; otherwise it is shown once.
	RevealPasscodes bool
	// ReauthWindow is the portal's re-authentication window; zero means
	// the passcode package's default.
	ReauthWindow time.Duration
	// AMAPIEndpoint is the base URL of the Android Management API the
	// Android Enterprise devices' commands go to (the console's fake);
	// empty: those commands get no answer.
	AMAPIEndpoint string
}

// sdk holds the SDK's services, configured once at start.
type sdk struct {
	issuer  *servicepass.Issuer
	sites   *enrollment.Service
	resets  *passcode.Service
	pins    *otp.PINService
	pinRule otp.Eligibility
	escrow  *escrow.Service // the device card's escrowed secrets (escrowsdk.go)
	sent    *notify.Recorder
	now     func() time.Time
	// reauthWindow is how recently a portal user must have signed in to
	// reset their own device.
	reauthWindow time.Duration
	// amapi sends the Android Enterprise devices' commands (android.go).
	amapi *amapiChannel

	mu        sync.Mutex
	verifiers map[string]*servicepass.Verifier // the simulated device agents
	// shown is the challenge each simulated device shows on its screen.
	// Whether it is still outstanding is the Verifier's to say; this is
	// only what the screen displays.
	shown map[string]servicepass.Challenge
}

// channel is the actor the host's MDM command channel records in the
// passcode reset events.
const channel = "mdm-channel"

// newKey stands in for loading a key from the host's secret store.
func newKey() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails (it panics instead)
	return b
}

func newSDK(ctx context.Context, cfg sdkConfig) (*sdk, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &sdk{sent: &notify.Recorder{}, now: cfg.Now, verifiers: map[string]*servicepass.Verifier{}, shown: map[string]servicepass.Challenge{}, reauthWindow: cfg.ReauthWindow}
	if s.reauthWindow == 0 {
		s.reauthWindow = passcode.DefaultReauthWindow
	}
	mailer := notify.MailerFunc(func(ctx context.Context, m notify.Message) error {
		if err := cfg.Mailer.Send(ctx, m); err != nil {
			return err
		}
		return s.sent.Send(ctx, m)
	})
	mail, err := notify.NewNotifier(notify.NotifierConfig{Mailer: mailer})
	if err != nil {
		return nil, err
	}

	var (
		auditStore servicepass.Store = servicepass.NewMemStore()
		siteStore  enrollment.Store  = enrollment.NewMemStore()
		resetStore passcode.Store    = passcode.NewMemStore()
		pinStore   otp.Store         = otp.NewMemStore()
	)
	var escrowStore escrow.Store = escrow.NewMemStore()
	if cfg.DB != nil {
		if err := postgres.Migrate(ctx, cfg.DB); err != nil {
			return nil, err
		}
		auditStore = postgres.NewServicepassStore(cfg.DB)
		siteStore = postgres.NewEnrollmentStore(cfg.DB)
		resetStore = postgres.NewPasscodeStore(cfg.DB)
		pinStore = postgres.NewOTPStore(cfg.DB)
		escrowStore = postgres.NewEscrowStore(cfg.DB)
	}

	master, err := servicepass.GenerateMasterKey(1, nil)
	if err != nil {
		return nil, err
	}
	s.issuer, err = servicepass.NewIssuer(servicepass.IssuerConfig{
		Keys:   []servicepass.MasterKey{master},
		Store:  auditStore,
		QR:     qr.PNGEncoder{},
		Mailer: notify.ServicePassMailer{Notifier: mail, DeviceName: cfg.DeviceName},
		Now:    cfg.Now,
		Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	var sealKeys enrollment.Keys // zero: a passcode is shown once
	var sealID uint8
	if cfg.RevealPasscodes {
		sealKeys, sealID = enrollment.NewKeys(map[uint8][]byte{1: newKey()}), 1
	}
	s.sites, err = enrollment.New(enrollment.Config{
		SealKeys:  sealKeys,
		SealKeyID: sealID,
		Store:     siteStore,
		Alerter:   notify.EnrollmentAlerter{Notifier: mail, TimeZone: cfg.Zone, Fallback: []string{"it-security@example.com"}},
		Admins: func(context.Context, string) ([]string, error) {
			return []string{"it-security@example.com"}, nil
		},
		Peppers:  enrollment.NewKeys(map[uint8][]byte{1: newKey()}),
		PepperID: 1,
		Now:      cfg.Now,
		Logger:   cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	s.resets, err = passcode.New(passcode.Config{
		Store:        resetStore,
		SealKeys:     passcode.NewKeys(map[uint8][]byte{1: newKey()}),
		SealKeyID:    1,
		Mailer:       notify.PasscodeMailer{Notifier: mail, TimeZone: cfg.Zone},
		Now:          cfg.Now,
		Logger:       cfg.Logger,
		ReauthWindow: cfg.ReauthWindow,
	})
	if err != nil {
		return nil, err
	}
	s.amapi = newAMAPIChannel(cfg.AMAPIEndpoint, s.resets, cfg.Now, cfg.Logger)
	s.pins, err = otp.NewPINService(otp.PINConfig{
		Store:    pinStore,
		Peppers:  otp.NewKeys(map[uint8][]byte{1: newKey()}),
		PepperID: 1,
		Now:      cfg.Now,
		Logger:   cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	s.pinRule = otp.Eligibility{Role: "passcode-reset", Licenses: []string{"E3", "E5"}}
	if s.escrow, err = newEscrow(escrowStore, cfg); err != nil {
		return nil, err
	}
	if err := s.seedEscrow(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// actionChoice is one checkbox of the Service password panel.
type actionChoice struct {
	Value     string // the form value: the action's name in the SDK
	Label     string
	Disabled  bool
	Reason    string // why the mode does not allow it
	Exclusive bool   // cannot be combined with another action
	DayValid  bool   // the code expires at the end of a date
	Help      []string
	Checked   bool
}

// actionLabels are the panel's labels, worded as the products' docs word them.
var actionLabels = []struct {
	a     servicepass.Actions
	label string
}{
	{servicepass.Unlock, "Unlock device"},
	{servicepass.DisableKiosk, "Disable Kiosk"},
	{servicepass.RemoveNetworkRestrictions, "Remove network restrictions"},
	{servicepass.AllowDeveloperOptions, "Allow developer options"},
	{servicepass.AllowDeactivation, "Allow deactivation"},
	{servicepass.AllowFactoryReset, "Allow factory reset"},
	{servicepass.EmergencyDatabaseReset, "Emergency Database Reset"},
	{servicepass.SetPassword, "Set Password (COPE only)"},
}

// choices asks the SDK's rules which actions mode allows, which are
// exclusive, which are day-valid, and which policies Remove network
// restrictions lifts on that mode.
func choices(mode servicepass.Mode, checked servicepass.Actions) []actionChoice {
	var out []actionChoice
	for _, l := range actionLabels {
		c := actionChoice{Value: l.a.String(), Label: l.label, Checked: checked.Has(l.a)}
		var re *servicepass.RuleError
		if err := servicepass.CheckRules(mode, l.a); errors.As(err, &re) {
			c.Disabled, c.Reason = true, ruleText(re)
		}
		// Exclusive: allowed, and refused together with every other allowed one.
		c.Exclusive = !c.Disabled
		for _, o := range actionLabels {
			if o.a != l.a && servicepass.CheckRules(mode, o.a) == nil && servicepass.CheckRules(mode, l.a|o.a) == nil {
				c.Exclusive = false
			}
		}
		c.DayValid = !c.Disabled && servicepass.DayValid(mode, l.a)
		if l.a == servicepass.RemoveNetworkRestrictions {
			for _, p := range servicepass.NetworkPolicies(mode) {
				c.Help = append(c.Help, p.Name)
			}
		}
		out = append(out, c)
	}
	return out
}

// ruleText is a rule error for people: the SDK's wording without the
// package prefix, plus its detail.
func ruleText(re *servicepass.RuleError) string {
	// The validity bounds in words: the SDK's detail spells durations as
	// Go does ("721h59m21s").
	switch {
	case errors.Is(re, servicepass.ErrValidityShort):
		return "A service password must be valid for at least " + humanDuration(servicepass.MinValidity) + ": choose a later expiry."
	case errors.Is(re, servicepass.ErrValidityLong):
		return "A service password can be valid for at most " + humanDuration(servicepass.MaxValidity) + ": choose an earlier expiry."
	}
	s := strings.TrimPrefix(re.Rule.Error(), "servicepass: ")
	if re.Detail != "" {
		s += ": " + re.Detail
	}
	return s
}

// issueForm is the Service password panel as submitted.
type issueForm struct {
	Actions   servicepass.Actions
	ExpiresAt time.Time        // a date and time on the device's clock
	Date      servicepass.Date // the date alone, for a day-valid code
	HasTime   bool             // the form gave a time, not only a date
	WantQR    bool
	SendEmail bool
	Email     string
	Language  string
}

// issue asks the issuer for a service password. A rule broken is returned
// as the SDK's *servicepass.RuleError, whose Field says where it goes.
func (s *sdk) issue(ctx context.Context, d Device, f issueForm, admin string) (servicepass.Issued, error) {
	req := servicepass.Request{
		DeviceID: d.ID, Mode: d.Mode, Actions: f.Actions,
		WantQR: f.WantQR, SendEmail: f.SendEmail, EmailTo: f.Email, Language: f.Language,
		Admin: admin,
		// The device's zone (as provisioned): the calendar of a day-valid
		// code, and the zone the email shows the expiry in.
		Location: d.Zone,
	}
	// A date alone goes to the SDK as an expiration date, which it takes
	// only for a COPE Set Password code; that code takes the date part of
	// a date and time too (a browser without the panel's script sends one).
	if f.HasTime && !servicepass.DayValid(d.Mode, f.Actions) {
		req.ExpiresAt = f.ExpiresAt
	} else if !f.Date.IsZero() {
		req.ExpiryDate = f.Date
	}
	return s.issuer.Issue(ctx, req)
}

// respond asks the issuer for the response to the challenge a device
// shows (a challenge-bound code). The SDK parses the challenge first, so
// that its check symbol catches a mistyped one before anything is issued
// (servicepass.ErrChallengeTypo or ErrChallengeMalformed); a broken rule is
// a *servicepass.RuleError, as for issue.
func (s *sdk) respond(ctx context.Context, d Device, challenge string, actions servicepass.Actions, admin string) (servicepass.Response, error) {
	return s.issuer.Respond(ctx, servicepass.ResponseRequest{
		DeviceID: d.ID, Challenge: challenge, Mode: d.Mode, Actions: actions, Admin: admin,
	})
}

// verifier returns the simulated agent of device d, provisioned with its
// keyring the first time (as enrollment would).
func (s *sdk) verifier(d Device) (*servicepass.Verifier, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.verifiers[d.ID]; ok {
		return v, nil
	}
	keys, err := s.issuer.DeviceKeys(d.ID)
	if err != nil {
		return nil, err
	}
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: d.ID, Mode: d.Mode, HasMode: true, Keys: keys, Location: d.Zone},
		servicepass.NewMemDeviceStore(), nil)
	if err != nil {
		return nil, err
	}
	s.verifiers[d.ID] = v
	return v, nil
}

// verify runs the device's own check of a typed or scanned code.
func (s *sdk) verify(d Device, code string) (servicepass.Grant, error) {
	v, err := s.verifier(d)
	if err != nil {
		return servicepass.Grant{}, err
	}
	return v.Verify(context.Background(), code, s.now())
}

// newChallenge has device d's agent make a challenge (replacing any earlier
// one) and show it on its screen.
func (s *sdk) newChallenge(d Device) (servicepass.Challenge, error) {
	v, err := s.verifier(d)
	if err != nil {
		return servicepass.Challenge{}, err
	}
	// The lifetime is measured on the console's clock (time.Now, with its
	// monotonic reading, unless a test sets another).
	c, err := v.NewChallenge(servicepass.ChallengeOptions{Clock: s.now})
	if err != nil {
		return servicepass.Challenge{}, err
	}
	s.mu.Lock()
	s.shown[d.ID] = c
	s.mu.Unlock()
	return c, nil
}

// shownChallenge is the challenge device d shows, if any.
func (s *sdk) shownChallenge(d Device) (servicepass.Challenge, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.shown[d.ID]
	return c, ok
}

// verifyResponse runs the device's check of a typed response against its
// outstanding challenge. When the Verifier says the challenge is used up or
// gone (granted, refused for the mode, void, expired, or none outstanding),
// the screen stops showing it. The wrong response that voids a challenge is
// reported as wrong (servicepass.ErrInvalid); the screen learns it is void
// from the next attempt, as a device agent would.
func (s *sdk) verifyResponse(d Device, response string) (servicepass.Grant, error) {
	v, err := s.verifier(d)
	if err != nil {
		return servicepass.Grant{}, err
	}
	g, err := v.VerifyResponse(context.Background(), response, s.now())
	if err == nil || errors.Is(err, servicepass.ErrMode) || errors.Is(err, servicepass.ErrChallengeVoid) ||
		errors.Is(err, servicepass.ErrChallengeExpired) || errors.Is(err, servicepass.ErrNoChallenge) {
		s.mu.Lock()
		delete(s.shown, d.ID)
		s.mu.Unlock()
	}
	return g, err
}

// window is the device's privileged window now.
func (s *sdk) window(d Device) (servicepass.WindowStatus, error) {
	v, err := s.verifier(d)
	if err != nil {
		return servicepass.WindowStatus{}, err
	}
	return v.Window(context.Background(), s.now())
}

// endWindow is the agent acknowledging it reverted an ended window.
func (s *sdk) endWindow(d Device) error {
	v, err := s.verifier(d)
	if err != nil {
		return err
	}
	st, err := v.Window(context.Background(), s.now())
	if err != nil && !errors.Is(err, servicepass.ErrStateLost) {
		return err
	}
	return v.ClearWindow(context.Background(), st)
}

// siteStatus is a site's company passcode status; ok is false when none was
// generated yet.
func (s *sdk) siteStatus(ctx context.Context, site string) (st enrollment.Status, ok bool, err error) {
	st, err = s.sites.Status(ctx, site)
	if errors.Is(err, enrollment.ErrNoPasscode) {
		return st, false, nil
	}
	return st, err == nil, err
}

// generatePasscode makes a site's first passcode, or replaces it.
func (s *sdk) generatePasscode(ctx context.Context, site, admin string) (enrollment.Passcode, error) {
	_, ok, err := s.siteStatus(ctx, site)
	if err != nil {
		return enrollment.Passcode{}, err
	}
	if !ok {
		return s.sites.Generate(ctx, site, admin)
	}
	return s.sites.Regenerate(ctx, site, admin)
}

// revealPasscode shows a site's passcode again, where sealing is on.
func (s *sdk) revealPasscode(ctx context.Context, site, admin string) (enrollment.Passcode, error) {
	return s.sites.Reveal(ctx, site, admin)
}

func (s *sdk) disableEnrollment(ctx context.Context, site, admin string) error {
	return s.sites.Disable(ctx, site, admin)
}

func (s *sdk) siteEvents(ctx context.Context, site string) ([]enrollment.Event, error) {
	return s.sites.Events(ctx, site)
}

// enroll is the device's self-service enrollment with a company passcode.
func (s *sdk) enroll(ctx context.Context, site, input, source string) error {
	return s.sites.Verify(ctx, site, input, source)
}

// passcodeDevice is the device as the passcode package sees it.
func passcodeDevice(d Device) passcode.Device {
	pd := d.Platform
	pd.ID, pd.Name, pd.Owner = d.ID, d.Name, d.Owner
	return pd
}

// capability is what a passcode reset of d would do, or why it cannot.
func capability(d Device) (passcode.Capability, error) {
	return passcode.Check(passcodeDevice(d))
}

// resetPasscode is an admin's reset. The host then queues the MDM command,
// which moves the reset to Pending.
func (s *sdk) resetPasscode(ctx context.Context, d Device, admin string, notifyUser bool, userEmail string) (passcode.Result, error) {
	res, err := s.resets.Request(ctx, passcode.ResetRequest{Device: passcodeDevice(d), Actor: admin,
		NotifyUser: notifyUser, UserEmail: userEmail, Language: "en"})
	return s.queue(ctx, d, res, err)
}

// selfServiceReset is the device user's reset from the portal.
func (s *sdk) selfServiceReset(ctx context.Context, d Device, user string, signedInAt time.Time) (passcode.Result, error) {
	res, err := s.resets.SelfService(ctx, passcode.SelfServiceRequest{User: user, Device: passcodeDevice(d), SignedInAt: signedInAt})
	return s.queue(ctx, d, res, err)
}

// queue sends the reset command down the MDM channel: Requested -> Pending.
// An Android Enterprise device's goes through AMAPI (android.go).
func (s *sdk) queue(ctx context.Context, d Device, res passcode.Result, err error) (passcode.Result, error) {
	if err != nil && !errors.Is(err, passcode.ErrDelivery) {
		return res, err
	}
	if d.AMAPI() {
		r, aerr := s.amapi.deliverReset(ctx, d, res)
		res.Reset = r
		if aerr != nil {
			return res, aerr
		}
		return res, err
	}
	r, qerr := s.resets.Transition(ctx, res.Reset.ID, passcode.Pending, channel)
	if qerr != nil {
		return res, qerr
	}
	res.Reset = r
	return res, err
}

// deviceReports is the device answering a reset command.
func (s *sdk) deviceReports(ctx context.Context, resetID string, to passcode.State) (passcode.Reset, error) {
	return s.resets.Transition(ctx, resetID, to, channel)
}

// resetEvents is a device's reset audit trail, oldest first.
// Pending AMAPI commands are asked about first.
func (s *sdk) resetEvents(ctx context.Context, deviceID string) ([]passcode.Event, error) {
	if err := s.amapi.refresh(ctx, deviceID); err != nil {
		return nil, err
	}
	return s.resets.Events(ctx, passcode.EventQuery{DeviceID: deviceID})
}

// latestReset is the device's most recent reset, if any.
func (s *sdk) latestReset(ctx context.Context, deviceID string) (passcode.Reset, bool, error) {
	events, err := s.resetEvents(ctx, deviceID)
	if err != nil || len(events) == 0 {
		return passcode.Reset{}, false, err
	}
	r, err := s.resets.Get(ctx, events[len(events)-1].ResetID)
	return r, err == nil, err
}

// pinMissing lists what user lacks for the one-time PIN (none: eligible).
func (s *sdk) pinMissing(u User) []string {
	var out []string
	for _, q := range s.pinRule.Missing(u.Subject).List() {
		out = append(out, q.Explain())
	}
	return out
}

// issuePIN checks eligibility again and issues the user's one-time PIN.
func (s *sdk) issuePIN(ctx context.Context, u User) (otp.PIN, time.Time, error) {
	if err := s.pinRule.Check(u.Subject); err != nil {
		return otp.PIN{}, time.Time{}, err
	}
	return s.pins.Issue(ctx, u.ID)
}

// usePIN is the secure-apps passcode reset on the device taking the PIN.
func (s *sdk) usePIN(ctx context.Context, user, pin string) error {
	return s.pins.Verify(ctx, user, pin)
}

// sentMail is the list of messages sent, newest first (headers only).
func (s *sdk) sentMail() []notify.Message {
	msgs := s.sent.Messages()
	for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
		msgs[i], msgs[j] = msgs[j], msgs[i]
	}
	return msgs
}

// languages are the message languages the catalog has.
func languages() []string {
	var out []string
	for _, t := range notify.Languages() {
		out = append(out, t.String())
	}
	return out
}
