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

// TestDecodeSecretPaddingFirst: '=' at the very start (offset 0) is still
// padding, so any Base32 character after it is refused at its offset.
func TestDecodeSecretPaddingFirst(t *testing.T) {
	for in, offset := range map[string]int{"=GE": 1, "==GEZDGNBV": 2, " =G": 2} {
		var se *otp.SecretError
		if _, err := otp.DecodeSecret(in); !errors.As(err, &se) || se.Offset != offset || se.Reason != "character after padding" {
			t.Errorf("%q: %v, want a character after padding at offset %d", in, err, offset)
		}
	}
}

// TestNameExactBounds: an issuer or account name of maxLabel (256) bytes
// is accepted and one byte more refused; the C1 control range U+0080 to
// U+009F is refused and the no-break space U+00A0 just after it accepted,
// as is the space U+0020 just after the C0 range inside a name.
func TestNameExactBounds(t *testing.T) {
	k, err := otp.NewKey(rfcSecret(otp.SHA256), otp.Params{Algorithm: otp.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		account string
		ok      bool
	}{
		{strings.Repeat("a", 256), true},
		{strings.Repeat("a", 257), false},
		{"a\u0080b", false},
		{"a\u009fb", false},
		{"a\u00a0b", true},
		{"a\u001fb", false},
		{"a b", true},
		{"a\u007eb", true},
		{"a\u007fb", false},
	} {
		_, err := otp.URI{Issuer: "Ex", Account: tt.account, Key: k}.Build()
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, otp.ErrURI)) {
			t.Errorf("account %q (%d bytes): %v, want accepted %v", tt.account, len(tt.account), err, tt.ok)
		}
		_, err = otp.URI{Issuer: tt.account, Account: "bob", Key: k}.Build()
		if tt.ok != (err == nil) {
			t.Errorf("issuer %q (%d bytes): %v, want accepted %v", tt.account, len(tt.account), err, tt.ok)
		}
	}
}

// TestParseURILengthBound: ParseURI reads up to 4096 bytes; one more is
// refused before parsing.
func TestParseURILengthBound(t *testing.T) {
	base := "otpauth://totp/Ex:bob?secret=" + strings.Repeat("GEZDGNBV", 7) + "&algorithm=SHA256&image="
	at := base + strings.Repeat("x", 4096-len(base))
	if u, err := otp.ParseURI(at); err != nil || u.Account != "bob" {
		t.Errorf("%d bytes: %+v, %v", len(at), u, err)
	}
	var ue *otp.URIError
	if _, err := otp.ParseURI(at + "x"); !errors.As(err, &ue) || ue.Field != "uri" || ue.Reason != "too long" {
		t.Errorf("%d bytes: %v, want too long", len(at)+1, err)
	}
}

// TestParseURIParamBounds: digits 6 and 10 and periods 1 and 3600 are
// accepted, one past each is refused; numbers are decimal of at most six
// characters (leading zeros count), counters any uint64.
func TestParseURIParamBounds(t *testing.T) {
	pre := "otpauth://totp/Ex:bob?secret=" + strings.Repeat("GEZDGNBV", 7) + "&algorithm=SHA256&"
	for _, tt := range []struct {
		q     string
		field string // "" when accepted
		want  otp.Params
	}{
		{"digits=6", "", otp.Params{Algorithm: otp.SHA256, Digits: 6, Period: 30 * time.Second}},
		{"digits=10", "", otp.Params{Algorithm: otp.SHA256, Digits: 10, Period: 30 * time.Second}},
		{"digits=000010", "", otp.Params{Algorithm: otp.SHA256, Digits: 10, Period: 30 * time.Second}},
		{"digits=0000010", "digits", otp.Params{}},
		{"digits=5", "digits", otp.Params{}},
		{"digits=11", "digits", otp.Params{}},
		{"digits=", "digits", otp.Params{}},
		{"digits=%2B6", "digits", otp.Params{}},
		{"digits=%2D6", "digits", otp.Params{}},
		{"period=1", "", otp.Params{Algorithm: otp.SHA256, Digits: 6, Period: time.Second}},
		{"period=3600", "", otp.Params{Algorithm: otp.SHA256, Digits: 6, Period: time.Hour}},
		{"period=003600", "", otp.Params{Algorithm: otp.SHA256, Digits: 6, Period: time.Hour}},
		{"period=0003600", "period", otp.Params{}},
		{"period=3601", "period", otp.Params{}},
		{"period=0", "period", otp.Params{}},
		{"period=1x", "period", otp.Params{}},
		{"period=/", "period", otp.Params{}},
		{"period=:", "period", otp.Params{}},
	} {
		u, err := otp.ParseURI(pre + tt.q)
		var ue *otp.URIError
		switch {
		case tt.field == "" && (err != nil || u.Key.Params() != tt.want):
			t.Errorf("%s: %v, %v; want %+v", tt.q, u.Key, err, tt.want)
		case tt.field != "" && (!errors.As(err, &ue) || ue.Field != tt.field):
			t.Errorf("%s: %v, want a URIError on %s", tt.q, err, tt.field)
		}
	}
	hotp := "otpauth://hotp/Ex:bob?secret=" + strings.Repeat("GEZDGNBV", 7) + "&algorithm=SHA256&counter="
	for c, want := range map[string]uint64{"0": 0, "9": 9, "18446744073709551615": 1<<64 - 1} {
		if u, err := otp.ParseURI(hotp + c); err != nil || u.Counter != want {
			t.Errorf("counter=%s: %d, %v", c, u.Counter, err)
		}
	}
	for c, reason := range map[string]string{"": "not a decimal number", "/": "not a decimal number", ":": "not a decimal number",
		"1a": "not a decimal number", "%2B1": "not a decimal number", "18446744073709551616": "out of range"} {
		var ue *otp.URIError
		if _, err := otp.ParseURI(hotp + c); !errors.As(err, &ue) || ue.Field != "counter" || ue.Reason != reason {
			t.Errorf("counter=%q: %v, want a URIError on counter: %s", c, err, reason)
		}
	}
}
