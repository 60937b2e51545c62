package otp

import (
	"encoding/base32"
	"strconv"

	"github.com/mdmcred/mdmcred/internal/secret"
)

// Secret is a key's secret in Base32, as typed into an authenticator app. It
// redacts itself under every fmt verb, log/slog and JSON.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() string returns the secret text; call it only where the
//     text must be shown or sent to the person it is for.
//   - Equal(t string) bool compares with t in time that depends only on
//     the lengths.
//   - Len() int is its length in bytes; IsZero() bool reports an empty one.
//   - String, Format, GoString, LogValue, MarshalJSON and MarshalText print
//     only [REDACTED].
type Secret = secret.String

const redacted = secret.Redacted

// maxSecretText bounds the text DecodeSecret reads, separators included.
const maxSecretText = 4 * MaxSecretLen

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// EncodeSecret returns b in RFC 4648 Base32, upper case, without padding:
// the form Google Authenticator's key URI and manual entry expect.
func EncodeSecret(b []byte) Secret {
	return secret.New(b32.EncodeToString(b))
}

// DecodeSecret decodes a Base32 secret leniently, as people and other
// issuers write it: lower case is accepted, spaces, tabs and hyphens are
// ignored, and trailing '=' padding is optional and may be partial: "=="
// after a 52-character secret is accepted, as pquerna/otp and the npm
// otpauth library accept it (they complete the padding before decoding).
// More '=' than the last 8-character group needs is refused. The result is
// not checked against [MinSecretLen]; [ParseKey] does that.
//
// Errors are [*SecretError] (matching [ErrSecret]) and carry the offset of
// the offending character, never the character.
func DecodeSecret(s string) ([]byte, error) {
	if len(s) > maxSecretText {
		return nil, &SecretError{Offset: -1, Reason: "too long"}
	}
	buf := make([]byte, 0, len(s))
	pad := -1 // offset of the first '='
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '-':
			continue
		case c == '=':
			if pad < 0 {
				pad = i
			}
			continue
		case pad >= 0:
			return nil, &SecretError{Offset: i, Reason: "character after padding"}
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case 'A' <= c && c <= 'Z', '2' <= c && c <= '7':
		default:
			return nil, &SecretError{Offset: i, Reason: "not a Base32 character"}
		}
		buf = append(buf, c)
	}
	if len(buf) == 0 {
		return nil, &SecretError{Offset: -1, Reason: "empty"}
	}
	if pad >= 0 {
		// Padding, when present, may complete the last 8-character group
		// or fall short of it, but not go past it.
		n := 0
		for i := pad; i < len(s); i++ {
			if s[i] == '=' {
				n++
			}
		}
		if need := (8 - len(buf)%8) % 8; n > need {
			return nil, &SecretError{Offset: pad, Reason: "too much padding: " + strconv.Itoa(n) + " '=', the last group needs at most " + strconv.Itoa(need)}
		}
	}
	switch len(buf) % 8 {
	case 1, 3, 6:
		return nil, &SecretError{Offset: -1, Reason: "truncated: impossible number of Base32 characters"}
	}
	out := make([]byte, b32.DecodedLen(len(buf)))
	n, err := b32.Decode(out, buf)
	clear(buf)
	if err != nil {
		clear(out)
		return nil, &SecretError{Offset: -1, Reason: "does not decode"}
	}
	return out[:n], nil
}

// ParseKey decodes a Base32 secret with [DecodeSecret] and returns its Key.
func ParseKey(s string, p Params) (*Key, error) {
	b, err := DecodeSecret(s)
	if err != nil {
		return nil, err
	}
	k, err := NewKey(b, p)
	clear(b)
	return k, err
}
