package enrollment

import (
	"io"
	"strconv"
	"strings"

	"github.com/mdmcred/mdmcred/internal/randcode"
	"github.com/mdmcred/mdmcred/internal/secret"
)

// Passcode is a company passcode. It prints as [REDACTED] under every fmt
// verb, in log/slog and in JSON; call Reveal where it must be shown to an
// admin.
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

// Length is the number of characters in a company passcode.
const Length = 12

// Alphabet is the set of passcode characters, [0-9A-Za-z]. Passcodes are
// case-sensitive: "aB3..." and "Ab3..." are different passcodes.
const Alphabet = randcode.Alnum

// MaxInputLen bounds what [ParsePasscode] and [Service.Verify] read: a
// longer input is malformed without being trimmed or scanned.
const MaxInputLen = 256

// The generator is immutable: the rule for company passcodes.
var generator = randcode.MustNew(randcode.Spec{
	Alphabet: Alphabet,
	Length:   Length,
	Require:  []string{randcode.Digits, randcode.Lower, randcode.Upper},
})

const (
	classDigit = 1 << iota
	classLower
	classUpper
	classAll = classDigit | classLower | classUpper
)

// charClass maps a byte to its class bit, zero for a byte outside Alphabet.
var charClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = classDigit
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = classLower
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = classUpper
	}
	return t
}()

// NewPasscode draws a company passcode from r (crypto/rand.Reader when nil):
// 12 characters from [Alphabet] with at least one digit, one lower-case and
// one upper-case letter, uniform over all such strings (about 2.8e21 of
// them, 71 bits). Most callers want [Service.Generate], which also stores it.
func NewPasscode(r io.Reader) (Passcode, error) {
	code, err := generator.Generate(r)
	if err != nil {
		return Passcode{}, err
	}
	return secret.New(code), nil
}

// ParsePasscode checks that input is shaped like a company passcode and
// returns it without its surrounding white space. It does not change case:
// passcodes are case-sensitive. Any other input gives a [*MalformedError]
// (matching [ErrMalformed]) that does not contain the input.
func ParsePasscode(input string) (Passcode, error) {
	code, err := parse(input)
	if err != nil {
		return Passcode{}, err
	}
	return secret.New(code), nil
}

func parse(input string) (string, error) {
	if len(input) > MaxInputLen {
		return "", &MalformedError{Reason: "input longer than " + strconv.Itoa(MaxInputLen) + " bytes"}
	}
	code := strings.TrimSpace(input)
	if len(code) != Length {
		return "", &MalformedError{Reason: "length " + strconv.Itoa(len(code)) + ", want " + strconv.Itoa(Length)}
	}
	var seen uint8
	for i := 0; i < len(code); i++ {
		c := charClass[code[i]]
		if c == 0 {
			return "", &MalformedError{Reason: "character " + strconv.Itoa(i+1) + " is not a letter or digit"}
		}
		seen |= c
	}
	switch {
	case seen&classDigit == 0:
		return "", &MalformedError{Reason: "no digit"}
	case seen&classLower == 0:
		return "", &MalformedError{Reason: "no lower-case letter"}
	case seen&classUpper == 0:
		return "", &MalformedError{Reason: "no upper-case letter"}
	}
	return code, nil
}
