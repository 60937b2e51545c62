package enrollmenttest_test

import (
	"errors"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
)

func TestGenerators(t *testing.T) {
	p := gopter.NewProperties(gopter.DefaultTestParameters())
	p.Property("GenPasscode values parse", prop.ForAll(func(s string) bool {
		code, err := enrollment.ParsePasscode(s)
		return err == nil && code.Reveal() == s && enrollmenttest.ValidShape(s)
	}, enrollmenttest.GenPasscode()))
	p.Property("GenPaddedPasscode values parse to their trimmed form", prop.ForAll(func(s string) bool {
		code, err := enrollment.ParsePasscode(s)
		return err == nil && code.Len() == enrollment.Length
	}, enrollmenttest.GenPaddedPasscode()))
	p.Property("GenMalformed values are ErrMalformed", prop.ForAll(func(s string) bool {
		_, err := enrollment.ParsePasscode(s)
		return errors.Is(err, enrollment.ErrMalformed)
	}, enrollmenttest.GenMalformed()))
	p.Property("GenSite and GenAdmin are accepted", prop.ForAll(func(site, admin string) bool {
		svc, err := enrollment.New(enrollment.Config{
			Store: enrollment.NewMemStore(), Alerter: nopAlerter{},
			Peppers: enrollment.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), PepperID: 1,
		})
		if err != nil {
			return false
		}
		_, err = svc.Generate(t.Context(), site, admin)
		return err == nil
	}, enrollmenttest.GenSite(), enrollmenttest.GenAdmin()))
	p.TestingRun(t)
}

func TestRunStoreMem(t *testing.T) {
	enrollmenttest.RunStore(t, func(*testing.T) enrollment.Store { return enrollment.NewMemStore() })
}
