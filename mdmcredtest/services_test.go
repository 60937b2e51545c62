package mdmcredtest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
)

type nopAlerter struct{}

func (nopAlerter) SendLockAlert(context.Context, enrollment.Alert) error { return nil }

// One Clock drives every service type through its Now field (the
// servicepass Verifier takes the device time as an argument instead), and
// Advance moves each past its expiry.
func ExampleClock_everyService() {
	ctx := context.Background()
	clock := mdmcredtest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	key := make([]byte, 32)

	// servicepass: a code issued now with the default validity (24 h).
	master, _ := servicepass.GenerateMasterKey(1, nil) // an all-zero key would be refused
	issuer, _ := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{master}, Now: clock.Now})
	issued, _ := issuer.Issue(ctx, servicepass.Request{DeviceID: "device-1", Actions: servicepass.Unlock, Admin: "admin@example.com"})
	keys, _ := issuer.DeviceKeys("device-1")
	verifier, _ := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "device-1", HasMode: true, Keys: keys}, nil, nil)

	// enrollment: a passcode that can be shown again for an hour.
	enroll, _ := enrollment.New(enrollment.Config{
		Store: enrollment.NewMemStore(), Alerter: nopAlerter{},
		Peppers: enrollment.NewKeys(map[uint8][]byte{1: key}), PepperID: 1,
		SealKeys: enrollment.NewKeys(map[uint8][]byte{1: key}), SealKeyID: 1, RevealFor: time.Hour,
		Now: clock.Now,
	})
	_, _ = enroll.Generate(ctx, "site-1", "admin@example.com")
	_, err := enroll.Reveal(ctx, "site-1", "admin@example.com")
	fmt.Println("enrollment reveal before:", err == nil)

	// passcode: a reset that goes stale after 24 h.
	resets, _ := passcode.New(passcode.Config{Store: passcode.NewMemStore(), SealKeys: passcode.NewKeys(map[uint8][]byte{1: key}), SealKeyID: 1, Now: clock.Now})
	_, err = resets.Request(ctx, passcode.ResetRequest{Actor: "admin-1", Device: passcode.Device{
		ID: "device-1", Platform: passcode.AndroidDeviceOwner, APILevel: 30, ResetTokenActive: true}})
	fmt.Println("reset requested:", err == nil)

	// otp: a portal PIN valid for 24 h.
	pins, _ := otp.NewPINService(otp.PINConfig{Store: otp.NewMemStore(), Peppers: otp.NewKeys(map[uint8][]byte{1: key}), PepperID: 1, Now: clock.Now})
	pin, _, _ := pins.Issue(ctx, "user-1")

	clock.Advance(25 * time.Hour)

	_, err = verifier.Verify(ctx, issued.Code.Reveal(), clock.Now())
	fmt.Println("service password:", errors.Is(err, servicepass.ErrExpired))
	_, err = enroll.Reveal(ctx, "site-1", "admin@example.com")
	fmt.Println("enrollment reveal:", errors.Is(err, enrollment.ErrNoReveal))
	n, _ := resets.ExpireStale(ctx)
	fmt.Println("stale resets expired:", n)
	err = pins.Verify(ctx, "user-1", pin.Reveal())
	fmt.Println("portal PIN:", errors.Is(err, otp.ErrPINExpired))
	// Output:
	// enrollment reveal before: true
	// reset requested: true
	// service password: true
	// enrollment reveal: true
	// stale resets expired: 1
	// portal PIN: true
}
