//go:build !race

package otp_test

import (
	"crypto/fips140"
	"errors"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/otp"
)

// fipsAllocsPerMAC bounds the allocations of one crypto/hmac HMAC (New,
// Write, Sum) in FIPS mode.
const fipsAllocsPerMAC = 8

// TestZeroAllocs is built without the race detector only: its
// instrumentation makes the standard library's hash state serialization
// allocate, which says nothing about a production build. `make test` runs
// it in a separate step without -race.
//
// In FIPS 140-3 mode every HMAC goes through crypto/hmac, the validated
// module, which allocates: there the test holds each call to
// fipsAllocsPerMAC allocations per HMAC it computes (ValidateTOTP over
// Past 1, Future 1 computes three, ValidateHOTP over 10 eleven), and SHA1
// keys are refused.
func TestZeroAllocs(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	inFIPS := fips140.Enabled()
	if _, err := otp.NewKey(rfcSecret(otp.SHA1), otp.Params{}); inFIPS != errors.Is(err, otp.ErrFIPS) {
		t.Fatalf("SHA1 key in FIPS mode %v: %v", inFIPS, err)
	}
	for _, a := range modeAlgorithms() {
		k, err := otp.NewKey(rfcSecret(a), otp.Params{Algorithm: a})
		if err != nil {
			t.Fatal(err)
		}
		code := otp.TOTP(k, now).Reveal()
		buf := make([]byte, 0, otp.MaxDigits)
		checks := map[string]func(){
			"AppendTOTP": func() { buf = otp.AppendTOTP(buf[:0], k, now) },
			"AppendHOTP": func() { buf = otp.AppendHOTP(buf[:0], k, 42) },
			"ValidateTOTP": func() {
				if _, err := otp.ValidateTOTP(k, code, now, otp.ValidateOpts{Past: 1, Future: 1}); err != nil {
					t.Fatal(err)
				}
			},
			"ValidateHOTP": func() { _, _ = otp.ValidateHOTP(k, code, 0, 10) },
		}
		macs := map[string]float64{"AppendTOTP": 1, "AppendHOTP": 1, "ValidateTOTP": 3, "ValidateHOTP": 11}
		for name, f := range checks {
			n := testing.AllocsPerRun(100, f)
			switch {
			case !inFIPS && n != 0:
				t.Errorf("%v %s: %v allocations, want 0", a, name, n)
			case inFIPS && (n == 0 || n > fipsAllocsPerMAC*macs[name]):
				t.Errorf("%v %s in FIPS mode: %v allocations, want 1 to %v", a, name, n, fipsAllocsPerMAC*macs[name])
			}
		}
	}
}
