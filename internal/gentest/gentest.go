// Package gentest holds what the test kits share to make their gopter
// generators shrink, and to test that they do: a shrinker built from a
// "simpler candidates" function, candidate lists for slices and numbers, and
// helpers that find a property's shrunk counterexample and walk shrink
// chains. Only test kits and tests import it.
package gentest

import (
	"math/rand"
	"reflect"
	"slices"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"
)

// ShrinkerOf turns a function that lists a value's simpler candidates into
// a gopter.Shrinker. Each candidate must be strictly simpler than the value
// by a well-founded measure (shorter, fewer bits, nearer a target), so that
// shrinking ends; gopter tries them in order and restarts from the first
// that still falsifies the property.
func ShrinkerOf[T any](f func(T) []T) gopter.Shrinker {
	return func(v any) gopter.Shrink {
		t, ok := v.(T)
		if !ok {
			return gopter.NoShrink
		}
		c := f(t)
		return func() (any, bool) {
			if len(c) == 0 {
				return nil, false
			}
			x := c[0]
			c = c[1:]
			return x, true
		}
	}
}

// Shorter lists versions of s with fewer elements, down to min: prefixes
// and suffixes of length min, halfway and one less, each single element
// (when min is at most 1), then s without each one element. Each result is
// a new slice.
func Shorter[E any](s []E, min int) [][]E {
	n := len(s)
	if n <= min {
		return nil
	}
	var out [][]E
	for _, m := range []int{min, (min + n) / 2, n - 1} {
		out = append(out, slices.Clone(s[:m]), slices.Clone(s[n-m:]))
	}
	if min <= 1 && n > 1 {
		for i := range s {
			out = append(out, slices.Clone(s[i:i+1]))
		}
	}
	for i := range s {
		out = append(out, append(slices.Clone(s[:i]), s[i+1:]...))
	}
	return out
}

// Toward lists values strictly between v and target, nearest target first,
// with target itself at the head; none when v is target.
func Toward(v, target int64) []int64 {
	if v == target {
		return nil
	}
	out := []int64{target}
	for h := (v - target) / 2; h != 0; h /= 2 {
		out = append(out, v-h)
	}
	return out
}

// Seeds are the fixed seeds the shrinking tests run under, so that their
// outcome does not depend on the run.
var Seeds = []int64{1, 2, 3, 4, 5}

// Counterexample checks the deliberately false property holds over g with
// seed and returns the shrunk counterexample gopter reports. It fails the
// test if the property is not falsified.
func Counterexample(t *testing.T, seed int64, g gopter.Gen, holds any) any {
	t.Helper()
	params := gopter.DefaultTestParametersWithSeed(seed)
	res := prop.ForAll(holds, g).Check(params)
	if res.Status != gopter.TestFailed || len(res.Args) != 1 {
		t.Fatalf("seed %d: property not falsified: status %v", seed, res.Status)
	}
	return res.Args[0].Arg
}

// ShrinksHold draws samples from g and, from each, walks a random chain of
// shrink steps, checking that every candidate gopter would try (the
// generator's sieve applied) still meets the generator's contract ok.
func ShrinksHold(t *testing.T, g gopter.Gen, ok func(v any) bool) {
	t.Helper()
	params := gopter.DefaultGenParameters()
	params.Rng = rand.New(rand.NewSource(1))
	walk := rand.New(rand.NewSource(2))
	for range 10 {
		res := g(params)
		v, okv := res.Retrieve()
		if !okv {
			continue
		}
		for depth := 0; depth < 20; depth++ {
			cands := res.Shrinker(v).Filter(res.Sieve).All()
			for _, c := range cands {
				if reflect.DeepEqual(c, v) {
					t.Fatalf("%+v shrinks to itself", v)
				}
				if !ok(c) {
					t.Fatalf("%+v shrinks to %+v, which breaks the generator's contract", v, c)
				}
			}
			if len(cands) == 0 {
				break
			}
			v = cands[walk.Intn(len(cands))]
		}
	}
}

// Contract pairs an exported generator with what its values promise (OK is
// given the generated value). It is an alias of an unnamed struct so that
// the kits' tables can list contracts positionally.
type Contract = struct {
	Name string
	Gen  gopter.Gen
	OK   func(any) bool
}

// CheckContracts checks, for each contract, that every generated value
// meets it (a gopter property) and that every candidate its shrinker offers
// meets it too ([ShrinksHold]), so a shrunk counterexample is still a value
// the generator could have produced.
func CheckContracts(t *testing.T, cs []Contract) {
	t.Helper()
	p := gopter.NewProperties(gopter.DefaultTestParameters())
	for _, c := range cs {
		p.Property(c.Name, prop.ForAll(c.OK, c.Gen))
	}
	p.TestingRun(t)
	for _, c := range cs {
		t.Run("shrinks/"+c.Name, func(t *testing.T) { ShrinksHold(t, c.Gen, c.OK) })
	}
}
