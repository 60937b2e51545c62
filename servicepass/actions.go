package servicepass

import (
	"strconv"
	"strings"
)

// Actions is a set of emergency actions a service password grants, as a
// bitflag. Every one of the eight bits is defined, so any uint8 is a set;
// whether a set is allowed is decided by [CheckRules].
type Actions uint8

// The actions, one bit each. The bit values are part of the code format
// (docs/servicepass-format.md) and never change.
const (
	// Unlock leaves Lost Mode (Device Owner) or opens the work profile (COPE).
	Unlock Actions = 1 << iota
	// DisableKiosk leaves kiosk mode. Device Owner only.
	DisableKiosk
	// RemoveNetworkRestrictions lifts the policies [NetworkPolicies] lists.
	RemoveNetworkRestrictions
	// AllowDeveloperOptions lets the user open developer options.
	AllowDeveloperOptions
	// AllowDeactivation lets the user remove the device administrator.
	AllowDeactivation
	// AllowFactoryReset lets the user factory-reset the device.
	AllowFactoryReset
	// EmergencyDatabaseReset clears the agent's database. It cannot be
	// combined with any other action.
	EmergencyDatabaseReset
	// SetPassword lets the user set a new password. COPE only, alone, and
	// valid for a calendar day rather than until an instant.
	SetPassword
)

// AllActions is the set of every action.
const AllActions Actions = 0xFF

// Reversible is the set of actions that change a standing policy: when the
// privileged window ends, the agent returns them to the policy-required
// state. The others (Unlock, EmergencyDatabaseReset, SetPassword) happen once.
const Reversible = DisableKiosk | RemoveNetworkRestrictions | AllowDeveloperOptions |
	AllowDeactivation | AllowFactoryReset

var actionNames = [8]string{
	"Unlock", "DisableKiosk", "RemoveNetworkRestrictions", "AllowDeveloperOptions",
	"AllowDeactivation", "AllowFactoryReset", "EmergencyDatabaseReset", "SetPassword",
}

// Has reports whether a holds every action of b.
func (a Actions) Has(b Actions) bool { return a&b == b }

// Count returns the number of actions in a.
func (a Actions) Count() int {
	n := 0
	for v := a; v != 0; v &= v - 1 {
		n++
	}
	return n
}

// List returns the actions of a one by one, in bit order.
func (a Actions) List() []Actions {
	out := make([]Actions, 0, a.Count())
	for i := 0; i < 8; i++ {
		if b := Actions(1) << i; a&b != 0 {
			out = append(out, b)
		}
	}
	return out
}

// String returns the action names joined by "|" in bit order, or "none".
func (a Actions) String() string {
	if a == 0 {
		return "none"
	}
	var b strings.Builder
	for i := 0; i < 8; i++ {
		if a&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(actionNames[i])
		}
	}
	return b.String()
}

// ParseActions parses the form [Actions.String] writes ("Unlock|DisableKiosk",
// or "none"). Names are case-sensitive.
func ParseActions(s string) (Actions, error) {
	if s == "none" {
		return 0, nil
	}
	var a Actions
	for _, name := range strings.Split(s, "|") {
		found := false
		for i, n := range actionNames {
			if n == name {
				a |= 1 << i
				found = true
				break
			}
		}
		if !found {
			return 0, &RuleError{Rule: errUnknownAction, Field: "Actions", Detail: "unknown action name"}
		}
	}
	return a, nil
}

// Mode is the device's activation mode. It is one bit of the code.
type Mode uint8

// The activation modes.
const (
	// DeviceOwner is a fully managed device.
	DeviceOwner Mode = iota
	// COPE is a company-owned device with a personal side and a work profile.
	COPE
)

// String returns "DeviceOwner", "COPE" or "Mode(n)".
func (m Mode) String() string {
	switch m {
	case DeviceOwner:
		return "DeviceOwner"
	case COPE:
		return "COPE"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == DeviceOwner || m == COPE }

// Scope says what a granted Unlock opens.
type Scope uint8

// The scopes.
const (
	// ScopeDevice: the actions apply to the whole device.
	ScopeDevice Scope = iota
	// ScopeWorkProfile: on COPE, Unlock opens the work profile.
	ScopeWorkProfile
)

// String returns "Device" or "WorkProfile".
func (s Scope) String() string {
	if s == ScopeWorkProfile {
		return "WorkProfile"
	}
	return "Device"
}

// ScopeOf returns the scope of a grant of actions in mode: the work profile
// when a COPE grant holds Unlock, the device otherwise.
func ScopeOf(m Mode, a Actions) Scope {
	if m == COPE && a&Unlock != 0 {
		return ScopeWorkProfile
	}
	return ScopeDevice
}
