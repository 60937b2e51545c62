package passcode_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/internal/randcode"
	"github.com/mdmcred/mdmcred/internal/secret"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
)

// seeded returns a reproducible reader for tests.
func seeded(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// naiveNumericComplex is the rule written the obvious way, as an oracle:
// digits only, and no window of 4 with three equal steps.
func naiveNumericComplex(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	for i := 0; i+3 < len(s); i++ {
		d := int(s[i+1]) - int(s[i])
		if int(s[i+2])-int(s[i+1]) == d && int(s[i+3])-int(s[i+2]) == d {
			return false
		}
	}
	return true
}

var numericComplexTable = []struct {
	in   string
	want bool
}{
	{"", true},
	{"7", true},
	{"123", true},
	{"000", true},
	{"4444", false},  // repeated
	{"1234", false},  // ascending
	{"4321", false},  // descending
	{"2468", false},  // step 2 (the example)
	{"1357", false},  // step 2: decided out, as Android rejects it
	{"0369", false},  // step 3
	{"9630", false},  // step -3
	{"97531", false}, // step -2, five long
	{"8901", true},   // no wrap-around
	{"9012", true},
	{"1235", true},
	{"1112", true},
	{"112233", true},
	{"123123", true},
	{"12312443", true},
	{"5512345", false}, // run at the end
	{"123456", false},
	{"290001112", true},
	{"2900001", false},
	{"12a4", false}, // not a digit
	{"١٢٣", false},  // Arabic-Indic digits are not ASCII digits
	{" 123", false},
	{"1 23", false},
}

func TestIsNumericComplex(t *testing.T) {
	for _, tc := range numericComplexTable {
		if got := passcode.IsNumericComplex(tc.in); got != tc.want {
			t.Errorf("IsNumericComplex(%q) = %v, want %v", tc.in, got, tc.want)
		}
		if got := naiveNumericComplex(tc.in); got != tc.want {
			t.Errorf("oracle(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// Exhaustive agreement with the oracle, and with Count, for all digit strings
// of up to 5 digits.
func TestIsNumericComplexExhaustive(t *testing.T) {
	for n := 0; n <= 5; n++ {
		total := int(math.Pow10(n))
		ok := 0
		for v := range total {
			s := fmt.Sprintf("%0*d", n, v)
			if n == 0 {
				s = ""
			}
			got := passcode.IsNumericComplex(s)
			if got != naiveNumericComplex(s) {
				t.Fatalf("IsNumericComplex(%q) = %v, oracle disagrees", s, got)
			}
			if got {
				ok++
			}
		}
		if c := passcode.Count(passcode.NumericComplex, n); c.Int64() != int64(ok) {
			t.Errorf("Count(NumericComplex, %d) = %s, enumeration gives %d", n, c, ok)
		}
	}
	// 4 digits: 10 repeats + 2*(7+4+1) ordered runs with steps ±1, ±2, ±3.
	if c := passcode.Count(passcode.NumericComplex, 4); c.Int64() != 10000-34 {
		t.Errorf("Count(NumericComplex, 4) = %s, want 9966", c)
	}
}

func pow(b, n int64) *big.Int { return new(big.Int).Exp(big.NewInt(b), big.NewInt(n), nil) }

func TestCount(t *testing.T) {
	sub := func(a *big.Int, bs ...*big.Int) *big.Int {
		r := new(big.Int).Set(a)
		for _, b := range bs {
			r.Sub(r, b)
		}
		return r
	}
	tests := []struct {
		kind passcode.Kind
		n    int
		want *big.Int
	}{
		{passcode.Numeric, 6, pow(10, 6)},
		{passcode.Alphabetic, 5, pow(52, 5)},
		{passcode.Readable, 8, pow(int64(len(randcode.Readable)), 8)},
		{passcode.Alphanumeric, 8, sub(pow(62, 8), pow(10, 8), pow(52, 8))},
		// 4 characters, one from each of 4 disjoint classes: 4! arrangements.
		{passcode.Complex, 4, big.NewInt(24 * 26 * 26 * 10 * 14)},
		{passcode.Kind(0), 4, big.NewInt(0)},
		{passcode.Numeric, -1, big.NewInt(0)},
	}
	// Beyond MaxLength the count is computed afresh rather than from the table.
	c64, c65 := passcode.Count(passcode.NumericComplex, 64), passcode.Count(passcode.NumericComplex, 65)
	if c65.Cmp(c64) <= 0 || c65.Cmp(pow(10, 65)) >= 0 || new(big.Int).Mul(c64, big.NewInt(9)).Cmp(c65) >= 0 {
		t.Errorf("Count(NumericComplex, 65) = %s is not between 9x and 10x Count(NumericComplex, 64)", c65)
	}
	// The returned value is the caller's: changing it changes nothing.
	passcode.Count(passcode.NumericComplex, 6).SetInt64(0)
	for _, tc := range tests {
		if got := passcode.Count(tc.kind, tc.n); got.Cmp(tc.want) != 0 {
			t.Errorf("Count(%s, %d) = %s, want %s", tc.kind, tc.n, got, tc.want)
		}
	}
}

func TestPolicyNormalize(t *testing.T) {
	tests := []struct {
		in    passcode.Policy
		want  passcode.Policy
		field string // "" for valid
	}{
		{passcode.Policy{Kind: passcode.Numeric}, passcode.Policy{Kind: passcode.Numeric, MinLength: 6, MaxLength: 6}, ""},
		{passcode.Policy{Kind: passcode.Complex}, passcode.Policy{Kind: passcode.Complex, MinLength: 8, MaxLength: 8}, ""},
		{passcode.Policy{Kind: passcode.Readable, MaxLength: 5}, passcode.Policy{Kind: passcode.Readable, MinLength: 5, MaxLength: 5}, ""},
		{passcode.Policy{Kind: passcode.Alphabetic, MinLength: 4, MaxLength: 64}, passcode.Policy{Kind: passcode.Alphabetic, MinLength: 4, MaxLength: 64}, ""},
		{passcode.Policy{Kind: passcode.NumericComplex, MinLength: 10}, passcode.Policy{Kind: passcode.NumericComplex, MinLength: 10, MaxLength: 10}, ""},
		{passcode.Policy{}, passcode.Policy{}, "Kind"},
		{passcode.Policy{Kind: 99, MinLength: 6}, passcode.Policy{}, "Kind"},
		{passcode.Policy{Kind: passcode.Numeric, MinLength: 3}, passcode.Policy{}, "MinLength"},
		{passcode.Policy{Kind: passcode.Numeric, MinLength: -5, MaxLength: 6}, passcode.Policy{}, "MinLength"},
		{passcode.Policy{Kind: passcode.Numeric, MaxLength: 3}, passcode.Policy{}, "MinLength"},
		{passcode.Policy{Kind: passcode.Numeric, MinLength: 8, MaxLength: 6}, passcode.Policy{}, "MaxLength"},
		{passcode.Policy{Kind: passcode.Numeric, MinLength: 8, MaxLength: 65}, passcode.Policy{}, "MaxLength"},
		{passcode.Policy{Kind: passcode.Numeric, MinLength: 65}, passcode.Policy{}, "MaxLength"},
	}
	for _, tc := range tests {
		got, err := tc.in.Normalize()
		var pe *passcode.ParamError
		switch {
		case tc.field == "" && (err != nil || got != tc.want):
			t.Errorf("%+v.Normalize() = %+v, %v; want %+v", tc.in, got, err, tc.want)
		case tc.field != "" && (!errors.As(err, &pe) || pe.Field != tc.field || !errors.Is(err, passcode.ErrParams)):
			t.Errorf("%+v.Normalize() error %v, want *ParamError on %s", tc.in, err, tc.field)
		}
		if tc.field != "" {
			if _, err := passcode.Generate(tc.in, seeded(1)); !errors.Is(err, passcode.ErrParams) {
				t.Errorf("Generate(%+v) error %v, want ErrParams", tc.in, err)
			}
		}
	}
}

func TestKindNames(t *testing.T) {
	for _, k := range passcodetest.Kinds {
		got, err := passcode.ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
		if k.Alphabet() == "" {
			t.Errorf("%s has no alphabet", k)
		}
	}
	if _, err := passcode.ParseKind("kind(0)"); !errors.Is(err, passcode.ErrParams) {
		t.Errorf("ParseKind(unknown) error %v", err)
	}
	for k, want := range map[passcode.Kind]string{0: "kind(0)", passcode.Readable + 1: "kind(7)", 42: "kind(42)"} {
		if s := k.String(); s != want {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(k), s, want)
		}
	}
	if s := (passcode.Policy{Kind: passcode.Numeric, MinLength: 4, MaxLength: 6}).String(); s != "numeric 4-6" {
		t.Errorf("Policy.String() = %q", s)
	}
}

var validateTable = []struct {
	policy passcode.Policy
	in     string
	rule   string // "" for valid
}{
	{passcode.Policy{Kind: passcode.Numeric, MinLength: 4}, "0000", ""},
	{passcode.Policy{Kind: passcode.Numeric, MinLength: 4}, "00000", passcode.RuleLength},
	{passcode.Policy{Kind: passcode.Numeric, MinLength: 4}, "000", passcode.RuleLength},
	{passcode.Policy{Kind: passcode.Numeric, MinLength: 4}, "00a0", passcode.RuleCharset},
	{passcode.Policy{Kind: passcode.NumericComplex, MinLength: 4, MaxLength: 8}, "2580", ""},
	{passcode.Policy{Kind: passcode.NumericComplex, MinLength: 4, MaxLength: 8}, "13572", passcode.RuleSequence},
	{passcode.Policy{Kind: passcode.NumericComplex, MinLength: 4, MaxLength: 8}, "4444", passcode.RuleSequence},
	{passcode.Policy{Kind: passcode.Alphabetic, MinLength: 4}, "abCD", ""},
	{passcode.Policy{Kind: passcode.Alphabetic, MinLength: 4}, "abC1", passcode.RuleCharset},
	{passcode.Policy{Kind: passcode.Alphanumeric, MinLength: 6}, "abc123", ""},
	{passcode.Policy{Kind: passcode.Alphanumeric, MinLength: 6}, "abcdef", passcode.RuleClass},
	{passcode.Policy{Kind: passcode.Alphanumeric, MinLength: 6}, "123456", passcode.RuleClass},
	{passcode.Policy{Kind: passcode.Alphanumeric, MinLength: 6}, "abc12!", passcode.RuleCharset},
	{passcode.Policy{Kind: passcode.Complex, MinLength: 4}, "aB3!", ""},
	{passcode.Policy{Kind: passcode.Complex, MinLength: 4}, "aB3c", passcode.RuleClass},
	{passcode.Policy{Kind: passcode.Complex, MinLength: 4}, "aB3/", passcode.RuleCharset},
	{passcode.Policy{Kind: passcode.Readable, MinLength: 4}, "abcd", ""},
	{passcode.Policy{Kind: passcode.Readable, MinLength: 4}, "abc1", passcode.RuleCharset},
	{passcode.Policy{Kind: passcode.Readable, MinLength: 4}, "abcO", passcode.RuleCharset},
	{passcode.Policy{Kind: passcode.Numeric, MinLength: 4}, "１２３４", passcode.RuleLength},
}

func TestValidate(t *testing.T) {
	for _, tc := range validateTable {
		err := passcode.Validate(tc.policy, secret.New(tc.in))
		var ve *passcode.ViolationError
		switch {
		case tc.rule == "" && err != nil:
			t.Errorf("Validate(%s, %q) = %v, want nil", tc.policy, tc.in, err)
		case tc.rule != "" && (!errors.As(err, &ve) || ve.Rule != tc.rule || !errors.Is(err, passcode.ErrViolation)):
			t.Errorf("Validate(%s, %q) = %v, want rule %s", tc.policy, tc.in, err, tc.rule)
		case err != nil && strings.Contains(err.Error(), tc.in):
			t.Errorf("Validate(%s, %q): error %q holds the passcode", tc.policy, tc.in, err)
		}
	}
	if err := passcode.Validate(passcode.Policy{}, secret.New("1234")); !errors.Is(err, passcode.ErrParams) {
		t.Errorf("Validate with zero policy = %v, want ErrParams", err)
	}
	// The detail names the position, counted from 1, never the character.
	var ve *passcode.ViolationError
	if err := passcode.Validate(passcode.Policy{Kind: passcode.Numeric, MinLength: 4}, secret.New("00a0")); !errors.As(err, &ve) ||
		ve.Detail != "character 3 is not allowed in a numeric passcode" {
		t.Errorf("Validate(numeric, 00a0) = %v, want the detail to name character 3", err)
	}
}

func TestGeneratedPasscodesSatisfyPolicy(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(20250301)
	params.MinSuccessfulTests = 300
	props := gopter.NewProperties(params)
	props.Property("every generated passcode satisfies its policy", prop.ForAll(
		func(pp passcodetest.PolicyPasscode) bool {
			s := pp.Passcode.Reveal()
			ok := passcode.Validate(pp.Policy, pp.Passcode) == nil &&
				len(s) >= pp.Policy.MinLength && len(s) <= pp.Policy.MaxLength
			if pp.Policy.Kind == passcode.NumericComplex || pp.Policy.Kind == passcode.Numeric {
				ok = ok && strings.Trim(s, randcode.Digits) == ""
			}
			if pp.Policy.Kind == passcode.NumericComplex {
				ok = ok && passcode.IsNumericComplex(s) && naiveNumericComplex(s)
			}
			return ok
		},
		passcodetest.GenPolicyPasscode(),
	))
	props.Property("Validate agrees with IsNumericComplex on any digit string", prop.ForAll(
		func(s string) bool {
			p := passcode.Policy{Kind: passcode.NumericComplex, MinLength: 4, MaxLength: 64}
			if len(s) < 4 || len(s) > 64 {
				return true
			}
			return (passcode.Validate(p, secret.New(s)) == nil) == passcode.IsNumericComplex(s)
		},
		gen.RegexMatch(`^[0-9]{4,12}$`),
	))
	props.Property("a generated passcode never prints", prop.ForAll(
		func(pp passcodetest.PolicyPasscode) bool {
			out := fmt.Sprintf("%v %+v %#v %s %q", pp.Passcode, pp.Passcode, pp.Passcode, pp.Passcode, pp.Passcode)
			return !strings.Contains(out, pp.Passcode.Reveal())
		},
		passcodetest.GenPolicyPasscode(),
	))
	props.TestingRun(t)
}

// The length is drawn in proportion to the number of passcodes of that
// length: for Numeric 4-5, P(4 digits) = 10^4 / (10^4 + 10^5) = 1/11.
func TestGenerateUniformOverStrings(t *testing.T) {
	g, err := passcode.NewGenerator(passcode.Policy{Kind: passcode.Numeric, MinLength: 4, MaxLength: 5})
	if err != nil {
		t.Fatal(err)
	}
	const n = 22000
	r := seeded(7)
	short := 0
	for range n {
		pc, err := g.Generate(r)
		if err != nil {
			t.Fatal(err)
		}
		if pc.Len() == 4 {
			short++
		}
	}
	// Expected 2000, standard deviation about 42.6: allow 5 sigma.
	if short < 2000-213 || short > 2000+213 {
		t.Errorf("%d of %d passcodes had 4 digits, want about 2000", short, n)
	}
}

// A range whose count does not fit in 64 bits takes the big-integer path.
func TestGenerateWideRange(t *testing.T) {
	p := passcode.Policy{Kind: passcode.Complex, MinLength: 4, MaxLength: 64}
	g, err := passcode.NewGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	r := seeded(9)
	for range 50 {
		pc, err := g.Generate(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := passcode.Validate(p, pc); err != nil {
			t.Fatal(err)
		}
		// P(length < 63) is about 1/76^2 per draw.
		if pc.Len() < 62 {
			t.Errorf("drew %d characters; lengths below 62 have probability < 2e-4", pc.Len())
		}
	}
	if g.Policy() != p {
		t.Errorf("Policy() = %+v", g.Policy())
	}
}

type failReader struct{ after int }

func (f *failReader) Read(b []byte) (int, error) {
	if f.after <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := min(len(b), f.after)
	f.after -= n
	clear(b[:n])
	return n, nil
}

func TestGenerateReaderFailure(t *testing.T) {
	for _, p := range []passcode.Policy{
		{Kind: passcode.Numeric, MinLength: 6},
		{Kind: passcode.Numeric, MinLength: 4, MaxLength: 8},
		{Kind: passcode.Complex, MinLength: 4, MaxLength: 64},
	} {
		for _, after := range []int{0, 3, 9} {
			if _, err := passcode.Generate(p, &failReader{after: after}); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("Generate(%s) with a failing reader: %v", p, err)
			}
		}
	}
	// A reader of zeros never satisfies Complex's classes: a clear error, no hang.
	if _, err := passcode.Generate(passcode.Policy{Kind: passcode.Complex, MinLength: 4}, zeros{}); err == nil {
		t.Error("Generate with a constant reader succeeded")
	}
	// nil reader means crypto/rand.
	if pc, err := passcode.Generate(passcode.Policy{Kind: passcode.Numeric}, nil); err != nil || pc.Len() != 6 {
		t.Errorf("Generate(nil reader) = %d chars, %v", pc.Len(), err)
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

func FuzzIsNumericComplex(f *testing.F) {
	for _, tc := range numericComplexTable {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := passcode.IsNumericComplex(s), naiveNumericComplex(s); got != want {
			t.Fatalf("IsNumericComplex(%q) = %v, oracle %v", s, got, want)
		}
	})
}

func FuzzValidate(f *testing.F) {
	for _, tc := range validateTable {
		f.Add(uint8(tc.policy.Kind), tc.policy.MinLength, tc.policy.MaxLength, tc.in)
	}
	f.Fuzz(func(t *testing.T, kind uint8, minLen, maxLen int, s string) {
		p := passcode.Policy{Kind: passcode.Kind(kind), MinLength: minLen, MaxLength: maxLen}
		err := passcode.Validate(p, secret.New(s))
		np, perr := p.Normalize()
		switch {
		case perr != nil:
			if !errors.Is(err, passcode.ErrParams) {
				t.Fatalf("invalid policy %+v: Validate = %v", p, err)
			}
		case err == nil:
			if len(s) < np.MinLength || len(s) > np.MaxLength || strings.Trim(s, np.Kind.Alphabet()) != "" {
				t.Fatalf("Validate(%s, %q) accepted a passcode outside the policy", np, s)
			}
			if np.Kind == passcode.NumericComplex && !naiveNumericComplex(s) {
				t.Fatalf("Validate(%s, %q) accepted a sequence", np, s)
			}
		case !errors.Is(err, passcode.ErrViolation):
			t.Fatalf("Validate(%s, %q) = %v, want ErrViolation", np, s, err)
		}
	})
}

func FuzzParseKind(f *testing.F) {
	for _, k := range passcodetest.Kinds {
		f.Add(k.String())
	}
	f.Add("")
	f.Add("Numeric")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := passcode.ParseKind(s)
		if err != nil {
			if !errors.Is(err, passcode.ErrParams) {
				t.Fatalf("ParseKind(%q) = %v", s, err)
			}
			return
		}
		if k.String() != s {
			t.Fatalf("ParseKind(%q) = %s, which does not round-trip", s, k)
		}
	})
}
