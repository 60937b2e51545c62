package otp_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"strconv"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/otp"
)

// The floor for the code benchmarks is the textbook implementation with
// crypto/hmac: hmac.New per code (what most libraries do), dynamic
// truncation, strconv. Ours should beat it and allocate nothing.
func floorHOTP(secret []byte, counter uint64) string {
	m := hmac.New(sha1.New, secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff % 1000000
	s := strconv.Itoa(int(v))
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}

var sinkStr string
var sinkBuf []byte

func BenchmarkFloorHMACHOTP(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkStr = floorHOTP(rfcKey, uint64(i))
	}
}

func BenchmarkAppendHOTP(b *testing.B) {
	for _, a := range []otp.Algorithm{otp.SHA1, otp.SHA256, otp.SHA512} {
		b.Run(a.String(), func(b *testing.B) {
			k, _ := otp.NewKey(rfcSecret(a), otp.Params{Algorithm: a})
			buf := make([]byte, 0, otp.MaxDigits)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				buf = otp.AppendHOTP(buf[:0], k, uint64(i))
			}
			sinkBuf = buf
		})
	}
}

func BenchmarkAppendTOTP(b *testing.B) {
	k, _ := otp.NewKey(rfcKey, otp.Params{})
	now := time.Unix(1_700_000_000, 0)
	buf := make([]byte, 0, otp.MaxDigits)
	b.ReportAllocs()
	for b.Loop() {
		buf = otp.AppendTOTP(buf[:0], k, now)
	}
	sinkBuf = buf
}

// BenchmarkValidateTOTP validates with one step of skew each way: three
// HMACs every time, by design (no early exit).
func BenchmarkValidateTOTP(b *testing.B) {
	k, _ := otp.NewKey(rfcKey, otp.Params{})
	now := time.Unix(1_700_000_000, 0)
	code := otp.TOTP(k, now).Reveal()
	opts := otp.ValidateOpts{Past: 1, Future: 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := otp.ValidateTOTP(k, code, now, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := otp.NewKey(rfcKey, otp.Params{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPINVerify(b *testing.B) {
	ctx := context.Background()
	svc, _ := otp.NewPINService(otp.PINConfig{Store: otp.NewMemStore(), Peppers: otp.NewKeys(map[uint8][]byte{1: pepper1}), PepperID: 1, MaxAttempts: 20})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// A user of its own per iteration: the issue rate limit allows a
		// user DefaultPINIssueLimit PINs an hour.
		user := "alice-" + strconv.Itoa(i)
		i++
		pin, _, err := svc.Issue(ctx, user)
		if err != nil {
			b.Fatal(err)
		}
		if err := svc.Verify(ctx, user, pin.Reveal()); err != nil {
			b.Fatal(err)
		}
	}
}
