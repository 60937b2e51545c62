package passcode

import (
	"errors"
	"fmt"
	"time"

	"github.com/mdmcred/mdmcred/internal/osversion"
)

// Platform is a device's management platform: which MDM channel the reset
// command takes, which decides what a reset can do.
type Platform uint8

// Platforms. The zero Platform is unknown and unsupported.
const (
	// AndroidDeviceOwner: a fully managed Android device (device owner or
	// work profile), reset through DevicePolicyManager.resetPasswordWithToken,
	// which needs Android 8.0 (API 26) and an active reset password token.
	AndroidDeviceOwner Platform = iota + 1
	// AndroidDeviceAdmin: the legacy device administrator API
	// (DevicePolicyManager.resetPassword), deprecated by Google.
	AndroidDeviceAdmin
	// IOS: an iPhone, through the MDM ClearPasscode command.
	IOS
	// IPadOS: an iPad, with the same rules as IOS.
	IPadOS
	// MacOS: a Mac, locked with the MDM DeviceLock command and a 6-digit PIN.
	MacOS
	// WindowsPhone81: Windows Phone 8.1, which takes a new numeric passcode.
	WindowsPhone81
	// Windows: Windows 10 and later desktops; no remote passcode reset.
	Windows
	// AndroidEnterpriseFullyManaged: a fully managed (company-owned)
	// Android Enterprise device run by Google's Android Device Policy,
	// reset through the Android Management API's RESET_PASSWORD command
	// (package android).
	AndroidEnterpriseFullyManaged
	// AndroidEnterpriseWorkProfile: an Android Enterprise work profile run
	// by Android Device Policy, on a personally-owned device or, with
	// [Device.CompanyOwned], a company-owned one; RESET_PASSWORD sets the
	// work profile's challenge (the device's lock when the profile has no
	// separate one).
	AndroidEnterpriseWorkProfile
)

var platformNames = [...]string{"", "android-device-owner", "android-device-admin", "ios", "ipados", "macos", "windows-phone-8.1", "windows",
	"android-enterprise-fully-managed", "android-enterprise-work-profile"}

// String returns the platform's name ("android-device-owner"), or
// "platform(N)" for an unknown one.
func (p Platform) String() string {
	if int(p) < len(platformNames) && p != 0 {
		return platformNames[p]
	}
	return fmt.Sprintf("platform(%d)", uint8(p))
}

// Android API levels the rules depend on.
const (
	APINougat         = 24 // Android 7.0
	APIOreo           = 26 // Android 8.0
	APIR              = 30 // Android 11
	APITiramisu       = 33 // Android 13
	APIUpsideDownCake = 34 // Android 14
)

// Android14NumericMin is the shortest numeric passcode Android 14 (API 34)
// and later take from the Android Management API: RESET_PASSWORD with a
// shorter numeric newPassword fails with INVALID_VALUE.
const Android14NumericMin = 6

// IOSGrace is how long an iOS or iPadOS user has to set a new passcode after
// a ClearPasscode command, when the passcode policy requires one.
const IOSGrace = 60 * time.Minute

// AndroidMaxLength is the longest passcode the Android lock screen accepts.
// Source: AOSP frameworks/base, DevicePolicyManager.getPasswordMaximumLength
// (documented as "the maximum password length that the device supports",
// returning 16 for every quality) and PasswordMetrics.validatePasswordMetrics,
// which refuses a longer credential with PasswordValidationError TOO_LONG
// (DevicePolicyManager.MAX_PASSWORD_LENGTH = 16). resetPasswordWithToken and
// resetPassword then fail on the device, so [Check] refuses such a policy
// before the reset is recorded.
const AndroidMaxLength = 16

// MacOSPINLength is the length of a macOS DeviceLock PIN.
const MacOSPINLength = 6

// The first macOS version a Mac with Apple silicon can be locked remotely
// on. Source: Apple's DeviceLock schema (github.com/apple/device-management,
// mdm/commands/device.lock.yaml): "Sending this command to a Mac computer
// with Apple silicon running a version of macOS before 11.5 deactivates the
// Mac."
const (
	siliconLockMajor = 11
	siliconLockMinor = 5
)

// Device is what the capability check needs to know about a device. The
// host fills it from its inventory.
type Device struct {
	// ID identifies the device in the host; it keys the one-open-reset rule.
	ID string
	// Name is shown to the user in the email ("Anna's Pixel").
	Name string
	// Platform is the management platform.
	Platform Platform
	// APILevel is the Android API level (Build.VERSION.SDK_INT); ignored on
	// other platforms.
	APILevel int
	// PasscodeSet reports whether the device has a passcode now.
	PasscodeSet bool
	// ResetTokenActive reports whether an Android device owner's reset
	// password token is set and activated.
	ResetTokenActive bool
	// UnlockTokenEscrowed reports whether the host holds the iOS/iPadOS
	// UnlockToken escrowed at enrollment, which ClearPasscode needs.
	UnlockTokenEscrowed bool
	// AppleSilicon reports whether a Mac has Apple silicon (not Intel);
	// ignored on other platforms.
	AppleSilicon bool
	// OSVersion is the OS version the device reports ("14.4"); read for a
	// Mac with Apple silicon, where DeviceLock needs macOS 11.5.
	OSVersion string
	// Policy is the passcode policy the device enforces, when the host
	// knows it; the zero Policy means the platform default.
	Policy Policy
	// Owner is the ID of the device's enrolled user, who may reset it in
	// self-service; empty for a device with no user.
	Owner string
	// CompanyOwned reports whether an AndroidEnterpriseWorkProfile device is
	// company-owned (a work profile on a company-owned device, COPE), which
	// Lost Mode needs. A fully managed device is company-owned whatever
	// this says; other platforms ignore it.
	CompanyOwned bool
}

// Action is what a reset does on the device.
type Action uint8

// Actions.
const (
	// SetPasscode sets a new generated passcode.
	SetPasscode Action = iota + 1
	// ClearPasscode removes the passcode; the user sets a new one within
	// [Capability.Grace].
	ClearPasscode
	// LockPIN locks the device with a generated PIN that unlocks it.
	LockPIN
)

var actionNames = [...]string{"", "set-passcode", "clear-passcode", "lock-pin"}

// String returns the action's name ("set-passcode").
func (a Action) String() string {
	if int(a) < len(actionNames) && a != 0 {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Capability is what a reset of one device will do.
type Capability struct {
	Platform Platform
	Action   Action
	// Policy is the policy of the passcode or PIN to generate; the zero
	// Policy for ClearPasscode.
	Policy Policy
	// Grace, for ClearPasscode, is how long the user has to set a new
	// passcode.
	Grace time.Duration
}

// ErrUnsupported: the device's platform or state does not allow a remote
// passcode reset. Returned as an *UnsupportedError that says why.
var ErrUnsupported = errors.New("passcode: reset unsupported")

// UnsupportedError says why a device cannot be reset (or, from
// [CheckLostMode], put into Lost Mode). It matches [ErrUnsupported].
type UnsupportedError struct {
	Platform Platform
	// Rule names the rule that refused, a stable identifier a caller may
	// branch on or count: "api-level", "reset-token", "device-admin-8",
	// "device-admin-7-passcode-set", "unlock-token", "windows-desktop",
	// "unknown-platform", "device-policy", "max-length", "android14-numeric-min",
	// "lost-mode-company-owned", "lost-mode-api-level", "lost-mode-platform".
	Rule string
	// Reason says why in words.
	Reason string
	// Feature is "lost-mode" for a [CheckLostMode] refusal, empty for a
	// passcode reset.
	Feature string
}

// Error implements error.
func (e *UnsupportedError) Error() string {
	feature := "reset"
	if e.Feature != "" {
		feature = e.Feature
	}
	return "passcode: " + feature + " unsupported on " + e.Platform.String() + ": " + e.Reason
}

// Is reports whether target is [ErrUnsupported].
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// Default policies per platform, used when [Device.Policy] is zero.
var (
	// AndroidPolicy: Android resets (by an admin or through the portal) set
	// an 8-character alphanumeric passcode, which meets every Android
	// password quality up to ALPHANUMERIC.
	AndroidPolicy = Policy{Kind: Alphanumeric, MinLength: 8, MaxLength: 8}
	// MacOSPolicy: the 6-digit DeviceLock PIN.
	MacOSPolicy = Policy{Kind: Numeric, MinLength: MacOSPINLength, MaxLength: MacOSPINLength}
	// WindowsPhonePolicy: Windows Phone 8.1 takes a numeric passcode.
	WindowsPhonePolicy = Policy{Kind: Numeric, MinLength: 6, MaxLength: 6}
)

// Check reports what a reset of d will do, or an *UnsupportedError saying why
// it cannot be done:
//
//   - AndroidDeviceOwner: sets a new passcode (default [AndroidPolicy]); needs
//     API 26 and an active reset password token. A device policy that
//     allows passcodes longer than [AndroidMaxLength] is unsupported, as on
//     AndroidDeviceAdmin.
//   - AndroidDeviceAdmin: sets a new passcode; unsupported on Android 8.0+
//     (API 26), and on Android 7.x (API 24-25) when a passcode is already
//     set, because resetPassword can then only set one where none exists.
//   - IOS, IPadOS: clears the passcode; needs the escrowed UnlockToken; the
//     user has [IOSGrace] to set a new one.
//   - MacOS: locks with a 6-digit PIN; a device policy is ignored, the PIN
//     format is fixed. A Mac with Apple silicon needs macOS 11.5
//     (DeviceLock deactivates an earlier one).
//   - WindowsPhone81: sets a new numeric passcode (default
//     [WindowsPhonePolicy]); a device policy must be Numeric or
//     NumericComplex.
//   - Windows: unsupported; Windows desktops have no MDM passcode reset (use
//     a Windows Hello PIN reset).
//   - AndroidEnterpriseFullyManaged, AndroidEnterpriseWorkProfile: sets a
//     new passcode through AMAPI's RESET_PASSWORD (default
//     [AndroidPolicy]); needs API 26. On Android 14 (API 34) and later a
//     numeric policy's minimum is raised to [Android14NumericMin] (6), and a
//     numeric policy that cannot reach 6 digits is unsupported, because
//     AMAPI refuses a shorter numeric password with INVALID_VALUE.
//
// A device policy that is itself invalid is unsupported too.
func Check(d Device) (Capability, error) {
	unsupported := func(rule, reason string) (Capability, error) {
		return Capability{}, &UnsupportedError{Platform: d.Platform, Rule: rule, Reason: reason}
	}
	c := Capability{Platform: d.Platform, Action: SetPasscode}
	switch d.Platform {
	case AndroidDeviceOwner:
		if d.APILevel < APIOreo {
			return unsupported("api-level", fmt.Sprintf("a reset password token needs Android 8.0 (API %d), device has API %d", APIOreo, d.APILevel))
		}
		if !d.ResetTokenActive {
			return unsupported("reset-token", "no active reset password token")
		}
		c.Policy = AndroidPolicy
	case AndroidDeviceAdmin:
		switch {
		case d.APILevel >= APIOreo:
			return unsupported("device-admin-8", "the legacy device admin API cannot reset the passcode on Android 8.0 and later; enroll as device owner")
		case d.APILevel >= APINougat && d.PasscodeSet:
			return unsupported("device-admin-7-passcode-set", "on Android 7.x the legacy device admin API can only set a passcode when none is set")
		case d.APILevel <= 0:
			return unsupported("api-level", "unknown Android API level")
		}
		c.Policy = AndroidPolicy
	case IOS, IPadOS:
		if !d.UnlockTokenEscrowed {
			return unsupported("unlock-token", "no escrowed unlock token; it is only available for supervised or MDM-enrolled devices that escrowed it at enrollment")
		}
		return Capability{Platform: d.Platform, Action: ClearPasscode, Grace: IOSGrace}, nil
	case MacOS:
		if d.AppleSilicon && !osversion.AtLeast(d.OSVersion, siliconLockMajor, siliconLockMinor) {
			v := d.OSVersion
			if v == "" {
				v = "unknown"
			}
			return unsupported("macos-silicon-11.5", fmt.Sprintf("DeviceLock deactivates a Mac with Apple silicon before macOS 11.5 (device has %q)", v))
		}
		return Capability{Platform: d.Platform, Action: LockPIN, Policy: MacOSPolicy}, nil
	case WindowsPhone81:
		c.Policy = WindowsPhonePolicy
		if d.Policy != (Policy{}) && d.Policy.Kind != Numeric && d.Policy.Kind != NumericComplex {
			return unsupported("device-policy", fmt.Sprintf("Windows Phone 8.1 takes a numeric passcode, device policy is %s", d.Policy.Kind))
		}
	case AndroidEnterpriseFullyManaged, AndroidEnterpriseWorkProfile:
		switch {
		case d.APILevel <= 0:
			return unsupported("api-level", "unknown Android API level")
		case d.APILevel < APIOreo:
			return unsupported("api-level", fmt.Sprintf("Android Device Policy resets the passcode with a reset password token, which needs Android 8.0 (API %d), device has API %d; on older releases the legacy device admin rules apply", APIOreo, d.APILevel))
		}
		c.Policy = AndroidPolicy
	case Windows:
		return unsupported("windows-desktop", "Windows desktops have no MDM passcode reset")
	default:
		return unsupported("unknown-platform", "unknown platform")
	}
	if d.Policy != (Policy{}) {
		p, err := d.Policy.Normalize()
		if err != nil {
			return unsupported("device-policy", "device policy cannot be met: "+err.Error())
		}
		if d.Platform.android() && p.MaxLength > AndroidMaxLength {
			return unsupported("max-length", fmt.Sprintf("Android accepts passcodes of at most %d characters (DevicePolicyManager.getPasswordMaximumLength), device policy allows %d", AndroidMaxLength, p.MaxLength))
		}
		c.Policy = p
	}
	if d.Platform.enterprise() && d.APILevel >= APIUpsideDownCake && (c.Policy.Kind == Numeric || c.Policy.Kind == NumericComplex) && c.Policy.MinLength < Android14NumericMin {
		if c.Policy.MaxLength < Android14NumericMin {
			return unsupported("android14-numeric-min", fmt.Sprintf("Android 14 (API %d) and later refuse a numeric passcode shorter than %d digits from the Android Management API (INVALID_VALUE), device policy allows at most %d", APIUpsideDownCake, Android14NumericMin, c.Policy.MaxLength))
		}
		c.Policy.MinLength = Android14NumericMin
	}
	return c, nil
}

// android reports whether p is one of the Android platforms, whose lock
// screen takes at most [AndroidMaxLength] characters.
func (p Platform) android() bool {
	return p == AndroidDeviceOwner || p == AndroidDeviceAdmin || p.enterprise()
}

// enterprise reports whether p is managed through the Android Management
// API.
func (p Platform) enterprise() bool {
	return p == AndroidEnterpriseFullyManaged || p == AndroidEnterpriseWorkProfile
}

// CheckLostMode reports whether d can be put into Lost Mode through the
// Android Management API (START_LOST_MODE), or an *UnsupportedError with
// Feature "lost-mode" saying why not. Call it before sending the command:
// on a device outside these rules AMAPI reports the command done while the
// device ignores it, so the refusal must come first.
//
//   - AndroidEnterpriseFullyManaged: Android 11 (API 30) or later.
//   - AndroidEnterpriseWorkProfile: only on a company-owned device
//     ([Device.CompanyOwned]) with Android 13 (API 33) or later; never on a
//     personally-owned device, whose owner's privacy Lost Mode would break.
//   - Every other platform: unsupported (no AMAPI Lost Mode).
func CheckLostMode(d Device) error {
	refuse := func(rule, reason string) error {
		return &UnsupportedError{Platform: d.Platform, Rule: rule, Reason: reason, Feature: "lost-mode"}
	}
	switch d.Platform {
	case AndroidEnterpriseFullyManaged:
		if d.APILevel < APIR {
			return refuse("lost-mode-api-level", fmt.Sprintf("Lost Mode on a fully managed device needs Android 11 (API %d), device has API %d", APIR, d.APILevel))
		}
	case AndroidEnterpriseWorkProfile:
		if !d.CompanyOwned {
			return refuse("lost-mode-company-owned", "Lost Mode works only on company-owned devices; this work profile is on a personally-owned device")
		}
		if d.APILevel < APITiramisu {
			return refuse("lost-mode-api-level", fmt.Sprintf("Lost Mode on a work profile of a company-owned device needs Android 13 (API %d), device has API %d", APITiramisu, d.APILevel))
		}
	default:
		return refuse("lost-mode-platform", "Lost Mode through the Android Management API needs an Android Enterprise device (fully managed, or a work profile on a company-owned device)")
	}
	return nil
}
