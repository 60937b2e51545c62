package benchmarks

import (
	"crypto/rand"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/sethvargo/go-password/password"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/passcode"
)

// 12-character generation from crypto/rand, side by side:
//
//   - Ours/Enrollment: enrollment.NewPasscode, 12 characters of [0-9A-Za-z]
//     with at least one digit, one lower- and one upper-case letter,
//     uniform over all such strings (rejection sampling through
//     internal/randcode).
//   - Ours/PasscodeAlnum: passcode.Generator for Alphanumeric, length 12:
//     the same generator without the class rule.
//   - Sethvargo: go-password's Generate(12, 2, 0, false, true): 12
//     characters of [0-9A-Za-z] with exactly two digits, repeats allowed.
//     It draws each character with crypto/rand.Int on a big.Int.
//   - Floor/Read12: reading the 12 bytes any generator needs at least
//     (crypto/rand.Read), the cost of randomness alone.
//
// The outputs are the same shape but not the same distribution: go-password
// fixes the digit count, which an attacker then knows, so its strings carry
// log2(C(12,2)·10²·52¹⁰) ≈ 69.7 bits against 71.26 for enrollment's.
const pwLen = 12

var strSink string

func BenchmarkPassword12(b *testing.B) {
	b.Run("Ours/Enrollment", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			pc, err := enrollment.NewPasscode(nil)
			if err != nil {
				b.Fatal(err)
			}
			strSink = pc.Reveal()
		}
	})
	b.Run("Ours/PasscodeAlnum", func(b *testing.B) {
		g := alnumGenerator(b)
		b.ReportAllocs()
		for b.Loop() {
			pc, err := g.Generate(nil)
			if err != nil {
				b.Fatal(err)
			}
			strSink = pc.Reveal()
		}
	})
	b.Run("Sethvargo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := password.Generate(pwLen, 2, 0, false, true)
			if err != nil {
				b.Fatal(err)
			}
			strSink = s
		}
	})
	b.Run("Floor/Read12", func(b *testing.B) {
		var buf [pwLen]byte
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rand.Read(buf[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func alnumGenerator(tb testing.TB) *passcode.Generator {
	g, err := passcode.NewGenerator(passcode.Policy{Kind: passcode.Alphanumeric, MinLength: pwLen, MaxLength: pwLen})
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// TestPasswordsComparable checks that the generators compared produce the
// same kind of string: 12 characters of [0-9A-Za-z]; ours always meet the
// enrollment rule, and a go-password string that has all three classes is
// accepted by enrollment as well.
func TestPasswordsComparable(t *testing.T) {
	g := alnumGenerator(t)
	bothClasses := 0
	for range 200 {
		ours, err := enrollment.NewPasscode(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := enrollment.ParsePasscode(ours.Reveal()); err != nil || !isAlnum(ours.Reveal()) {
			t.Fatalf("enrollment passcode refused by its own rule: %v", err)
		}
		pc, err := g.Generate(nil)
		if err != nil || !isAlnum(pc.Reveal()) {
			t.Fatalf("passcode alphanumeric: %v", err)
		}
		theirs, err := password.Generate(pwLen, 2, 0, false, true)
		if err != nil || !isAlnum(theirs) {
			t.Fatalf("go-password gave %d characters: %v", len(theirs), err)
		}
		if strings.IndexFunc(theirs, isDigit) < 0 {
			t.Fatal("go-password string without a digit")
		}
		if strings.ContainsAny(theirs, alnum[10:36]) && strings.ContainsAny(theirs, alnum[36:]) {
			bothClasses++
			if _, err := enrollment.ParsePasscode(theirs); err != nil {
				t.Fatalf("a go-password string with every class refused: %v", err)
			}
		}
	}
	if bothClasses == 0 {
		t.Fatal("no go-password string had both letter cases in 200")
	}
}

// TestEntropyNote checks the figures quoted above.
func TestEntropyNote(t *testing.T) {
	c := new(big.Int).Binomial(12, 2)
	c.Mul(c, new(big.Int).Exp(big.NewInt(10), big.NewInt(2), nil))
	c.Mul(c, new(big.Int).Exp(big.NewInt(52), big.NewInt(10), nil))
	f, _ := new(big.Float).SetInt(c).Float64()
	if bits := math.Log2(f); math.Abs(bits-69.7) > 0.05 {
		t.Errorf("go-password entropy %.2f bits", bits)
	}
	// Strings of 62 symbols minus those missing a digit, a lower or an
	// upper-case letter (inclusion-exclusion).
	p := func(n int64) *big.Int { return new(big.Int).Exp(big.NewInt(n), big.NewInt(12), nil) }
	n := p(62)
	n.Sub(n, p(52)).Sub(n, p(36)).Sub(n, p(36))
	n.Add(n, p(26)).Add(n, p(26)).Add(n, p(10))
	f, _ = new(big.Float).SetInt(n).Float64()
	if bits := math.Log2(f); math.Abs(bits-71.26) > 0.01 {
		t.Errorf("enrollment entropy %.2f bits", bits)
	}
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isAlnum(s string) bool {
	if len(s) != pwLen {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune(alnum, r) {
			return false
		}
	}
	return true
}
