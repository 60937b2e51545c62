package otp_test

import (
	"crypto/fips140"
	"errors"
	"testing"

	"github.com/mdmcred/mdmcred/otp"
)

// modeAlgorithms are the algorithms the mode accepts: FIPS 140-3 mode
// refuses SHA1 (otp.FIPSError).
func modeAlgorithms() []otp.Algorithm {
	if fips140.Enabled() {
		return []otp.Algorithm{otp.SHA256, otp.SHA512}
	}
	return []otp.Algorithm{otp.SHA1, otp.SHA256, otp.SHA512}
}

// wantFIPS checks that err is FIPS 140-3 mode's refusal of field.
func wantFIPS(t *testing.T, err error, field string) {
	t.Helper()
	var fe *otp.FIPSError
	if !errors.As(err, &fe) || !errors.Is(err, otp.ErrFIPS) || fe.Field != field {
		t.Errorf("in FIPS mode: %v, want a FIPSError for %s", err, field)
	}
}

// testAlg is the algorithm of the tests' generic keys: SHA1, the default,
// outside FIPS mode; SHA256 in it, which refuses SHA1.
var testAlg = modeAlgorithms()[0]
