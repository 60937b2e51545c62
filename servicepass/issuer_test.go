package servicepass_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
)

func TestIssueValidityBounds(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		exp  time.Time
		want error
	}{
		{"default", time.Time{}, nil},
		{"exactly minimum", t0.Add(servicepass.MinValidity), nil},
		{"just under minimum", t0.Add(servicepass.MinValidity - time.Nanosecond), servicepass.ErrValidityShort},
		{"exactly maximum", t0.Add(servicepass.MaxValidity), nil},
		{"just over maximum", t0.Add(servicepass.MaxValidity + time.Nanosecond), servicepass.ErrValidityLong},
		{"in the past", t0.Add(-time.Hour), servicepass.ErrValidityShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss, err := f.is.Issue(context.Background(), servicepass.Request{DeviceID: "d", Mode: servicepass.DeviceOwner,
				Actions: servicepass.Unlock, ExpiresAt: tt.exp, Admin: "a"})
			if tt.want != nil {
				var re *servicepass.RuleError
				if !errors.Is(err, tt.want) || !errors.As(err, &re) || re.Field != "ExpiresAt" {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.exp
			if want.IsZero() {
				want = t0.Add(servicepass.DefaultValidity)
			}
			if !iss.ExpiresAt.Equal(want.Truncate(time.Minute)) {
				t.Fatalf("ExpiresAt = %v, want %v", iss.ExpiresAt, want)
			}
		})
	}
}

func TestIssueDayValidBounds(t *testing.T) {
	f := newFixture(t)
	// t0 is 11:00 in Warsaw on 2026-11-22; the end of a date must lie 5
	// minutes to 30 days ahead.
	tests := []struct {
		date servicepass.Date
		want error
	}{
		{servicepass.Date{Year: 2026, Month: 11, Day: 22}, nil},
		{servicepass.Date{Year: 2026, Month: 11, Day: 21}, servicepass.ErrValidityShort},
		{servicepass.Date{Year: 2026, Month: 12, Day: 21}, nil},
		{servicepass.Date{Year: 2026, Month: 12, Day: 22}, servicepass.ErrValidityLong},
		{servicepass.Date{Year: 2026, Month: 11, Day: 31}, servicepass.ErrExpiryDate},
	}
	for _, tt := range tests {
		iss, err := f.is.Issue(context.Background(), servicepass.Request{DeviceID: "d", Mode: servicepass.COPE,
			Actions: servicepass.SetPassword, ExpiryDate: tt.date, Location: warsaw, Admin: "a"})
		if tt.want != nil {
			if !errors.Is(err, tt.want) {
				t.Errorf("%v: err = %v, want %v", tt.date, err, tt.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tt.date, err)
		}
		end := time.Date(tt.date.Year, tt.date.Month, tt.date.Day+1, 0, 0, 0, 0, warsaw)
		if !iss.DayValid || iss.ExpiryDate != tt.date || !iss.ExpiresAt.Equal(end) {
			t.Errorf("%v: issued %+v", tt.date, iss)
		}
	}
	// At 23:57 local time, today ends in 3 minutes: too short.
	f.clock.Set(time.Date(2026, 11, 22, 23, 57, 0, 0, warsaw))
	_, err := f.is.Issue(context.Background(), servicepass.Request{DeviceID: "d", Mode: servicepass.COPE,
		Actions: servicepass.SetPassword, ExpiryDate: servicepass.Date{Year: 2026, Month: 11, Day: 22}, Location: warsaw, Admin: "a"})
	if !errors.Is(err, servicepass.ErrValidityShort) {
		t.Errorf("3 minutes before the end of the date: %v", err)
	}
}

// TestInvalidRequests runs every labelled invalid request: Issue refuses it
// with the rule it breaks, and records nothing.
func TestInvalidRequests(t *testing.T) {
	f := newFixture(t)
	props := gopter.NewProperties(gopter.DefaultTestParametersWithSeed(2))
	props.Property("each invalid request fails with its rule", prop.ForAll(
		func(r servicepasstest.InvalidRequest) bool {
			if !errors.Is(r.Request.Check(t0), r.Rule) {
				t.Logf("Check = %v", r.Request.Check(t0))
				return false
			}
			_, err := f.is.Issue(context.Background(), r.Request)
			var re *servicepass.RuleError
			return errors.Is(err, r.Rule) && errors.As(err, &re)
		}, servicepasstest.GenInvalidRequest(t0, warsaw)))
	props.TestingRun(t)
	if ev, _ := f.audit.Events(context.Background(), ""); len(ev) != 0 {
		t.Fatalf("refused requests recorded %d events", len(ev))
	}
}

type fakeQR struct{ texts []string }

func (q *fakeQR) EncodePNG(text string) ([]byte, error) {
	q.texts = append(q.texts, text)
	return []byte("PNG:" + text), nil
}

// sentMail is one call of the Mailer port.
type sentMail struct {
	to, language string
	iss          servicepass.Issued
}

type fakeMailer struct {
	err  error
	sent []sentMail
}

func (m *fakeMailer) SendServicePassword(_ context.Context, to, language string, iss servicepass.Issued) error {
	m.sent = append(m.sent, sentMail{to, language, iss})
	return m.err
}

func TestIssueQRAndEmail(t *testing.T) {
	qr, mailer := &fakeQR{}, &fakeMailer{}
	audit := servicepass.NewMemStore()
	is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{testMaster(1)}, Store: audit,
		QR: qr, Mailer: mailer, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := servicepass.Request{DeviceID: "d1", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock | servicepass.DisableKiosk,
		WantQR: true, SendEmail: true, EmailTo: "ops@example.com", Language: "pl", Admin: "root@example.com"}
	iss, err := is.Issue(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(qr.texts) != 1 || qr.texts[0] != iss.Display.Reveal() || string(iss.QRPNG.Reveal()) != "PNG:"+iss.Display.Reveal() {
		t.Fatalf("QR got %q", qr.texts)
	}
	for _, c := range iss.Display.Reveal() {
		if !strings.ContainsRune("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", c) {
			t.Fatalf("display form %q is not QR alphanumeric", iss.Display.Reveal())
		}
	}
	if len(mailer.sent) != 1 {
		t.Fatal("no mail")
	}
	m := mailer.sent[0]
	if m.to != "ops@example.com" || m.language != "pl" || !reflect.DeepEqual(m.iss, iss) {
		t.Fatalf("mail = %+v, want the Issued returned %+v", m, iss)
	}
	ev, _ := audit.Events(ctx, "d1")
	if len(ev) != 1 || ev[0].Admin != "root@example.com" || ev[0].EmailTo != "ops@example.com" || !ev[0].QR || ev[0].Serial != iss.Serial {
		t.Fatalf("audit = %+v", ev)
	}

	// A failed send still returns the code, says the mail failed, and is
	// audited.
	mailer.err = errors.New("smtp: connection refused")
	iss2, err := is.Issue(ctx, req)
	if !errors.Is(err, servicepass.ErrMail) || iss2.Code.IsZero() || iss2.Serial == 0 && iss2.Code.Len() != servicepass.CodeLen {
		t.Fatalf("Issue with failing mailer = %v, %+v", err, iss2)
	}
	ev, _ = audit.Events(ctx, "d1")
	if len(ev) != 3 || ev[2].Type != servicepass.EventMailFailed || ev[2].Serial != iss2.Serial {
		t.Fatalf("audit after mail failure = %+v", ev)
	}

	// Ports not configured.
	bare := newFixture(t)
	for _, r := range []servicepass.Request{
		{DeviceID: "d", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, WantQR: true, Admin: "a"},
		{DeviceID: "d", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, SendEmail: true, EmailTo: "a@b.c", Admin: "a"},
	} {
		if _, err := bare.is.Issue(ctx, r); !errors.Is(err, servicepass.ErrNotConfigured) {
			t.Errorf("Issue without port = %v", err)
		}
	}
}

// TestIssuedCarriesTheNotice: Issued holds everything the email is made
// from, in servicepass's vocabulary: the request's device, mode, actions
// and zone, the issuer's window (zero or negative: DefaultWindow, the
// device's default by the same rule), and the one day-valid date.
func TestIssuedCarriesTheNotice(t *testing.T) {
	berlin := mustLoc("Europe/Berlin")
	tests := []struct {
		name   string
		window time.Duration
		req    servicepass.Request
		want   servicepass.Issued // the fields other than the code's
	}{
		{"defaults", 0,
			servicepass.Request{DeviceID: "d1", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock | servicepass.DisableKiosk},
			servicepass.Issued{DeviceID: "d1", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock | servicepass.DisableKiosk,
				ExpiresAt: t0.Add(servicepass.DefaultValidity), Window: servicepass.DefaultWindow}},
		{"device zone and window", 30 * time.Minute,
			servicepass.Request{DeviceID: "scanner-7", Mode: servicepass.DeviceOwner, Actions: servicepass.AllowFactoryReset,
				ExpiresAt: t0.Add(2 * time.Hour), Location: berlin},
			servicepass.Issued{DeviceID: "scanner-7", Mode: servicepass.DeviceOwner, Actions: servicepass.AllowFactoryReset,
				ExpiresAt: t0.Add(2 * time.Hour), Location: berlin, Window: 30 * time.Minute}},
		{"negative window is the default", -time.Minute,
			servicepass.Request{DeviceID: "d2", Mode: servicepass.COPE, Actions: servicepass.Unlock | servicepass.RemoveNetworkRestrictions},
			servicepass.Issued{DeviceID: "d2", Mode: servicepass.COPE, Actions: servicepass.Unlock | servicepass.RemoveNetworkRestrictions,
				ExpiresAt: t0.Add(servicepass.DefaultValidity), Window: servicepass.DefaultWindow}},
		{"day-valid", 0,
			servicepass.Request{DeviceID: "tab-12", Mode: servicepass.COPE, Actions: servicepass.SetPassword,
				ExpiryDate: servicepass.Date{Year: 2026, Month: time.November, Day: 23}, Location: warsaw},
			servicepass.Issued{DeviceID: "tab-12", Mode: servicepass.COPE, Actions: servicepass.SetPassword,
				ExpiresAt: time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC), DayValid: true,
				ExpiryDate: servicepass.Date{Year: 2026, Month: time.November, Day: 23}, Location: warsaw, Window: servicepass.DefaultWindow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mailer := &fakeMailer{}
			is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{testMaster(1)},
				Mailer: mailer, Window: tt.window, Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			r := tt.req
			r.Admin, r.SendEmail, r.EmailTo = "admin@example.com", true, "ops@example.com"
			iss, err := is.Issue(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			got := iss
			got.Code, got.Display, got.Serial, got.KeyID = servicepass.Code{}, servicepass.Code{}, 0, 0
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Issued = %#v\nwant      %#v", got, tt.want)
			}
			if len(mailer.sent) != 1 || !reflect.DeepEqual(mailer.sent[0].iss, iss) || mailer.sent[0].language != "en" {
				t.Errorf("the mail port got %+v, want the Issued returned, in en", mailer.sent)
			}
		})
	}
}

// TestIssuedWindowIsTheDevices: with both sides at their defaults, the
// window an Issued reports is the one the device opens.
func TestIssuedWindowIsTheDevices(t *testing.T) {
	f := newFixture(t)
	iss := f.issue(t, servicepass.Request{DeviceID: "d", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	at := t0.Add(time.Minute)
	g, err := f.verifier(t, "d", servicepass.DeviceOwner, nil).Verify(context.Background(), iss.Display.Reveal(), at)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.WindowEnd.Sub(at); got != iss.Window {
		t.Fatalf("device window %v, Issued.Window %v", got, iss.Window)
	}
}

func TestIssuedRedacts(t *testing.T) {
	f := newFixture(t)
	iss := f.issue(t, servicepass.Request{DeviceID: "d", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock})
	m, dk := testMaster(1), mustDeviceKey(t, testMaster(1), "d")
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		s := fmt.Sprintf(format, iss) + fmt.Sprintf(format, m) + fmt.Sprintf(format, dk)
		if strings.Contains(s, iss.Code.Reveal()) || strings.Contains(s, iss.Code.Reveal()[:10]) || strings.Contains(s, "1 2 3 4") {
			t.Fatalf("%s leaks: %s", format, s)
		}
	}
	if len(iss.Code.Reveal()) != servicepass.CodeLen || len(iss.Display.Reveal()) != servicepass.DisplayLen {
		t.Fatalf("lengths %d %d", iss.Code.Len(), iss.Display.Len())
	}
}

func mustDeviceKey(t testing.TB, m servicepass.MasterKey, id string) servicepass.DeviceKey {
	t.Helper()
	k, err := servicepass.DeriveDeviceKey(m, id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestConfigErrors(t *testing.T) {
	if _, err := servicepass.NewIssuer(servicepass.IssuerConfig{}); !errors.Is(err, servicepass.ErrKey) {
		t.Errorf("NewIssuer without keys: %v", err)
	}
	if _, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{testMaster(1), testMaster(1)}}); !errors.Is(err, servicepass.ErrKey) {
		t.Errorf("NewIssuer with duplicate key IDs: %v", err)
	}
	if _, err := servicepass.NewMasterKey(1, make([]byte, 31)); !errors.Is(err, servicepass.ErrKey) {
		t.Errorf("short master key: %v", err)
	}
	if _, err := servicepass.NewDeviceKey(1, make([]byte, 33)); !errors.Is(err, servicepass.ErrKey) {
		t.Errorf("long device key: %v", err)
	}
	dk := mustDeviceKey(t, testMaster(1), "d")
	bad := []struct {
		p    servicepass.Provisioning
		opts *servicepass.VerifierOptions
	}{
		{p: servicepass.Provisioning{Mode: servicepass.DeviceOwner, HasMode: true, Keys: []servicepass.DeviceKey{dk}}},
		{p: servicepass.Provisioning{DeviceID: "d", Mode: 5, HasMode: true, Keys: []servicepass.DeviceKey{dk}}},
		{p: servicepass.Provisioning{DeviceID: "d", Mode: servicepass.DeviceOwner, Keys: []servicepass.DeviceKey{dk}}}, // no mode
		{p: servicepass.Provisioning{DeviceID: "d", Mode: servicepass.COPE, HasMode: true, Location: warsaw}},
		{p: servicepass.Provisioning{DeviceID: "d", Mode: servicepass.COPE, HasMode: true, Location: warsaw, Keys: []servicepass.DeviceKey{dk, dk}}},
		{p: servicepass.Provisioning{DeviceID: "d", Mode: servicepass.COPE, HasMode: true, Location: warsaw, Keys: []servicepass.DeviceKey{dk}},
			opts: &servicepass.VerifierOptions{Lockout: servicepass.Lockout{Free: 1}}},
	}
	for i, c := range bad {
		if _, err := servicepass.NewVerifier(&c.p, nil, c.opts); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
	if _, err := servicepass.NewVerifier(nil, nil, nil); err == nil {
		t.Error("nil provisioning accepted")
	}
	if _, err := servicepass.GenerateMasterKey(1, strings.NewReader("short")); err == nil {
		t.Error("GenerateMasterKey with a short reader")
	}
	if k, err := servicepass.GenerateMasterKey(4, nil); err != nil || k.ID() != 4 || len(k.Bytes()) != servicepass.KeySize {
		t.Errorf("GenerateMasterKey = %v, %v", k, err)
	}
}

// TestMinimumAfterRounding: the expiry is rounded down to the minute before
// the minimum is checked, so a code asked for at hh:mm:59 for exactly the
// minimum is refused instead of being valid 4 min 1 s (issue 13, finding
// 10).
func TestMinimumAfterRounding(t *testing.T) {
	now := t0.Add(59 * time.Second)
	f := newFixture(t)
	f.clock.Set(now)
	tests := []struct {
		exp  time.Time
		want error
	}{
		{now.Add(servicepass.MinValidity), servicepass.ErrValidityShort},                  // rounds to 4m1s
		{now.Add(servicepass.MinValidity + time.Second), nil},                             // rounds to exactly 5m
		{now.Add(servicepass.MaxValidity), nil},                                           // rounds to 30d minus 59 s
		{now.Add(servicepass.MaxValidity + time.Nanosecond), servicepass.ErrValidityLong}, // asked for more than the maximum
	}
	for _, tt := range tests {
		iss, err := f.is.Issue(context.Background(), servicepass.Request{DeviceID: "d", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, ExpiresAt: tt.exp, Admin: "a"})
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("ExpiresAt now+%s: err = %v, want %v", tt.exp.Sub(now), err, tt.want)
			continue
		}
		if err == nil && iss.ExpiresAt.Sub(now) < servicepass.MinValidity {
			t.Errorf("issued a code valid %s", iss.ExpiresAt.Sub(now))
		}
		if err != nil && strings.Contains(err.Error(), ".") {
			t.Errorf("the message shows a fraction of a second: %v", err)
		}
	}
}

// TestIssuerClockOutOfRange: an issuer clock outside the code format's
// range says so, instead of "validity longer than the maximum" (issue 14,
// finding 6).
func TestIssuerClockOutOfRange(t *testing.T) {
	for _, now := range []time.Time{time.Unix(0, 0), servicepass.Epoch.Add(-time.Minute), time.Date(2058, 1, 1, 0, 0, 0, 0, time.UTC)} {
		f := newFixture(t)
		f.clock.Set(now)
		for _, r := range []servicepass.Request{
			{DeviceID: "d", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a"},
			{DeviceID: "d", Mode: servicepass.COPE, Actions: servicepass.SetPassword, ExpiryDate: servicepass.DateOf(now.Add(48 * time.Hour)), Location: time.UTC, Admin: "a"},
		} {
			_, err := f.is.Issue(context.Background(), r)
			if !errors.Is(err, servicepass.ErrClockRange) || errors.Is(err, servicepass.ErrValidityLong) {
				t.Errorf("clock %s: err = %v, want ErrClockRange", now, err)
			}
		}
	}
	// Near the end of the range the clock is fine but the expiry is not.
	f := newFixture(t)
	f.clock.Set(time.Date(2057, 11, 20, 0, 0, 0, 0, time.UTC))
	_, err := f.is.Issue(context.Background(), servicepass.Request{DeviceID: "d", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a", ExpiresAt: time.Date(2057, 12, 1, 0, 0, 0, 0, time.UTC)})
	if !errors.Is(err, servicepass.ErrExpiryRange) {
		t.Errorf("expiry past the range: %v", err)
	}
}
