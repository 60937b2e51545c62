package servicepass_test

import (
	"errors"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
)

func TestCheckRules(t *testing.T) {
	sp := servicepass.SetPassword
	edr := servicepass.EmergencyDatabaseReset
	tests := []struct {
		mode servicepass.Mode
		a    servicepass.Actions
		want error
	}{
		{servicepass.DeviceOwner, servicepass.Unlock, nil},
		{servicepass.DeviceOwner, servicepass.Reversible | servicepass.Unlock, nil},
		{servicepass.DeviceOwner, edr, nil},
		{servicepass.COPE, edr, nil},
		{servicepass.COPE, sp, nil},
		{servicepass.COPE, servicepass.Unlock | servicepass.RemoveNetworkRestrictions, nil},
		{servicepass.DeviceOwner, 0, servicepass.ErrNoActions},
		{servicepass.COPE, 0, servicepass.ErrNoActions},
		{servicepass.DeviceOwner, edr | servicepass.Unlock, servicepass.ErrDatabaseResetCombined},
		{servicepass.COPE, edr | sp, servicepass.ErrDatabaseResetCombined},
		{servicepass.COPE, sp | servicepass.Unlock, servicepass.ErrSetPasswordCombined},
		{servicepass.DeviceOwner, sp | servicepass.AllowFactoryReset, servicepass.ErrSetPasswordCombined},
		{servicepass.COPE, servicepass.DisableKiosk, servicepass.ErrKioskOnCOPE},
		{servicepass.COPE, servicepass.DisableKiosk | servicepass.Unlock, servicepass.ErrKioskOnCOPE},
		{servicepass.DeviceOwner, sp, servicepass.ErrSetPasswordNotCOPE},
		{servicepass.Mode(2), servicepass.Unlock, servicepass.ErrUnknownMode},
	}
	for _, tt := range tests {
		err := servicepass.CheckRules(tt.mode, tt.a)
		if tt.want == nil {
			if err != nil {
				t.Errorf("CheckRules(%v, %v) = %v, want nil", tt.mode, tt.a, err)
			}
			continue
		}
		var re *servicepass.RuleError
		if !errors.Is(err, tt.want) || !errors.As(err, &re) || re.Field == "" {
			t.Errorf("CheckRules(%v, %v) = %v, want a *RuleError matching %v", tt.mode, tt.a, err, tt.want)
		}
	}
}

// ruleSpec restates the rules independently of CheckRules' switch.
func ruleSpec(m servicepass.Mode, a servicepass.Actions) error {
	if a == 0 {
		return servicepass.ErrNoActions
	}
	if a.Has(servicepass.EmergencyDatabaseReset) && a.Count() > 1 {
		return servicepass.ErrDatabaseResetCombined
	}
	if a.Has(servicepass.SetPassword) && a.Count() > 1 {
		return servicepass.ErrSetPasswordCombined
	}
	if m == servicepass.COPE && a.Has(servicepass.DisableKiosk) {
		return servicepass.ErrKioskOnCOPE
	}
	if m == servicepass.DeviceOwner && a.Has(servicepass.SetPassword) {
		return servicepass.ErrSetPasswordNotCOPE
	}
	return nil
}

// TestRulesAllActionSets checks the rules over all 256 action sets in both
// modes: exhaustively, and as a gopter property so that hosts see the
// generators at work.
func TestRulesAllActionSets(t *testing.T) {
	allowed := map[servicepass.Mode]int{}
	for _, m := range []servicepass.Mode{servicepass.DeviceOwner, servicepass.COPE} {
		for a := 0; a < 256; a++ {
			got, want := servicepass.CheckRules(m, servicepass.Actions(a)), ruleSpec(m, servicepass.Actions(a))
			if (got == nil) != (want == nil) || (want != nil && !errors.Is(got, want)) {
				t.Errorf("CheckRules(%v, %v) = %v, want %v", m, servicepass.Actions(a), got, want)
			}
			if got == nil {
				allowed[m]++
			}
		}
	}
	// Device Owner: any non-empty subset of the six combinable actions, or
	// EDR alone. COPE: subsets of five, EDR alone, SetPassword alone.
	if allowed[servicepass.DeviceOwner] != 63+1 || allowed[servicepass.COPE] != 31+2 {
		t.Errorf("allowed sets = %v", allowed)
	}
	props := gopter.NewProperties(gopter.DefaultTestParametersWithSeed(1))
	props.Property("CheckRules agrees with the rule statement", prop.ForAll(
		func(m servicepass.Mode, a servicepass.Actions) bool {
			got, want := servicepass.CheckRules(m, a), ruleSpec(m, a)
			return (got == nil && want == nil) || errors.Is(got, want)
		}, servicepasstest.GenMode(), servicepasstest.GenActions()))
	for _, m := range []servicepass.Mode{servicepass.DeviceOwner, servicepass.COPE} {
		props.Property("ValidActions generates only allowed sets in "+m.String(), prop.ForAll(
			func(a servicepass.Actions) bool { return servicepass.CheckRules(m, a) == nil },
			servicepasstest.GenValidActions(m)))
	}
	props.TestingRun(t)
}

func TestNetworkPolicies(t *testing.T) {
	do, cope := servicepass.NetworkPolicies(servicepass.DeviceOwner), servicepass.NetworkPolicies(servicepass.COPE)
	if len(do) != 6 || len(cope) != 7 {
		t.Fatalf("got %d and %d policies, want 6 and 7", len(do), len(cope))
	}
	for i, p := range do {
		if p != cope[i] || p.COPEOnly || p.ID == "" || p.Name == "" {
			t.Errorf("policy %d: %+v vs %+v", i, p, cope[i])
		}
	}
	if last := cope[6]; last.ID != "private_dns" || !last.COPEOnly {
		t.Errorf("COPE extra policy = %+v", last)
	}
	if servicepass.NetworkPolicies(servicepass.Mode(9)) != nil {
		t.Error("unknown mode has policies")
	}
	do[0].ID = "changed"
	if servicepass.NetworkPolicies(servicepass.DeviceOwner)[0].ID == "changed" {
		t.Error("NetworkPolicies returned shared data")
	}
}

func TestActionsString(t *testing.T) {
	tests := []struct {
		a    servicepass.Actions
		want string
	}{
		{0, "none"},
		{servicepass.Unlock, "Unlock"},
		{servicepass.Unlock | servicepass.SetPassword, "Unlock|SetPassword"},
		{servicepass.AllActions, "Unlock|DisableKiosk|RemoveNetworkRestrictions|AllowDeveloperOptions|AllowDeactivation|AllowFactoryReset|EmergencyDatabaseReset|SetPassword"},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", uint8(tt.a), got, tt.want)
		}
		if back, err := servicepass.ParseActions(tt.want); err != nil || back != tt.a {
			t.Errorf("ParseActions(%q) = %v, %v", tt.want, back, err)
		}
	}
	if _, err := servicepass.ParseActions("Unlock|Fly"); !errors.Is(err, servicepass.ErrUnknownAction) {
		t.Errorf("ParseActions(unknown) = %v", err)
	}
	for a := 0; a < 256; a++ {
		if back, err := servicepass.ParseActions(servicepass.Actions(a).String()); err != nil || back != servicepass.Actions(a) {
			t.Fatalf("round trip of %d: %v %v", a, back, err)
		}
		if len(servicepass.Actions(a).List()) != servicepass.Actions(a).Count() {
			t.Fatalf("List/Count disagree for %d", a)
		}
	}
	if servicepass.COPE.String() != "COPE" || servicepass.Mode(7).String() != "Mode(7)" ||
		servicepass.ScopeWorkProfile.String() != "WorkProfile" || servicepass.ScopeDevice.String() != "Device" {
		t.Error("Mode/Scope String")
	}
}

func TestErrorStrings(t *testing.T) {
	err := servicepass.CheckRules(servicepass.COPE, servicepass.SetPassword|servicepass.Unlock)
	if got := err.Error(); got != "servicepass: set password cannot be combined with another action (Actions): also asked for Unlock" {
		t.Errorf("RuleError = %q", got)
	}
	if errors.Unwrap(err) != servicepass.ErrSetPasswordCombined {
		t.Error("Unwrap")
	}
	le := &servicepass.LockedOutError{RetryAfter: 90 * time.Second}
	if le.Error() != "servicepass: locked out after failed attempts, retry after 1m30s" || !errors.Is(le, servicepass.ErrLockedOut) {
		t.Errorf("LockedOutError = %q", le.Error())
	}
	dk, _ := servicepass.NewDeviceKey(7, testMaster(9).Bytes())
	if dk.ID() != 7 || len(dk.Bytes()) != servicepass.KeySize {
		t.Error("DeviceKey accessors")
	}
	if _, err := servicepass.DeriveDeviceKey(testMaster(1), ""); !errors.Is(err, servicepass.ErrDeviceID) {
		t.Errorf("DeriveDeviceKey(\"\") = %v", err)
	}
}
