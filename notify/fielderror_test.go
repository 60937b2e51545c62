package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/notify"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
)

// The credentials the notices below carry: no error may show them.
const (
	fieldTestCode     = "C0DE-S3CRET-7KQ4"
	fieldTestPasscode = "PASSC0DE-S3CRET-4821"
	fieldTestPIN      = "PIN-S3CRET-906173"
)

var fieldTestSecrets = []string{fieldTestCode, fieldTestPasscode, fieldTestPIN}

// call renders one notice through a Catalog or sends it through a
// Notifier.
type call struct {
	render func(*notify.Catalog) error
	send   func(context.Context, *notify.Notifier) error
}

func fieldTestExpiry() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }

// passcodeReset, companyAlert, oneTimePIN and servicePassword build a
// valid notice of their kind, apply change, and return its calls.
func passcodeReset(change func(*notify.PasscodeReset)) call {
	n := notify.PasscodeReset{To: []string{"a@example.com"}, DeviceName: "Scanner 7", DeviceID: "R58N91XYZ",
		NewPasscode: notify.NewSecret(fieldTestPasscode), ExpiresAt: fieldTestExpiry()}
	change(&n)
	return call{func(c *notify.Catalog) error { _, err := c.PasscodeReset(n); return err },
		func(ctx context.Context, s *notify.Notifier) error { return s.SendPasscodeReset(ctx, n) }}
}

func companyAlert(change func(*notify.CompanyPasscodeAlert)) call {
	n := notify.CompanyPasscodeAlert{To: []string{"a@example.com"}, Site: "Warsaw HQ", Attempts: 5,
		LastFailure: fieldTestExpiry(), LastSource: "203.0.113.9", Rule: enrollment.RuleConsecutive}
	change(&n)
	return call{func(c *notify.Catalog) error { _, err := c.CompanyPasscodeAlert(n); return err },
		func(ctx context.Context, s *notify.Notifier) error { return s.SendCompanyPasscodeAlert(ctx, n) }}
}

func oneTimePIN(change func(*notify.OneTimePIN)) call {
	n := notify.OneTimePIN{To: []string{"a@example.com"}, User: "jan", PIN: notify.NewSecret(fieldTestPIN), ExpiresAt: fieldTestExpiry()}
	change(&n)
	return call{func(c *notify.Catalog) error { _, err := c.OneTimePIN(n); return err },
		func(ctx context.Context, s *notify.Notifier) error { return s.SendOneTimePIN(ctx, n) }}
}

func servicePassword(change func(*notify.ServicePassword)) call {
	n := notify.ServicePassword{To: []string{"a@example.com"}, DeviceName: "Scanner 7", Issued: servicepass.Issued{
		DeviceID: "R58N91XYZ", Actions: servicepass.Unlock, ExpiresAt: fieldTestExpiry(),
		Code: notify.NewSecret(fieldTestCode), Display: notify.NewSecret(fieldTestCode)}}
	change(&n)
	return call{func(c *notify.Catalog) error { _, err := c.ServicePassword(n); return err },
		func(ctx context.Context, s *notify.Notifier) error { return s.SendServicePassword(ctx, n) }}
}

// passcodeDelivery is a valid passcode.Delivery carrying passcode.
func passcodeDelivery(pc string) passcode.Delivery {
	return passcode.Delivery{To: "a@example.com", DeviceName: "Scanner 7", Passcode: notify.NewSecret(pc), ExpiresAt: fieldTestExpiry()}
}

// hostileAddress is a recipient that is no RFC 5322 address and that a
// careless error would repeat.
const hostileAddress = "HOSTILE-RECIPIENT\r\nBcc: victim@example.org"

// longDisplayName is a valid address whose display name is one word too
// long to fold into a 998-octet header line.
// (net/mail quotes it: "x-x-…x-" <a@example.com>).
var longDisplayName = notifyAddress(strings.Repeat("x-", 500), "a@example.com")

// noticeCase is one notice and the Field its refusal must name ("" when
// the notice is valid); hidden is a refused value the error must not
// repeat.
type noticeCase struct {
	name, field, hidden string
	call
}

// noticeCases are every refusal of every notice (and a valid notice of
// each kind), with the Field each must name.
func noticeCases() []noticeCase {
	return []noticeCase{
		{"pr valid", "", "", passcodeReset(func(*notify.PasscodeReset) {})},
		{"pr valid cleared", "", "", passcodeReset(func(n *notify.PasscodeReset) { n.NewPasscode, n.Cleared = notify.Secret{}, true })},
		{"pr no recipient", "PasscodeReset.To", "", passcodeReset(func(n *notify.PasscodeReset) { n.To = nil })},
		{"pr bad recipient", "PasscodeReset.To[0]", "HOSTILE", passcodeReset(func(n *notify.PasscodeReset) { n.To = []string{hostileAddress} })},
		{"pr bad second recipient", "PasscodeReset.To[1]", "HOSTILE", passcodeReset(func(n *notify.PasscodeReset) { n.To = append(n.To, hostileAddress) })},
		{"pr local part of 65", "PasscodeReset.To[0]", "", passcodeReset(func(n *notify.PasscodeReset) { n.To = []string{strings.Repeat("a", 65) + "@example.com"} })},
		{"pr display name too long to fold", "PasscodeReset.To", "x-x-x-x-x-", passcodeReset(func(n *notify.PasscodeReset) { n.To = []string{longDisplayName} })},
		{"pr both", "PasscodeReset.NewPasscode", "", passcodeReset(func(n *notify.PasscodeReset) { n.Cleared = true })},
		{"pr neither", "PasscodeReset.NewPasscode", "", passcodeReset(func(n *notify.PasscodeReset) { n.NewPasscode = notify.Secret{} })},
		{"pr no device", "PasscodeReset.DeviceID", "", passcodeReset(func(n *notify.PasscodeReset) { n.DeviceName, n.DeviceID = "\u200b", "\r\n" })},
		{"pr device by ID only", "", "", passcodeReset(func(n *notify.PasscodeReset) { n.DeviceName = "" })},

		{"ca valid", "", "", companyAlert(func(*notify.CompanyPasscodeAlert) {})},
		{"ca no recipient", "CompanyPasscodeAlert.To", "", companyAlert(func(n *notify.CompanyPasscodeAlert) { n.To = []string{} })},
		{"ca bad recipient", "CompanyPasscodeAlert.To[0]", "HOSTILE", companyAlert(func(n *notify.CompanyPasscodeAlert) { n.To = []string{hostileAddress} })},
		{"ca no site", "CompanyPasscodeAlert.Site", "", companyAlert(func(n *notify.CompanyPasscodeAlert) { n.Site = " \t" })},
		{"ca negative attempts", "CompanyPasscodeAlert.Attempts", "", companyAlert(func(n *notify.CompanyPasscodeAlert) { n.Attempts = -1 })},
		{"ca unknown rule", "CompanyPasscodeAlert.Rule", "", companyAlert(func(n *notify.CompanyPasscodeAlert) { n.Rule = 99 })},

		{"otp valid", "", "", oneTimePIN(func(*notify.OneTimePIN) {})},
		{"otp no recipient", "OneTimePIN.To", "", oneTimePIN(func(n *notify.OneTimePIN) { n.To = nil })},
		{"otp bad recipient", "OneTimePIN.To[0]", "HOSTILE", oneTimePIN(func(n *notify.OneTimePIN) { n.To = []string{hostileAddress} })},
		{"otp no user", "OneTimePIN.User", "", oneTimePIN(func(n *notify.OneTimePIN) { n.User = "\x00" })},
		{"otp no PIN", "OneTimePIN.PIN", "", oneTimePIN(func(n *notify.OneTimePIN) { n.PIN = notify.Secret{} })},
		{"otp no expiry", "OneTimePIN.ExpiresAt", "", oneTimePIN(func(n *notify.OneTimePIN) { n.ExpiresAt = time.Time{} })},

		{"sp valid", "", "", servicePassword(func(*notify.ServicePassword) {})},
		{"sp no recipient", "ServicePassword.To", "", servicePassword(func(n *notify.ServicePassword) { n.To = nil })},
		{"sp bad recipient", "ServicePassword.To[0]", "HOSTILE", servicePassword(func(n *notify.ServicePassword) { n.To = []string{hostileAddress} })},
		{"sp display name too long to fold", "ServicePassword.To", "x-x-x-x-x-", servicePassword(func(n *notify.ServicePassword) { n.To = []string{longDisplayName} })},
		{"sp no code", "ServicePassword.Issued.Display", "", servicePassword(func(n *notify.ServicePassword) { n.Issued.Display = notify.Secret{} })},
		{"sp rules refuse", "ServicePassword.Issued.Actions", "", servicePassword(func(n *notify.ServicePassword) {
			n.Issued.Actions = servicepass.EmergencyDatabaseReset | servicepass.Unlock
		})},
		{"sp no device", "ServicePassword.Issued.DeviceID", "", servicePassword(func(n *notify.ServicePassword) { n.DeviceName, n.Issued.DeviceID = "", "" })},
	}
}

// TestNoticeFieldErrors: every refusal of every notice, through the
// Catalog and through a Notifier, is a *FieldError naming the notice field
// by its path, matching ErrInvalidNotice (and neither ErrInvalidMessage
// nor ErrSend); nothing is sent; and no credential, nor the refused value,
// shows in the error under any verb.
func TestNoticeFieldErrors(t *testing.T) {
	c, err := notify.NewCatalog(notify.CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	n, rec := newNotifier(t)
	for _, tc := range noticeCases() {
		t.Run(tc.name, func(t *testing.T) {
			rec.Reset()
			for via, err := range map[string]error{"catalog": tc.render(c), "notifier": tc.send(context.Background(), n)} {
				if tc.field == "" {
					if err != nil {
						t.Fatalf("%s: %v", via, err)
					}
					continue
				}
				var fe *notify.FieldError
				if !errors.As(err, &fe) || fe.Field != tc.field || fe.Rule == "" {
					t.Fatalf("%s: err = %v, want a *FieldError for %s", via, err, tc.field)
				}
				if !errors.Is(err, notify.ErrInvalidNotice) || errors.Is(err, notify.ErrInvalidMessage) || errors.Is(err, notify.ErrSend) {
					t.Errorf("%s: %v matches the wrong sentinels", via, err)
				}
				checkNoSecret(t, err, tc.hidden)
			}
			if want := map[bool]int{true: 1, false: 0}[tc.field == ""]; rec.Len() != want {
				t.Errorf("sent %d messages, want %d", rec.Len(), want)
			}
		})
	}
}

// checkNoSecret fails when err, under any fmt verb, shows a credential of
// the notices or hidden (when set).
func checkNoSecret(t *testing.T, err error, hidden string) {
	t.Helper()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		s := fmt.Sprintf(verb, err)
		for _, secret := range fieldTestSecrets {
			if strings.Contains(s, secret) {
				t.Errorf("%s of the error shows the credential %q: %s", verb, secret, s)
			}
		}
		if hidden != "" && strings.Contains(s, hidden) {
			t.Errorf("%s of the error repeats the refused value: %s", verb, s)
		}
	}
}

// TestConfigFieldErrors: every configuration refusal is a *FieldError
// naming the field under its struct's type name, matching none of the
// package's sentinels, never repeating the value (a password least of
// all).
func TestConfigFieldErrors(t *testing.T) {
	const password = "SMTP-PASSW0RD-S3CRET"
	from := "mdm@example.org"
	smtp := func(cfg notify.SMTPConfig) func() error {
		return func() error { _, err := notify.NewSMTP(cfg); return err }
	}
	ctx := context.Background()
	cases := []struct {
		name   string
		call   func() error
		field  string
		hidden string
	}{
		{"smtp valid", smtp(notify.SMTPConfig{Host: "smtp.example.com", From: from, Username: "u", Password: notify.NewSecret(password)}), "", ""},
		{"smtp no host", smtp(notify.SMTPConfig{From: from}), "SMTPConfig.Host", ""},
		{"smtp host with port", smtp(notify.SMTPConfig{Host: "HOSTNAME.example:587", From: from}), "SMTPConfig.Host", "HOSTNAME"},
		{"smtp bracketed name", smtp(notify.SMTPConfig{Host: "[HOSTNAME.example]", From: from}), "SMTPConfig.Host", "HOSTNAME"},
		{"smtp bad port", smtp(notify.SMTPConfig{Host: "h", Port: 70000, From: from}), "SMTPConfig.Port", "70000"},
		{"smtp bad TLS", smtp(notify.SMTPConfig{Host: "h", TLS: notify.TLSMode(9), From: from}), "SMTPConfig.TLS", ""},
		{"smtp negative timeout", smtp(notify.SMTPConfig{Host: "h", Timeout: -time.Second, From: from}), "SMTPConfig.Timeout", ""},
		{"smtp password without user", smtp(notify.SMTPConfig{Host: "h", From: from, Password: notify.NewSecret(password)}), "SMTPConfig.Password", password},
		{"smtp no from", smtp(notify.SMTPConfig{Host: "h"}), "SMTPConfig.From", ""},
		{"smtp bad from", smtp(notify.SMTPConfig{Host: "h", From: hostileAddress}), "SMTPConfig.From", "HOSTILE"},
		{"smtp HELO with a line break", smtp(notify.SMTPConfig{Host: "h", From: from, HELO: "mdm.example\r\nRSET"}), "SMTPConfig.HELO", "RSET"},
		{"smtp HELO with a space", smtp(notify.SMTPConfig{Host: "h", From: from, HELO: "mdm example"}), "SMTPConfig.HELO", "mdm example"},
		{"smtp HELO address literal", smtp(notify.SMTPConfig{Host: "h", From: from, HELO: "[192.0.2.1]"}), "", ""},
		{"smtp unknown auth", smtp(notify.SMTPConfig{Host: "h", From: from, Username: "u", Password: notify.NewSecret(password), Auth: "CRAM-MD5"}), "SMTPConfig.Auth", password},
		{"outbox valid", func() error {
			_, err := notify.NewOutbox(notify.OutboxConfig{Dir: t.TempDir(), From: from})
			return err
		}, "", ""},
		{"outbox no dir", func() error { _, err := notify.NewOutbox(notify.OutboxConfig{From: from}); return err }, "OutboxConfig.Dir", ""},
		{"outbox bad from", func() error {
			_, err := notify.NewOutbox(notify.OutboxConfig{Dir: t.TempDir(), From: hostileAddress})
			return err
		}, "OutboxConfig.From", "HOSTILE"},
		{"notifier no mailer", func() error { _, err := notify.NewNotifier(notify.NotifierConfig{}); return err }, "NotifierConfig.Mailer", ""},
		{"service-pass mailer no notifier", func() error {
			return notify.ServicePassMailer{}.SendServicePassword(ctx, "a@example.com", "en", servicepass.Issued{Display: notify.NewSecret(fieldTestCode)})
		}, "ServicePassMailer.Notifier", ""},
		{"enrollment alerter no notifier", func() error {
			return notify.EnrollmentAlerter{}.SendLockAlert(ctx, enrollment.Alert{Site: "HQ", Failures: 3})
		}, "EnrollmentAlerter.Notifier", ""},
		{"passcode mailer no notifier", func() error {
			return notify.PasscodeMailer{}.SendPasscode(ctx, passcodeDelivery(fieldTestPasscode))
		}, "PasscodeMailer.Notifier", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var fe *notify.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || fe.Rule == "" || fe.Kind != nil {
				t.Fatalf("err = %v, want a configuration *FieldError for %s", err, tc.field)
			}
			for _, sentinel := range []error{notify.ErrInvalidMessage, notify.ErrInvalidNotice, notify.ErrSend} {
				if errors.Is(err, sentinel) {
					t.Errorf("%v matches %v", err, sentinel)
				}
			}
			if want := "notify: invalid configuration: " + tc.field + ": " + fe.Rule; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
			checkNoSecret(t, err, tc.hidden)
		})
	}
}

// TestAdapterFieldErrors: a domain adapter's notice is refused with the
// field of the notice it builds (the recipient it was handed, the fallback
// it lacks), matching ErrInvalidNotice.
func TestAdapterFieldErrors(t *testing.T) {
	n, rec := newNotifier(t)
	ctx := context.Background()
	cases := []struct {
		name  string
		call  func() error
		field string
	}{
		{"passcode mailer bad recipient", func() error {
			d := passcodeDelivery(fieldTestPasscode)
			d.To = hostileAddress
			return notify.PasscodeMailer{Notifier: n}.SendPasscode(ctx, d)
		}, "PasscodeReset.To[0]"},
		{"alerter without admins or fallback", func() error {
			return notify.EnrollmentAlerter{Notifier: n}.SendLockAlert(ctx, enrollment.Alert{Site: "HQ", Failures: 3})
		}, "CompanyPasscodeAlert.To"},
		{"service-pass mailer bad recipient", func() error {
			return notify.ServicePassMailer{Notifier: n}.SendServicePassword(ctx, hostileAddress, "en", servicepass.Issued{
				DeviceID: "d", Actions: servicepass.Unlock, ExpiresAt: fieldTestExpiry(), Display: notify.NewSecret(fieldTestCode)})
		}, "ServicePassword.To[0]"},
	}
	for _, tc := range cases {
		err := tc.call()
		var fe *notify.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, notify.ErrInvalidNotice) {
			t.Errorf("%s: err = %v, want a *FieldError for %s matching ErrInvalidNotice", tc.name, err, tc.field)
		}
		checkNoSecret(t, err, "HOSTILE")
	}
	if rec.Len() != 0 {
		t.Errorf("%d messages sent", rec.Len())
	}
}

// TestFieldErrorMessages pins the text of each shape of FieldError.
func TestFieldErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  *notify.FieldError
		want string
	}{
		{&notify.FieldError{Kind: notify.ErrInvalidNotice, Field: "OneTimePIN.PIN", Rule: "no PIN"}, "notify: invalid notice: OneTimePIN.PIN: no PIN"},
		{&notify.FieldError{Kind: notify.ErrInvalidMessage, Field: "To[1]", Rule: "not an RFC 5322 address"}, "notify: invalid message: To[1]: not an RFC 5322 address"},
		{&notify.FieldError{Field: "SMTPConfig.Port", Rule: "out of range 0-65535"}, "notify: invalid configuration: SMTPConfig.Port: out of range 0-65535"},
		{&notify.FieldError{Kind: notify.ErrInvalidNotice, Rule: "the rendered Subject: no"}, "notify: invalid notice: the rendered Subject: no"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
		if !errors.Is(tc.err, tc.err.Kind) && tc.err.Kind != nil {
			t.Errorf("%v does not match its Kind", tc.err)
		}
	}
}

// TestNoticeRecipientProperty: for all recipient lists and credentials, a
// notice either renders or is refused with a *FieldError under the
// notice's name, matching ErrInvalidNotice only, that shows neither the
// credential nor a recipient longer than the field path.
func TestNoticeRecipientProperty(t *testing.T) {
	c, err := notify.NewCatalog(notify.CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 300
	properties := gopter.NewProperties(params)
	addr := gen.OneGenOf(
		gen.AnyString(),
		gen.Const("a@example.com"),
		gen.AlphaString().Map(func(s string) string { return s + "@example.com" }),
		gen.AlphaString().Map(func(s string) string { return "Name " + s + " <b@example.org>" }),
	)
	properties.Property("a refusal names the notice field and hides the credential", prop.ForAll(
		func(to []string, secret string, which int) bool {
			return recipientRefusalOK(t, c, to, "S3CRET-"+secret, which)
		},
		gen.SliceOfN(3, addr), gen.AlphaString(), gen.IntRange(0, 3),
	))
	properties.TestingRun(t)
}

// recipientRefusalOK renders notice which (0-3) to recipients to, carrying
// secret, and checks the rule of TestNoticeRecipientProperty.
func recipientRefusalOK(t *testing.T, c *notify.Catalog, to []string, secret string, which int) bool {
	t.Helper()
	var err error
	var name string
	switch which {
	case 0:
		name = "PasscodeReset"
		_, err = c.PasscodeReset(notify.PasscodeReset{To: to, DeviceName: "d", NewPasscode: notify.NewSecret(secret)})
	case 1:
		name = "CompanyPasscodeAlert"
		_, err = c.CompanyPasscodeAlert(notify.CompanyPasscodeAlert{To: to, Site: "HQ"})
	case 2:
		name = "OneTimePIN"
		_, err = c.OneTimePIN(notify.OneTimePIN{To: to, User: "u", PIN: notify.NewSecret(secret), ExpiresAt: fieldTestExpiry()})
	default:
		name = "ServicePassword"
		_, err = c.ServicePassword(notify.ServicePassword{To: to, DeviceName: "d", Issued: servicepass.Issued{
			Actions: servicepass.Unlock, ExpiresAt: fieldTestExpiry(), Display: notify.NewSecret(secret)}})
	}
	if err == nil {
		return true
	}
	var fe *notify.FieldError
	if !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, name+".To") ||
		!errors.Is(err, notify.ErrInvalidNotice) || errors.Is(err, notify.ErrInvalidMessage) {
		t.Logf("to %q: %v", to, err)
		return false
	}
	msg := err.Error()
	if strings.Contains(msg, secret) {
		t.Logf("to %q: %v shows the credential", to, err)
		return false
	}
	for _, addr := range to {
		if len(addr) > 40 && strings.Contains(msg, addr) {
			t.Logf("%v repeats a recipient", err)
			return false
		}
	}
	return true
}

// FuzzNoticeRecipient: whatever the recipient, a notice renders or is
// refused with a *FieldError for its To field that hides the credential;
// seeded with the table's recipients.
func FuzzNoticeRecipient(f *testing.F) {
	for _, s := range []string{"a@example.com", hostileAddress, longDisplayName, strings.Repeat("a", 65) + "@example.com",
		"Jan <jan@example.com>", "=?utf-8?q?=0D=0A?= <a@example.com>", ""} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(3))
	}
	c, err := notify.NewCatalog(notify.CatalogConfig{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, addr string, which uint8) {
		if !recipientRefusalOK(t, c, []string{"ok@example.com", addr}, "S3CRET-FUZZ-CREDENTIAL", int(which%4)) {
			t.Fail()
		}
	})
}
