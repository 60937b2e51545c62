package otp_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/otp"
)

// This file holds tests at the exact bounds of the package's rules, each
// one written to fail if a comparison moved by one (< for <=, > for >=):
// the mutants gremlins found alive (issue 27).

// TestServiceConfigExactBounds: every configurable bound of PINConfig and
// TOTPConfig is inclusive at both ends, and one past either end is a
// ParamError naming the field.
func TestServiceConfigExactBounds(t *testing.T) {
	pin := func(mod func(*otp.PINConfig)) error {
		c := otp.PINConfig{Store: otp.NewMemStore(), Peppers: otp.NewKeys(map[uint8][]byte{1: pepper1}), PepperID: 1}
		mod(&c)
		_, err := otp.NewPINService(c)
		return err
	}
	totp := func(mod func(*otp.TOTPConfig)) error {
		c := otp.TOTPConfig{Store: otp.NewMemStore()}
		mod(&c)
		_, err := otp.NewTOTPService(c)
		return err
	}
	for _, tt := range []struct {
		name  string
		err   error
		field string // "" when accepted
	}{
		{"PIN length 6", pin(func(c *otp.PINConfig) { c.Length = otp.MinPINLength }), ""},
		{"PIN length 12", pin(func(c *otp.PINConfig) { c.Length = otp.MaxPINLength }), ""},
		{"PIN TTL 1 min", pin(func(c *otp.PINConfig) { c.TTL = otp.MinPINTTL }), ""},
		{"PIN TTL 30 days", pin(func(c *otp.PINConfig) { c.TTL = otp.MaxPINTTL }), ""},
		{"PIN attempts 1", pin(func(c *otp.PINConfig) { c.MaxAttempts = 1 }), ""},
		{"PIN attempts 20", pin(func(c *otp.PINConfig) { c.MaxAttempts = otp.MaxPINMaxAttempts }), ""},
		{"PIN issue limit 1", pin(func(c *otp.PINConfig) { c.IssueLimit = 1 }), ""},
		{"PIN issue limit 100", pin(func(c *otp.PINConfig) { c.IssueLimit = otp.MaxPINIssueLimit }), ""},
		{"PIN issue limit 101", pin(func(c *otp.PINConfig) { c.IssueLimit = otp.MaxPINIssueLimit + 1 }), "IssueLimit"},
		{"PIN issue limit -1", pin(func(c *otp.PINConfig) { c.IssueLimit = -1 }), "IssueLimit"},
		{"PIN issue window 1 min", pin(func(c *otp.PINConfig) { c.IssueWindow = time.Minute }), ""},
		{"PIN issue window 30 days", pin(func(c *otp.PINConfig) { c.IssueWindow = otp.MaxPINIssueWindow }), ""},
		{"PIN issue window under 1 min", pin(func(c *otp.PINConfig) { c.IssueWindow = time.Minute - 1 }), "IssueWindow"},
		{"PIN issue window over 30 days", pin(func(c *otp.PINConfig) { c.IssueWindow = otp.MaxPINIssueWindow + 1 }), "IssueWindow"},
		{"PIN cap 1", pin(func(c *otp.PINConfig) { c.MaxConsecutive = 1 }), ""},
		{"PIN cap 100", pin(func(c *otp.PINConfig) { c.MaxConsecutive = otp.MaxConsecutiveFailures }), ""},
		{"PIN cooldown 1 s", pin(func(c *otp.PINConfig) { c.Cooldown = time.Second }), ""},
		{"PIN cooldown under 1 s", pin(func(c *otp.PINConfig) { c.Cooldown = time.Second - 1 }), "Cooldown"},
		{"PIN cooldown a year", pin(func(c *otp.PINConfig) { c.Cooldown = otp.MaxCooldown }), ""},
		{"TOTP skew 1", totp(func(c *otp.TOTPConfig) { c.Skew = 1 }), ""},
		{"TOTP skew 10", totp(func(c *otp.TOTPConfig) { c.Skew = otp.MaxTOTPSkew }), ""},
		{"TOTP resync 1", totp(func(c *otp.TOTPConfig) { c.ResyncWindow = 1 }), ""},
		{"TOTP resync 100", totp(func(c *otp.TOTPConfig) { c.ResyncWindow = otp.MaxWindow }), ""},
		{"TOTP failures 1", totp(func(c *otp.TOTPConfig) { c.MaxFailures = 1 }), ""},
		{"TOTP cooldown 1 s", totp(func(c *otp.TOTPConfig) { c.Cooldown = time.Second }), ""},
		{"TOTP cooldown under 1 s", totp(func(c *otp.TOTPConfig) { c.Cooldown = time.Second - 1 }), "Cooldown"},
		{"TOTP no cooldown", totp(func(c *otp.TOTPConfig) { c.Cooldown = otp.NoCooldown }), ""},
	} {
		if (tt.field == "" && tt.err != nil) || (tt.field != "" && !isParam(tt.err, tt.field)) {
			t.Errorf("%s: %v, want a ParamError on %q", tt.name, tt.err, tt.field)
		}
	}
}

// TestConstants pins the documented values of the package's bounds, which
// the tests above use by name (a changed constant would move both).
func TestConstants(t *testing.T) {
	for _, tt := range []struct {
		name      string
		got, want time.Duration
	}{
		{"DefaultCooldown", otp.DefaultCooldown, 24 * time.Hour},
		{"NoCooldown", otp.NoCooldown, -1},
		{"MaxCooldown", otp.MaxCooldown, 8760 * time.Hour},
		{"DefaultPINTTL", otp.DefaultPINTTL, 24 * time.Hour},
		{"MinPINTTL", otp.MinPINTTL, 60 * time.Second},
		{"MaxPINTTL", otp.MaxPINTTL, 720 * time.Hour},
		{"DefaultPINIssueWindow", otp.DefaultPINIssueWindow, 3600 * time.Second},
		{"MaxPINIssueWindow", otp.MaxPINIssueWindow, 720 * time.Hour},
		{"DefaultPurgeAge", otp.DefaultPurgeAge, 86400 * time.Second},
		{"DefaultPeriod", otp.DefaultPeriod, 30 * time.Second},
		{"MaxPeriod", otp.MaxPeriod, 3600 * time.Second},
		{"NoSkew", otp.NoSkew, -1},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestNewKeySecretLengthError: a secret of the wrong length is a
// SecretError with no offset (Offset -1: the length, not a character, is
// wrong) saying which way it is wrong and by how much; the bounds
// themselves are accepted.
func TestNewKeySecretLengthError(t *testing.T) {
	for _, tt := range []struct {
		n      int
		reason string // "" when accepted
	}{
		{otp.MinSecretLen - 1, "too short: 9 bytes, must be 10 to 256"},
		{0, "too short: 0 bytes, must be 10 to 256"},
		{otp.MaxSecretLen + 1, "too long: 257 bytes, must be 10 to 256"},
		{otp.MaxSecretLen, ""},
	} {
		_, err := otp.NewKey(make([]byte, tt.n), otp.Params{Algorithm: testAlg})
		var se *otp.SecretError
		switch {
		case tt.reason == "" && err != nil:
			t.Errorf("%d bytes: %v", tt.n, err)
		case tt.reason != "" && (!errors.As(err, &se) || se.Offset != -1 || se.Reason != tt.reason):
			t.Errorf("%d bytes: %#v, want a SecretError at offset -1, %q", tt.n, err, tt.reason)
		}
	}
}

// TestCodeLengthBound: a code may carry spaces up to 4*MaxDigits bytes in
// all; one byte more is refused as malformed before any MAC work.
func TestCodeLengthBound(t *testing.T) {
	k, err := otp.NewKey(rfcSecret(otp.SHA256), otp.Params{Algorithm: otp.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	code := otp.HOTP(k, 5).Reveal()
	at := code + strings.Repeat(" ", 4*otp.MaxDigits-len(code))
	if c, err := otp.ValidateHOTP(k, at, 5, 0); err != nil || c != 5 {
		t.Errorf("code padded to %d bytes: %d, %v", len(at), c, err)
	}
	if _, err := otp.ValidateHOTP(k, at+" ", 5, 0); !errors.Is(err, otp.ErrFormat) {
		t.Errorf("code padded to %d bytes: %v, want ErrFormat", len(at)+1, err)
	}
}

// TestTenDigitCodeBound: a 10-digit code is the 31-bit truncated value
// itself, so 2147483647 (2^31-1) is a well-formed code (wrong for this
// key) and 2147483648 is malformed.
func TestTenDigitCodeBound(t *testing.T) {
	k, err := otp.NewKey(rfcSecret(otp.SHA256), otp.Params{Algorithm: otp.SHA256, Digits: 10})
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]error{
		"2147483647": otp.ErrInvalid,
		"2147483648": otp.ErrFormat,
		"2147483649": otp.ErrFormat,
	} {
		if _, err := otp.ValidateHOTP(k, code, 0, 0); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", code, err, want)
		}
	}
}

// TestDecodeSecretLengthBound: DecodeSecret reads up to 4*MaxSecretLen
// characters, separators included; one more is refused before decoding.
func TestDecodeSecretLengthBound(t *testing.T) {
	at := strings.Repeat("A", 4*otp.MaxSecretLen)
	if b, err := otp.DecodeSecret(at); err != nil || len(b) != 4*otp.MaxSecretLen*5/8 {
		t.Errorf("%d characters: %d bytes, %v", len(at), len(b), err)
	}
	var se *otp.SecretError
	if _, err := otp.DecodeSecret(at + " "); !errors.As(err, &se) || se.Offset != -1 || se.Reason != "too long" {
		t.Errorf("%d characters: %v, want too long", len(at)+1, err)
	}
}
