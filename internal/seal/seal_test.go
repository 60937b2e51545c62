package seal

import (
	"bytes"
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
