package otp_test

import (
	"bytes"
	"crypto/fips140"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/otp"
)

var rfcKey = []byte("12345678901234567890")

func TestNewKeyParams(t *testing.T) {
	tests := []struct {
		name   string
		secret []byte
		p      otp.Params
		field  string // "" for success, "secret" for ErrSecret
		want   otp.Params
	}{
		{"defaults", rfcKey, otp.Params{}, "", otp.Params{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second}},
		{"all set", rfcKey, otp.Params{Algorithm: otp.SHA512, Digits: 10, Period: time.Hour}, "", otp.Params{Algorithm: otp.SHA512, Digits: 10, Period: time.Hour}},
		{"1 s period", rfcKey, otp.Params{Period: time.Second}, "", otp.Params{Digits: 6, Period: time.Second}},
		{"min secret", rfcKey[:16], otp.Params{}, "", otp.Params{Digits: 6, Period: 30 * time.Second}},
		{"long secret hashed", bytes.Repeat(rfcKey, 12), otp.Params{Algorithm: otp.SHA256}, "", otp.Params{Algorithm: otp.SHA256, Digits: 6, Period: 30 * time.Second}},
		{"weak 80-bit secret", rfcKey[:10], otp.Params{}, "", otp.Params{Digits: 6, Period: 30 * time.Second}},
		{"short secret", rfcKey[:9], otp.Params{}, "secret", otp.Params{}},
		{"huge secret", make([]byte, otp.MaxSecretLen+1), otp.Params{}, "secret", otp.Params{}},
		{"5 digits", rfcKey, otp.Params{Digits: 5}, "Digits", otp.Params{}},
		{"11 digits", rfcKey, otp.Params{Digits: 11}, "Digits", otp.Params{}},
		{"negative digits", rfcKey, otp.Params{Digits: -6}, "Digits", otp.Params{}},
		{"bad algorithm", rfcKey, otp.Params{Algorithm: 3}, "Algorithm", otp.Params{}},
		{"fractional period", rfcKey, otp.Params{Period: 1500 * time.Millisecond}, "Period", otp.Params{}},
		{"negative period", rfcKey, otp.Params{Period: -time.Second}, "Period", otp.Params{}},
		{"period too long", rfcKey, otp.Params{Period: time.Hour + time.Second}, "Period", otp.Params{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := otp.NewKey(tt.secret, tt.p)
			// FIPS 140-3 mode refuses the SHA1 keys the table accepts.
			if fips140.Enabled() && tt.field == "" && tt.want.Algorithm == otp.SHA1 {
				wantFIPS(t, err, "Algorithm")
				return
			}
			switch tt.field {
			case "":
				if err != nil {
					t.Fatal(err)
				}
				if got := k.Params(); got != tt.want {
					t.Fatalf("Params = %+v, want %+v", got, tt.want)
				}
			case "secret":
				if !errors.Is(err, otp.ErrSecret) {
					t.Fatalf("err = %v, want ErrSecret", err)
				}
			default:
				var pe *otp.ParamError
				if !errors.As(err, &pe) || pe.Field != tt.field || !errors.Is(err, otp.ErrParams) {
					t.Fatalf("err = %v, want a ParamError on %s", err, tt.field)
				}
			}
		})
	}
}

func TestNewKeyCopiesSecret(t *testing.T) {
	s := bytes.Clone(rfcKey)
	k, err := otp.NewKey(s, otp.Params{Algorithm: testAlg})
	if err != nil {
		t.Fatal(err)
	}
	want := otp.HOTP(k, 0).Reveal()
	s[0] ^= 1
	if got := otp.HOTP(k, 0).Reveal(); got != want {
		t.Fatalf("changing the caller's slice changed the key: %s", got)
	}
}

func TestGenerateKey(t *testing.T) {
	if _, err := otp.GenerateKey(nil, otp.Params{}); fips140.Enabled() {
		wantFIPS(t, err, "Algorithm")
	} else if err != nil {
		t.Fatal(err)
	}
	for _, a := range modeAlgorithms() {
		k, err := otp.GenerateKey(nil, otp.Params{Algorithm: a})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := otp.DecodeSecret(k.Secret().Reveal())
		if err != nil || len(raw) != a.Size() {
			t.Fatalf("%v: secret of %d bytes (%v), want %d", a, len(raw), err, a.Size())
		}
	}
	if _, err := otp.GenerateKey(strings.NewReader("short"), otp.Params{Algorithm: otp.SHA256}); err == nil {
		t.Fatal("a reader that runs dry gave a key")
	}
	if _, err := otp.GenerateKey(nil, otp.Params{Digits: 4}); !errors.Is(err, otp.ErrParams) {
		t.Fatalf("bad params: %v", err)
	}
}

func TestKeyNeverPrintsSecret(t *testing.T) {
	k, err := otp.NewKey(rfcKey, otp.Params{Algorithm: testAlg})
	if err != nil {
		t.Fatal(err)
	}
	b32 := k.Secret().Reveal()
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("key", "key", k)
	u := otp.URI{Issuer: "Ex", Account: "a", Key: k}
	uri, _ := u.Build()
	js, _ := json.Marshal(struct{ S otp.Secret }{k.Secret()})
	outs := []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %q %x", k, k, k, k, k, k),
		fmt.Sprintf("%+v %#v", u, u), fmt.Sprint(uri), fmt.Sprint(k.Secret()), logs.String(), string(js),
		fmt.Sprint(otp.HOTP(k, 0)),
	}
	for _, out := range outs {
		if strings.Contains(out, b32) || strings.Contains(out, string(rfcKey)) || strings.Contains(out, hotpVectors[0]) {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if !strings.Contains(logs.String(), `"digits":6`) {
		t.Errorf("log lost the parameters: %s", logs.String())
	}
}

func TestLeadingZeros(t *testing.T) {
	// RFC 6238 at 1111111109 with SHA1 starts with a zero (FIPS 140-3
	// mode refuses the SHA1 key).
	k, err := otp.NewKey(rfcKey, otp.Params{Digits: 8})
	if fips140.Enabled() {
		wantFIPS(t, err, "Algorithm")
	} else if got := otp.TOTP(k, time.Unix(1111111109, 0)).Reveal(); got != "07081804" {
		t.Fatalf("TOTP = %s", got)
	}
	// Every width keeps its length.
	for d := otp.MinDigits; d <= otp.MaxDigits; d++ {
		k, _ := otp.NewKey(rfcKey, otp.Params{Algorithm: testAlg, Digits: d})
		for c := range uint64(200) {
			if got := otp.HOTP(k, c); got.Len() != d {
				t.Fatalf("%d digits: code of length %d", d, got.Len())
			}
		}
	}
}

func TestValidateTOTPTable(t *testing.T) {
	k, _ := otp.NewKey(rfcKey, otp.Params{Algorithm: testAlg})
	now := time.Unix(1_700_000_000, 0)
	cur := k.Step(now)
	code := func(step uint64) string { return otp.HOTP(k, step).Reveal() }
	tests := []struct {
		name string
		code string
		opts otp.ValidateOpts
		step uint64
		err  error
	}{
		{"current", code(cur), otp.ValidateOpts{}, cur, nil},
		{"spaces ignored", code(cur)[:3] + " " + code(cur)[3:], otp.ValidateOpts{}, cur, nil},
		{"previous without skew", code(cur - 1), otp.ValidateOpts{}, 0, otp.ErrInvalid},
		{"previous with past 1", code(cur - 1), otp.ValidateOpts{Past: 1}, cur - 1, nil},
		{"two back with past 1", code(cur - 2), otp.ValidateOpts{Past: 1}, 0, otp.ErrInvalid},
		{"next with past 1 only", code(cur + 1), otp.ValidateOpts{Past: 1}, 0, otp.ErrInvalid},
		{"next with future 1", code(cur + 1), otp.ValidateOpts{Future: 1}, cur + 1, nil},
		{"three ahead with future 3", code(cur + 3), otp.ValidateOpts{Future: 3}, cur + 3, nil},
		{"replay of current", code(cur), otp.ValidateOpts{Past: 1, MinStep: cur + 1}, 0, otp.ErrReplay},
		{"replay of previous", code(cur - 1), otp.ValidateOpts{Past: 1, MinStep: cur}, 0, otp.ErrReplay},
		{"current after previous used", code(cur), otp.ValidateOpts{Past: 1, MinStep: cur}, cur, nil},
		{"future after current used", code(cur + 1), otp.ValidateOpts{Future: 1, MinStep: cur + 1}, cur + 1, nil},
		{"wrong length", "12345", otp.ValidateOpts{}, 0, otp.ErrFormat},
		{"too long", "1234567", otp.ValidateOpts{}, 0, otp.ErrFormat},
		{"letters", "12345a", otp.ValidateOpts{}, 0, otp.ErrFormat},
		{"empty", "", otp.ValidateOpts{}, 0, otp.ErrFormat},
		{"unicode digits", "１２３４５６", otp.ValidateOpts{}, 0, otp.ErrFormat},
		{"negative past", code(cur), otp.ValidateOpts{Past: -1}, 0, otp.ErrParams},
		{"future too far", code(cur), otp.ValidateOpts{Future: otp.MaxWindow + 1}, 0, otp.ErrParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := otp.ValidateTOTP(k, tt.code, now, tt.opts)
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) || got != tt.step {
				t.Fatalf("ValidateTOTP = %d, %v; want %d, %v", got, err, tt.step, tt.err)
			}
		})
	}
}

func TestValidateTOTPNearEpoch(t *testing.T) {
	k, _ := otp.NewKey(rfcKey, otp.Params{Algorithm: testAlg})
	// Step 0 with a past skew must not wrap around to 2^64-1.
	got, err := otp.ValidateTOTP(k, otp.HOTP(k, 0).Reveal(), time.Unix(5, 0), otp.ValidateOpts{Past: 3, Future: 1})
	if err != nil || got != 0 {
		t.Fatalf("= %d, %v", got, err)
	}
	if s := k.Step(time.Unix(-100, 0)); s != 0 {
		t.Fatalf("Step before the epoch = %d", s)
	}
	if !k.StepStart(k.Step(time.Unix(95, 0))).Equal(time.Unix(90, 0)) {
		t.Fatal("StepStart")
	}
}

func TestValidateTenDigits(t *testing.T) {
	k, _ := otp.NewKey(rfcKey, otp.Params{Algorithm: testAlg, Digits: 10})
	now := time.Unix(1_700_000_000, 0)
	c := otp.TOTP(k, now).Reveal()
	if _, err := otp.ValidateTOTP(k, c, now, otp.ValidateOpts{}); err != nil {
		t.Fatal(err)
	}
	// Above 2^31-1 no 10-digit code exists: refused as malformed.
	if _, err := otp.ValidateTOTP(k, "9999999999", now, otp.ValidateOpts{}); !errors.Is(err, otp.ErrFormat) {
		t.Fatalf("9999999999: %v", err)
	}
}

func TestValidateHOTPTable(t *testing.T) {
	k, _ := otp.NewKey(rfcKey, otp.Params{Algorithm: testAlg})
	hotpVectors := hotpVectors
	if fips140.Enabled() { // the RFC's codes are SHA1's: use the key's own
		hotpVectors = make([]string, 10)
		for c := range hotpVectors {
			hotpVectors[c] = otp.HOTP(k, uint64(c)).Reveal()
		}
	}
	tests := []struct {
		name      string
		code      string
		next      uint64
		lookAhead int
		counter   uint64
		err       error
	}{
		{"expected counter", hotpVectors[3], 3, 0, 3, nil},
		{"within look-ahead", hotpVectors[7], 3, 5, 7, nil},
		{"beyond look-ahead", hotpVectors[9], 3, 5, 0, otp.ErrInvalid},
		{"already used", hotpVectors[2], 3, 5, 0, otp.ErrInvalid},
		{"malformed", "abc", 0, 5, 0, otp.ErrFormat},
		{"negative window", hotpVectors[0], 0, -1, 0, otp.ErrParams},
		{"window too large", hotpVectors[0], 0, otp.MaxWindow + 1, 0, otp.ErrParams},
		{"top of counter space", otp.HOTP(k, ^uint64(0)).Reveal(), ^uint64(0) - 1, 10, ^uint64(0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := otp.ValidateHOTP(k, tt.code, tt.next, tt.lookAhead)
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) || got != tt.counter {
				t.Fatalf("ValidateHOTP = %d, %v; want %d, %v", got, err, tt.counter, tt.err)
			}
		})
	}
}

func TestZeroKeyFailsClosed(t *testing.T) {
	for _, k := range []*otp.Key{nil, new(otp.Key)} {
		if _, err := otp.ValidateTOTP(k, "123456", time.Unix(1e9, 0), otp.ValidateOpts{}); !errors.Is(err, otp.ErrParams) {
			t.Errorf("ValidateTOTP(%v) = %v, want ErrParams", k, err)
		}
		if _, err := otp.ValidateHOTP(k, "123456", 0, 10); !errors.Is(err, otp.ErrParams) {
			t.Errorf("ValidateHOTP(%v) = %v, want ErrParams", k, err)
		}
		if got := otp.AppendTOTP([]byte("x"), k, time.Unix(1e9, 0)); string(got) != "x" {
			t.Errorf("AppendTOTP = %q", got)
		}
		if got := otp.HOTP(k, 1); !got.IsZero() {
			t.Errorf("HOTP of a zero key has %d digits", got.Len())
		}
		if k.Step(time.Unix(1e9, 0)) != 0 {
			t.Error("Step of a zero key")
		}
	}
}

// TestKeyEqual: the same secret and parameters are equal; a nil Key equals
// only nil; a zero Key equals only a zero Key of the same parameters.
func TestKeyEqual(t *testing.T) {
	a, err := otp.NewKey(rfcSecret(otp.SHA256), otp.Params{Algorithm: otp.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	same, _ := otp.NewKey(rfcSecret(otp.SHA256), otp.Params{Algorithm: otp.SHA256})
	digits, _ := otp.NewKey(rfcSecret(otp.SHA256), otp.Params{Algorithm: otp.SHA256, Digits: 8})
	other, _ := otp.NewKey([]byte(strings.Repeat("0987654321", 4)[:32]), otp.Params{Algorithm: otp.SHA256})
	var nilKey *otp.Key
	for _, tt := range []struct {
		name string
		k, o *otp.Key
		want bool
	}{
		{"same", a, same, true},
		{"other digits", a, digits, false},
		{"other secret", a, other, false},
		{"nil and nil", nilKey, nil, true},
		{"nil and key", nilKey, a, false},
		{"key and nil", a, nil, false},
		{"zero and zero", &otp.Key{}, &otp.Key{}, true},
		{"zero and key", &otp.Key{}, a, false},
		{"key and zero", a, &otp.Key{}, false},
	} {
		if got := tt.k.Equal(tt.o); got != tt.want {
			t.Errorf("%s: Equal = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestWindowBounds: every window bound is inclusive: MaxWindow is accepted
// for Skew, Past, Future and the HOTP look-ahead, one more (or a negative
// value) is a ParamError naming the field.
func TestWindowBounds(t *testing.T) {
	k, err := otp.NewKey(rfcSecret(otp.SHA256), otp.Params{Algorithm: otp.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1e9, 0)
	code := otp.TOTP(k, now).Reveal()
	for _, tt := range []struct {
		opts  otp.ValidateOpts
		field string // "" when accepted
	}{
		{otp.ValidateOpts{Skew: otp.MaxWindow}, ""},
		{otp.ValidateOpts{Past: otp.MaxWindow, Future: otp.MaxWindow}, ""},
		{otp.ValidateOpts{Skew: otp.MaxWindow + 1}, "Skew"},
		{otp.ValidateOpts{Skew: -1}, "Skew"},
		{otp.ValidateOpts{Skew: 1, Past: 1}, "Skew"},
		{otp.ValidateOpts{Skew: 1, Future: 1}, "Skew"},
		{otp.ValidateOpts{Past: otp.MaxWindow + 1}, "Past"},
		{otp.ValidateOpts{Future: otp.MaxWindow + 1}, "Future"},
		{otp.ValidateOpts{Future: -1}, "Future"},
	} {
		_, err := otp.ValidateTOTP(k, code, now, tt.opts)
		if (tt.field == "" && err != nil) || (tt.field != "" && !isParam(err, tt.field)) {
			t.Errorf("ValidateTOTP(%+v) = %v, want ParamError on %q", tt.opts, err, tt.field)
		}
	}
	hcode := otp.HOTP(k, 7).Reveal()
	if c, err := otp.ValidateHOTP(k, hcode, 7, otp.MaxWindow); err != nil || c != 7 {
		t.Errorf("ValidateHOTP(look-ahead MaxWindow) = %d, %v", c, err)
	}
	for _, la := range []int{-1, otp.MaxWindow + 1} {
		if _, err := otp.ValidateHOTP(k, hcode, 7, la); !isParam(err, "lookAhead") {
			t.Errorf("ValidateHOTP(look-ahead %d) = %v, want a ParamError on lookAhead", la, err)
		}
	}
}
