package enrollmenttest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/leanovate/gopter"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
	"github.com/mdmcred/mdmcred/internal/gentest"
)

func parses(v any) bool {
	code, err := enrollment.ParsePasscode(v.(string))
	return err == nil && code.Len() == enrollment.Length
}

func identifier(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// contracts pairs each exported generator with what its values promise.
var contracts = []gentest.Contract{
	{"GenPasscode", enrollmenttest.GenPasscode(), func(v any) bool { return parses(v) && enrollmenttest.ValidShape(v.(string)) }},
	{"GenPaddedPasscode", enrollmenttest.GenPaddedPasscode(), parses},
	{"GenMalformed", enrollmenttest.GenMalformed(), func(v any) bool {
		_, err := enrollment.ParsePasscode(v.(string))
		return errors.Is(err, enrollment.ErrMalformed)
	}},
	{"GenSite", enrollmenttest.GenSite(), func(v any) bool { return identifier(v.(string)) }},
	{"GenAdmin", enrollmenttest.GenAdmin(), func(v any) bool {
		local, domain, ok := strings.Cut(v.(string), "@")
		return ok && identifier(local) && (domain == "example.com" || domain == "corp.example" || domain == "example.org")
	}},
}

func TestGeneratorContracts(t *testing.T) { gentest.CheckContracts(t, contracts) }

// An always-false property shrinks each generator's values to its simplest.
func TestShrinkToSimplest(t *testing.T) {
	never := func(any) bool { return false }
	simplestPasscode := func(v any) bool {
		s := v.(string)
		return enrollmenttest.ValidShape(s) && strings.Count(s, "0") == enrollment.Length-2 &&
			strings.Count(s, "A") == 1 && strings.Count(s, "a") == 1
	}
	for _, c := range []struct {
		name string
		gen  gopter.Gen
		want func(any) bool
	}{
		{"GenPasscode", enrollmenttest.GenPasscode(), simplestPasscode},
		{"GenPaddedPasscode", enrollmenttest.GenPaddedPasscode(), simplestPasscode},
		{"GenMalformed", enrollmenttest.GenMalformed(), func(v any) bool { return v == "" }},
		{"GenSite", enrollmenttest.GenSite(), func(v any) bool { return v == "a" }},
		{"GenAdmin", enrollmenttest.GenAdmin(), func(v any) bool { return v == "a@example.com" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, seed := range gentest.Seeds {
				if got := gentest.Counterexample(t, seed, c.gen, never); !c.want(got) {
					t.Errorf("seed %d: shrunk to %q", seed, got)
				}
			}
		})
	}
}

// Deliberately false properties: the reported counterexample is the
// smallest value that falsifies each.
func TestShrinkToMinimalCounterexample(t *testing.T) {
	for _, seed := range gentest.Seeds {
		if got := gentest.Counterexample(t, seed, enrollmenttest.GenMalformed(), func(s string) bool { return len(s) <= enrollment.Length }); got != strings.Repeat("0", enrollment.Length+1) {
			t.Errorf("seed %d: malformed input of at most 12 bytes: shrunk to %q", seed, got)
		}
		if got := gentest.Counterexample(t, seed, enrollmenttest.GenPaddedPasscode(), func(s string) bool { return !strings.HasPrefix(s, "\t") }).(string); !strings.HasPrefix(got, "\t") || len(got) != enrollment.Length+1 {
			t.Errorf("seed %d: no tab before a passcode: shrunk to %q", seed, got)
		}
		if got := gentest.Counterexample(t, seed, enrollmenttest.GenSite(), func(s string) bool { return len(s) < 3 }); got != "aaa" {
			t.Errorf("seed %d: site gentest.Shorter than 3: shrunk to %q", seed, got)
		}
		if got := gentest.Counterexample(t, seed, enrollmenttest.GenPasscode(), func(s string) bool { return !strings.Contains(s, "z") }).(string); !strings.Contains(got, "z") || strings.Count(got, "0") != enrollment.Length-2 || !strings.Contains(got, "A") {
			t.Errorf("seed %d: no z in a passcode: shrunk to %q", seed, got)
		}
	}
}
