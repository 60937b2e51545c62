package keyedhash

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

var (
	pepper1 = bytes.Repeat([]byte{1}, 32)
	pepper2 = bytes.Repeat([]byte{2}, 32)
)

func mustNew(t testing.TB, cur uint8, p map[uint8][]byte) *Hasher {
	h, err := New(cur, p)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		cur uint8
		p   map[uint8][]byte
	}{
		"missing current": {3, map[uint8][]byte{1: pepper1}},
		"short pepper":    {1, map[uint8][]byte{1: pepper1[:31]}},
		"empty":           {0, nil},
	} {
		if _, err := New(tc.cur, tc.p); !errors.Is(err, ErrPepper) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSumKnownAnswer(t *testing.T) {
	h := mustNew(t, 1, map[uint8][]byte{1: pepper1})
	d := h.Sum("enrollment/passcode", "aB3aB3aB3aB3")
	m := hmac.New(sha256.New, pepper1)
	m.Write([]byte{0, 19})
	m.Write([]byte("enrollment/passcode"))
	m.Write([]byte("aB3aB3aB3aB3"))
	want := append([]byte{Format, 1}, m.Sum(nil)...)
	if !bytes.Equal(d, want) || len(d) != Size || d.PepperID() != 1 {
		t.Fatalf("Sum = %x, want %x", d, want)
	}
}

func TestVerifyAndRotation(t *testing.T) {
	old := mustNew(t, 1, map[uint8][]byte{1: pepper1})
	d := old.Sum("d", "123456")
	rotated := mustNew(t, 2, map[uint8][]byte{1: pepper1, 2: pepper2})
	tests := []struct {
		name      string
		h         *Hasher
		domain, s string
		d         Digest
		ok, stale bool
		err       error
	}{
		{"same pepper", old, "d", "123456", d, true, false, nil},
		{"wrong secret", old, "d", "123457", d, false, false, nil},
		{"wrong domain", old, "e", "123456", d, false, false, nil},
		{"domain/secret boundary", old, "d1", "23456", d, false, false, nil},
		{"old pepper after rotation", rotated, "d", "123456", d, true, true, nil},
		{"new digest", rotated, "d", "123456", rotated.Sum("d", "123456"), true, false, nil},
		{"retired pepper", mustNew(t, 2, map[uint8][]byte{2: pepper2}), "d", "123456", d, false, false, ErrUnknownPepper},
		{"short digest", old, "d", "123456", d[:5], false, false, ErrDigest},
		{"bad format", old, "d", "123456", append(Digest{9}, d[1:]...), false, false, ErrDigest},
	}
	for _, tt := range tests {
		ok, stale, err := tt.h.Verify(tt.domain, tt.s, tt.d)
		if ok != tt.ok || stale != tt.stale || !errors.Is(err, tt.err) {
			t.Errorf("%s: Verify = %v, %v, %v", tt.name, ok, stale, err)
		}
	}
	if ids := rotated.IDs(); len(ids) != 2 || ids[0] != 2 {
		t.Errorf("IDs = %v", ids)
	}
	if _, err := rotated.SumWith(7, "d", "x"); !errors.Is(err, ErrUnknownPepper) {
		t.Errorf("SumWith unknown: %v", err)
	}
}

func TestProperties(t *testing.T) {
	h := mustNew(t, 1, map[uint8][]byte{1: pepper1})
	p := gopter.NewProperties(gopter.DefaultTestParameters())
	p.Property("a digest verifies its secret and no other", prop.ForAll(
		func(a, b string) bool {
			d := h.Sum("x", a)
			ok, _, err := h.Verify("x", a, d)
			okB, _, _ := h.Verify("x", b, d)
			return err == nil && ok && (a == b) == okB && bytes.Equal(d, h.Sum("x", a))
		},
		gen.AlphaString(), gen.AlphaString(),
	))
	p.TestingRun(t)
}

// BenchmarkHMACFloor is one HMAC-SHA256 over a short input with a reused
// keyed state: what a verifier cannot go below.
func BenchmarkHMACFloor(b *testing.B) {
	m := hmac.New(sha256.New, pepper1)
	var out [32]byte
	b.ReportAllocs()
	for b.Loop() {
		m.Reset()
		m.Write([]byte("enrollment/passcodeaB3aB3aB3aB3"))
		m.Sum(out[:0])
	}
}

func BenchmarkVerify(b *testing.B) {
	h := mustNew(b, 1, map[uint8][]byte{1: pepper1})
	d := h.Sum("enrollment/passcode", "aB3aB3aB3aB3")
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, _ := h.Verify("enrollment/passcode", "aB3aB3aB3aB3", d); !ok {
			b.Fatal("no match")
		}
	}
}
