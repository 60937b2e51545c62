package escrowtest_test

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/escrow/escrowtest"
	"github.com/mdmcred/mdmcred/internal/gentest"
)

var bypassShape = regexp.MustCompile(`^[0-9ACDEFGHJKLMNPQRTUVWXYZ]{5}-[0-9ACDEFGHJKLMNPQRTUVWXYZ]{5}(-[0-9ACDEFGHJKLMNPQRTUVWXYZ]{4}){3}-[0-9ACDEFGHJKLMNPQRTUVWXYZ]{3}[0-7]$`)

var contracts = []gentest.Contract{
	{"GenBypassCode", escrowtest.GenBypassCode(), func(v any) bool {
		b := v.(escrowtest.BypassCode)
		// The kind's check parses the code (BypassHash would add 50,000
		// PBKDF2 rounds to every shrink step).
		again, err := escrow.NewBypassCode(bytes.NewReader(b.Raw[:]))
		return err == nil && again.Equal(b.Code.Reveal()) &&
			escrow.ActivationLockBypass().Validate(b.Code.Reveal()) == nil && bypassShape.MatchString(b.Code.Reveal())
	}},
	{"GenAdminPolicy", escrowtest.GenAdminPolicy(), func(v any) bool {
		k, err := escrow.AdminPassword(v.(escrow.AdminPolicy))
		if err != nil {
			return false
		}
		s, err := k.Generate(nil)
		return err == nil && k.Validate(s.Reveal()) == nil
	}},
}

func TestGeneratorContracts(t *testing.T) { gentest.CheckContracts(t, contracts) }

// An always-false property shrinks each generator to its simplest value.
func TestShrinkToSimplest(t *testing.T) {
	never := func(any) bool { return false }
	b := gentest.Counterexample(t, 3, escrowtest.GenBypassCode(), never).(escrowtest.BypassCode)
	if b.Code.Reveal() != "00000-00000-0000-0000-0000-0000" || b.Raw != [16]byte{} {
		t.Errorf("bypass code shrank to %s", b.Code.Reveal())
	}
	p := gentest.Counterexample(t, 3, escrowtest.GenAdminPolicy(), never).(escrow.AdminPolicy)
	if p != (escrow.AdminPolicy{}) {
		t.Errorf("admin policy shrank to %+v", p)
	}
}
