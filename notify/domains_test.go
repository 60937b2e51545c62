package notify_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/notify"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
)

func newNotifier(t *testing.T) (*notify.Notifier, *notify.Recorder) {
	t.Helper()
	rec := &notify.Recorder{}
	n, err := notify.NewNotifier(notify.NotifierConfig{Mailer: rec})
	if err != nil {
		t.Fatal(err)
	}
	return n, rec
}

func TestServicePassMailerThroughIssuer(t *testing.T) {
	n, rec := newNotifier(t)
	clock := mdmcredtest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	master, _ := servicepass.NewMasterKey(1, bytes.Repeat([]byte{7}, servicepass.KeySize))
	warsaw, _ := time.LoadLocation("Europe/Warsaw")
	issuer, err := servicepass.NewIssuer(servicepass.IssuerConfig{
		Keys:   []servicepass.MasterKey{master},
		Mailer: notify.ServicePassMailer{Notifier: n},
		Now:    clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		req      servicepass.Request
		subject  string
		contains []string
	}{
		{
			name: "device owner in Polish",
			req: servicepass.Request{DeviceID: "dev-1", Mode: servicepass.DeviceOwner,
				Actions: servicepass.Unlock | servicepass.DisableKiosk, SendEmail: true,
				EmailTo: "ops@example.com", Language: "pl-PL", Admin: "admin@example.com"},
			subject: "Hasło serwisowe",
		},
		{
			name: "COPE set password, day-valid, in German",
			req: servicepass.Request{DeviceID: "cope-1", Mode: servicepass.COPE, Actions: servicepass.SetPassword,
				ExpiryDate: servicepass.Date{Year: 2026, Month: time.November, Day: 30}, Location: warsaw,
				SendEmail: true, EmailTo: "ops@example.com", Language: "de", Admin: "admin@example.com"},
			contains: []string{"30"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.Reset()
			issued, err := issuer.Issue(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			m, ok := rec.Last()
			if !ok || rec.Len() != 1 {
				t.Fatalf("sent %d messages", rec.Len())
			}
			if m.To[0] != "ops@example.com" {
				t.Errorf("To = %v", m.To)
			}
			if !strings.Contains(m.Text.Reveal(), issued.Display.Reveal()) || !strings.Contains(m.HTML.Reveal(), issued.Display.Reveal()) {
				t.Error("the code is not in both bodies")
			}
			if strings.Contains(m.Subject, issued.Code.Reveal()) || strings.Contains(m.Subject, issued.Display.Reveal()) {
				t.Error("the code is in the subject")
			}
			if tt.subject != "" && !strings.Contains(m.Subject, tt.subject) {
				t.Errorf("Subject = %q, want it to hold %q", m.Subject, tt.subject)
			}
			for _, s := range tt.contains {
				if !strings.Contains(m.Text.Reveal(), s) {
					t.Errorf("text lacks %q:\n%s", s, m.Text)
				}
			}
		})
	}
}

// TestServicePassActionWords: the email names each action of the Issued in
// the catalog's words, keyed by servicepass's bits (no second enum): on a
// COPE device Unlock opens the work profile, never "the device".
func TestServicePassActionWords(t *testing.T) {
	cat, err := notify.NewCatalog(notify.CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode    servicepass.Mode
		actions servicepass.Actions
		want    []string
		not     []string
	}{
		{servicepass.DeviceOwner, servicepass.Unlock, []string{"Unlock the device (leave Lost Mode)"}, []string{"work profile"}},
		{servicepass.COPE, servicepass.Unlock, []string{"Unlock the work profile"}, []string{"Lost Mode", "Unlock the device"}},
		{servicepass.DeviceOwner, servicepass.DisableKiosk | servicepass.AllowFactoryReset,
			[]string{"  - Leave kiosk mode\n  - Allow a factory reset"}, []string{"Unlock"}},
		{servicepass.COPE, servicepass.SetPassword, []string{"Set a new device password"}, []string{"Unlock"}},
	}
	for _, tt := range tests {
		iss := servicepass.Issued{DeviceID: "d", Mode: tt.mode, Actions: tt.actions,
			ExpiresAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Display: notify.NewSecret("x")}
		if servicepass.DayValid(tt.mode, tt.actions) {
			iss.DayValid, iss.ExpiryDate = true, servicepass.Date{Year: 2026, Month: time.November, Day: 23}
		}
		m, err := cat.ServicePassword(notify.ServicePassword{To: []string{"a@example.com"}, Issued: iss})
		if err != nil {
			t.Fatalf("%v %v: %v", tt.mode, tt.actions, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(m.Text.Reveal(), w) {
				t.Errorf("%v %v: text lacks %q:\n%s", tt.mode, tt.actions, w, m.Text.Reveal())
			}
		}
		for _, w := range tt.not {
			if strings.Contains(m.Text.Reveal(), w) {
				t.Errorf("%v %v: text holds %q:\n%s", tt.mode, tt.actions, w, m.Text.Reveal())
			}
		}
	}
}

// TestServicePassMailerUsesTheIssuersWindowAndZone: the window and the
// zone the email states are the issuer's (IssuerConfig.Window, the
// request's device zone): the mailer keeps no copy of either.
func TestServicePassMailerUsesTheIssuersWindowAndZone(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		window time.Duration
		loc    *time.Location
		want   []string
	}{
		{0, nil, []string{"for 60 min", "Valid until: 2026-11-23 10:00 UTC"}},
		{25 * time.Minute, berlin, []string{"for 25 min", "Valid until: 2026-11-23 11:00 CET (Europe/Berlin)"}},
		{90*time.Minute + time.Second, time.UTC, []string{"for 91 min", "Valid until: 2026-11-23 10:00 UTC"}},
	}
	for _, tt := range tests {
		n, rec := newNotifier(t)
		master, _ := servicepass.NewMasterKey(1, bytes.Repeat([]byte{7}, servicepass.KeySize))
		issuer, err := servicepass.NewIssuer(servicepass.IssuerConfig{
			Keys: []servicepass.MasterKey{master}, Mailer: notify.ServicePassMailer{Notifier: n}, Window: tt.window,
			Now: func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) },
		})
		if err != nil {
			t.Fatal(err)
		}
		iss, err := issuer.Issue(context.Background(), servicepass.Request{DeviceID: "dev-1", Mode: servicepass.DeviceOwner,
			Actions: servicepass.AllowDeveloperOptions, ExpiresAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Location: tt.loc,
			SendEmail: true, EmailTo: "ops@example.com", Admin: "admin@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		m, _ := rec.Last()
		for _, w := range tt.want {
			if !strings.Contains(m.Text.Reveal(), w) {
				t.Errorf("window %v (Issued.Window %v), zone %v: text lacks %q:\n%s", tt.window, iss.Window, tt.loc, w, m.Text.Reveal())
			}
		}
	}
}

func TestEnrollmentAlerterThroughService(t *testing.T) {
	n, rec := newNotifier(t)
	clock := mdmcredtest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	svc, err := enrollment.New(enrollment.Config{
		Store:     enrollment.NewMemStore(),
		Alerter:   notify.EnrollmentAlerter{Notifier: n, Fallback: []string{"security@example.com"}, Language: "fr"},
		Peppers:   enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{1}, 32)}),
		PepperID:  1,
		Threshold: 3,
		Now:       clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.Generate(ctx, "Warsaw HQ", "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		_ = svc.Verify(ctx, "Warsaw HQ", "wrongPass123", "203.0.113.9")
	}
	if rec.Len() != 1 {
		t.Fatalf("sent %d alerts, want 1", rec.Len())
	}
	m, _ := rec.Last()
	if m.To[0] != "security@example.com" || !strings.Contains(m.Text.Reveal(), "Warsaw HQ") || !strings.Contains(m.Text.Reveal(), "203[.]0[.]113[.]9") {
		t.Errorf("alert = %v\n%s", m, m.Text)
	}

	// With no admins and no fallback, the alert fails and says why.
	err = notify.EnrollmentAlerter{Notifier: n}.SendLockAlert(ctx, enrollment.Alert{Site: "x", Failures: 3})
	if err == nil {
		t.Fatal("an alert with no recipient was sent")
	}
	var fe *notify.FieldError
	if err := (notify.EnrollmentAlerter{}).SendLockAlert(ctx, enrollment.Alert{}); !errors.As(err, &fe) || fe.Field != "EnrollmentAlerter.Notifier" {
		t.Fatalf("no notifier: %v", err)
	}
}

func TestPasscodeMailerThroughService(t *testing.T) {
	n, rec := newNotifier(t)
	clock := mdmcredtest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	svc, err := passcode.New(passcode.Config{
		Store:    passcode.NewMemStore(),
		SealKeys: passcode.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{2}, 32)}), SealKeyID: 1,
		Mailer: notify.PasscodeMailer{Notifier: n},
		Now:    clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := svc.Request(ctx, passcode.ResetRequest{
		Device: passcode.Device{ID: "a1", Name: "Anna's phone", Platform: passcode.AndroidDeviceOwner,
			APILevel: 33, ResetTokenActive: true, Owner: "anna"},
		Actor: "admin@example.com", NotifyUser: true, UserEmail: "anna@example.com", Language: "es",
	})
	if err != nil {
		t.Fatal(err)
	}
	m, ok := rec.Last()
	if !ok || !strings.Contains(m.Text.Reveal(), res.Passcode.Reveal()) || !strings.Contains(m.Text.Reveal(), "Anna's phone") {
		t.Fatalf("mail = %v\n%s", m, m.Text)
	}

	rec.Reset()
	_, err = svc.Request(ctx, passcode.ResetRequest{
		Device: passcode.Device{ID: "i1", Name: "iPad", Platform: passcode.IOS, UnlockTokenEscrowed: true, Owner: "ben"},
		Actor:  "admin@example.com", NotifyUser: true, UserEmail: "ben@example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	m, ok = rec.Last()
	if !ok || m.To[0] != "ben@example.com" {
		t.Fatalf("cleared mail = %v", m)
	}
}

// A day-valid code is valid until the end of its date on the device's
// calendar; the mail must show that date even when the recipient reads times
// in a zone where the day-end instant already falls on the next date.
func TestServicePassMailerDayValidShowsDeviceDate(t *testing.T) {
	rec := &notify.Recorder{}
	clock := mdmcredtest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	master, _ := servicepass.NewMasterKey(1, bytes.Repeat([]byte{7}, servicepass.KeySize))
	warsaw, _ := time.LoadLocation("Europe/Warsaw")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	honolulu, _ := time.LoadLocation("Pacific/Honolulu")
	for _, zone := range []*time.Location{nil, tokyo, honolulu, time.UTC} {
		cat, err := notify.NewCatalog(notify.CatalogConfig{Location: zone})
		if err != nil {
			t.Fatal(err)
		}
		n, err := notify.NewNotifier(notify.NotifierConfig{Catalog: cat, Mailer: rec})
		if err != nil {
			t.Fatal(err)
		}
		issuer, err := servicepass.NewIssuer(servicepass.IssuerConfig{
			Keys:   []servicepass.MasterKey{master},
			Mailer: notify.ServicePassMailer{Notifier: n},
			Now:    clock.Now,
		})
		if err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		_, err = issuer.Issue(context.Background(), servicepass.Request{DeviceID: "cope-1", Mode: servicepass.COPE,
			Actions: servicepass.SetPassword, ExpiryDate: servicepass.Date{Year: 2026, Month: time.November, Day: 30},
			Location: warsaw, SendEmail: true, EmailTo: "ops@example.com", Admin: "admin@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		m, ok := rec.Last()
		if !ok || !strings.Contains(m.Text.Reveal(), "2026-11-30") || strings.Contains(m.Text.Reveal(), "2026-12-01") ||
			!strings.Contains(m.HTML.Reveal(), "2026-11-30") {
			t.Errorf("recipient zone %v: day-valid mail does not show 2026-11-30:\n%s", zone, m.Text)
		}
	}
}

// A device with no display name is named by its ID: the user is still told.
func TestPasscodeMailerNamelessDevice(t *testing.T) {
	n, rec := newNotifier(t)
	svc, err := passcode.New(passcode.Config{
		Store:    passcode.NewMemStore(),
		SealKeys: passcode.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{2}, 32)}), SealKeyID: 1,
		Mailer: notify.PasscodeMailer{Notifier: n},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Request(context.Background(), passcode.ResetRequest{
		Device: passcode.Device{ID: "SN-4711", Platform: passcode.AndroidDeviceOwner, APILevel: 33, ResetTokenActive: true},
		Actor:  "admin@example.com", NotifyUser: true, UserEmail: "anna@example.com",
	})
	if err != nil {
		t.Fatalf("Request for a nameless device: %v", err)
	}
	if m, ok := rec.Last(); !ok || !strings.Contains(m.Text.Reveal(), "SN-4711") {
		t.Fatalf("mail = %v", m)
	}
}

// The issuer's Mode reaches the mail: through servicepass.Issuer, a Device
// Owner code lifting the network restrictions lists six policies (no private
// DNS), a COPE code seven.
func TestServicePassMailerNetworkPoliciesPerMode(t *testing.T) {
	n, rec := newNotifier(t)
	clock := mdmcredtest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	master, _ := servicepass.NewMasterKey(1, bytes.Repeat([]byte{7}, servicepass.KeySize))
	issuer, err := servicepass.NewIssuer(servicepass.IssuerConfig{
		Keys:   []servicepass.MasterKey{master},
		Mailer: notify.ServicePassMailer{Notifier: n},
		Now:    clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []servicepass.Mode{servicepass.DeviceOwner, servicepass.COPE} {
		rec.Reset()
		_, err = issuer.Issue(context.Background(), servicepass.Request{DeviceID: "dev-1", Mode: mode,
			Actions:   servicepass.RemoveNetworkRestrictions,
			SendEmail: true, EmailTo: "ops@example.com", Admin: "admin@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		m, ok := rec.Last()
		if !ok {
			t.Fatal("no mail")
		}
		want := len(servicepass.NetworkPolicies(mode))
		if got := strings.Count(m.Text.Reveal(), "\n      - "); got != want {
			t.Errorf("%v: %d policies listed, want %d:\n%s", mode, got, want, m.Text)
		}
		if dns := strings.Contains(m.Text.Reveal(), "Private DNS"); dns != (mode == servicepass.COPE) {
			t.Errorf("%v: private DNS listed = %v:\n%s", mode, dns, m.Text)
		}
	}
}

// TestServicePassActionsEveryBit: every action servicepass defines (each
// bit of servicepass.AllActions) has its own words in every language: one
// action line per granted bit, each different.
func TestServicePassActionsEveryBit(t *testing.T) {
	cat, err := notify.NewCatalog(notify.CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range notify.Languages() {
		seen := map[string]servicepass.Actions{}
		for _, bit := range servicepass.AllActions.List() {
			mode := servicepass.DeviceOwner
			if servicepass.CheckRules(mode, bit) != nil {
				mode = servicepass.COPE
			}
			iss := servicepass.Issued{DeviceID: "d", Mode: mode, Actions: bit,
				ExpiresAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Display: notify.NewSecret("x")}
			if servicepass.DayValid(mode, bit) {
				iss.DayValid, iss.ExpiryDate = true, servicepass.Date{Year: 2026, Month: time.November, Day: 23}
			}
			m, err := cat.ServicePassword(notify.ServicePassword{To: []string{"a@example.com"}, Language: lang.String(), Issued: iss})
			if err != nil {
				t.Fatalf("%v in %s: %v", bit, lang, err)
			}
			var lines []string
			for _, l := range strings.Split(m.Text.Reveal(), "\n") {
				if strings.HasPrefix(l, "  - ") {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 {
				t.Fatalf("%v in %s: action lines %q", bit, lang, lines)
			}
			if other, dup := seen[lines[0]]; dup {
				t.Errorf("%s: %v and %v both read %q", lang, other, bit, lines[0])
			}
			seen[lines[0]] = bit
		}
		if len(seen) != 8 {
			t.Errorf("%s: %d distinct actions, want 8", lang, len(seen))
		}
	}
}

// TestDayValidDateOneWay: a day-valid notice shows its ExpiryDate, the
// date servicepass issued it for, whatever the recipient's zone and
// whatever instant ExpiresAt is; without one it is refused, in the catalog
// and in the mailer alike (issue 27: the date was worked out three ways).
func TestDayValidDateOneWay(t *testing.T) {
	honolulu, _ := time.LoadLocation("Pacific/Honolulu")
	cat, err := notify.NewCatalog(notify.CatalogConfig{Location: honolulu})
	if err != nil {
		t.Fatal(err)
	}
	n := notify.ServicePassword{To: []string{"a@example.com"}, Language: "en", Issued: servicepass.Issued{DeviceID: "cope-1",
		Mode: servicepass.COPE, Actions: servicepass.SetPassword, DayValid: true,
		ExpiryDate: servicepass.Date{Year: 2026, Month: time.November, Day: 30},
		ExpiresAt:  time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC), // Nov 30, 13:00 in Honolulu; Dec 1 in Warsaw
		Display:    notify.NewSecret("x")}}
	m, err := cat.ServicePassword(n)
	if err != nil || !strings.Contains(m.Text.Reveal(), "2026-11-30") {
		t.Fatalf("%v", err)
	}
	n.Issued.ExpiresAt = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) // an instant of another day: the date still rules
	if m, err := cat.ServicePassword(n); err != nil || !strings.Contains(m.Text.Reveal(), "2026-11-30") || strings.Contains(m.Text.Reveal(), "2026-12-01") {
		t.Fatalf("%v", err)
	}
	n.Issued.ExpiryDate = servicepass.Date{}
	var fe *notify.FieldError
	if _, err := cat.ServicePassword(n); !errors.Is(err, notify.ErrInvalidNotice) || !errors.As(err, &fe) || fe.Field != "ServicePassword.Issued.ExpiryDate" {
		t.Fatalf("day-valid without ExpiryDate: %v", err)
	}
	nt, rec := newNotifier(t)
	mailer := notify.ServicePassMailer{Notifier: nt}
	if err := mailer.SendServicePassword(context.Background(), "a@example.com", "en", n.Issued); !errors.Is(err, notify.ErrInvalidNotice) || rec.Len() != 0 {
		t.Fatalf("mailer, day-valid without ExpiryDate: %v", err)
	}
}
