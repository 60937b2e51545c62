package provision

import (
	"fmt"
	"strings"

	"github.com/mdmcred/mdmcred/servicepass"
)

// ParseMode parses an activation mode as typed on a command line:
// "device-owner" (also "DeviceOwner", "do") or "cope", in any case.
func ParseMode(s string) (servicepass.Mode, error) {
	switch fold(s) {
	case "deviceowner", "do", "owner":
		return servicepass.DeviceOwner, nil
	case "cope":
		return servicepass.COPE, nil
	}
	return 0, fmt.Errorf("unknown mode %q (want device-owner or cope)", s)
}

// ModeName returns the command-line name of m.
func ModeName(m servicepass.Mode) string {
	if m == servicepass.COPE {
		return "cope"
	}
	return "device-owner"
}

// ParseActions parses a comma-separated list of actions in any of the forms
// "Unlock", "unlock", "disable-kiosk", "DisableKiosk" or "disable_kiosk".
// It does not check the rules: the issuer does.
func ParseActions(s string) (servicepass.Actions, error) {
	var a servicepass.Actions
	for _, word := range strings.Split(s, ",") {
		if strings.TrimSpace(word) == "" {
			continue
		}
		found := false
		for _, one := range servicepass.AllActions.List() {
			if fold(word) == fold(one.String()) {
				a |= one
				found = true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown action %q (want one of %s)", strings.TrimSpace(word), ActionNames())
		}
	}
	return a, nil
}

// ActionName returns the command-line name of one action: "disable-kiosk"
// for DisableKiosk.
func ActionName(a servicepass.Actions) string {
	var b strings.Builder
	for i, r := range a.String() {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ActionNames lists every action's command-line name, comma-separated.
func ActionNames() string {
	var names []string
	for _, a := range servicepass.AllActions.List() {
		names = append(names, ActionName(a))
	}
	return strings.Join(names, ", ")
}

// fold lowercases s and drops spaces, hyphens and underscores.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == '_' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
