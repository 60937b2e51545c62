package escrow

import (
	"fmt"
	"io"
	"strings"

	"github.com/mdmcred/mdmcred/internal/randcode"
)

// Bounds and defaults of the password kinds.
const (
	// RecoveryLockDefaultLength: 20 characters of the readable alphabet,
	// about 116 bits.
	RecoveryLockDefaultLength = 20
	RecoveryLockMinLength     = 12
	RecoveryLockMaxLength     = 64
	// AdminDefaultLength: 24 characters with all four classes, as
	// Windows LAPS' "large letters + small letters + numbers + specials"
	// (its default is 14; 24 costs the admin nothing, who copies it).
	AdminDefaultLength = 24
	AdminMinLength     = 14
	AdminMaxLength     = 64
	// AdminDefaultWords: a passphrase of 6 words, about 98 bits.
	AdminDefaultWords = 6
	AdminMinWords     = 4
	AdminMaxWords     = 12
)

// Alphabets of the password kinds.
const (
	// Readable leaves out characters that are easily confused when read
	// aloud or typed from a screen: 0/O/o, 1/I/l.
	Readable = randcode.Readable
	// AdminSymbols are the specials of an admin password: none is a quote,
	// a backslash, a space or a bracket, which break scripts and forms.
	AdminSymbols = randcode.Symbols
)

// Passphrase words alternate these consonants and vowels (CVCVC): 15 * 5 *
// 15 * 5 * 15 = 84,375 words, about 16.4 bits each, with no word list to
// ship and nothing hard to read aloud (no c, q, w, x, y, l).
const (
	passConsonants = "bdfghjkmnprstvz"
	passVowels     = "aeiou"
)

// RecoveryLockPassword is the password of a Mac's Recovery Lock
// (SetRecoveryLock): length characters of [Readable], uniform; zero length
// means [RecoveryLockDefaultLength]. Its Policy is the default: rotated
// one hour after its first view.
func RecoveryLockPassword(length int) (Kind, error) {
	if length == 0 {
		length = RecoveryLockDefaultLength
	}
	if length < RecoveryLockMinLength || length > RecoveryLockMaxLength {
		return Kind{}, &ConfigError{Field: "RecoveryLockPassword length",
			Reason: fmt.Sprintf("%d is outside %d to %d", length, RecoveryLockMinLength, RecoveryLockMaxLength)}
	}
	g := mustGenerator(Readable, length, nil)
	return Kind{Name: KindRecoveryLock, Generate: g.generate, Validate: g.validate}, nil
}

// AdminPolicy says how a managed local admin password is drawn.
type AdminPolicy struct {
	// Length of a character password. Zero: AdminDefaultLength (24);
	// bounds AdminMinLength to AdminMaxLength.
	Length int
	// Passphrase draws words instead of characters: Words pronounceable
	// five-letter words joined by hyphens, for a password typed at a
	// console.
	Passphrase bool
	// Words of a passphrase. Zero: AdminDefaultWords (6); bounds
	// AdminMinWords to AdminMaxWords.
	Words int
}

// AdminPassword is a managed local admin password, LAPS-like: Length
// characters with at least one upper-case letter, one lower-case letter,
// one digit and one of [AdminSymbols], uniform over all such strings; or,
// with Passphrase, Words words. Its Policy is the default: rotated one hour
// after its first view.
func AdminPassword(p AdminPolicy) (Kind, error) {
	if p.Passphrase {
		if p.Length != 0 {
			return Kind{}, &ConfigError{Field: "AdminPolicy.Length", Reason: "set with Passphrase"}
		}
		if p.Words == 0 {
			p.Words = AdminDefaultWords
		}
		if p.Words < AdminMinWords || p.Words > AdminMaxWords {
			return Kind{}, &ConfigError{Field: "AdminPolicy.Words",
				Reason: fmt.Sprintf("%d is outside %d to %d", p.Words, AdminMinWords, AdminMaxWords)}
		}
		words := p.Words
		return Kind{Name: KindAdminPassword,
			Generate: func(r io.Reader) (Secret, error) { return passphrase(r, words) },
			Validate: func(s string) error { return checkPassphrase(s, words) }}, nil
	}
	if p.Words != 0 {
		return Kind{}, &ConfigError{Field: "AdminPolicy.Words", Reason: "set without Passphrase"}
	}
	if p.Length == 0 {
		p.Length = AdminDefaultLength
	}
	if p.Length < AdminMinLength || p.Length > AdminMaxLength {
		return Kind{}, &ConfigError{Field: "AdminPolicy.Length",
			Reason: fmt.Sprintf("%d is outside %d to %d", p.Length, AdminMinLength, AdminMaxLength)}
	}
	g := mustGenerator(randcode.Upper+randcode.Lower+randcode.Digits+AdminSymbols, p.Length,
		[]string{randcode.Upper, randcode.Lower, randcode.Digits, AdminSymbols})
	return Kind{Name: KindAdminPassword, Generate: g.generate, Validate: g.validate}, nil
}

// generator draws uniform codes with internal/randcode.
type generator struct{ g *randcode.Generator }

func mustGenerator(alphabet string, length int, require []string) generator {
	return generator{randcode.MustNew(randcode.Spec{Alphabet: alphabet, Length: length, Require: require})}
}

func (g generator) generate(r io.Reader) (Secret, error) {
	s, err := g.g.Generate(r)
	if err != nil {
		return Secret{}, fmt.Errorf("escrow: generating: %w", err)
	}
	return NewSecret(s), nil
}

func (g generator) validate(s string) error {
	if !g.g.Satisfies(s) {
		return fmt.Errorf("not %d characters of the kind's alphabet with every required class", g.g.Length())
	}
	return nil
}

// passphrase draws words CVCVC words joined by hyphens, each letter
// uniform by rejection (randcode.Intn).
func passphrase(r io.Reader, words int) (Secret, error) {
	var b strings.Builder
	for w := 0; w < words; w++ {
		if w > 0 {
			b.WriteByte('-')
		}
		for i := 0; i < 5; i++ {
			set := passConsonants
			if i%2 == 1 {
				set = passVowels
			}
			n, err := randcode.Intn(r, uint64(len(set)))
			if err != nil {
				return Secret{}, fmt.Errorf("escrow: generating: %w", err)
			}
			b.WriteByte(set[n])
		}
	}
	return NewSecret(b.String()), nil
}

func checkPassphrase(s string, words int) error {
	parts := strings.Split(s, "-")
	if len(parts) != words {
		return fmt.Errorf("%d words, want %d", len(parts), words)
	}
	for _, p := range parts {
		if len(p) != 5 {
			return fmt.Errorf("a word of %d letters, want 5", len(p))
		}
		for i := 0; i < 5; i++ {
			set := passConsonants
			if i%2 == 1 {
				set = passVowels
			}
			if !strings.ContainsRune(set, rune(p[i])) {
				return fmt.Errorf("a word that is not consonant-vowel-consonant-vowel-consonant")
			}
		}
	}
	return nil
}
