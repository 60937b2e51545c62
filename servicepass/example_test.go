package servicepass_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

func Example() {
	// Server: the site's master key (keep it in a secret store) and an issuer.
	master, _ := servicepass.GenerateMasterKey(1, nil)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	issuer, _ := servicepass.NewIssuer(servicepass.IssuerConfig{
		Keys: []servicepass.MasterKey{master},
		Now:  func() time.Time { return now },
	})

	// At enrollment the device gets its keyring.
	keys, _ := issuer.DeviceKeys("device-42")

	// An admin issues a code for the device.
	issued, err := issuer.Issue(context.Background(), servicepass.Request{
		DeviceID: "device-42",
		Mode:     servicepass.DeviceOwner,
		Actions:  servicepass.Unlock | servicepass.DisableKiosk,
		Admin:    "admin@example.com",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("code length:", len(issued.Display.Reveal()), "expires:", issued.ExpiresAt.Format(time.RFC3339))
	fmt.Println("printed:", issued.Code)

	// Device: the agent verifies what the user typed, offline.
	verifier, _ := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "device-42", Mode: servicepass.DeviceOwner, HasMode: true, Keys: keys}, servicepass.NewMemDeviceStore(), nil)
	grant, err := verifier.Verify(context.Background(), issued.Display.Reveal(), now.Add(time.Minute))
	fmt.Println(grant.Actions, grant.Scope, grant.WindowEnd.Sub(now.Add(time.Minute)), err)

	_, err = verifier.Verify(context.Background(), issued.Code.Reveal(), now.Add(2*time.Minute))
	fmt.Println(errors.Is(err, servicepass.ErrReplay))
	// Output:
	// code length: 29 expires: 2026-11-23T10:00:00Z
	// printed: [REDACTED]
	// Unlock|DisableKiosk Device 1h0m0s <nil>
	// true
}

func ExampleIssuer_Issue_dayValid() {
	master, _ := servicepass.GenerateMasterKey(1, nil)
	issuer, _ := servicepass.NewIssuer(servicepass.IssuerConfig{
		Keys: []servicepass.MasterKey{master},
		Now:  func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) },
	})
	paris, _ := time.LoadLocation("Europe/Paris")
	// COPE Set Password codes are valid until the end of a calendar day.
	issued, err := issuer.Issue(context.Background(), servicepass.Request{
		DeviceID:   "cope-7",
		Mode:       servicepass.COPE,
		Actions:    servicepass.SetPassword,
		ExpiryDate: servicepass.Date{Year: 2026, Month: time.November, Day: 30},
		Location:   paris,
		Admin:      "admin@example.com",
	})
	fmt.Println(issued.DayValid, issued.ExpiryDate, issued.ExpiresAt.In(paris).Format("2006-01-02 15:04 MST"), err)

	// They cannot be put in a QR code, and rules are checked first.
	_, err = issuer.Issue(context.Background(), servicepass.Request{
		DeviceID: "cope-7", Mode: servicepass.COPE, Actions: servicepass.SetPassword | servicepass.Unlock, Admin: "admin@example.com",
	})
	fmt.Println(errors.Is(err, servicepass.ErrSetPasswordCombined))
	// Output:
	// true 2026-11-30 2026-12-01 00:00 CET <nil>
	// true
}

func ExampleVerifier_Verify() {
	master, _ := servicepass.GenerateMasterKey(1, nil) // in production, load it from the server's secret store
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	issuer, _ := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{master}, Now: func() time.Time { return now }})
	issued, _ := issuer.Issue(context.Background(), servicepass.Request{
		DeviceID: "device-42", Mode: servicepass.COPE, Actions: servicepass.Unlock | servicepass.RemoveNetworkRestrictions,
		ExpiresAt: now.Add(time.Hour), Admin: "admin@example.com",
	})
	keys, _ := issuer.DeviceKeys("device-42")
	// A COPE verifier needs the device's zone (from the provisioning file).
	zone, _ := time.LoadLocation("Europe/Warsaw")
	verifier, _ := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "device-42", Mode: servicepass.COPE, HasMode: true, Keys: keys, Location: zone}, nil, nil)

	// A typo is reported as such, and does not count toward the lockout.
	typed := []byte(issued.Code.Reveal())
	typed[5] = map[bool]byte{true: 'A', false: 'B'}[typed[5] != 'A']
	_, err := verifier.Verify(context.Background(), string(typed), now)
	fmt.Println(err)

	grant, err := verifier.Verify(context.Background(), issued.Code.Reveal(), now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(grant.Actions, grant.Scope)
	var ids []string
	for _, p := range servicepass.NetworkPolicies(grant.Mode) {
		ids = append(ids, p.ID)
	}
	fmt.Println(strings.Join(ids, " "))

	// When the window ends, the agent reverts what it must, then
	// acknowledges exactly that.
	w, _ := verifier.Window(context.Background(), grant.WindowEnd)
	fmt.Println(w.Active, w.Revert)
	fmt.Println(verifier.ClearWindow(context.Background(), w))
	// Output:
	// servicepass: code mistyped (check symbol mismatch)
	// Unlock|RemoveNetworkRestrictions WorkProfile
	// configure_mobile_networks roaming_data tethering_and_hotspots edit_wifi_configuration wifi_sleep_setting remove_added_wifi_networks private_dns
	// false RemoveNetworkRestrictions
	// <nil>
}

// The agent's start-up routine: poll the window, re-apply an active
// window's actions, revert what is reported, and acknowledge exactly that.
func ExampleVerifier_Window() {
	master, _ := servicepass.NewMasterKey(1, []byte("an example master key, 32 bytes"+"!"))
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	issuer, _ := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{master}, Now: func() time.Time { return now }})
	issue := func(a servicepass.Actions) string {
		iss, _ := issuer.Issue(context.Background(), servicepass.Request{DeviceID: "device-42", Mode: servicepass.DeviceOwner,
			Actions: a, ExpiresAt: now.Add(3 * time.Hour), Admin: "admin@example.com"})
		return iss.Code.Reveal()
	}
	keys, _ := issuer.DeviceKeys("device-42")
	store := servicepass.NewMemDeviceStore() // OpenFileStore, created by InstallProvisioning, on a device
	verifier, _ := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "device-42", Mode: servicepass.DeviceOwner, HasMode: true, Keys: keys}, store, nil)

	startUp := func(at time.Time) {
		st, err := verifier.Window(context.Background(), at)
		if errors.Is(err, servicepass.ErrStateLost) {
			fmt.Println("state lost")
		}
		if st.Active {
			fmt.Println("re-apply", st.Actions, "until", st.End.Format("15:04"))
		}
		if st.Revert != 0 {
			fmt.Println("revert", st.Revert)
		}
		fmt.Println("acknowledged:", verifier.ClearWindow(context.Background(), st))
	}
	_, _ = verifier.Verify(context.Background(), issue(servicepass.DisableKiosk), now)
	startUp(now.Add(30 * time.Minute))
	// A later Unlock opens a new window; the kiosk duty is reported.
	_, _ = verifier.Verify(context.Background(), issue(servicepass.Unlock), now.Add(2*time.Hour))
	startUp(now.Add(2*time.Hour + time.Minute))
	// Output:
	// re-apply DisableKiosk until 11:00
	// acknowledged: <nil>
	// re-apply Unlock until 13:00
	// revert DisableKiosk
	// acknowledged: <nil>
}

// At enrollment the host writes the device's provisioning file; the agent
// reads it at every start and builds its verifier from it. The host keeps
// the key IDs the agent confirms and passes them with every request, so that
// codes verify on a device that missed a key rotation.
func ExampleProvisioning() {
	master, _ := servicepass.GenerateMasterKey(1, nil) // in production, load it from the server's secret store
	issuer, _ := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{master}})
	warsaw, _ := time.LoadLocation("Europe/Warsaw")
	p, _ := issuer.Provision("device-42", servicepass.COPE, warsaw)
	text, _ := p.Encode() // or servicepass.WriteProvisioningFile(path, p)

	// On the device:
	got, err := servicepass.ParseProvisioning(text)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: got.DeviceID, Mode: got.Mode, HasMode: true, Keys: got.Keys, Location: got.Location}, nil, nil)
	fmt.Println(err)
	fmt.Println(got) // the keys never print
	fmt.Println(got.KeyIDs())
	// Output:
	// <nil>
	// servicepass.Provisioning(device "device-42", mode COPE, zone Europe/Warsaw, key IDs {1}, [REDACTED])
	// {1}
}
