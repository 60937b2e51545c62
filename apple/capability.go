package apple

import (
	"errors"
	"strconv"
	"time"

	"github.com/mdmcred/mdmcred/internal/osversion"
	"github.com/mdmcred/mdmcred/passcode"
)

// Device is what [Check] needs to know about an Apple device; the host fills
// it from its inventory (DeviceInformation, TokenUpdate).
type Device struct {
	// Platform is passcode.IOS, passcode.IPadOS or passcode.MacOS.
	Platform passcode.Platform
	// OSVersion is the OS version the device reports ("17.4", "11.5.2").
	OSVersion string
	// AppleSilicon: a Mac with Apple silicon (not Intel).
	AppleSilicon bool
	// Supervised: the device is supervised (Apple Configurator or
	// Automated Device Enrollment).
	Supervised bool
	// AutomatedEnrollment: enrolled through Automated Device Enrollment,
	// which SetAutoAdminPassword needs (the admin account it creates).
	AutomatedEnrollment bool
	// UnlockTokenAt is when the host recorded the device's UnlockToken from
	// a TokenUpdate; zero when it holds none.
	UnlockTokenAt time.Time
}

// Capability is what Check found: for ClearPasscode, how old the escrowed
// UnlockToken is (a token from long ago may have been replaced by a
// re-enrollment the host missed).
type Capability struct {
	RequestType    RequestType
	UnlockTokenAge time.Duration
}

// Check reports whether d can run c, or an *UnsupportedError (matching
// [ErrUnsupported]) saying why not:
//
//   - ClearPasscode: iOS or iPadOS with an escrowed UnlockToken (the same
//     rule as [passcode.Check]); the Capability says how old the token is.
//   - DeviceLock: iOS, iPadOS or macOS; a PIN only on macOS; a Mac with Apple
//     silicon needs macOS 11.5+ (an earlier one is deactivated by the lock),
//     the rule [passcode.Check] applies to a Mac's passcode reset.
//   - EnableLostMode, DisableLostMode: supervised iOS or iPadOS 9.3+.
//   - SetRecoveryLock: macOS 11.5+ on Apple silicon.
//   - SetAutoAdminPassword: macOS 10.11+ enrolled through Automated Device
//     Enrollment.
func Check(d Device, c Command, now time.Time) (Capability, error) {
	rt := c.RequestType
	no := func(reason string) (Capability, error) {
		return Capability{}, &UnsupportedError{RequestType: rt, Reason: reason}
	}
	mobile := d.Platform == passcode.IOS || d.Platform == passcode.IPadOS
	mac := d.Platform == passcode.MacOS
	if !mobile && !mac {
		return no("not an Apple device (platform " + d.Platform.String() + ")")
	}
	ok := Capability{RequestType: rt}
	switch rt {
	case ClearPasscode:
		if !mobile {
			return no("ClearPasscode is for iOS and iPadOS; a Mac is locked with DeviceLock and a PIN")
		}
		pc, err := passcode.Check(passcode.Device{Platform: d.Platform, UnlockTokenEscrowed: !d.UnlockTokenAt.IsZero()})
		if err != nil || pc.Action != passcode.ClearPasscode {
			return no("no UnlockToken escrowed: the device sends it in TokenUpdate after enrollment, and only a device that escrowed it can have its passcode cleared")
		}
		ok.UnlockTokenAge = now.Sub(d.UnlockTokenAt)
		if ok.UnlockTokenAge < 0 {
			ok.UnlockTokenAge = 0
		}
		return ok, nil
	case DeviceLock:
		if c.Fills&FillPIN != 0 && !mac {
			return no("a DeviceLock PIN is macOS only; iOS and iPadOS lock with their own passcode")
		}
		if mac {
			// The passcode platform matrix holds the macOS lock rule.
			if _, err := passcode.Check(passcode.Device{Platform: passcode.MacOS, AppleSilicon: d.AppleSilicon, OSVersion: d.OSVersion}); err != nil {
				var ue *passcode.UnsupportedError
				if errors.As(err, &ue) {
					return no(ue.Reason)
				}
				return no(err.Error())
			}
		}
		return ok, nil
	case EnableLostMode, DisableLostMode:
		if !mobile {
			return no("Lost Mode is for iOS and iPadOS")
		}
		if !d.Supervised {
			return no("Lost Mode needs a supervised device")
		}
		if !osversion.AtLeast(d.OSVersion, 9, 3) {
			return no("Lost Mode needs iOS 9.3 or later (has " + version(d.OSVersion) + ")")
		}
		return ok, nil
	case SetRecoveryLock:
		if !mac || !d.AppleSilicon {
			return no("Recovery Lock needs a Mac with Apple silicon")
		}
		if !osversion.AtLeast(d.OSVersion, 11, 5) {
			return no("Recovery Lock needs macOS 11.5 or later (has " + version(d.OSVersion) + ")")
		}
		return ok, nil
	case SetAutoAdminPassword:
		if !mac {
			return no("SetAutoAdminPassword is macOS only")
		}
		if !d.AutomatedEnrollment {
			return no("SetAutoAdminPassword needs a Mac enrolled through Automated Device Enrollment")
		}
		if !osversion.AtLeast(d.OSVersion, 10, 11) {
			return no("SetAutoAdminPassword needs macOS 10.11 or later (has " + version(d.OSVersion) + ")")
		}
		return ok, nil
	}
	return no("unknown request type")
}

func version(v string) string {
	if v == "" {
		return "unknown version"
	}
	return strconv.Quote(truncate(v))
}
