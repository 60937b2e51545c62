package passcode_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
)

// printMailer stands in for the notify package's mailer.
type printMailer struct{}

func (printMailer) SendPasscode(_ context.Context, d passcode.Delivery) error {
	fmt.Printf("mail to %s (%s): %s on %q, passcode %v\n", d.To, d.Language, d.Action, d.DeviceName, d.Passcode)
	return nil
}

func newExampleService(clock *mdmcredtest.Clock) *passcode.Service {
	svc, err := passcode.New(passcode.Config{
		Store:     passcode.NewMemStore(),
		SealKeys:  passcode.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), // load a real 32-byte key from your secret store
		SealKeyID: 1,
		Mailer:    printMailer{},
		Now:       clock.Now,
	})
	if err != nil {
		panic(err)
	}
	return svc
}

// An admin resets an Android phone's passcode from the console, has it
// emailed to the user, and the MDM channel reports the device's progress.
func ExampleService_Request() {
	ctx := context.Background()
	clock := mdmcredtest.NewClock(time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC))
	svc := newExampleService(clock)

	phone := passcode.Device{ID: "dev-17", Name: "Anna's Pixel", Platform: passcode.AndroidDeviceOwner,
		APILevel: 34, ResetTokenActive: true, Owner: "anna"}
	res, err := svc.Request(ctx, passcode.ResetRequest{Device: phone, Actor: "admin@example.com",
		NotifyUser: true, UserEmail: "anna@example.com", Language: "de"})
	if err != nil {
		fmt.Println(err)
		return
	}
	// res.Passcode.Reveal() goes into the MDM resetPasswordWithToken command.
	fmt.Println("policy met:", passcode.Validate(res.Capability.Policy, res.Passcode) == nil)

	_, err = svc.Request(ctx, passcode.ResetRequest{Device: phone, Actor: "other@example.com"})
	fmt.Println("second request refused:", errors.Is(err, passcode.ErrResetInProgress))

	for _, to := range []passcode.State{passcode.Pending, passcode.Acknowledged, passcode.Succeeded} {
		clock.Advance(time.Minute)
		if _, err := svc.Transition(ctx, res.Reset.ID, to, "mdm"); err != nil {
			fmt.Println(err)
		}
	}
	pc, _ := svc.Reveal(ctx, res.Reset.ID, passcode.Viewer{ID: "admin@example.com"})
	fmt.Println("admin sees it again:", pc.Equal(res.Passcode.Reveal()))

	evs, _ := svc.Events(ctx, passcode.EventQuery{DeviceID: "dev-17"})
	for _, e := range evs {
		fmt.Printf("%s %s %s->%s %s\n", e.At.Format("15:04"), e.Kind, e.From, e.To, e.Actor)
	}
	// Output:
	// mail to anna@example.com (de): set-passcode on "Anna's Pixel", passcode [REDACTED]
	// policy met: true
	// second request refused: true
	// admin sees it again: true
	// 09:00 transition none->requested admin@example.com
	// 09:00 notified requested->requested system
	// 09:01 transition requested->pending mdm
	// 09:02 transition pending->acknowledged mdm
	// 09:03 transition acknowledged->succeeded mdm
	// 09:03 viewed succeeded->succeeded admin@example.com
}

// A user who forgot their iPad passcode resets it in the self-service
// portal, right after signing in again. iPadOS clears the passcode; the user
// then has an hour to set a new one.
func ExampleService_SelfService() {
	ctx := context.Background()
	clock := mdmcredtest.NewClock(time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC))
	svc := newExampleService(clock)
	ipad := passcode.Device{ID: "dev-42", Name: "Ben's iPad", Platform: passcode.IPadOS, UnlockTokenEscrowed: true, Owner: "ben"}

	_, err := svc.SelfService(ctx, passcode.SelfServiceRequest{User: "eve", Device: ipad, SignedInAt: clock.Now()})
	fmt.Println("someone else's device:", errors.Is(err, passcode.ErrNotOwner))

	_, err = svc.SelfService(ctx, passcode.SelfServiceRequest{User: "ben", Device: ipad, SignedInAt: clock.Now().Add(-time.Hour)})
	fmt.Println("signed in an hour ago:", errors.Is(err, passcode.ErrReauthRequired))

	res, err := svc.SelfService(ctx, passcode.SelfServiceRequest{User: "ben", Device: ipad,
		SignedInAt: clock.Now().Add(-2 * time.Minute), NotifyUser: true, UserEmail: "ben@example.com", Language: "fr"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s, user has %s to set a new passcode\n", res.Capability.Action, res.Capability.Grace)
	// Output:
	// someone else's device: true
	// signed in an hour ago: true
	// mail to ben@example.com (fr): clear-passcode on "Ben's iPad", passcode [REDACTED]
	// clear-passcode, user has 1h0m0s to set a new passcode
}

func ExampleIsNumericComplex() {
	for _, s := range []string{"4444", "1234", "4321", "2468", "1357", "8901", "2580"} {
		fmt.Println(s, passcode.IsNumericComplex(s))
	}
	// Output:
	// 4444 false
	// 1234 false
	// 4321 false
	// 2468 false
	// 1357 false
	// 8901 true
	// 2580 true
}

func ExampleCheck() {
	_, err := passcode.Check(passcode.Device{Platform: passcode.AndroidDeviceAdmin, APILevel: 29})
	fmt.Println(err)
	c, _ := passcode.Check(passcode.Device{Platform: passcode.MacOS})
	fmt.Println(c.Action, c.Policy)
	// Output:
	// passcode: reset unsupported on android-device-admin: the legacy device admin API cannot reset the passcode on Android 8.0 and later; enroll as device owner
	// lock-pin numeric 6
}

func ExampleGenerate() {
	pc, err := passcode.Generate(passcode.Policy{Kind: passcode.NumericComplex, MinLength: 6}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pc, pc.Len(), passcode.IsNumericComplex(pc.Reveal()))
	// Output: [REDACTED] 6 true
}

// Android's lock screen takes at most 16 characters, so a device policy
// that allows longer passcodes is refused before any reset is recorded.
func ExampleCheck_androidMaxLength() {
	_, err := passcode.Check(passcode.Device{
		Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true,
		Policy: passcode.Policy{Kind: passcode.Alphanumeric, MinLength: 20},
	})
	fmt.Println(errors.Is(err, passcode.ErrUnsupported))
	fmt.Println(err)
	// Output:
	// true
	// passcode: reset unsupported on android-device-owner: Android accepts passcodes of at most 16 characters (DevicePolicyManager.getPasswordMaximumLength), device policy allows 20
}

// Lost Mode through the Android Management API is checked before the
// command is sent: only company-owned devices of the right Android release.
func ExampleCheckLostMode() {
	for _, d := range []passcode.Device{
		{Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 30},
		{Platform: passcode.AndroidEnterpriseWorkProfile, APILevel: 34, CompanyOwned: true},
		{Platform: passcode.AndroidEnterpriseWorkProfile, APILevel: 34},
		{Platform: passcode.AndroidEnterpriseWorkProfile, APILevel: 32, CompanyOwned: true},
	} {
		var ue *passcode.UnsupportedError
		if err := passcode.CheckLostMode(d); errors.As(err, &ue) {
			fmt.Println(d.Platform, d.APILevel, "refused:", ue.Rule)
			continue
		}
		fmt.Println(d.Platform, d.APILevel, "allowed")
	}
	// Output:
	// android-enterprise-fully-managed 30 allowed
	// android-enterprise-work-profile 34 allowed
	// android-enterprise-work-profile 34 refused: lost-mode-company-owned
	// android-enterprise-work-profile 32 refused: lost-mode-api-level
}

// After a sealing key rotation, Reseal moves every sealed passcode to the
// new key, in batches, while the service runs; then the old key can go.
func ExampleService_Reseal() {
	ctx := context.Background()
	store := passcode.NewMemStore()
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32) // from your key file (package keyfile)
	before, _ := passcode.New(passcode.Config{Store: store, SealKeys: passcode.NewKeys(map[uint8][]byte{1: oldKey}), SealKeyID: 1})
	for _, dev := range []string{"dev-1", "dev-2", "dev-3"} {
		_, _ = before.Request(ctx, passcode.ResetRequest{Actor: "admin@example.com",
			Device: passcode.Device{ID: dev, Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true}})
	}

	// Key 2 is current; key 1 stays until the re-seal is done.
	svc, _ := passcode.New(passcode.Config{Store: store, SealKeys: passcode.NewKeys(map[uint8][]byte{1: oldKey, 2: newKey}), SealKeyID: 2})
	p, err := svc.Reseal(ctx, func(p passcode.ResealProgress) { fmt.Printf("progress: %+v\n", p) })
	fmt.Println(p.Resealed, err)
	// Output:
	// progress: {Visited:3 Resealed:3 Failed:0}
	// 3 <nil>
}
