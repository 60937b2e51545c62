package benchmarks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/internal/secret"
	"github.com/mdmcred/mdmcred/servicepass"
)

// Verification of a service password against its floor, raw crypto/hmac:
//
//   - Floor/HMACNew: what a hand-written verifier does per code: hmac.New
//     under the device key, one Write of the bytes servicepass MACs
//     (domain label, device ID, padding, payload), Sum, and a constant-time
//     compare with the expected tag.
//   - Floor/HMACReused: the same with one hmac.Hash reset between codes, the
//     cheapest a verifier can MAC with crypto/hmac.
//   - Ours/Verify: servicepass Verifier.Verify on a fresh valid code with
//     memory state: normalize, check symbol, decode, key lookup, lockout,
//     MAC, validity, clock high-water mark, mode rules, replay guard, use
//     record and privileged window.
//   - Ours/VerifyTypo: a mistyped code, refused by the check symbol before
//     any MAC work.
const spDevice = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"

var (
	spT0     = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	spMaster = bytes.Repeat([]byte{0x5a}, servicepass.KeySize)
)

// spFixture is an issuer on a settable clock and the device's verifier.
type spFixture struct {
	now    time.Time
	issuer *servicepass.Issuer
	v      *servicepass.Verifier
	key    servicepass.DeviceKey
}

func newSPFixture(tb testing.TB) *spFixture {
	tb.Helper()
	m, err := servicepass.NewMasterKey(1, spMaster)
	if err != nil {
		tb.Fatal(err)
	}
	f := &spFixture{now: spT0}
	f.issuer, err = servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{m}, Now: func() time.Time { return f.now }})
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := f.issuer.DeviceKeys(spDevice)
	if err != nil {
		tb.Fatal(err)
	}
	f.key = keys[0]
	f.v, err = servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: spDevice, Mode: servicepass.DeviceOwner, HasMode: true, Keys: keys}, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// codes issues n distinct codes valid for MinValidity from the clock.
func (f *spFixture) codes(tb testing.TB, n int) []string {
	out := make([]string, 0, n)
	seen := make(map[string]bool, n)
	for len(out) < n {
		iss, err := f.issuer.Issue(context.Background(), servicepass.Request{DeviceID: spDevice, Mode: servicepass.DeviceOwner,
			Actions: servicepass.Unlock | servicepass.DisableKiosk, ExpiresAt: f.now.Add(servicepass.MinValidity), Admin: "admin@example.com"})
		if err != nil {
			tb.Fatal(err)
		}
		if c := iss.Code.Reveal(); !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// macInput is the message servicepass MACs for p (docs/servicepass-format.md
// §MAC): the domain label, the device ID's length and bytes, zero padding to
// a whole SHA-256 block, and the first 9 payload bytes with the last two
// bits cleared (the fields, 70 bits).
func macInput(p servicepass.Payload) []byte {
	msg := append([]byte("mdmcred/servicepass/v1/mac"), byte(len(spDevice)))
	msg = append(msg, spDevice...)
	msg = append(msg, make([]byte, (sha256.BlockSize-len(msg)%sha256.BlockSize)%sha256.BlockSize)...)
	msg = append(msg, p.Bytes()[:9]...)
	msg[len(msg)-1] &^= 0x03
	return msg
}

// tag50 is the 50-bit truncated tag of sum, as the payload carries it.
func tag50(sum []byte) uint64 {
	var v uint64
	for _, c := range sum[:7] {
		v = v<<8 | uint64(c)
	}
	return v >> 6
}

func BenchmarkServicePassVerify(b *testing.B) {
	f := newSPFixture(b)
	b.Run("Ours/Verify", func(b *testing.B) {
		f := newSPFixture(b)
		codes := f.codes(b, 1024)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if i%len(codes) == 0 && i > 0 {
				b.StopTimer()
				f.now = f.now.Add(time.Hour) // the previous batch's use records are pruned
				codes = f.codes(b, len(codes))
				b.StartTimer()
			}
			if _, err := f.v.Verify(context.Background(), codes[i%len(codes)], f.now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Ours/VerifyTypo", func(b *testing.B) {
		code := []byte(f.codes(b, 1)[0])
		code[0] = map[bool]byte{true: 'A', false: 'B'}[code[0] != 'A']
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.v.Verify(context.Background(), string(code), f.now); err == nil {
				b.Fatal("accepted a typo")
			}
		}
	})

	p, err := servicepass.Decode(f.codes(b, 1)[0])
	if err != nil {
		b.Fatal(err)
	}
	msg, key := macInput(p), f.key.Bytes()
	var want [8]byte
	for i := range want {
		want[i] = byte(p.MAC.Reveal() >> (56 - 8*i))
	}
	b.Run("Floor/HMACNew", func(b *testing.B) {
		var sum [sha256.Size]byte
		b.ReportAllocs()
		for b.Loop() {
			h := hmac.New(sha256.New, key)
			h.Write(msg)
			var got [8]byte
			t := tag50(h.Sum(sum[:0]))
			for i := range got {
				got[i] = byte(t >> (56 - 8*i))
			}
			if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				b.Fatal("floor MAC mismatch")
			}
		}
	})
	b.Run("Floor/HMACReused", func(b *testing.B) {
		h := hmac.New(sha256.New, key)
		var sum [sha256.Size]byte
		b.ReportAllocs()
		for b.Loop() {
			h.Reset()
			h.Write(msg)
			var got [8]byte
			t := tag50(h.Sum(sum[:0]))
			for i := range got {
				got[i] = byte(t >> (56 - 8*i))
			}
			if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				b.Fatal("floor MAC mismatch")
			}
		}
	})
}

// TestFloorComputesTheSameMAC checks that the floor MACs exactly what
// Verify does: raw crypto/hmac over macInput under the derived device key
// gives each code's tag, and flipping a tag bit makes Verify refuse.
func TestFloorComputesTheSameMAC(t *testing.T) {
	f := newSPFixture(t)
	for _, code := range f.codes(t, 50) {
		p, err := servicepass.Decode(code)
		if err != nil {
			t.Fatal(err)
		}
		h := hmac.New(sha256.New, f.key.Bytes())
		h.Write(macInput(p))
		if got := tag50(h.Sum(nil)); got != p.MAC.Reveal() {
			t.Fatalf("crypto/hmac tag %x, code's tag %x", got, p.MAC.Reveal())
		}
		if _, err := f.v.Verify(context.Background(), code, f.now); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	}
	p, _ := servicepass.Decode(f.codes(t, 1)[0])
	p.MAC = secret.NewUint64(p.MAC.Reveal() ^ 1)
	if _, err := f.v.Verify(context.Background(), p.Canonical(), f.now); err == nil {
		t.Fatal("Verify accepted a wrong tag")
	}
}
