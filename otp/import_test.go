package otp_test

import (
	"bytes"
	"crypto/fips140"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/otp"
)

// Issue 15, otp 1: what a user moving from pquerna/otp imports.

// In FIPS 140-3 mode the weak keys from 80 to 111 bits are refused
// (ParamError matching ErrFIPS, field Secret), as is Google's SHA1 example; from 112 bits on
// they import and those under 128 are still marked weak.
func TestImportWeakKeys(t *testing.T) {
	p := otp.Params{Algorithm: modeAlgorithms()[0]}
	for n := otp.MinSecretLen; n <= otp.StrongSecretLen+4; n++ {
		k, err := otp.NewKey(bytes.Repeat([]byte{7}, n), p)
		if fips140.Enabled() && n < otp.FIPSMinSecretLen {
			wantFIPS(t, err, "Secret")
			continue
		}
		if err != nil {
			t.Fatalf("%d-byte secret refused: %v", n, err)
		}
		if got, want := k.Weak(), n < otp.StrongSecretLen; got != want {
			t.Errorf("%d-byte secret: Weak() = %v, want %v", n, got, want)
		}
	}
	u, err := otp.ParseURI("otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME")
	if fips140.Enabled() {
		wantFIPS(t, err, "Algorithm")
		return
	}
	if err != nil {
		t.Fatalf("Google's 80-bit example: %v", err)
	}
	if !u.Key.Weak() {
		t.Error("an 80-bit key is not marked weak")
	}
	// pquerna/otp's code for this key at 1,700,000,000 (checked in
	// benchmarks/TestPquernaAgreesOnImports).
	if got := otp.TOTP(u.Key, time.Unix(1_700_000_000, 0)).Reveal(); len(got) != 6 {
		t.Fatalf("code %q", got)
	}
	if (*otp.Key)(nil).Weak() || new(otp.Key).Weak() {
		t.Error("a nil or zero key reports weak")
	}
}

func TestGeneratedKeysAreNeverWeak(t *testing.T) {
	for _, a := range modeAlgorithms() {
		for range 20 {
			k, err := otp.GenerateKey(nil, otp.Params{Algorithm: a})
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := otp.DecodeSecret(k.Secret().Reveal())
			if k.Weak() || len(raw) != a.Size() {
				t.Fatalf("%v: generated a %d-byte key (weak %v), want the hash size %d", a, len(raw), k.Weak(), a.Size())
			}
		}
	}
}

// TestRefusalsSayWhy: every refusal's top-level message carries its
// reason, so no errors.Unwrap is needed to tell the user.
func TestRefusalsSayWhy(t *testing.T) {
	tests := []struct {
		uri  string
		want []string
	}{
		{"otpauth://totp/ACME:alice?secret=GEZDGNBV", []string{"secret", "too short", "5 bytes", "10 to 256"}},
		{"otpauth://totp/ACME:alice?secret=" + strings.Repeat("A", 420), []string{"secret", "too long", "262 bytes"}},
		{"otpauth://totp/ACME:alice?secret=GEZD1NBV", []string{"not Base32", "not a Base32 character at offset 4"}},
		{"otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOI==", []string{"too much padding", "at most 1"}},
		{"otpauth://totp/ACME:alice?secret=GEZDGN", []string{"truncated"}},
		{"otpauth://totp/ACME:alice?secret=", []string{"empty"}},
	}
	for _, tt := range tests {
		_, err := otp.ParseURI(tt.uri)
		if err == nil {
			t.Fatalf("%s accepted", tt.uri)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseURI(%.60s...) = %q, want it to say %q", tt.uri, err, w)
			}
		}
	}
	if _, err := otp.NewKey(make([]byte, 9), otp.Params{}); err == nil || !strings.Contains(err.Error(), "too short: 9 bytes") {
		t.Errorf("NewKey(9 bytes) = %v", err)
	}
}

// Issue 15, otp 3: one call makes a key with its URI; a symmetric skew.

func TestGenerate(t *testing.T) {
	// The zero Params are SHA1, which FIPS 140-3 mode refuses.
	_, _, err := otp.Generate(otp.GenerateOpts{Issuer: "ACME Co", Account: "alice@example.com"})
	if fips140.Enabled() {
		wantFIPS(t, err, "Algorithm")
	} else if err != nil {
		t.Fatal(err)
	}
	k, uri, err := otp.Generate(otp.GenerateOpts{Issuer: "ACME Co", Account: "alice@example.com", Params: otp.Params{Algorithm: otp.SHA256}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := otp.ParseURI(uri.Reveal())
	if err != nil {
		t.Fatalf("Generate's URI does not parse: %v", err)
	}
	if u.Issuer != "ACME Co" || u.Account != "alice@example.com" || u.Kind != otp.TOTPKind || !u.Key.Equal(k) || k.Weak() {
		t.Fatalf("URI %+v does not carry the key and names", u)
	}
	if fmtd := uri.String(); strings.Contains(fmtd, k.Secret().Reveal()) {
		t.Fatal("the URI prints its secret")
	}
	_, hotp, err := otp.Generate(otp.GenerateOpts{Account: "bob", Kind: otp.HOTPKind, Params: otp.Params{Algorithm: otp.SHA256, Digits: 8}})
	if err != nil || !strings.Contains(hotp.Reveal(), "otpauth://hotp/bob?") || !strings.Contains(hotp.Reveal(), "counter=0") {
		t.Fatalf("HOTP: %v", err)
	}
	for name, opts := range map[string]otp.GenerateOpts{
		"no account":    {Issuer: "ACME"},
		"colon":         {Issuer: "AC:ME", Account: "a"},
		"bidi":          {Issuer: "ACME", Account: "a\u202eb"},
		"bad kind":      {Account: "a", Kind: 7, Params: otp.Params{Algorithm: otp.SHA256}},
		"bad params":    {Account: "a", Params: otp.Params{Digits: 4}},
		"reader is dry": {Account: "a", Rand: strings.NewReader("short"), Params: otp.Params{Algorithm: otp.SHA256}},
	} {
		if _, _, err := otp.Generate(opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, _, err := otp.Generate(otp.GenerateOpts{Account: "a", Params: otp.Params{Digits: 4}}); !errors.Is(err, otp.ErrParams) {
		t.Errorf("bad params: %v, want ErrParams", err)
	}
	if _, _, err := otp.Generate(otp.GenerateOpts{Account: "", Params: otp.Params{Algorithm: otp.SHA256}}); !errors.Is(err, otp.ErrURI) {
		t.Errorf("no account: %v, want ErrURI", err)
	}
}

func TestValidateSkew(t *testing.T) {
	k, _ := otp.NewKey(rfcKey, otp.Params{Algorithm: testAlg})
	now := time.Unix(1_700_000_000, 0)
	cur := k.Step(now)
	for off := -3; off <= 3; off++ {
		code := otp.HOTP(k, uint64(int64(cur)+int64(off))).Reveal()
		_, err := otp.ValidateTOTP(k, code, now, otp.ValidateOpts{Skew: 2})
		sym, _ := otp.ValidateTOTP(k, code, now, otp.ValidateOpts{Past: 2, Future: 2})
		if (err == nil) != (off >= -2 && off <= 2) {
			t.Errorf("Skew 2, offset %d: %v", off, err)
		}
		if want, _ := otp.ValidateTOTP(k, code, now, otp.ValidateOpts{Skew: 2}); want != sym {
			t.Errorf("Skew 2 and Past=Future=2 disagree at offset %d", off)
		}
	}
	for name, o := range map[string]otp.ValidateOpts{
		"negative": {Skew: -1}, "too big": {Skew: otp.MaxWindow + 1}, "with Past": {Skew: 1, Past: 1}, "with Future": {Skew: 1, Future: 2},
	} {
		var pe *otp.ParamError
		if _, err := otp.ValidateTOTP(k, "123456", now, o); !errors.As(err, &pe) || pe.Field != "Skew" {
			t.Errorf("%s: %v, want a ParamError on Skew", name, err)
		}
	}
}
