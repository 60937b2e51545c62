package notify_test

import (
	"bytes"
	"errors"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/notify"
)

// addressLimitCases hold addresses at and past the limits of RFC 5321
// section 4.5.3.1: a local part of at most 64 octets, a domain of at most
// 255 (labels of at most 63, RFC 1035), a path ("<" address ">") of at most
// 256, so an address of at most 254.
var addressLimitCases = []struct {
	name  string
	addr  string
	field string // "" when the address is accepted
}{
	{"local part of 64", strings.Repeat("a", 64) + "@example.com", ""},
	{"local part of 65", strings.Repeat("a", 65) + "@example.com", "To[0]"},
	{"local part of 100,000", strings.Repeat("a", 100000) + "@example.com", "To[0]"},
	{"label of 63", "jan@" + strings.Repeat("b", 63) + ".example", ""},
	{"label of 64", "jan@" + strings.Repeat("b", 64) + ".example", "To[0]"},
	{"address of 254", strings.Repeat("a", 64) + "@" + domainOf(254-65), ""},
	{"address of 255", strings.Repeat("a", 64) + "@" + domainOf(255-65), "To[0]"},
	{"display name and address of 254", "Jan Kowalski <" + strings.Repeat("a", 64) + "@" + domainOf(254-65) + ">", ""},
	{"multi-octet local part over 64 octets", strings.Repeat("ą", 33) + "@example.com", "To[0]"},
}

// domainOf returns a domain name of n octets (n >= 5) made of labels of at
// most 63.
func domainOf(n int) string {
	var b strings.Builder
	for b.Len() < n-4 {
		l := min(63, n-4-b.Len())
		if b.Len() > 0 {
			b.WriteByte('.')
			l = min(63, n-4-b.Len())
		}
		if l <= 0 {
			break
		}
		b.WriteString(strings.Repeat("d", l))
	}
	s := b.String() + ".org"
	for len(s) < n {
		s = "x" + s
	}
	return s
}

func TestAddressLimits(t *testing.T) {
	for _, tc := range addressLimitCases {
		t.Run(tc.name, func(t *testing.T) {
			m := validMessage()
			m.To = []string{tc.addr}
			err := m.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				var b bytes.Buffer
				if err := notify.WriteMessage(&b, m, "mdm@example.org", time.Unix(0, 0)); err != nil {
					t.Fatalf("WriteMessage = %v", err)
				}
				checkLines(t, b.String())
				return
			}
			var fe *notify.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, notify.ErrInvalidMessage) {
				t.Fatalf("Validate = %v, want a *FieldError for %s matching ErrInvalidMessage", err, tc.field)
			}
			if len(err.Error()) > 200 {
				t.Errorf("the error repeats the address: %.80q…", err.Error())
			}
			if err := notify.WriteMessage(&bytes.Buffer{}, m, "mdm@example.org", time.Unix(0, 0)); !errors.As(err, &fe) {
				t.Errorf("WriteMessage = %v, want the same refusal", err)
			}
			m.To = []string{"jan@example.com"}
			m.From = tc.addr
			if err := m.Validate(); !errors.As(err, &fe) || fe.Field != "From" {
				t.Errorf("Validate with the address as From = %v", err)
			}
		})
	}
}

// checkLines fails unless every line of the header section of msg has at
// most 998 octets (RFC 5322 section 2.1.1).
func checkLines(t *testing.T, msg string) {
	t.Helper()
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	for _, l := range strings.Split(head, "\r\n") {
		if len(l) > 998 {
			t.Fatalf("header line of %d octets: %.60q…", len(l), l)
		}
	}
}

// TestHeaderLinesProperty: for all subjects and display names, Validate
// refuses the message with a *FieldError or WriteMessage writes no header
// line longer than 998 octets.
func TestHeaderLinesProperty(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 200
	properties := gopter.NewProperties(params)
	// Long runs without a space are what a mail library cannot fold.
	text := gopter.CombineGens(
		gen.OneConstOf("Jan ", "", "é ", "Kowalski, "),
		gen.OneConstOf("Jan", "é", "😀", "x-", `J"`, "a b"),
		gen.IntRange(0, 1200),
	).Map(func(v []interface{}) string {
		return v[0].(string) + strings.Repeat(v[1].(string), v[2].(int))
	})
	properties.Property("lines fit or the message is refused", prop.ForAll(
		func(subject, name string, recipients int) bool {
			m := validMessage()
			m.Subject = subject
			m.To = []string{notifyAddress(name, "jan@example.com")}
			for i := 0; i < recipients; i++ {
				m.To = append(m.To, "recipient@example.com")
			}
			var b bytes.Buffer
			err := notify.WriteMessage(&b, m, "mdm@example.org", time.Unix(0, 0))
			if err != nil {
				var fe *notify.FieldError
				return errors.As(err, &fe) && errors.Is(err, notify.ErrInvalidMessage)
			}
			head, _, _ := strings.Cut(b.String(), "\r\n\r\n")
			for _, l := range strings.Split(head, "\r\n") {
				if len(l) > 998 {
					t.Logf("line of %d octets: %.60q", len(l), l)
					return false
				}
			}
			return true
		},
		text, text, gen.IntRange(0, 120),
	))
	properties.TestingRun(t)
}

// notifyAddress formats a display name and an address as net/mail does.
func notifyAddress(name, addr string) string {
	return (&mailAddress{Name: name, Address: addr}).String()
}

type mailAddress = netmail.Address
