package passcodetest_test

import (
	"math/rand"
	"reflect"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"
)

// seeds are the fixed seeds the shrinking tests run under, so that their
// outcome does not depend on the run.
var seeds = []int64{1, 2, 3, 4, 5}

// counterexample checks the deliberately false property holds over g with
// seed and returns the shrunk counterexample gopter reports. It fails the
// test if the property is not falsified.
func counterexample(t *testing.T, seed int64, g gopter.Gen, holds any) any {
	t.Helper()
	params := gopter.DefaultTestParametersWithSeed(seed)
	res := prop.ForAll(holds, g).Check(params)
	if res.Status != gopter.TestFailed || len(res.Args) != 1 {
		t.Fatalf("seed %d: property not falsified: status %v", seed, res.Status)
	}
	return res.Args[0].Arg
}

// shrinksHold draws samples from g and, from each, walks a random chain of
// shrink steps, checking that every candidate gopter would try (the
// generator's sieve applied) still meets the generator's contract ok.
func shrinksHold(t *testing.T, g gopter.Gen, ok func(v any) bool) {
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
