package passcode

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/bits"
	"strings"
	"sync"

	"github.com/mdmcred/mdmcred/internal/randcode"
	"github.com/mdmcred/mdmcred/internal/secret"
)

// Passcode is a device passcode or lock PIN. It prints as [REDACTED] under
// every fmt verb, in log/slog and in JSON; call Reveal where it must be shown
// to the admin or the device user.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() string returns the secret text; call it only where the
//     text must be shown or sent to the person it is for.
//   - Equal(t string) bool compares with t in time that depends only on
//     the lengths.
//   - Len() int is its length in bytes; IsZero() bool reports an empty one.
//   - String, Format, GoString, LogValue, MarshalJSON and MarshalText print
//     only [REDACTED].
type Passcode = secret.String

// Kind names a passcode character set and its composition rules. The kinds
// follow Android's password qualities (DevicePolicyManager PASSWORD_QUALITY_*),
// which are the strictest rules any supported platform applies.
type Kind uint8

// Kinds. The zero Kind is invalid.
const (
	// Numeric: digits only.
	Numeric Kind = iota + 1
	// NumericComplex: digits with no run of more than 3 digits in arithmetic
	// progression (see [IsNumericComplex]).
	NumericComplex
	// Alphabetic: letters only, upper and lower case.
	Alphabetic
	// Alphanumeric: letters and digits, with at least one of each.
	Alphanumeric
	// Complex: letters, digits and the symbols !#$%&*+-=?@^_~, with at least
	// one lower-case letter, one upper-case letter, one digit and one symbol.
	Complex
	// Readable: letters and digits without those easily confused when read
	// aloud or handwritten (0 O o 1 I l); no composition rule. Use it for a
	// passcode an admin reads to the user over the phone.
	Readable
)

var kindNames = [...]string{"", "numeric", "numeric-complex", "alphabetic", "alphanumeric", "complex", "readable"}

// String returns the kind's name ("numeric-complex"), or "kind(N)" for an
// unknown kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind returns the Kind named s, as printed by [Kind.String].
func ParseKind(s string) (Kind, error) {
	for k := Numeric; int(k) < len(kindNames); k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return 0, &ParamError{Field: "Kind", Reason: "unknown kind"}
}

// Length bounds of a [Policy].
const (
	// MinLength is the shortest passcode any policy allows: every supported
	// platform refuses fewer than 4 characters.
	MinLength = 4
	// MaxLength is the longest passcode any policy allows. Android's lock
	// screen takes at most [AndroidMaxLength] (16), which [Check] enforces
	// for Android devices; 64 covers the other platforms' limits that
	// matter for a reset.
	MaxLength = 64
)

// Default lengths used when a [Policy] leaves MinLength zero.
const (
	DefaultDigitsLength  = 6 // Numeric, NumericComplex
	DefaultLettersLength = 8 // every other kind
)

// Policy says which passcodes a generator may produce and [Validate] accepts.
//
// The zero Policy is invalid: Kind is required. A zero MinLength means the
// kind's default ([DefaultDigitsLength] or [DefaultLettersLength]), or
// MaxLength if that is shorter; a zero MaxLength means MinLength (a fixed
// length).
type Policy struct {
	Kind      Kind
	MinLength int
	MaxLength int
}

// ErrViolation: a passcode does not satisfy its policy. Returned as a
// *ViolationError. (A policy that cannot be met at all is a [*ParamError]
// naming the [Policy] field.)
var ErrViolation = errors.New("passcode: passcode does not satisfy the policy")

// Rules a passcode can break, reported in [ViolationError.Rule].
const (
	RuleLength   = "length"   // shorter than MinLength or longer than MaxLength
	RuleCharset  = "charset"  // a character outside the kind's alphabet
	RuleClass    = "class"    // a required character class is missing
	RuleSequence = "sequence" // NumericComplex: a run of 4 digits in progression
)

// ViolationError says which rule a passcode breaks; it never holds the
// passcode. It matches [ErrViolation].
type ViolationError struct {
	Rule   string // one of the Rule constants
	Detail string // which class or bound; never a character of the passcode
}

// Error implements error.
func (e *ViolationError) Error() string {
	return "passcode: passcode does not satisfy the policy: " + e.Rule + ": " + e.Detail
}

// Is reports whether target is [ErrViolation].
func (e *ViolationError) Is(target error) bool { return target == ErrViolation }

type class struct {
	name  string
	chars string
}

var (
	letters = randcode.Upper + randcode.Lower
	classes = map[Kind][]class{
		Alphanumeric: {{"letter", letters}, {"digit", randcode.Digits}},
		Complex: {{"lower-case letter", randcode.Lower}, {"upper-case letter", randcode.Upper},
			{"digit", randcode.Digits}, {"symbol", randcode.Symbols}},
	}
	alphabets = map[Kind]string{
		Numeric:        randcode.Digits,
		NumericComplex: randcode.Digits,
		Alphabetic:     letters,
		Alphanumeric:   randcode.Alnum,
		Complex:        randcode.Alnum + randcode.Symbols,
		Readable:       randcode.Readable,
	}
)

// Normalize returns p with its zero lengths replaced by the defaults, or a
// *ParamError if p cannot be met.
func (p Policy) Normalize() (Policy, error) {
	if _, ok := alphabets[p.Kind]; !ok {
		return p, &ParamError{Field: "Kind", Reason: fmt.Sprintf("unknown kind %d", uint8(p.Kind))}
	}
	if p.MinLength == 0 {
		p.MinLength = DefaultLettersLength
		if p.Kind == Numeric || p.Kind == NumericComplex {
			p.MinLength = DefaultDigitsLength
		}
		if p.MaxLength != 0 && p.MaxLength < p.MinLength {
			p.MinLength = p.MaxLength
		}
	}
	if p.MaxLength == 0 {
		p.MaxLength = p.MinLength
	}
	switch {
	case p.MinLength < MinLength:
		return p, &ParamError{Field: "MinLength", Reason: fmt.Sprintf("%d is below %d", p.MinLength, MinLength)}
	case p.MaxLength > MaxLength:
		return p, &ParamError{Field: "MaxLength", Reason: fmt.Sprintf("%d is above %d", p.MaxLength, MaxLength)}
	case p.MinLength > p.MaxLength:
		return p, &ParamError{Field: "MaxLength", Reason: fmt.Sprintf("%d is below MinLength %d", p.MaxLength, p.MinLength)}
	}
	return p, nil
}

// String describes the policy, as "numeric-complex 6-8" or "numeric 6".
func (p Policy) String() string {
	if p.MaxLength == 0 || p.MaxLength == p.MinLength {
		return fmt.Sprintf("%s %d", p.Kind, p.MinLength)
	}
	return fmt.Sprintf("%s %d-%d", p.Kind, p.MinLength, p.MaxLength)
}

// Alphabet returns the characters a passcode of kind k may use ("" for an
// unknown kind).
func (k Kind) Alphabet() string { return alphabets[k] }

// IsNumericComplex reports whether code is made of ASCII digits only and has
// no run of more than 3 consecutive digits in arithmetic progression: no
// 4 digits d, d+s, d+2s, d+3s for any step s. Step 0 is a repeat (4444),
// steps ±1 are ordered runs (1234, 4321), and larger steps are out too
// (2468, 1357, 9630). This is Android's NUMERIC_COMPLEX rule: PasswordMetrics
// rejects a sequence longer than MAX_ALLOWED_SEQUENCE (3) and, for digits,
// accepts any constant interval. The digits do not wrap: 8901 is allowed.
// The empty string is numeric-complex.
func IsNumericComplex(code string) bool {
	run := 1 // length of the arithmetic run ending at i
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
		switch {
		case i == 0:
		case i == 1:
			run = 2
		case int(code[i])-int(code[i-1]) == int(code[i-1])-int(code[i-2]):
			run++
			if run > 3 {
				return false
			}
		default:
			run = 2
		}
	}
	return true
}

func isNumericComplexBytes(code []byte) bool {
	// Same rule as IsNumericComplex, on the generator's buffer without a copy.
	run := 1
	for i := 1; i < len(code); i++ {
		if i >= 2 && int(code[i])-int(code[i-1]) == int(code[i-1])-int(code[i-2]) {
			run++
			if run > 3 {
				return false
			}
		} else {
			run = 2
		}
	}
	return true
}

// Validate reports whether pc satisfies p: nil, a *ViolationError (matching
// [ErrViolation]) naming the first rule it breaks, or a *ParamError when p
// itself is invalid. The check looks at every character whatever the
// outcome, but it is not constant-time; do not use it to compare a guess
// against a stored passcode.
func Validate(p Policy, pc Passcode) error {
	p, err := p.Normalize()
	if err != nil {
		return err
	}
	s := pc.Reveal()
	if len(s) < p.MinLength || len(s) > p.MaxLength {
		return &ViolationError{Rule: RuleLength, Detail: fmt.Sprintf("want %d to %d characters, got %d", p.MinLength, p.MaxLength, len(s))}
	}
	alpha := alphabets[p.Kind]
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alpha, s[i]) < 0 {
			return &ViolationError{Rule: RuleCharset, Detail: fmt.Sprintf("character %d is not allowed in a %s passcode", i+1, p.Kind)}
		}
	}
	for _, c := range classes[p.Kind] {
		if !strings.ContainsAny(s, c.chars) {
			return &ViolationError{Rule: RuleClass, Detail: "needs at least one " + c.name}
		}
	}
	if p.Kind == NumericComplex && !IsNumericComplex(s) {
		return &ViolationError{Rule: RuleSequence, Detail: "has a run of more than 3 repeated or ordered digits"}
	}
	return nil
}

// Generator draws passcodes for one [Policy], uniformly over every passcode
// the policy admits. Build it once with [NewGenerator] and reuse it: it is
// immutable and safe for concurrent use.
//
// # Uniform over strings, not over lengths
//
// When MinLength < MaxLength, every admitted passcode of every allowed
// length is equally likely. The length is therefore drawn in proportion to
// the number of admitted passcodes of that length, so the longest length
// dominates (for Numeric 4-6, 6 digits come out about 90% of the time).
// This is the choice that maximises entropy (log2 of the number of admitted
// passcodes) for a given policy; drawing the length uniformly first would
// make short passcodes as likely as long ones and lower the entropy. Use a
// fixed length (MaxLength = MinLength) when the length must be predictable.
type Generator struct {
	policy Policy
	gens   []*randcode.Generator // one per length, MinLength first
	cum    []*big.Int            // cum[i]: admitted passcodes of length <= MinLength+i
	cum64  []uint64              // cum as uint64 when the total fits
}

// NewGenerator validates p (see [Policy.Normalize]) and returns its
// Generator. An invalid policy gives a *ParamError.
func NewGenerator(p Policy) (*Generator, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, err
	}
	g := &Generator{policy: p}
	var req []string
	for _, c := range classes[p.Kind] {
		req = append(req, c.chars)
	}
	var accept func([]byte) bool
	if p.Kind == NumericComplex {
		accept = isNumericComplexBytes
	}
	total := new(big.Int)
	for n := p.MinLength; n <= p.MaxLength; n++ {
		rg, err := randcode.New(randcode.Spec{Alphabet: alphabets[p.Kind], Length: n, Require: req, Accept: accept})
		if err != nil {
			return nil, &ParamError{Field: "Kind", Reason: err.Error()}
		}
		g.gens = append(g.gens, rg)
		if p.MinLength != p.MaxLength {
			total = new(big.Int).Add(total, Count(p.Kind, n))
			g.cum = append(g.cum, total)
		}
	}
	if total.IsUint64() && len(g.cum) > 0 {
		for _, c := range g.cum {
			g.cum64 = append(g.cum64, c.Uint64())
		}
	}
	return g, nil
}

// Policy returns the generator's normalized policy.
func (g *Generator) Policy() Policy { return g.policy }

// Generate draws one passcode, reading randomness from r (crypto/rand.Reader
// when nil).
func (g *Generator) Generate(r io.Reader) (Passcode, error) {
	if r == nil {
		r = rand.Reader
	}
	i, err := g.pickLength(r)
	if err != nil {
		return Passcode{}, err
	}
	s, err := g.gens[i].Generate(r)
	if err != nil {
		return Passcode{}, fmt.Errorf("passcode: generating: %w", err)
	}
	return secret.New(s), nil
}

// pickLength returns the index of the length to draw, with probability
// proportional to the number of admitted passcodes of that length.
func (g *Generator) pickLength(r io.Reader) (int, error) {
	if len(g.gens) == 1 {
		return 0, nil
	}
	if g.cum64 != nil {
		v, err := randcode.Intn(r, g.cum64[len(g.cum64)-1])
		if err != nil {
			return 0, fmt.Errorf("passcode: generating: %w", err)
		}
		for i, c := range g.cum64 {
			if v < c {
				return i, nil
			}
		}
	}
	v, err := uniformBig(r, g.cum[len(g.cum)-1])
	if err != nil {
		return 0, err
	}
	for i, c := range g.cum {
		if v.Cmp(c) < 0 {
			return i, nil
		}
	}
	return len(g.cum) - 1, nil // unreachable: v < total
}

// uniformBig returns a uniform integer in [0, n) by rejection sampling from
// r. crypto/rand.Int is not used because it may ignore a caller's reader,
// which would break reproducible tests.
func uniformBig(r io.Reader, n *big.Int) (*big.Int, error) {
	bl := n.BitLen()
	buf := make([]byte, (bl+7)/8)
	top := byte(0xff)
	if rem := bl % 8; rem != 0 {
		top = byte(1)<<rem - 1
	}
	v := new(big.Int)
	for try := 0; try < 1000; try++ {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("passcode: reading randomness: %w", err)
		}
		buf[0] &= top
		if v.SetBytes(buf).Cmp(n) < 0 {
			return v, nil
		}
	}
	return nil, fmt.Errorf("passcode: generating: %w", randcode.ErrUnsatisfied)
}

// Generate draws one passcode for p from r (crypto/rand.Reader when nil). It
// builds a [Generator] each call; build one with [NewGenerator] to draw
// many.
func Generate(p Policy, r io.Reader) (Passcode, error) {
	g, err := NewGenerator(p)
	if err != nil {
		return Passcode{}, err
	}
	return g.Generate(r)
}

// Count returns the number of passcodes of exactly n characters that kind k
// admits (0 for an unknown kind or n < 0). log2 of the sum over a policy's
// lengths is the policy's entropy in bits.
func Count(k Kind, n int) *big.Int {
	alpha, ok := alphabets[k]
	if !ok || n < 0 {
		return new(big.Int)
	}
	if k == NumericComplex {
		if n <= MaxLength {
			return new(big.Int).Set(numericComplexCounts()[n])
		}
		return countNumericComplex(n)[n]
	}
	// Inclusion-exclusion over the required classes: strings that miss
	// every class in a subset S use only len(alpha) - |union of S| characters.
	cs := classes[k]
	total := new(big.Int)
	for mask := 0; mask < 1<<len(cs); mask++ {
		var union [256]bool
		size := len(alpha)
		for i, c := range cs {
			if mask&(1<<i) == 0 {
				continue
			}
			for j := 0; j < len(c.chars); j++ {
				if !union[c.chars[j]] {
					union[c.chars[j]] = true
					size--
				}
			}
		}
		term := new(big.Int).Exp(big.NewInt(int64(size)), big.NewInt(int64(n)), nil)
		if bits.OnesCount(uint(mask))%2 == 1 {
			total.Sub(total, term)
		} else {
			total.Add(total, term)
		}
	}
	return total
}

// numericComplexCounts holds Count(NumericComplex, n) for n up to
// MaxLength, computed once on first use: an immutable table, not state.
var numericComplexCounts = sync.OnceValue(func() []*big.Int { return countNumericComplex(MaxLength) })

// countNumericComplex counts digit strings with no 4 digits in arithmetic
// progression, for every length 0 to n, in one pass of dynamic programming
// over (last digit, last step, length of the run ending here).
func countNumericComplex(n int) []*big.Int {
	out := []*big.Int{big.NewInt(1), big.NewInt(10)}
	if n < 2 {
		return out[:n+1]
	}
	// t[d][s+9][r]: strings ending in digit d whose last step is s and whose
	// final arithmetic run has r+2 digits (2 or 3).
	type table [10][19][2]big.Int
	cur, next := new(table), new(table)
	for a := 0; a < 10; a++ {
		for b := 0; b < 10; b++ {
			cur[b][b-a+9][0].SetInt64(1)
		}
	}
	out = append(out, big.NewInt(100))
	for i := 3; i <= n; i++ {
		for d := range next {
			for s := range next[d] {
				next[d][s][0].SetInt64(0)
				next[d][s][1].SetInt64(0)
			}
		}
		for d := 0; d < 10; d++ {
			for s := 0; s < 19; s++ {
				for r := 0; r < 2; r++ {
					c := &cur[d][s][r]
					if c.Sign() == 0 {
						continue
					}
					for e := 0; e < 10; e++ {
						ns := e - d + 9
						switch {
						case ns != s:
							next[e][ns][0].Add(&next[e][ns][0], c)
						case r == 0:
							next[e][ns][1].Add(&next[e][ns][1], c)
						}
					}
				}
			}
		}
		cur, next = next, cur
		total := new(big.Int)
		for d := range cur {
			for s := range cur[d] {
				total.Add(total, &cur[d][s][0])
				total.Add(total, &cur[d][s][1])
			}
		}
		out = append(out, total)
	}
	return out
}
