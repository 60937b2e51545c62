package servicepass

import (
	"errors"
	"time"
)

// Validity bounds of a code that expires at an instant. Both bounds are
// inclusive: a code may be valid for exactly MinValidity or MaxValidity.
const (
	DefaultValidity = 24 * time.Hour
	MinValidity     = 5 * time.Minute
	MaxValidity     = 30 * 24 * time.Hour
)

// Rule sentinels: one per rule a request or a code can break that a caller
// tells apart (to show the user what to change). Each comes wrapped in a
// [*RuleError] that says which field and why. The rules only a programming
// or configuration error breaks (an unknown action name, an expiry or an
// issuer clock outside the code format's range, a port not configured, key
// IDs the issuer holds none of) have no exported sentinel: their
// *RuleError names the field and the rule in its message.
var (
	ErrUnknownMode           = errors.New("servicepass: unknown activation mode")
	errUnknownAction         = errors.New("servicepass: unknown action")
	ErrNoActions             = errors.New("servicepass: no action chosen")
	ErrDatabaseResetCombined = errors.New("servicepass: emergency database reset cannot be combined with another action")
	ErrSetPasswordCombined   = errors.New("servicepass: set password cannot be combined with another action")
	ErrKioskOnCOPE           = errors.New("servicepass: disable kiosk is not available on COPE")
	ErrSetPasswordNotCOPE    = errors.New("servicepass: set password is available only on COPE")

	ErrDeviceID      = errors.New("servicepass: invalid device ID")
	ErrValidityShort = errors.New("servicepass: validity shorter than the minimum")
	ErrValidityLong  = errors.New("servicepass: validity longer than the maximum")
	errExpiryRange   = errors.New("servicepass: expiry outside the code format's range")
	errClockRange    = errors.New("servicepass: issuer clock outside the code format's range")
	ErrExpiryDate    = errors.New("servicepass: expiration date misused")
	ErrQRNotAllowed  = errors.New("servicepass: no QR code for a COPE set password code")
	ErrEmailAddress  = errors.New("servicepass: invalid email address")
	ErrLanguage      = errors.New("servicepass: invalid message language")
	errNotConfigured = errors.New("servicepass: port not configured")
)

// RuleError says which rule a request or a code broke. It matches its Rule
// with errors.Is. It never holds a code or a key.
type RuleError struct {
	Rule   error  // one of the rule sentinels
	Field  string // the request field at fault, e.g. "Actions"
	Detail string // a human-readable explanation
}

func (e *RuleError) Error() string {
	s := e.Rule.Error()
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is reports whether target is e.Rule.
func (e *RuleError) Is(target error) bool { return target == e.Rule }

// Unwrap returns e.Rule.
func (e *RuleError) Unwrap() error { return e.Rule }

// CheckRules reports whether actions may be granted together in mode. It
// checks, in this order, and returns the first broken rule as a *RuleError:
// the mode is known ([ErrUnknownMode]); at least one action
// ([ErrNoActions]); EmergencyDatabaseReset alone ([ErrDatabaseResetCombined]);
// SetPassword alone ([ErrSetPasswordCombined]); no DisableKiosk on COPE
// ([ErrKioskOnCOPE]); SetPassword only on COPE ([ErrSetPasswordNotCOPE]).
//
// The issuer checks the rules before it makes a code, and the verifier
// checks them again on the device.
func CheckRules(m Mode, a Actions) error {
	switch {
	case !m.Valid():
		return &RuleError{Rule: ErrUnknownMode, Field: "Mode", Detail: "want DeviceOwner or COPE"}
	case a == 0:
		return &RuleError{Rule: ErrNoActions, Field: "Actions", Detail: "choose at least one action"}
	case a&EmergencyDatabaseReset != 0 && a != EmergencyDatabaseReset:
		return &RuleError{Rule: ErrDatabaseResetCombined, Field: "Actions", Detail: "also asked for " + (a &^ EmergencyDatabaseReset).String()}
	case a&SetPassword != 0 && a != SetPassword:
		return &RuleError{Rule: ErrSetPasswordCombined, Field: "Actions", Detail: "also asked for " + (a &^ SetPassword).String()}
	case m == COPE && a&DisableKiosk != 0:
		return &RuleError{Rule: ErrKioskOnCOPE, Field: "Actions", Detail: "COPE devices have no kiosk mode"}
	case m != COPE && a&SetPassword != 0:
		return &RuleError{Rule: ErrSetPasswordNotCOPE, Field: "Actions", Detail: "use a Device Owner passcode reset instead"}
	}
	return nil
}

// DayValid reports whether a code for actions in mode is valid for a
// calendar day (COPE SetPassword) rather than until an instant.
func DayValid(m Mode, a Actions) bool { return m == COPE && a == SetPassword }
