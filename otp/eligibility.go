package otp

import (
	"slices"
	"strconv"
	"strings"
)

// Requirement is one condition a portal user must meet before the portal
// offers the one-time PIN. Requirements is a set of them.
type Requirement uint8

// Requirements, in the order [Requirements.List] returns them.
const (
	// NeedRole: the user holds the role that allows resetting the
	// secure-apps passcode.
	NeedRole Requirement = 1 << iota
	// NeedLicense: the user holds at least one of the qualifying licenses.
	NeedLicense
	// NeedPasscodePolicy: the user's policy requires a secure-apps passcode.
	NeedPasscodePolicy
	// NeedRecoveryPolicy: the user's policy allows passcode recovery.
	NeedRecoveryPolicy

	allRequirements = NeedRole | NeedLicense | NeedPasscodePolicy | NeedRecoveryPolicy
)

// Requirements is a set of [Requirement] values.
type Requirements = Requirement

// String names a single requirement, or lists a set joined by "|".
func (r Requirement) String() string {
	if r == 0 {
		return "none"
	}
	var names []string
	for _, q := range r.List() {
		switch q {
		case NeedRole:
			names = append(names, "role")
		case NeedLicense:
			names = append(names, "license")
		case NeedPasscodePolicy:
			names = append(names, "passcode-policy")
		case NeedRecoveryPolicy:
			names = append(names, "recovery-policy")
		}
	}
	if rest := r &^ allRequirements; rest != 0 {
		names = append(names, "Requirement(0x"+strconv.FormatUint(uint64(rest), 16)+")")
	}
	return strings.Join(names, "|")
}

// Explain returns an English sentence for a single requirement, for logs
// and administrators; portals localise from the Requirement itself.
func (r Requirement) Explain() string {
	switch r {
	case NeedRole:
		return "the user's role does not allow resetting the secure-apps passcode"
	case NeedLicense:
		return "the user holds none of the qualifying licenses"
	case NeedPasscodePolicy:
		return "the user's policy does not require a secure-apps passcode"
	case NeedRecoveryPolicy:
		return "the user's policy does not allow passcode recovery"
	}
	return "unknown requirement " + r.String()
}

// List returns the known requirements in r, in declaration order.
func (r Requirement) List() []Requirement {
	var out []Requirement
	for q := NeedRole; q <= NeedRecoveryPolicy; q <<= 1 {
		if r&q != 0 {
			out = append(out, q)
		}
	}
	return out
}

// Has reports whether r contains every requirement in q.
func (r Requirement) Has(q Requirement) bool { return r&q == q }

// Eligibility is a portal's rule for offering the one-time PIN: the role
// and licenses that qualify. Check it for each user before showing the
// option and again before [PINService.Issue].
type Eligibility struct {
	// Role is the role that allows resetting the secure-apps passcode.
	// Required.
	Role string
	// Licenses are the qualifying licenses; the user needs at least one.
	// Required (non-empty).
	Licenses []string
}

// Subject is what the host knows about a portal user.
type Subject struct {
	Roles    []string
	Licenses []string
	// Policy is the user's effective policy; nil means none assigned,
	// which meets neither policy requirement.
	Policy *Policy
}

// Policy is the part of a user's policy that the one-time PIN depends on.
type Policy struct {
	// RequiresPasscode: the policy requires a secure-apps passcode.
	RequiresPasscode bool
	// AllowsRecovery: the policy allows the passcode to be recovered.
	AllowsRecovery bool
}

// IneligibleError lists every requirement the user does not meet, so a
// portal can explain all of them at once. It matches [ErrIneligible].
type IneligibleError struct {
	Missing Requirements
}

func (e *IneligibleError) Error() string {
	return "otp: one-time PIN not available: missing " + e.Missing.String()
}

// Is reports whether target is [ErrIneligible].
func (e *IneligibleError) Is(target error) bool { return target == ErrIneligible }

// Missing returns the requirements s does not meet; zero means eligible.
// An invalid Eligibility (empty Role or Licenses) is met by no one: the
// corresponding requirement is always missing.
func (e Eligibility) Missing(s Subject) Requirements {
	var m Requirements
	if e.Role == "" || !slices.Contains(s.Roles, e.Role) {
		m |= NeedRole
	}
	if !slices.ContainsFunc(s.Licenses, func(l string) bool { return l != "" && slices.Contains(e.Licenses, l) }) {
		m |= NeedLicense
	}
	if s.Policy == nil || !s.Policy.RequiresPasscode {
		m |= NeedPasscodePolicy
	}
	if s.Policy == nil || !s.Policy.AllowsRecovery {
		m |= NeedRecoveryPolicy
	}
	return m
}

// Check returns nil if s meets every requirement, and otherwise an
// [*IneligibleError] listing all that it misses.
func (e Eligibility) Check(s Subject) error {
	if m := e.Missing(s); m != 0 {
		return &IneligibleError{Missing: m}
	}
	return nil
}
