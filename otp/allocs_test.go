//go:build !race

package otp_test

import (
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/otp"
)

// TestZeroAllocs is built without the race detector only: its
// instrumentation makes the standard library's hash state serialization
// allocate, which says nothing about a production build. `make test` runs
// it in a separate step without -race.
func TestZeroAllocs(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, a := range []otp.Algorithm{otp.SHA1, otp.SHA256, otp.SHA512} {
		k, _ := otp.NewKey(rfcSecret(a), otp.Params{Algorithm: a})
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
		for name, f := range checks {
			if n := testing.AllocsPerRun(100, f); n != 0 {
				t.Errorf("%v %s: %v allocations, want 0", a, name, n)
			}
		}
	}
}
