package seal

import (
	"bytes"
	"crypto/fips140"
	"errors"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

var (
	k1  = bytes.Repeat([]byte{1}, KeySize)
	k2  = bytes.Repeat([]byte{2}, KeySize)
	now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
)

func mustNew(t testing.TB, cur uint8, keys map[uint8][]byte) *Sealer {
	s, err := New(cur, keys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewErrors(t *testing.T) {
	if _, err := New(1, map[uint8][]byte{2: k2}); !errors.Is(err, ErrKey) {
		t.Error(err)
	}
	if _, err := New(1, map[uint8][]byte{1: k1[:16]}); !errors.Is(err, ErrKey) {
		t.Error(err)
	}
}

func TestSealOpen(t *testing.T) {
	s1 := mustNew(t, 1, map[uint8][]byte{1: k1})
	sealed := s1.Seal([]byte("4711-secret"), []byte("reset-1"), now.Add(time.Hour))
	if sealed[0] != FormatAESGCM || sealed[1] != 1 {
		t.Fatalf("header = %x", sealed[:2])
	}
	if len(sealed) != Overhead+len("4711-secret") || bytes.Contains(sealed, []byte("4711")) {
		t.Fatalf("sealed = %x", sealed)
	}
	rotated := mustNew(t, 2, map[uint8][]byte{1: k1, 2: k2})
	tamper := func(i int) []byte { c := bytes.Clone(sealed); c[i] ^= 1; return c }
	tests := []struct {
		name   string
		s      *Sealer
		sealed []byte
		ad     string
		at     time.Time
		want   error
	}{
		{"ok", s1, sealed, "reset-1", now, nil},
		{"ok at the limit", s1, sealed, "reset-1", now.Add(time.Hour), nil},
		{"ok after rotation", rotated, sealed, "reset-1", now, nil},
		{"expired", s1, sealed, "reset-1", now.Add(time.Hour + time.Second), ErrExpired},
		{"other record", s1, sealed, "reset-2", now, ErrOpen},
		{"retention extended", s1, tamper(9), "reset-1", now, ErrOpen},
		{"ciphertext flipped", s1, tamper(len(sealed) - 1), "reset-1", now, ErrOpen},
		{"retired key", mustNew(t, 2, map[uint8][]byte{2: k2}), sealed, "reset-1", now, ErrUnknownKey},
		{"short", s1, sealed[:Overhead-1], "reset-1", now, ErrFormat},
		{"format", s1, append([]byte{9}, sealed[1:]...), "reset-1", now, ErrFormat},
	}
	for _, tt := range tests {
		pt, err := tt.s.Open(tt.sealed, []byte(tt.ad), tt.at)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if tt.want == nil && string(pt) != "4711-secret" {
			t.Errorf("%s: pt = %q", tt.name, pt)
		}
	}
	if na, err := NotAfter(sealed); err != nil || !na.Equal(now.Add(time.Hour)) {
		t.Errorf("NotAfter = %v, %v", na, err)
	}
}

func TestNoRetentionLimit(t *testing.T) {
	s := mustNew(t, 1, map[uint8][]byte{1: k1})
	sealed := s.Seal([]byte("x"), nil, time.Time{})
	if _, err := s.Open(sealed, nil, now.AddDate(100, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if na, _ := NotAfter(sealed); !na.IsZero() {
		t.Fatal(na)
	}
}

func TestNoncesDiffer(t *testing.T) {
	s := mustNew(t, 1, map[uint8][]byte{1: k1})
	seen := map[string]bool{}
	for range 1000 {
		n := string(s.Seal(nil, nil, now)[headerLen : headerLen+gcmNonce])
		if seen[n] {
			t.Fatal("a nonce repeated")
		}
		seen[n] = true
	}
}

func TestPropertyRoundTrip(t *testing.T) {
	s := mustNew(t, 1, map[uint8][]byte{1: k1})
	p := gopter.NewProperties(gopter.DefaultTestParameters())
	p.Property("open(seal(x)) == x, and every flipped byte fails", prop.ForAll(
		func(pt, ad []byte, pos int) bool {
			sealed := s.Seal(pt, ad, now.Add(time.Minute))
			got, err := s.Open(sealed, ad, now)
			if err != nil || !bytes.Equal(got, pt) {
				return false
			}
			c := bytes.Clone(sealed)
			c[pos%len(c)] ^= 0x80
			_, err = s.Open(c, ad, now)
			return err != nil
		},
		gen.SliceOf(gen.UInt8()), gen.SliceOf(gen.UInt8()), gen.IntRange(0, 1<<20),
	))
	p.TestingRun(t)
}

func BenchmarkSealOpen(b *testing.B) {
	s := mustNew(b, 1, map[uint8][]byte{1: k1})
	pt, ad := []byte("12345678"), []byte("reset-1")
	b.ReportAllocs()
	for b.Loop() {
		sealed := s.Seal(pt, ad, now)
		if _, err := s.Open(sealed, ad, now); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLengthBoundaries: each format is well formed from exactly its
// overhead (an empty plaintext) on and malformed one byte short of it, in
// Open, Reseal and NotAfter alike; a format 1 value as long as format 2's
// overhead, an unknown format byte and an empty value are malformed.
func TestLengthBoundaries(t *testing.T) {
	s := mustNew(t, 1, map[uint8][]byte{1: k1})
	gcm := s.Seal(nil, nil, time.Time{})
	if len(gcm) != Overhead {
		t.Fatalf("empty plaintext sealed to %d bytes, want %d", len(gcm), Overhead)
	}
	// x is a format 1 value of an empty plaintext. In FIPS mode
	// XChaCha20-Poly1305 is unavailable and Open refuses format 1 before
	// decrypting, so a header and zero bytes stand in for it.
	x := make([]byte, overheadX)
	x[0], x[1] = FormatXChaCha, 1
	xWant := ErrReseal
	if !fips140.Enabled() {
		x, xWant = sealWith(t, FormatXChaCha, 1, k1, 0, seq(24, 0x40), nil, nil), nil
	}
	if len(x) != overheadX {
		t.Fatalf("format 1 empty plaintext is %d bytes, want %d", len(x), overheadX)
	}
	unknown := bytes.Clone(x)
	unknown[0] = 3
	tests := []struct {
		name     string
		sealed   []byte
		want     error // from Open and Reseal
		wellForm bool  // NotAfter succeeds
	}{
		{"format 2 at its overhead", gcm, nil, true},
		{"format 2 one byte short", gcm[:Overhead-1], ErrFormat, false},
		{"format 2 header only", gcm[:headerLen], ErrFormat, false},
		{"format 1 at its overhead", x, xWant, true},
		{"format 1 one byte short", x[:overheadX-1], ErrFormat, false},
		{"format 1 at format 2's overhead", x[:Overhead], ErrFormat, false},
		{"unknown format at format 1's overhead", unknown, ErrFormat, false},
		{"one byte", gcm[:1], ErrFormat, false},
		{"empty", nil, ErrFormat, false},
	}
	for _, tt := range tests {
		pt, err := s.Open(tt.sealed, nil, now)
		if tt.want == nil {
			if err != nil || len(pt) != 0 {
				t.Errorf("%s: Open = %x, %v; want empty plaintext", tt.name, pt, err)
			}
		} else if !errors.Is(err, tt.want) {
			t.Errorf("%s: Open: %v, want %v", tt.name, err, tt.want)
		}
		re, err := s.Reseal(tt.sealed, nil)
		if tt.want == nil {
			if err != nil || len(re) != Overhead || s.NeedsReseal(re) {
				t.Errorf("%s: Reseal = %x, %v", tt.name, re, err)
			}
		} else if !errors.Is(err, tt.want) {
			t.Errorf("%s: Reseal: %v, want %v", tt.name, err, tt.want)
		}
		na, err := NotAfter(tt.sealed)
		if tt.wellForm && (err != nil || !na.IsZero()) {
			t.Errorf("%s: NotAfter = %v, %v; want no limit", tt.name, na, err)
		}
		if !tt.wellForm && (err != ErrFormat || !na.IsZero()) {
			t.Errorf("%s: NotAfter = %v, %v; want ErrFormat", tt.name, na, err)
		}
	}
}

// TestNeedsResealReadsTheHeader: NeedsReseal judges a value by its
// 10-byte header alone: the header of a current value, nothing after it,
// needs no re-seal; one byte shorter is no header and needs one, as do
// another format byte and another key ID.
func TestNeedsResealReadsTheHeader(t *testing.T) {
	s := mustNew(t, 2, map[uint8][]byte{1: k1, 2: k2})
	cur := s.Seal([]byte("x"), nil, time.Time{})
	otherKey := mustNew(t, 1, map[uint8][]byte{1: k1}).Seal([]byte("x"), nil, time.Time{})
	otherFormat := bytes.Clone(cur)
	otherFormat[0] = FormatXChaCha
	tests := []struct {
		name   string
		sealed []byte
		want   bool
	}{
		{"current", cur, false},
		{"current header only", cur[:headerLen], false},
		{"one byte short of a header", cur[:headerLen-1], true},
		{"format and key ID only", cur[:2], true},
		{"empty", nil, true},
		{"other key", otherKey, true},
		{"other format", otherFormat, true},
	}
	for _, tt := range tests {
		if got := s.NeedsReseal(tt.sealed); got != tt.want {
			t.Errorf("%s: NeedsReseal = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestResealError: the error names the format and the rule, and matches
// ErrReseal and nothing else.
func TestResealError(t *testing.T) {
	err := error(&ResealError{Format: FormatXChaCha})
	want := "seal: format 1 (XChaCha20-Poly1305) is not allowed in FIPS 140-3 mode; re-seal the value with AES-256-GCM outside FIPS mode"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if !errors.Is(err, ErrReseal) {
		t.Error("does not match ErrReseal")
	}
	for _, other := range []error{ErrFormat, ErrOpen, ErrKey, ErrUnknownKey, ErrExpired} {
		if errors.Is(err, other) {
			t.Errorf("matches %v", other)
		}
	}
}
