package otp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/otp"
)

// A server enrolls a user's authenticator app and validates its codes,
// refusing a code used before. The examples use SHA256 (here the RFC 6238
// SHA-256 seed), which FIPS 140-3 mode accepts; SHA1, the zero Params,
// is refused there.
func ExampleValidateTOTP() {
	key, err := otp.ParseKey("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA", otp.Params{Algorithm: otp.SHA256})
	if err != nil {
		panic(err)
	}
	now := time.Unix(1111111109, 0)
	code := otp.TOTP(key, now).Reveal() // what the app shows

	var last uint64 // persisted per user
	step, err := otp.ValidateTOTP(key, code, now, otp.ValidateOpts{Past: 1, MinStep: last + 1})
	fmt.Println(code, step, err)
	last = step

	_, err = otp.ValidateTOTP(key, code, now.Add(10*time.Second), otp.ValidateOpts{Past: 1, MinStep: last + 1})
	fmt.Println(err)
	// Output:
	// 084774 37037036 <nil>
	// otp: code already used
}

func ExampleHOTP() {
	key, _ := otp.NewKey([]byte("12345678901234567890123456789012"), otp.Params{Algorithm: otp.SHA256})
	for c := range uint64(3) {
		fmt.Println(otp.HOTP(key, c).Reveal())
	}
	// Output:
	// 920136
	// 119246
	// 882438
}

func ExampleAppendTOTP() {
	key, _ := otp.NewKey([]byte("12345678901234567890123456789012"), otp.Params{Algorithm: otp.SHA256, Digits: 8})
	buf := make([]byte, 0, otp.MaxDigits) // reuse: no allocation per code
	buf = otp.AppendTOTP(buf[:0], key, time.Unix(59, 0))
	fmt.Println(string(buf))
	// Output: 46119246
}

func ExampleURI_Build() {
	key, _ := otp.NewKey([]byte("12345678901234567890123456789012"), otp.Params{Algorithm: otp.SHA256})
	uri, err := otp.URI{Issuer: "Example Corp", Account: "alice@example.com", Key: key}.Build()
	if err != nil {
		panic(err)
	}
	fmt.Println(uri) // redacted: it holds the secret
	fmt.Println(uri.Reveal())
	// Output:
	// [REDACTED]
	// otpauth://totp/Example%20Corp:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA&issuer=Example%20Corp&algorithm=SHA256&digits=6&period=30
}

func ExampleParseURI() {
	u, err := otp.ParseURI("otpauth://totp/ACME:bob?secret=gezd gnbv gy3t qojq gezd gnbv gy3t qojq gezd gnbv gy3t qojq geza&algorithm=SHA256&digits=8")
	if err != nil {
		panic(err)
	}
	fmt.Println(u.Issuer, u.Account, u.Key)

	_, err = otp.ParseURI("otpauth://totp/ACME:bob?secret=GEZDGNBV")
	fmt.Println(errors.Is(err, otp.ErrURI), errors.Is(err, otp.ErrSecret))
	// Output:
	// ACME bob otp.Key{SHA256, 8 digits, 30s, secret [REDACTED]}
	// true true
}

func ExampleDecodeSecret() {
	b, err := otp.DecodeSecret("gezd-gnbv gy3t")
	fmt.Printf("%q %v\n", b, err)
	_, err = otp.DecodeSecret("GEZ1")
	fmt.Println(err)
	// Output:
	// "1234567" <nil>
	// otp: invalid secret: not a Base32 character at offset 3
}

func ExamplePINService() {
	ctx := context.Background()
	clock := mdmcredtest.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	svc, err := otp.NewPINService(otp.PINConfig{
		Store:    otp.NewMemStore(),
		Peppers:  otp.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{7}, 32)}), // use 32 random bytes from a vault
		PepperID: 1,
		Now:      clock.Now,
	})
	if err != nil {
		panic(err)
	}
	pin, expires, _ := svc.Issue(ctx, "alice@example.com")
	fmt.Println(pin.Len(), expires)

	fmt.Println(svc.Verify(ctx, "alice@example.com", "00000000x"))
	fmt.Println(svc.Verify(ctx, "alice@example.com", pin.Reveal()))
	fmt.Println(svc.Verify(ctx, "alice@example.com", pin.Reveal()))
	// Output:
	// 8 2025-03-02 09:00:00 +0000 UTC
	// otp: malformed PIN
	// <nil>
	// otp: no PIN outstanding
}

// ExamplePINService_Purge deletes the records of users with no recent
// activity, from a periodic job.
func ExamplePINService_Purge() {
	ctx := context.Background()
	clock := mdmcredtest.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	svc, _ := otp.NewPINService(otp.PINConfig{
		Store:    otp.NewMemStore(), // the PostgreSQL store implements the purge too
		Peppers:  otp.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{7}, 32)}),
		PepperID: 1,
		Now:      clock.Now,
	})
	pin, _, _ := svc.Issue(ctx, "alice@example.com")
	_ = svc.Verify(ctx, "alice@example.com", pin.Reveal())
	_, _, _ = svc.Issue(ctx, "bob@example.com") // bob's PIN is never used

	clock.Advance(24*time.Hour + time.Minute)
	n, err := svc.Purge(ctx, 0) // the default age, one day after the latest activity
	fmt.Println(n.PINs, err)    // alice's record (a used PIN); bob's expired only a minute ago
	clock.Advance(24 * time.Hour)
	n, err = svc.Purge(ctx, 0)
	fmt.Println(n.PINs, err)
	// Output:
	// 1 <nil>
	// 1 <nil>
}

func ExampleEligibility_Check() {
	rule := otp.Eligibility{Role: "passcode-reset", Licenses: []string{"E3", "E5"}}
	user := otp.Subject{Roles: []string{"user"}, Licenses: []string{"E5"}, Policy: &otp.Policy{RequiresPasscode: true}}

	var ie *otp.IneligibleError
	if err := rule.Check(user); errors.As(err, &ie) {
		for _, r := range ie.Missing.List() {
			fmt.Println(r, "-", r.Explain())
		}
	}
	// Output:
	// role - the user's role does not allow resetting the secure-apps passcode
	// recovery-policy - the user's policy does not allow passcode recovery
}
