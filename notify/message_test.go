package notify_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/notify"
	"github.com/mdmcred/mdmcred/servicepass"
)

func validMessage() notify.Message {
	return notify.Message{
		To:       []string{"jan@example.com"},
		Subject:  "Hasło serwisowe",
		Language: "pl",
		Text:     notify.NewSecret("code SECRET-CODE"),
		HTML:     notify.NewSecret("<p>code SECRET-CODE</p>"),
		Inline:   []notify.Inline{{ContentID: "qr@mdmcred", ContentType: "image/png", Filename: "qr.png", Data: notify.NewSecretBytes([]byte{1})}},
	}
}

func TestMessageValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*notify.Message)
		field  string // "" when valid
	}{
		{"valid", func(*notify.Message) {}, ""},
		{"display name", func(m *notify.Message) { m.To = []string{"Jan Kowalski <jan@example.com>"} }, ""},
		{"text only", func(m *notify.Message) { m.HTML = notify.Secret{}; m.Inline = nil }, ""},
		{"html only", func(m *notify.Message) { m.Text = notify.Secret{} }, ""},
		{"from", func(m *notify.Message) { m.From = "MDM <mdm@example.com>" }, ""},
		{"no recipient", func(m *notify.Message) { m.To = nil }, "To"},
		{"bad address", func(m *notify.Message) { m.To = []string{"not an address"} }, "To[0]"},
		{"second bad address", func(m *notify.Message) { m.To = append(m.To, "x@") }, "To[1]"},
		{"address with CRLF", func(m *notify.Message) { m.To = []string{"a@example.com\r\nBcc: b@example.com"} }, "To[0]"},
		{"bad from", func(m *notify.Message) { m.From = "nobody" }, "From"},
		{"subject CRLF", func(m *notify.Message) { m.Subject = "Hi\r\nBcc: x@example.com" }, "Subject"},
		{"subject invalid UTF-8", func(m *notify.Message) { m.Subject = "\xff" }, "Subject"},
		{"no body", func(m *notify.Message) { m.Text, m.HTML = notify.Secret{}, notify.Secret{} }, "Text"},
		{"bad language", func(m *notify.Message) { m.Language = "pl\r\nX: y" }, "Language"},
		{"cid empty", func(m *notify.Message) { m.Inline[0].ContentID = "" }, "Inline[0]"},
		{"cid with brackets", func(m *notify.Message) { m.Inline[0].ContentID = "<qr>" }, "Inline[0]"},
		{"cid duplicate", func(m *notify.Message) { m.Inline = append(m.Inline, m.Inline[0]) }, "Inline[1]"},
		{"content type", func(m *notify.Message) { m.Inline[0].ContentType = "png" }, "Inline[0]"},
		{"filename with quote", func(m *notify.Message) { m.Inline[0].Filename = `a".png` }, "Inline[0]"},
		{"no data", func(m *notify.Message) { m.Inline[0].Data = notify.SecretBytes{} }, "Inline[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := validMessage()
			tc.change(&m)
			err := m.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			var fe *notify.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, notify.ErrInvalidMessage) || errors.Is(err, notify.ErrInvalidNotice) {
				t.Fatalf("Validate() = %v, want a *FieldError for %s matching ErrInvalidMessage", err, tc.field)
			}
			if s := fmt.Sprintf("%+v %#v", err, err); strings.Contains(s, "example.com") || strings.Contains(s, "SECRET-CODE") {
				t.Errorf("error %q repeats an address or the code", s)
			}
		})
	}
}

// TestMessageFormatHidesBodies: a Message printed or logged shows no body,
// because the bodies hold the credential.
func TestMessageFormatHidesBodies(t *testing.T) {
	m := validMessage()
	outs := []string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, m), fmt.Sprintf(verb, &m), fmt.Sprintf(verb, []notify.Message{m}))
	}
	outs = append(outs, fmt.Sprint(m), m.String())
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("sent", "msg", m)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("sent", "msg", m)
	outs = append(outs, buf.String())
	for _, out := range outs {
		if strings.Contains(out, "SECRET-CODE") {
			t.Errorf("output leaks the body: %s", out)
		}
	}
	if !strings.Contains(m.String(), "Hasło serwisowe") || !strings.Contains(m.String(), "jan@example.com") {
		t.Errorf("String() = %s: want the subject and recipient", m.String())
	}
}

// TestNoticesRedactTheirCredential: a notice printed, logged or marshalled
// shows [REDACTED] instead of its code.
func TestNoticesRedactTheirCredential(t *testing.T) {
	notices := []any{
		notify.ServicePassword{To: []string{"a@example.com"}, Issued: servicepass.Issued{Code: notify.NewSecret("7KQ4-M2XP"),
			Display: notify.NewSecret("7KQ4-M2XP"), QRPNG: notify.NewSecretBytes([]byte("7KQ4-M2XP"))}},
		notify.PasscodeReset{NewPasscode: notify.NewSecret("7KQ4-M2XP")},
		notify.OneTimePIN{PIN: notify.NewSecret("7KQ4-M2XP")},
	}
	for _, n := range notices {
		j, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, out := range []string{fmt.Sprintf("%v", n), fmt.Sprintf("%+v", n), fmt.Sprintf("%#v", n), string(j)} {
			if strings.Contains(out, "7KQ4-M2XP") {
				t.Errorf("%T leaks its credential: %s", n, out)
			}
		}
	}
}

func TestSendError(t *testing.T) {
	cause := errors.New("550 mailbox unavailable")
	err := error(&notify.SendError{Via: "smtp", Err: cause})
	if !errors.Is(err, notify.ErrSend) || !errors.Is(err, cause) {
		t.Fatalf("%v does not match ErrSend and its cause", err)
	}
	if errors.Is(err, notify.ErrInvalidMessage) {
		t.Fatal("a send error matches ErrInvalidMessage")
	}
	var se *notify.SendError
	if !errors.As(fmt.Errorf("wrapped: %w", err), &se) || se.Via != "smtp" {
		t.Fatal("errors.As does not find the SendError")
	}
	if got := err.Error(); got != "notify: send failed (smtp): 550 mailbox unavailable" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&notify.SendError{Err: cause}).Error(); got != "notify: send failed: 550 mailbox unavailable" {
		t.Errorf("Error() = %q", got)
	}
}

// TestTimesInRecipientZone: the same instant reads differently per zone,
// each with its abbreviation; a nil zone uses the catalog's default.
func TestTimesInRecipientZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		cat  *time.Location
		loc  *time.Location
		want string
	}{
		{nil, nil, "2026-11-23 09:00 UTC"},
		{nil, ny, "2026-11-23 04:00 EST"},
		{ny, nil, "2026-11-23 04:00 EST"},
		{nil, time.FixedZone("", 3*3600), "2026-11-23 12:00 +0300"},
	}
	for _, tc := range cases {
		c, err := notify.NewCatalog(notify.CatalogConfig{Location: tc.cat})
		if err != nil {
			t.Fatal(err)
		}
		m, err := c.OneTimePIN(notify.OneTimePIN{To: []string{"a@example.com"}, TimeZone: tc.loc, User: "u", PIN: notify.NewSecret("1"), ExpiresAt: exp})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text.Reveal(), tc.want) || !strings.Contains(html.UnescapeString(m.HTML.Reveal()), tc.want) {
			t.Errorf("zone %v/%v: want %q in:\n%s", tc.cat, tc.loc, tc.want, m.Text)
		}
	}
}

// TestInvalidServicePasswords: what a service-password notice requires,
// refused with a *FieldError matching ErrInvalidNotice that names the
// field (an address the message cannot carry too: it is the notice's
// field).
func TestInvalidServicePasswords(t *testing.T) {
	c, err := notify.NewCatalog(notify.CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	day := servicepass.Date{Year: 2026, Month: time.November, Day: 23}
	cases := []struct {
		name   string
		change func(*notify.ServicePassword)
		want   error
		field  string
	}{
		{"valid", func(*notify.ServicePassword) {}, nil, ""},
		{"valid day-valid", func(n *notify.ServicePassword) {
			n.Issued.Mode, n.Issued.Actions, n.Issued.DayValid, n.Issued.ExpiryDate = servicepass.COPE, servicepass.SetPassword, true, day
		}, nil, ""},
		{"no recipient", func(n *notify.ServicePassword) { n.To = nil }, notify.ErrInvalidNotice, "ServicePassword.To"},
		{"bad recipient", func(n *notify.ServicePassword) { n.To = []string{"x"} }, notify.ErrInvalidNotice, "ServicePassword.To[0]"},
		{"no code", func(n *notify.ServicePassword) { n.Issued.Display = notify.Secret{} }, notify.ErrInvalidNotice, "ServicePassword.Issued.Display"},
		{"no expiry", func(n *notify.ServicePassword) { n.Issued.ExpiresAt = time.Time{} }, notify.ErrInvalidNotice, "ServicePassword.Issued.ExpiresAt"},
		{"no actions", func(n *notify.ServicePassword) { n.Issued.Actions = 0 }, notify.ErrInvalidNotice, "ServicePassword.Issued.Actions"},
		{"actions the rules refuse", func(n *notify.ServicePassword) {
			n.Issued.Actions = servicepass.EmergencyDatabaseReset | servicepass.Unlock
		},
			notify.ErrInvalidNotice, "ServicePassword.Issued.Actions"},
		{"kiosk on COPE", func(n *notify.ServicePassword) {
			n.Issued.Mode, n.Issued.Actions = servicepass.COPE, servicepass.DisableKiosk
		}, notify.ErrInvalidNotice, "ServicePassword.Issued.Actions"},
		{"unknown mode", func(n *notify.ServicePassword) { n.Issued.Mode = 9 }, notify.ErrInvalidNotice, "ServicePassword.Issued.Mode"},
		{"day-valid not so", func(n *notify.ServicePassword) { n.Issued.DayValid, n.Issued.ExpiryDate = true, day },
			notify.ErrInvalidNotice, "ServicePassword.Issued.DayValid"},
		{"day-valid code marked otherwise", func(n *notify.ServicePassword) {
			n.Issued.Mode, n.Issued.Actions = servicepass.COPE, servicepass.SetPassword
		}, notify.ErrInvalidNotice, "ServicePassword.Issued.DayValid"},
		{"day-valid without its date", func(n *notify.ServicePassword) {
			n.Issued.Mode, n.Issued.Actions, n.Issued.DayValid = servicepass.COPE, servicepass.SetPassword, true
		}, notify.ErrInvalidNotice, "ServicePassword.Issued.ExpiryDate"},
		{"a date without day-valid", func(n *notify.ServicePassword) { n.Issued.ExpiryDate = day },
			notify.ErrInvalidNotice, "ServicePassword.Issued.ExpiryDate"},
		{"no device", func(n *notify.ServicePassword) { n.DeviceName, n.Issued.DeviceID = "\r\n\t", "" },
			notify.ErrInvalidNotice, "ServicePassword.Issued.DeviceID"},
		{"negative window", func(n *notify.ServicePassword) { n.Issued.Window = -time.Minute }, notify.ErrInvalidNotice, "ServicePassword.Issued.Window"},
		{"QR not a PNG", func(n *notify.ServicePassword) { n.Issued.QRPNG = notify.NewSecretBytes([]byte("GIF89a")) },
			notify.ErrInvalidNotice, "ServicePassword.Issued.QRPNG"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := notify.ServicePassword{To: []string{"a@example.com"}, DeviceName: "d", Issued: servicepass.Issued{
				Actions: servicepass.Unlock, ExpiresAt: exp, Display: notify.NewSecret("C0DE-SECRET")}}
			tc.change(&n)
			_, err := c.ServicePassword(n)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var fe *notify.FieldError
			if !errors.Is(err, tc.want) || !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want a *FieldError for %s matching %v", err, tc.field, tc.want)
			}
			if strings.Contains(err.Error(), "C0DE-SECRET") {
				t.Errorf("error %q holds the code", err)
			}
		})
	}
}

// TestActionsInBitOrder: the actions show in servicepass's bit order,
// whatever order a host wrote them in, one line each.
func TestActionsInBitOrder(t *testing.T) {
	c, err := notify.NewCatalog(notify.CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.ServicePassword(notify.ServicePassword{
		To: []string{"a@example.com"}, DeviceName: "d", Issued: servicepass.Issued{
			Display: notify.NewSecret("C"), ExpiresAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Actions: servicepass.AllowFactoryReset | servicepass.Unlock,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "  - Unlock the device (leave Lost Mode)\n  - Allow a factory reset\n"
	if !strings.Contains(m.Text.Reveal(), want) {
		t.Errorf("text lacks %q:\n%s", want, m.Text)
	}
	if strings.Count(m.HTML.Reveal(), "<li>") != 2 {
		t.Errorf("HTML lists %d actions, want 2", strings.Count(m.HTML.Reveal(), "<li>"))
	}
}

// A display name given as an RFC 2047 encoded-word is checked once decoded:
// "evil\r\nBcc: x@evil.com" is a control character however it is spelled.
func TestValidateDecodedDisplayName(t *testing.T) {
	for _, addr := range []string{
		"=?utf-8?b?ZXZpbA0KQmNjOiB4QGV2aWwuY29t?= <a@example.com>",
		"=?utf-8?q?evil=0ABcc=3A_x=40evil=2Ecom?= <a@example.com>",
	} {
		m := validMessage()
		m.To = []string{addr}
		if err := m.Validate(); !errors.Is(err, notify.ErrInvalidMessage) {
			t.Errorf("To %q: Validate = %v, want ErrInvalidMessage", addr, err)
		}
		m = validMessage()
		m.From = addr
		if err := m.Validate(); !errors.Is(err, notify.ErrInvalidMessage) {
			t.Errorf("From %q: Validate = %v, want ErrInvalidMessage", addr, err)
		}
	}
}
