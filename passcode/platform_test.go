package passcode_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
)

func TestCheck(t *testing.T) {
	numeric8 := passcode.Policy{Kind: passcode.NumericComplex, MinLength: 8, MaxLength: 8}
	tests := []struct {
		name   string
		d      passcode.Device
		action passcode.Action
		policy passcode.Policy
		reason string // substring of the UnsupportedError reason; "" when supported
	}{
		{"android owner", passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true, PasscodeSet: true},
			passcode.SetPasscode, passcode.AndroidPolicy, ""},
		{"android owner with device policy", passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 26, ResetTokenActive: true, Policy: passcode.Policy{Kind: passcode.NumericComplex, MinLength: 8}},
			passcode.SetPasscode, numeric8, ""},
		{"android owner no token", passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 34},
			0, passcode.Policy{}, "reset password token"},
		{"android owner API 25", passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 25, ResetTokenActive: true},
			0, passcode.Policy{}, "API 26"},
		{"android owner bad device policy", passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 30, ResetTokenActive: true, Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: 2}},
			0, passcode.Policy{}, "device policy"},
		{"android owner policy of 16", passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true, Policy: passcode.Policy{Kind: passcode.Alphanumeric, MinLength: 16}},
			passcode.SetPasscode, passcode.Policy{Kind: passcode.Alphanumeric, MinLength: 16, MaxLength: 16}, ""},
		{"android owner policy of 17", passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true, Policy: passcode.Policy{Kind: passcode.Alphanumeric, MinLength: 17}},
			0, passcode.Policy{}, "at most 16 characters"},
		{"android owner policy up to 64", passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true, Policy: passcode.Policy{Kind: passcode.Complex, MinLength: 8, MaxLength: 64}},
			0, passcode.Policy{}, "at most 16 characters"},
		{"android admin policy of 20", passcode.Device{Platform: passcode.AndroidDeviceAdmin, APILevel: 23, Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: 20}},
			0, passcode.Policy{}, "at most 16 characters"},
		{"windows phone policy of 20 stays supported", passcode.Device{Platform: passcode.WindowsPhone81, Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: 20}},
			passcode.SetPasscode, passcode.Policy{Kind: passcode.Numeric, MinLength: 20, MaxLength: 20}, ""},
		{"android admin 8.0", passcode.Device{Platform: passcode.AndroidDeviceAdmin, APILevel: 26},
			0, passcode.Policy{}, "Android 8.0 and later"},
		{"android admin 14", passcode.Device{Platform: passcode.AndroidDeviceAdmin, APILevel: 34},
			0, passcode.Policy{}, "Android 8.0 and later"},
		{"android admin 7.1 with passcode", passcode.Device{Platform: passcode.AndroidDeviceAdmin, APILevel: 25, PasscodeSet: true},
			0, passcode.Policy{}, "Android 7.x"},
		{"android admin 7.0 with passcode", passcode.Device{Platform: passcode.AndroidDeviceAdmin, APILevel: 24, PasscodeSet: true},
			0, passcode.Policy{}, "Android 7.x"},
		{"android admin 7.0 no passcode", passcode.Device{Platform: passcode.AndroidDeviceAdmin, APILevel: 24},
			passcode.SetPasscode, passcode.AndroidPolicy, ""},
		{"android admin 6.0 with passcode", passcode.Device{Platform: passcode.AndroidDeviceAdmin, APILevel: 23, PasscodeSet: true},
			passcode.SetPasscode, passcode.AndroidPolicy, ""},
		{"android admin unknown API", passcode.Device{Platform: passcode.AndroidDeviceAdmin},
			0, passcode.Policy{}, "API level"},
		{"ios", passcode.Device{Platform: passcode.IOS, UnlockTokenEscrowed: true, PasscodeSet: true},
			passcode.ClearPasscode, passcode.Policy{}, ""},
		{"ipados", passcode.Device{Platform: passcode.IPadOS, UnlockTokenEscrowed: true},
			passcode.ClearPasscode, passcode.Policy{}, ""},
		{"ios no unlock token", passcode.Device{Platform: passcode.IOS},
			0, passcode.Policy{}, "unlock token"},
		{"macos", passcode.Device{Platform: passcode.MacOS, Policy: passcode.Policy{Kind: passcode.Complex}},
			passcode.LockPIN, passcode.MacOSPolicy, ""},
		{"macos Apple silicon 11.5", passcode.Device{Platform: passcode.MacOS, AppleSilicon: true, OSVersion: "11.5"},
			passcode.LockPIN, passcode.MacOSPolicy, ""},
		{"macos Apple silicon 14.4.1", passcode.Device{Platform: passcode.MacOS, AppleSilicon: true, OSVersion: "14.4.1"},
			passcode.LockPIN, passcode.MacOSPolicy, ""},
		{"macos Apple silicon 11.4", passcode.Device{Platform: passcode.MacOS, AppleSilicon: true, OSVersion: "11.4"},
			0, passcode.Policy{}, `before macOS 11.5 (device has "11.4")`},
		{"macos Apple silicon unknown version", passcode.Device{Platform: passcode.MacOS, AppleSilicon: true},
			0, passcode.Policy{}, `before macOS 11.5 (device has "unknown")`},
		{"macos Intel 10.15", passcode.Device{Platform: passcode.MacOS, OSVersion: "10.15"},
			passcode.LockPIN, passcode.MacOSPolicy, ""},
		{"windows phone", passcode.Device{Platform: passcode.WindowsPhone81},
			passcode.SetPasscode, passcode.WindowsPhonePolicy, ""},
		{"windows phone numeric policy", passcode.Device{Platform: passcode.WindowsPhone81, Policy: passcode.Policy{Kind: passcode.NumericComplex, MinLength: 8}},
			passcode.SetPasscode, numeric8, ""},
		{"windows phone alphanumeric policy", passcode.Device{Platform: passcode.WindowsPhone81, Policy: passcode.Policy{Kind: passcode.Alphanumeric}},
			0, passcode.Policy{}, "numeric passcode"},
		{"windows", passcode.Device{Platform: passcode.Windows},
			0, passcode.Policy{}, "Windows desktops"},
		{"amapi fully managed", passcode.Device{Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 34},
			passcode.SetPasscode, passcode.AndroidPolicy, ""},
		{"amapi work profile", passcode.Device{Platform: passcode.AndroidEnterpriseWorkProfile, APILevel: 26},
			passcode.SetPasscode, passcode.AndroidPolicy, ""},
		{"amapi work profile API 25", passcode.Device{Platform: passcode.AndroidEnterpriseWorkProfile, APILevel: 25},
			0, passcode.Policy{}, "API 26"},
		{"amapi unknown API", passcode.Device{Platform: passcode.AndroidEnterpriseFullyManaged},
			0, passcode.Policy{}, "API level"},
		{"amapi policy of 17", passcode.Device{Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 30, Policy: passcode.Policy{Kind: passcode.Alphanumeric, MinLength: 17}},
			0, passcode.Policy{}, "at most 16 characters"},
		{"amapi Android 14 numeric 4 raised to 6", passcode.Device{Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 34, Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: 4, MaxLength: 8}},
			passcode.SetPasscode, passcode.Policy{Kind: passcode.Numeric, MinLength: 6, MaxLength: 8}, ""},
		{"amapi Android 15 numeric-complex 4-6 raised to 6", passcode.Device{Platform: passcode.AndroidEnterpriseWorkProfile, APILevel: 35, Policy: passcode.Policy{Kind: passcode.NumericComplex, MinLength: 4, MaxLength: 6}},
			passcode.SetPasscode, passcode.Policy{Kind: passcode.NumericComplex, MinLength: 6, MaxLength: 6}, ""},
		{"amapi Android 14 numeric 4 only", passcode.Device{Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 34, Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: 4, MaxLength: 5}},
			0, passcode.Policy{}, "shorter than 6 digits"},
		{"amapi Android 13 numeric 4 stays", passcode.Device{Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 33, Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: 4, MaxLength: 4}},
			passcode.SetPasscode, passcode.Policy{Kind: passcode.Numeric, MinLength: 4, MaxLength: 4}, ""},
		{"amapi Android 14 alphanumeric 4 stays", passcode.Device{Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 34, Policy: passcode.Policy{Kind: passcode.Alphanumeric, MinLength: 4, MaxLength: 4}},
			passcode.SetPasscode, passcode.Policy{Kind: passcode.Alphanumeric, MinLength: 4, MaxLength: 4}, ""},
		{"own DPC Android 14 numeric 4 stays", passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true, Policy: passcode.Policy{Kind: passcode.Numeric, MinLength: 4, MaxLength: 4}},
			passcode.SetPasscode, passcode.Policy{Kind: passcode.Numeric, MinLength: 4, MaxLength: 4}, ""},
		{"unknown", passcode.Device{Platform: 0},
			0, passcode.Policy{}, "unknown platform"},
		{"out of range", passcode.Device{Platform: 200},
			0, passcode.Policy{}, "unknown platform"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := passcode.Check(tc.d)
			if tc.reason != "" {
				var ue *passcode.UnsupportedError
				if !errors.As(err, &ue) || !errors.Is(err, passcode.ErrUnsupported) ||
					ue.Platform != tc.d.Platform || !strings.Contains(ue.Reason, tc.reason) {
					t.Fatalf("Check = %+v, %v; want unsupported: %q", c, err, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if c.Action != tc.action || c.Policy != tc.policy || c.Platform != tc.d.Platform {
				t.Fatalf("Check = %+v, want %s with %+v", c, tc.action, tc.policy)
			}
			if (c.Action == passcode.ClearPasscode) != (c.Grace == passcode.IOSGrace) {
				t.Fatalf("Grace = %s for %s", c.Grace, c.Action)
			}
		})
	}
}

func TestCheckProperties(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(7)
	params.MinSuccessfulTests = 500
	props := gopter.NewProperties(params)
	props.Property("Check gives a usable capability or says why not", prop.ForAll(
		func(d passcode.Device) bool {
			c, err := passcode.Check(d)
			if err != nil {
				var ue *passcode.UnsupportedError
				return errors.As(err, &ue) && errors.Is(err, passcode.ErrUnsupported) && ue.Reason != "" &&
					ue.Rule != "" && ue.Feature == "" && ue.Platform == d.Platform && c == passcode.Capability{}
			}
			switch c.Action {
			case passcode.ClearPasscode:
				return (d.Platform == passcode.IOS || d.Platform == passcode.IPadOS) && c.Grace == passcode.IOSGrace
			case passcode.LockPIN:
				return d.Platform == passcode.MacOS && c.Policy == passcode.MacOSPolicy
			case passcode.SetPasscode:
				pc, gerr := passcode.Generate(c.Policy, seeded(3))
				android := d.Platform == passcode.AndroidDeviceOwner || d.Platform == passcode.AndroidDeviceAdmin ||
					d.Platform == passcode.AndroidEnterpriseFullyManaged || d.Platform == passcode.AndroidEnterpriseWorkProfile
				return gerr == nil && passcode.Validate(c.Policy, pc) == nil &&
					(android || d.Platform == passcode.WindowsPhone81)
			}
			return false
		},
		passcodetest.GenDevice(),
	))
	props.Property("legacy device admin never resets on Android 8+", prop.ForAll(
		func(d passcode.Device) bool {
			d.Platform = passcode.AndroidDeviceAdmin
			_, err := passcode.Check(d)
			return d.APILevel < passcode.APIOreo || errors.Is(err, passcode.ErrUnsupported)
		},
		passcodetest.GenDevice(),
	))
	props.TestingRun(t)
}

func TestCheckLostMode(t *testing.T) {
	fm, wp := passcode.AndroidEnterpriseFullyManaged, passcode.AndroidEnterpriseWorkProfile
	tests := []struct {
		name string
		d    passcode.Device
		rule string // "" when allowed
	}{
		{"fully managed Android 11", passcode.Device{Platform: fm, APILevel: 30}, ""},
		{"fully managed Android 10", passcode.Device{Platform: fm, APILevel: 29}, "lost-mode-api-level"},
		{"fully managed company-owned flag ignored", passcode.Device{Platform: fm, APILevel: 34, CompanyOwned: false}, ""},
		{"company-owned work profile Android 13", passcode.Device{Platform: wp, APILevel: 33, CompanyOwned: true}, ""},
		{"company-owned work profile Android 12L", passcode.Device{Platform: wp, APILevel: 32, CompanyOwned: true}, "lost-mode-api-level"},
		{"personal work profile Android 14", passcode.Device{Platform: wp, APILevel: 34}, "lost-mode-company-owned"},
		{"personal work profile Android 10", passcode.Device{Platform: wp, APILevel: 29}, "lost-mode-company-owned"},
		{"own DPC", passcode.Device{Platform: passcode.AndroidDeviceOwner, APILevel: 34, CompanyOwned: true}, "lost-mode-platform"},
		{"device admin", passcode.Device{Platform: passcode.AndroidDeviceAdmin, APILevel: 34}, "lost-mode-platform"},
		{"ios", passcode.Device{Platform: passcode.IOS}, "lost-mode-platform"},
		{"unknown", passcode.Device{}, "lost-mode-platform"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := passcode.CheckLostMode(tc.d)
			if tc.rule == "" {
				if err != nil {
					t.Fatalf("CheckLostMode: %v", err)
				}
				return
			}
			var ue *passcode.UnsupportedError
			if !errors.As(err, &ue) || !errors.Is(err, passcode.ErrUnsupported) || ue.Rule != tc.rule ||
				ue.Feature != "lost-mode" || ue.Platform != tc.d.Platform || !strings.HasPrefix(err.Error(), "passcode: lost-mode unsupported on ") {
				t.Fatalf("CheckLostMode = %v, want rule %s", err, tc.rule)
			}
		})
	}
}

func TestAndroidEnterpriseProperties(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(25)
	params.MinSuccessfulTests = 500
	props := gopter.NewProperties(params)
	enterprise := func(d passcode.Device) bool {
		return d.Platform == passcode.AndroidEnterpriseFullyManaged || d.Platform == passcode.AndroidEnterpriseWorkProfile
	}
	props.Property("Lost Mode is allowed exactly on company-owned Android Enterprise devices of the right API level", prop.ForAll(
		func(d passcode.Device) bool {
			err := passcode.CheckLostMode(d)
			allowed := (d.Platform == passcode.AndroidEnterpriseFullyManaged && d.APILevel >= passcode.APIR) ||
				(d.Platform == passcode.AndroidEnterpriseWorkProfile && d.CompanyOwned && d.APILevel >= passcode.APITiramisu)
			if allowed {
				return err == nil
			}
			var ue *passcode.UnsupportedError
			return errors.As(err, &ue) && errors.Is(err, passcode.ErrUnsupported) && ue.Feature == "lost-mode" && ue.Rule != "" && ue.Reason != ""
		},
		passcodetest.GenDevice(),
	))
	props.Property("Lost Mode is never allowed on a personally-owned work profile", prop.ForAll(
		func(d passcode.Device) bool {
			d.Platform, d.CompanyOwned = passcode.AndroidEnterpriseWorkProfile, false
			var ue *passcode.UnsupportedError
			return errors.As(passcode.CheckLostMode(d), &ue) && ue.Rule == "lost-mode-company-owned"
		},
		passcodetest.GenDevice(),
	))
	props.Property("on Android 14 and later AMAPI never gets a numeric passcode shorter than 6", prop.ForAll(
		func(d passcode.Device, seed uint8) bool {
			if !enterprise(d) {
				d.Platform = passcode.AndroidEnterpriseFullyManaged
			}
			c, err := passcode.Check(d)
			if err != nil {
				var ue *passcode.UnsupportedError
				return errors.As(err, &ue) && ue.Rule != ""
			}
			pc, err := passcode.Generate(c.Policy, seeded(seed))
			if err != nil || passcode.Validate(c.Policy, pc) != nil {
				return false
			}
			numeric := strings.Trim(pc.Reveal(), "0123456789") == ""
			return d.APILevel < passcode.APIUpsideDownCake || !numeric || pc.Len() >= passcode.Android14NumericMin
		},
		passcodetest.GenDevice(), gen.UInt8(),
	))
	props.Property("AMAPI resets need Android 8.0", prop.ForAll(
		func(d passcode.Device) bool {
			_, err := passcode.Check(d)
			return !enterprise(d) || d.APILevel >= passcode.APIOreo || errors.Is(err, passcode.ErrUnsupported)
		},
		passcodetest.GenDevice(),
	))
	props.TestingRun(t)
}

func TestNames(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{passcode.AndroidDeviceOwner.String(), "android-device-owner"},
		{passcode.WindowsPhone81.String(), "windows-phone-8.1"},
		{passcode.Platform(0).String(), "platform(0)"},
		{passcode.AndroidEnterpriseFullyManaged.String(), "android-enterprise-fully-managed"},
		{passcode.AndroidEnterpriseWorkProfile.String(), "android-enterprise-work-profile"},
		{(passcode.AndroidEnterpriseWorkProfile + 1).String(), "platform(10)"},
		{passcode.LockPIN.String(), "lock-pin"},
		{passcode.Action(9).String(), "action(9)"},
		{passcode.Acknowledged.String(), "acknowledged"},
		{passcode.State(0).String(), "none"}, {passcode.State(9).String(), "state(9)"},
		{passcode.EventViewDenied.String(), "view-denied"},
		{passcode.EventKind(0).String(), "event(0)"},
		// The first value past each name table.
		{(passcode.LockPIN + 1).String(), "action(4)"},
		{passcode.State(7).String(), "state(7)"},
		{passcode.EventKind(6).String(), "event(6)"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
