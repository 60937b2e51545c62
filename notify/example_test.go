package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/notify"
	"github.com/mdmcred/mdmcred/servicepass"
)

func ExampleNegotiate() {
	fmt.Println(notify.Negotiate("de-AT"))
	fmt.Println(notify.Negotiate("pt-BR"))
	fmt.Println(notify.Negotiate("ja, fr-CH;q=0.8, en;q=0.5"))
	// Output:
	// de
	// en
	// fr
}

// A program that takes a language from its user tells them when the email
// will be in English instead.
func ExampleResolve() {
	for _, lang := range []string{"de-AT", "pt-BR", ""} {
		tag, fallback := notify.Resolve(lang)
		if fallback {
			fmt.Printf("%q: not available, the email is in %v\n", lang, tag)
		} else {
			fmt.Printf("%q: %v\n", lang, tag)
		}
	}
	// Output:
	// "de-AT": de
	// "pt-BR": not available, the email is in en
	// "": en
}

// An SMTP adapter, its configuration and a Notifier print and log without
// the password.
func ExampleSMTP_String() {
	smtp, err := notify.NewSMTP(notify.SMTPConfig{
		Host: "smtp.example.com", Username: "mdm", Password: notify.NewSecret("hunter2"), From: "mdm@example.com",
	})
	if err != nil {
		panic(err)
	}
	n, err := notify.NewNotifier(notify.NotifierConfig{Mailer: smtp})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", smtp)
	fmt.Printf("%x\n", n)
	// Output:
	// notify.SMTP{Host: "smtp.example.com", Port: 587, TLS: "starttls", TLSConfig: false, Username: "mdm", Password: "[REDACTED]", Auth: "PLAIN", HELO: "localhost", From: "mdm@example.com", Timeout: "30s"}
	// notify.Notifier{Mailer: "*notify.SMTP"}
}

// A service-password email is made from the servicepass.Issued that
// Issuer.Issue returned (built by hand here): its device, mode, actions,
// expiry, device zone and window, in the recipient's language.
func ExampleCatalog_ServicePassword() {
	cat, err := notify.NewCatalog(notify.CatalogConfig{})
	if err != nil {
		panic(err)
	}
	warsaw := time.FixedZone("CET", 3600)
	m, err := cat.ServicePassword(notify.ServicePassword{
		To:         []string{"technik@example.pl"},
		Language:   "pl-PL",
		DeviceName: "Skaner 7",
		Issued: servicepass.Issued{
			DeviceID:  "R58N91XYZ",
			Mode:      servicepass.DeviceOwner,
			Actions:   servicepass.Unlock | servicepass.DisableKiosk,
			ExpiresAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
			Location:  warsaw,
			Window:    servicepass.DefaultWindow,
			Display:   notify.NewSecret("7KQ4M-2XP9H-VRTD3-CW8NB-5QK2E"),
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Subject)
	fmt.Println(m.Language)
	fmt.Println(strings.Contains(m.Text.Reveal(), "Ważne do: 2026-11-23 10:00 CET"))
	fmt.Println(strings.Contains(m.Text.Reveal(), "Wyjść z trybu kiosku"))
	// Output:
	// Hasło serwisowe dla Skaner 7
	// pl
	// true
	// true
}

func ExampleRecorder() {
	var rec notify.Recorder
	n, err := notify.NewNotifier(notify.NotifierConfig{Mailer: &rec})
	if err != nil {
		panic(err)
	}
	pin := notify.OneTimePIN{
		To: []string{"anna@example.com"}, Language: "it", User: "anna",
		PIN: notify.NewSecret("03917254"), ExpiresAt: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC),
	}
	if err := n.SendOneTimePIN(context.Background(), pin); err != nil {
		panic(err)
	}
	m, _ := rec.Last()
	fmt.Println(rec.Len(), m.To[0], m.Subject)
	fmt.Println(pin.PIN) // the notice never prints its PIN

	rec.FailWith(errors.New("relay down"))
	err = n.SendOneTimePIN(context.Background(), pin)
	fmt.Println(errors.Is(err, notify.ErrSend), err)
	// Output:
	// 1 anna@example.com Il tuo PIN monouso
	// [REDACTED]
	// true notify: send failed (recorder): relay down
}

// A service password for a device provisioned in Europe/Berlin, mailed in
// German: the email shows the expiry on the device's clock and names the
// zone, whatever zone the issuing server runs in. The zone is the one the
// device was provisioned with (servicepass.Provisioning.Location), passed in
// the request.
func ExampleServicePassMailer_german() {
	rec := &notify.Recorder{}
	n, err := notify.NewNotifier(notify.NotifierConfig{Mailer: rec})
	if err != nil {
		panic(err)
	}
	master, err := servicepass.NewMasterKey(1, bytes.Repeat([]byte{7}, servicepass.KeySize))
	if err != nil {
		panic(err)
	}
	issuer, err := servicepass.NewIssuer(servicepass.IssuerConfig{
		Keys:   []servicepass.MasterKey{master},
		Mailer: notify.ServicePassMailer{Notifier: n},
		Now:    func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	p, err := issuer.Provision("scanner-7", servicepass.DeviceOwner, berlin)
	if err != nil {
		panic(err)
	}
	_, err = issuer.Issue(context.Background(), servicepass.Request{
		DeviceID: "scanner-7", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock,
		ExpiresAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Location: p.Location,
		SendEmail: true, EmailTo: "technik@example.de", Language: "de-DE", Admin: "admin@example.com",
	})
	if err != nil {
		panic(err)
	}
	m, _ := rec.Last()
	for _, line := range strings.Split(m.Text.Reveal(), "\n") {
		if strings.HasPrefix(line, "Gültig bis:") {
			fmt.Println(line)
		}
	}
	// Output:
	// Gültig bis: 2026-11-23 11:00 CET (Europe/Berlin)
}

// Without the issuer's mail port: mail what Issue returned, as it is. The
// email's device, actions, expiry, zone and window all come from the
// Issued (the issuer's Window, here 30 minutes, is the one its devices
// are configured with).
func ExampleNotifier_SendServicePassword() {
	rec := &notify.Recorder{}
	n, err := notify.NewNotifier(notify.NotifierConfig{Mailer: rec})
	if err != nil {
		panic(err)
	}
	master, err := servicepass.NewMasterKey(1, bytes.Repeat([]byte{7}, servicepass.KeySize))
	if err != nil {
		panic(err)
	}
	issuer, err := servicepass.NewIssuer(servicepass.IssuerConfig{
		Keys:   []servicepass.MasterKey{master},
		Window: 30 * time.Minute,
		Now:    func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	warsaw, err := time.LoadLocation("Europe/Warsaw")
	if err != nil {
		panic(err)
	}
	issued, err := issuer.Issue(context.Background(), servicepass.Request{
		DeviceID: "R52T30ABC", Mode: servicepass.COPE, Actions: servicepass.Unlock | servicepass.RemoveNetworkRestrictions,
		ExpiresAt: time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC), Location: warsaw, Admin: "admin@example.com",
	})
	if err != nil {
		panic(err)
	}
	err = n.SendServicePassword(context.Background(), notify.ServicePassword{
		To: []string{"anna@example.com"}, Language: "en", DeviceName: "Field tablet 12", Issued: issued,
	})
	if err != nil {
		panic(err)
	}
	m, _ := rec.Last()
	fmt.Println(m.Subject)
	for _, line := range strings.Split(m.Text.Reveal(), "\n") {
		if strings.HasPrefix(line, "Valid until:") || strings.HasPrefix(line, "  - Unlock") || strings.Contains(line, " min;") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// Service password for Field tablet 12
	// Valid until: 2026-11-22 19:00 CET (Europe/Warsaw)
	// - Unlock the work profile
	// Once it is entered, these actions stay allowed for 30 min; then the device returns to its usual policy.
}

// A refused notice names the field by its path and the rule it breaks,
// never the value: branch on ErrInvalidNotice (nothing was sent, do not
// retry) against ErrSend (the delivery failed, the notice was fine). A
// configuration refusal names its field the same way.
func ExampleFieldError() {
	n, err := notify.NewNotifier(notify.NotifierConfig{Mailer: &notify.Recorder{}})
	if err != nil {
		panic(err)
	}
	err = n.SendPasscodeReset(context.Background(), notify.PasscodeReset{
		To:         []string{"jan@example.com", "Jan Kowalski"},
		DeviceName: "Scanner 7", NewPasscode: notify.NewSecret("482193"),
	})
	var fe *notify.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field, "-", fe.Rule)
	}
	fmt.Println(errors.Is(err, notify.ErrInvalidNotice), errors.Is(err, notify.ErrSend))
	fmt.Println(err)

	_, err = notify.NewSMTP(notify.SMTPConfig{Host: "smtp.example.com:587", From: "mdm@example.com"})
	fmt.Println(err)
	// Output:
	// PasscodeReset.To[1] - not an RFC 5322 address
	// true false
	// notify: invalid notice: PasscodeReset.To[1]: not an RFC 5322 address
	// notify: invalid configuration: SMTPConfig.Host: holds a port or is not an IPv6 address (set Port for the port)
}
