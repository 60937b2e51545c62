package gentest

import (
	"reflect"
	"testing"

	"github.com/leanovate/gopter/gen"
)

func TestToward(t *testing.T) {
	for _, tt := range []struct {
		v, target int64
		want      []int64
	}{
		{10, 0, []int64{0, 5, 8, 9}},
		{-10, 0, []int64{0, -5, -8, -9}},
		{3, 3, nil},
		{4, 3, []int64{3}},
	} {
		if got := Toward(tt.v, tt.target); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Toward(%d, %d) = %v, want %v", tt.v, tt.target, got, tt.want)
		}
	}
}

func TestShorter(t *testing.T) {
	got := Shorter([]byte("abc"), 1)
	for _, c := range got {
		if len(c) >= 3 || len(c) < 1 {
			t.Errorf("candidate %q is not shorter within bounds", c)
		}
	}
	if len(got) == 0 || Shorter([]byte("a"), 1) != nil {
		t.Errorf("Shorter = %q", got)
	}
}

func TestShrinkerOfAndCounterexample(t *testing.T) {
	g := gen.IntRange(0, 1000).WithShrinker(ShrinkerOf(func(v int) []int {
		var out []int
		for _, c := range Toward(int64(v), 0) {
			out = append(out, int(c))
		}
		return out
	}))
	for _, seed := range Seeds {
		if got := Counterexample(t, seed, g, func(v int) bool { return v < 100 }); got != 100 {
			t.Errorf("seed %d: shrunk to %v, want 100", seed, got)
		}
	}
	ShrinksHold(t, g, func(v any) bool { return v.(int) >= 0 })
	if s := ShrinkerOf(func(int) []int { return nil })("not an int"); s != nil {
		if _, ok := s(); ok {
			t.Error("a value of the wrong type shrank")
		}
	}
}
