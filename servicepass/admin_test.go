package servicepass_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/servicepass"
)

// TestAdminIdentifier: the acting administrator is an identifier like every
// other (issue 14): NUL, C0 and C1 controls, format characters, broken
// UTF-8 and over-long names are refused by Issue and Respond alike with a
// *RuleError matching ErrAdmin, before anything is audited, so that every
// audit backend accepts what the issuer accepts.
func TestAdminIdentifier(t *testing.T) {
	tests := []struct {
		name, admin string
		ok          bool
	}{
		{"address", "admin@example.com", true},
		{"unicode", "Zofia Łęcka", true},
		{"longest", strings.Repeat("a", servicepass.MaxAdminLen), true},
		{"empty", "", false},
		{"NUL", "admin\x00@example.com", false},
		{"CR LF", "admin\r\nBcc: x", false},
		{"C1", "admin\u0085", false},
		{"RLO", "admin\u202e", false},
		{"zero width", "ad\u200bmin", false},
		{"broken UTF-8", "admin\xff", false},
		{"over-long", strings.Repeat("a", servicepass.MaxAdminLen+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.is.Issue(context.Background(), servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: tt.admin})
			check(t, "Issue", err, tt.ok)
			_, err = f.is.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: "dev", Challenge: newChallenge(t, f), Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: tt.admin})
			check(t, "Respond", err, tt.ok)
			if events, _ := f.audit.Events(context.Background(), ""); !tt.ok && len(events) != 0 {
				t.Errorf("a refused request was audited: %d events", len(events))
			}
		})
	}
}

func check(t *testing.T, op string, err error, ok bool) {
	t.Helper()
	if ok {
		if err != nil {
			t.Errorf("%s: %v", op, err)
		}
		return
	}
	var re *servicepass.RuleError
	if !errors.Is(err, servicepass.ErrAdmin) || !errors.As(err, &re) || re.Field != "Admin" {
		t.Errorf("%s: err %v, want a *RuleError on Admin matching ErrAdmin", op, err)
	}
}

// newChallenge is a challenge a verifier for "dev" shows.
func newChallenge(t *testing.T, f *fixture) string {
	t.Helper()
	keys, err := f.is.DeviceKeys("dev")
	if err != nil {
		t.Fatal(err)
	}
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "dev", Mode: servicepass.DeviceOwner, HasMode: true, Keys: keys}, servicepass.NewMemDeviceStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.NewChallenge(servicepass.ChallengeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c.String()
}
