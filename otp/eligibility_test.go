package otp_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/mdmcred/mdmcred/otp"
)

func TestEligibility(t *testing.T) {
	rule := otp.Eligibility{Role: "passcode-reset", Licenses: []string{"E3", "E5"}}
	full := &otp.Policy{RequiresPasscode: true, AllowsRecovery: true}
	tests := []struct {
		name string
		rule otp.Eligibility
		s    otp.Subject
		want otp.Requirements
	}{
		{"eligible", rule, otp.Subject{Roles: []string{"user", "passcode-reset"}, Licenses: []string{"E5"}, Policy: full}, 0},
		{"nothing", rule, otp.Subject{}, otp.NeedRole | otp.NeedLicense | otp.NeedPasscodePolicy | otp.NeedRecoveryPolicy},
		{"no role", rule, otp.Subject{Roles: []string{"user"}, Licenses: []string{"E3"}, Policy: full}, otp.NeedRole},
		{"role case matters", rule, otp.Subject{Roles: []string{"Passcode-Reset"}, Licenses: []string{"E3"}, Policy: full}, otp.NeedRole},
		{"other license", rule, otp.Subject{Roles: []string{"passcode-reset"}, Licenses: []string{"F1"}, Policy: full}, otp.NeedLicense},
		{"passcode not required", rule, otp.Subject{Roles: []string{"passcode-reset"}, Licenses: []string{"E3"}, Policy: &otp.Policy{AllowsRecovery: true}}, otp.NeedPasscodePolicy},
		{"recovery not allowed", rule, otp.Subject{Roles: []string{"passcode-reset"}, Licenses: []string{"E3"}, Policy: &otp.Policy{RequiresPasscode: true}}, otp.NeedRecoveryPolicy},
		{"no policy", rule, otp.Subject{Roles: []string{"passcode-reset"}, Licenses: []string{"E3"}}, otp.NeedPasscodePolicy | otp.NeedRecoveryPolicy},
		{"empty rule role", otp.Eligibility{Licenses: []string{"E3"}}, otp.Subject{Roles: []string{""}, Licenses: []string{"E3"}, Policy: full}, otp.NeedRole},
		{"empty rule licenses", otp.Eligibility{Role: "r", Licenses: []string{""}}, otp.Subject{Roles: []string{"r"}, Licenses: []string{""}, Policy: full}, otp.NeedLicense},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rule.Missing(tt.s); got != tt.want {
				t.Fatalf("Missing = %v, want %v", got, tt.want)
			}
			err := tt.rule.Check(tt.s)
			if tt.want == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ie *otp.IneligibleError
			if !errors.As(err, &ie) || !errors.Is(err, otp.ErrIneligible) || ie.Missing != tt.want {
				t.Fatalf("Check = %v", err)
			}
			if len(ie.Missing.List()) == 0 {
				t.Fatal("empty list")
			}
			for _, q := range ie.Missing.List() {
				if !tt.want.Has(q) || q.Explain() == "" {
					t.Fatalf("listed %v", q)
				}
			}
		})
	}
}

func TestRequirementStrings(t *testing.T) {
	all := otp.NeedRole | otp.NeedLicense | otp.NeedPasscodePolicy | otp.NeedRecoveryPolicy
	if got := all.String(); got != "role|license|passcode-policy|recovery-policy" {
		t.Fatal(got)
	}
	if got := otp.Requirement(0).String(); got != "none" {
		t.Fatal(got)
	}
	if got := (otp.NeedRole | 0x80).String(); got != "role|Requirement(0x80)" {
		t.Fatal(got)
	}
	if got := otp.Requirement(0x80).Explain(); got != "unknown requirement Requirement(0x80)" {
		t.Fatal(got)
	}
	if got := all.List(); !slices.Equal(got, []otp.Requirement{otp.NeedRole, otp.NeedLicense, otp.NeedPasscodePolicy, otp.NeedRecoveryPolicy}) {
		t.Fatal(got)
	}
	seen := map[string]bool{}
	for _, q := range all.List() {
		if seen[q.Explain()] {
			t.Fatalf("duplicate explanation for %v", q)
		}
		seen[q.Explain()] = true
	}
}
