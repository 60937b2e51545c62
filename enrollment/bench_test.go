package enrollment_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/mdmcred/mdmcred/enrollment"
)

// BenchmarkFloorCryptoRand is the floor NewPasscode is measured against (at
// most 2x): one crypto/rand read of the bytes a 12-character draw needs and
// the loop that maps them onto the alphabet, with no class check and no
// string.
func BenchmarkFloorCryptoRand(b *testing.B) {
	var out [enrollment.Length]byte
	var buf [2*enrollment.Length + 8]byte
	b.ReportAllocs()
	for b.Loop() {
		_, _ = rand.Read(buf[:])
		for i, j := 0, 0; i < len(out) && j < len(buf); j++ {
			if v := buf[j] & 63; v < 62 {
				out[i] = enrollment.Alphabet[v]
				i++
			}
		}
	}
}

func BenchmarkNewPasscode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := enrollment.NewPasscode(nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServiceGenerate is the whole admin operation: draw, keyed hash,
// store, audit event. It is reported for information; the 2x bound applies
// to drawing the passcode (BenchmarkNewPasscode).
func BenchmarkServiceGenerate(b *testing.B) {
	f := newFixture(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.svc.Generate(ctx, "site", "admin@example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorHMAC is the floor Verify is measured against (at most 3x):
// one HMAC-SHA256 of a passcode under a 32-byte key, with the keyed state
// reused as keyedhash reuses it.
func BenchmarkFloorHMAC(b *testing.B) {
	m := hmac.New(sha256.New, pepper(1))
	var sum [sha256.Size]byte
	msg := []byte("aB3dE5gH7jK9")
	b.ReportAllocs()
	for b.Loop() {
		m.Reset()
		m.Write(msg)
		m.Sum(sum[:0])
	}
}

// BenchmarkVerify is a successful Verify on the memory store: read the
// record, parse, HMAC, constant-time compare, record the use atomically and
// append the audit event.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b, nil)
	code := f.generate(b, "site")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := f.svc.Verify(ctx, "site", code, "10.0.0.1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyWrong is a counted failure below the threshold.
func BenchmarkVerifyWrong(b *testing.B) {
	f := newFixture(b, func(c *enrollment.Config) { c.Threshold = 1 << 62 })
	code := wrong(f.generate(b, "site"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := f.svc.Verify(ctx, "site", code, "10.0.0.1"); err == nil {
			b.Fatal("accepted")
		}
	}
}
