package otp

import "testing"

func TestFastPathInUse(t *testing.T) {
	for _, a := range []Algorithm{SHA1, SHA256, SHA512} {
		k, err := NewKey(make([]byte, 20), Params{Algorithm: a})
		if err != nil {
			t.Fatal(err)
		}
		if !k.fast {
			t.Errorf("%v: the prepared-state path disagrees with crypto/hmac", a)
		}
	}
}
