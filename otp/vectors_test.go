package otp_test

import (
	"crypto/fips140"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/otp"
)

// rfcSecret returns the RFC 6238 Appendix B seed for a: the ASCII string
// "1234567890" repeated to the hash's output size (20, 32 or 64 bytes).
func rfcSecret(a otp.Algorithm) []byte {
	return []byte(strings.Repeat("1234567890", 7)[:a.Size()])
}

// RFC 4226 Appendix D.
var hotpVectors = []string{
	"755224", "287082", "359152", "969429", "338314",
	"254676", "287922", "162583", "399871", "520489",
}

// The RFC 4226 vectors are HMAC-SHA-1's: FIPS 140-3 mode refuses the key
// (and so every code) with a ParamError matching ErrFIPS; outside it every code matches.
func TestRFC4226Vectors(t *testing.T) {
	k, err := otp.NewKey([]byte("12345678901234567890"), otp.Params{})
	if fips140.Enabled() {
		wantFIPS(t, err, "Algorithm")
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for c, want := range hotpVectors {
		if got := otp.HOTP(k, uint64(c)).Reveal(); got != want {
			t.Errorf("HOTP(%d) = %s, want %s", c, got, want)
		}
		if got := string(otp.AppendHOTP([]byte("x"), k, uint64(c))); got != "x"+want {
			t.Errorf("AppendHOTP(%d) = %s, want x%s", c, got, want)
		}
		// Validate from counter 0 with a look-ahead that reaches c.
		got, err := otp.ValidateHOTP(k, want, 0, 9)
		if err != nil || got != uint64(c) {
			t.Errorf("ValidateHOTP(%s) = %d, %v; want %d", want, got, err, c)
		}
		// Once the counter has moved past c, the code is refused.
		if _, err := otp.ValidateHOTP(k, want, uint64(c)+1, 0); !errors.Is(err, otp.ErrInvalid) && c < 9 {
			t.Errorf("ValidateHOTP(%s) past its counter: %v, want ErrInvalid", want, err)
		}
	}
}

// RFC 6238 Appendix B, 8 digits, 30 s.
var totpVectors = []struct {
	unix int64
	alg  otp.Algorithm
	code string
}{
	{59, otp.SHA1, "94287082"},
	{59, otp.SHA256, "46119246"},
	{59, otp.SHA512, "90693936"},
	{1111111109, otp.SHA1, "07081804"},
	{1111111109, otp.SHA256, "68084774"},
	{1111111109, otp.SHA512, "25091201"},
	{1111111111, otp.SHA1, "14050471"},
	{1111111111, otp.SHA256, "67062674"},
	{1111111111, otp.SHA512, "99943326"},
	{1234567890, otp.SHA1, "89005924"},
	{1234567890, otp.SHA256, "91819424"},
	{1234567890, otp.SHA512, "93441116"},
	{2000000000, otp.SHA1, "69279037"},
	{2000000000, otp.SHA256, "90698825"},
	{2000000000, otp.SHA512, "38618901"},
	{20000000000, otp.SHA1, "65353130"},
	{20000000000, otp.SHA256, "77737706"},
	{20000000000, otp.SHA512, "47863826"},
}

// In FIPS 140-3 mode the SHA1 rows are refused (ErrFIPS) and the SHA256
// and SHA512 rows hold as outside it.
func TestRFC6238Vectors(t *testing.T) {
	for _, v := range totpVectors {
		p := otp.Params{Algorithm: v.alg, Digits: 8}
		k, err := otp.NewKey(rfcSecret(v.alg), p)
		if fips140.Enabled() && v.alg == otp.SHA1 {
			wantFIPS(t, err, "Algorithm")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		at := time.Unix(v.unix, 0)
		step := uint64(v.unix / 30)
		name := v.alg.String() + "@" + at.UTC().Format(time.RFC3339)
		if got := otp.TOTP(k, at).Reveal(); got != v.code {
			t.Errorf("%s: TOTP = %s, want %s", name, got, v.code)
		}
		if got := string(otp.AppendTOTP(nil, k, at)); got != v.code {
			t.Errorf("%s: AppendTOTP = %s, want %s", name, got, v.code)
		}
		if got := otp.HOTP(k, step).Reveal(); got != v.code {
			t.Errorf("%s: HOTP(step) = %s, want %s", name, got, v.code)
		}
		if got, err := otp.ValidateTOTP(k, v.code, at, otp.ValidateOpts{}); err != nil || got != step {
			t.Errorf("%s: ValidateTOTP = %d, %v; want %d", name, got, err, step)
		}
		if _, err := otp.ValidateTOTP(k, v.code, at, otp.ValidateOpts{MinStep: step + 1}); !errors.Is(err, otp.ErrReplay) {
			t.Errorf("%s: replay: %v, want ErrReplay", name, err)
		}
		// The same key through its Base32 form and through a key URI.
		k2, err := otp.ParseKey(k.Secret().Reveal(), p)
		if err != nil || otp.TOTP(k2, at).Reveal() != v.code {
			t.Errorf("%s: via ParseKey: %v", name, err)
		}
		s, err := otp.URI{Issuer: "Example", Account: "alice", Key: k}.Build()
		if err != nil {
			t.Fatal(err)
		}
		u, err := otp.ParseURI(s.Reveal())
		if err != nil || otp.TOTP(u.Key, at).Reveal() != v.code {
			t.Errorf("%s: via URI: %v", name, err)
		}
	}
}
