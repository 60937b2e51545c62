package main

import (
	"slices"
	"time"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
)

// The inventory is the host's own data, not the SDK's: devices, users and
// sites as an MDM server would hold them. The console keeps a fixed demo set.

// Device is one managed device.
type Device struct {
	ID   string
	Name string
	// Mode is the Android activation mode, which decides the service
	// password rules.
	Mode servicepass.Mode
	// Zone is the device's time zone (its calendar for day-valid codes).
	Zone *time.Location
	// Platform is what the passcode reset needs to know (ID, Name and Owner
	// are filled from the fields here).
	Platform passcode.Device
	// Owner is the ID of the device's user in the portal.
	Owner string
	// Apple is set for an Apple device managed through the MDM server
	// (apple.go); nil for the Android devices.
	Apple *AppleDevice
}

// User is a portal user.
type User struct {
	ID      string // email address
	Name    string
	Subject otp.Subject // roles, licenses and policy, for the one-time PIN
}

// inventory is the demo data.
type inventory struct {
	Devices []Device
	Users   []User
	Sites   []string
}

func (inv *inventory) device(id string) (Device, bool) {
	i := slices.IndexFunc(inv.Devices, func(d Device) bool { return d.ID == id })
	if i < 0 {
		return Device{}, false
	}
	return inv.Devices[i], true
}

func (inv *inventory) user(id string) (User, bool) {
	i := slices.IndexFunc(inv.Users, func(u User) bool { return u.ID == id })
	if i < 0 {
		return User{}, false
	}
	return inv.Users[i], true
}

func (inv *inventory) devicesOf(user string) []Device {
	var out []Device
	for _, d := range inv.Devices {
		if d.Owner == user {
			out = append(out, d)
		}
	}
	return out
}

// deviceName is the name of the device with this ID, or "" when there is
// none (the email then names it by ID).
func (inv *inventory) deviceName(id string) string {
	for _, d := range inv.Devices {
		if d.ID == id {
			return d.Name
		}
	}
	return ""
}

func (inv *inventory) hasSite(site string) bool { return slices.Contains(inv.Sites, site) }

// demoInventory is the seeded data: a Device Owner device and a COPE
// device, a device whose platform cannot be reset (a Device Owner on
// Android 7.1, before reset password tokens), two Android Enterprise
// devices managed through the Android Management API (fully managed, and a
// personally-owned work profile), an eligible and an ineligible portal user,
// and one site; and three Apple devices managed through the MDM server
// (-apple-mdm): a supervised iPhone, an unsupervised iPad (both escrowed an
// UnlockToken) and a Mac with Apple silicon, under the enrollment IDs the
// demo MDM (apple/nanomdm/cmd/demomdm) gives them.
func demoInventory(zone *time.Location) *inventory {
	return &inventory{
		Devices: []Device{
			{ID: "dev-do-1", Name: "Warehouse scanner 7", Mode: servicepass.DeviceOwner, Zone: zone, Owner: "anna@example.com",
				Platform: passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true, PasscodeSet: true}},
			{ID: "dev-cope-1", Name: "Anna's work phone", Mode: servicepass.COPE, Zone: zone, Owner: "anna@example.com",
				Platform: passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 33, ResetTokenActive: true, PasscodeSet: true}},
			{ID: "dev-legacy-1", Name: "Ben's old tablet", Mode: servicepass.DeviceOwner, Zone: zone, Owner: "ben@example.com",
				Platform: passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 25, PasscodeSet: true}},
			// Android Enterprise through the Android Management API (android.go):
			// Android 14 with a numeric policy, which the SDK raises to 6 digits.
			{ID: "dev-ae-1", Name: "Sales Pixel 8", Mode: servicepass.DeviceOwner, Zone: zone, Owner: "anna@example.com",
				Platform: passcode.Device{Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 34, PasscodeSet: true, CompanyOwned: true,
					Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: 4, MaxLength: 6}}},
			// A work profile on a personally-owned phone: Lost Mode is refused. (It
			// runs no service password agent; Mode is only the card's.)
			{ID: "dev-ae-wp-1", Name: "Ben's phone (work profile)", Mode: servicepass.DeviceOwner, Zone: zone, Owner: "ben@example.com",
				Platform: passcode.Device{Platform: passcode.AndroidEnterpriseWorkProfile, APILevel: 34, PasscodeSet: true}},
			{ID: "ios-1", Name: "Carla's iPhone", Zone: zone,
				Platform: passcode.Device{Platform: passcode.IOS, UnlockTokenEscrowed: true, PasscodeSet: true},
				Apple:    &AppleDevice{EnrollmentID: "DEMO-IPHONE-0001", Model: "iPhone", Info: apple.Device{Platform: passcode.IOS, OSVersion: "17.4", Supervised: true}}},
			{ID: "ipad-1", Name: "Front desk iPad", Zone: zone,
				Platform: passcode.Device{Platform: passcode.IPadOS, UnlockTokenEscrowed: true, PasscodeSet: true},
				Apple:    &AppleDevice{EnrollmentID: "DEMO-IPAD-0001", Model: "iPad", Info: apple.Device{Platform: passcode.IPadOS, OSVersion: "17.2"}}},
			{ID: "mac-1", Name: "Design MacBook Pro", Zone: zone,
				Platform: passcode.Device{Platform: passcode.MacOS, AppleSilicon: true, OSVersion: "14.4", PasscodeSet: true},
				Apple:    &AppleDevice{EnrollmentID: "DEMO-MAC-0001", Model: "Mac", Info: apple.Device{Platform: passcode.MacOS, OSVersion: "14.4", AppleSilicon: true}}},
		},
		Users: []User{
			{ID: "anna@example.com", Name: "Anna Nowak", Subject: otp.Subject{Roles: []string{"passcode-reset"}, Licenses: []string{"E5"},
				Policy: &otp.Policy{RequiresPasscode: true, AllowsRecovery: true}}},
			{ID: "ben@example.com", Name: "Ben Weber", Subject: otp.Subject{Roles: []string{"passcode-reset"},
				Policy: &otp.Policy{RequiresPasscode: true}}},
		},
		Sites: []string{"berlin"},
	}
}
