package otp_test

import (
	"errors"
	"testing"

	"github.com/mdmcred/mdmcred/otp"
)

// TestBuildRefusesZeroKey: a zero Key has no secret and fails closed
// everywhere; Build must not write it out as "secret=&digits=0&period=0".
func TestBuildRefusesZeroKey(t *testing.T) {
	for _, kind := range []otp.Kind{otp.TOTPKind, otp.HOTPKind} {
		got, err := otp.URI{Kind: kind, Issuer: "Ex", Account: "bob", Key: &otp.Key{}}.Build()
		var ue *otp.URIError
		if !errors.As(err, &ue) || ue.Field != "secret" || !errors.Is(err, otp.ErrURI) {
			t.Fatalf("%v: Build with a zero Key = %q, %v; want a URIError on secret", kind, got.Reveal(), err)
		}
	}
}
