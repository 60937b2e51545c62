package otp_test

import (
	"crypto/fips140"
	"errors"
	"testing"

	"github.com/mdmcred/mdmcred/otp"
)

// modeAlgorithms are the algorithms the mode accepts: FIPS 140-3 mode
// refuses SHA1 (a ParamError matching otp.ErrFIPS).
func modeAlgorithms() []otp.Algorithm {
	if fips140.Enabled() {
		return []otp.Algorithm{otp.SHA256, otp.SHA512}
	}
	return []otp.Algorithm{otp.SHA1, otp.SHA256, otp.SHA512}
}

// wantFIPS checks that err is FIPS 140-3 mode's refusal of field.
func wantFIPS(t *testing.T, err error, field string) {
	t.Helper()
	var pe *otp.ParamError
	if !errors.As(err, &pe) || !errors.Is(err, otp.ErrFIPS) || !errors.Is(err, otp.ErrParams) || pe.Field != field {
		t.Errorf("in FIPS mode: %v, want a ParamError matching ErrFIPS for %s", err, field)
	}
}

// testAlg is the algorithm of the tests' generic keys: SHA1, the default,
// outside FIPS mode; SHA256 in it, which refuses SHA1.
var testAlg = modeAlgorithms()[0]
