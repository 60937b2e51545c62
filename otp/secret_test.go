package otp_test

import (
	"bytes"
	"crypto/fips140"
	"errors"
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/otp"
)

var decodeTests = []struct {
	name   string
	in     string
	want   string // decoded bytes; "" when an error is expected
	offset int    // expected SecretError.Offset on error
}{
	{"canonical", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "12345678901234567890", 0},
	{"lower case", "gezdgnbvgy3tqojqgezdgnbvgy3tqojq", "12345678901234567890", 0},
	{"grouped with spaces", "gezd gnbv gy3t qojq gezd gnbv gy3t qojq", "12345678901234567890", 0},
	{"hyphens and tabs", "GEZD-GNBV\tGY3T", "1234567", 0},
	{"padded", "GEZDGNBVGY3TQOI=", "123456789", 0},
	{"unpadded partial group", "GEZDGNBVGY3TQOI", "123456789", 0},
	{"one byte padded", "GE======", "1", 0},
	{"one byte unpadded", "GE", "1", 0},
	{"digit 1 is not Base32", "GEZ1", "", 3},
	{"digit 0 is not Base32", "0EZD", "", 0},
	{"digit 8", "GEZDGNB8", "", 7},
	{"punctuation", "GEZD.GNBV", "", 4},
	{"non-ASCII", "GEZDé", "", 4},
	{"character after padding", "GE==A===", "", 4},
	{"partial padding", "GE=", "1", 0},
	{"partial padding after 52 characters", strings.Repeat("GEZDGNBV", 6) + "GEZD==", strings.Repeat("12345", 6) + "12", 0},
	{"too much padding", "GEZDGNBVGY3TQOI==", "", 15},
	{"padding after a full group", "GEZDGNBV=", "", 8},
	{"impossible length 1", "G", "", -1},
	{"impossible length 3", "GEZ", "", -1},
	{"impossible length 6", "GEZDGN", "", -1},
	{"empty", "", "", -1},
	{"only separators", " - \t", "", -1},
	{"too long", strings.Repeat("A", 2000), "", -1},
}

func TestDecodeSecret(t *testing.T) {
	for _, tt := range decodeTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := otp.DecodeSecret(tt.in)
			if tt.want != "" {
				if err != nil || string(got) != tt.want {
					t.Fatalf("DecodeSecret = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			var se *otp.SecretError
			if !errors.As(err, &se) || !errors.Is(err, otp.ErrSecret) || se.Offset != tt.offset {
				t.Fatalf("err = %#v, want a SecretError at offset %d", err, tt.offset)
			}
			if len(tt.in) > 3 && strings.Contains(err.Error(), tt.in) {
				t.Fatalf("error quotes the secret: %v", err)
			}
		})
	}
}

func TestEncodeSecret(t *testing.T) {
	if got := otp.EncodeSecret([]byte("12345678901234567890")).Reveal(); got != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Fatal(got)
	}
	if got := otp.EncodeSecret([]byte("1")).Reveal(); got != "GE" {
		t.Fatalf("EncodeSecret pads: %s", got)
	}
}

func TestParseKey(t *testing.T) {
	k, err := otp.ParseKey("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", otp.Params{})
	if fips140.Enabled() { // SHA1, refused in FIPS 140-3 mode
		wantFIPS(t, err, "Algorithm")
		want, _ := otp.NewKey(rfcKey, otp.Params{Algorithm: otp.SHA256})
		if k, err = otp.ParseKey("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", otp.Params{Algorithm: otp.SHA256}); err != nil || !k.Equal(want) {
			t.Fatalf("ParseKey with SHA256: %v", err)
		}
	} else if err != nil || otp.HOTP(k, 0).Reveal() != hotpVectors[0] {
		t.Fatalf("ParseKey: %v", err)
	}
	if _, err := otp.ParseKey("GEZDGNBV", otp.Params{}); !errors.Is(err, otp.ErrSecret) {
		t.Fatalf("a 5-byte secret: %v, want ErrSecret", err)
	}
	if _, err := otp.ParseKey("GEZ1", otp.Params{}); !errors.Is(err, otp.ErrSecret) {
		t.Fatalf("bad Base32: %v", err)
	}
}

// FuzzDecodeSecret checks that DecodeSecret never panics, that its errors
// are typed and never quote the input, and that what it accepts survives
// an encode/decode round trip.
func FuzzDecodeSecret(f *testing.F) {
	for _, tt := range decodeTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := otp.DecodeSecret(s)
		if err != nil {
			var se *otp.SecretError
			if !errors.As(err, &se) || se.Offset >= len(s) {
				t.Fatalf("untyped or out-of-range error %#v", err)
			}
			return
		}
		enc := otp.EncodeSecret(b).Reveal()
		b2, err := otp.DecodeSecret(enc)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("round trip of %q failed: %v", s, err)
		}
		if len(b) == 0 {
			t.Fatal("accepted an empty secret")
		}
	})
}
