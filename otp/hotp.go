package otp

import (
	"crypto/subtle"

	"github.com/mdmcred/mdmcred/internal/secret"
)

// Code is a one-time code. It redacts itself under every fmt verb, log/slog
// and JSON; [secret.String.Reveal] gives the digits.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() string returns the secret text; call it only where the
//     text must be shown or sent to the person it is for.
//   - Equal(t string) bool compares with t in time that depends only on
//     the lengths.
//   - Len() int is its length in bytes; IsZero() bool reports an empty one.
//   - String, Format, GoString, LogValue, MarshalJSON and MarshalText print
//     only [REDACTED].
type Code = secret.String

var errZeroKey = &ParamError{Field: "key", Reason: "not made by NewKey, ParseKey or GenerateKey"}

// MaxWindow bounds the look-ahead of [ValidateHOTP] and each of the Past and
// Future skews of [ValidateTOTP], so that one validation does bounded work.
const MaxWindow = 100

// HOTP returns the RFC 4226 code for counter, Digits long with leading
// zeros.
func HOTP(k *Key, counter uint64) Code {
	var buf [MaxDigits]byte
	return secret.New(string(AppendHOTP(buf[:0], k, counter)))
}

// AppendHOTP appends the RFC 4226 code for counter to dst and returns the
// extended slice. It does not allocate when dst has room for Digits bytes.
func AppendHOTP(dst []byte, k *Key, counter uint64) []byte {
	if !k.usable() {
		return dst
	}
	return appendCode(dst, k.value(counter), k.digits)
}

// ValidateHOTP checks code against the counters next to next+lookAhead
// (the RFC 4226 §7.4 look-ahead window, for a token pressed without
// logging in) and returns the counter that matched. Store the result plus
// one as the next value of next: counters below it can never be used
// again, so a replay fails with [ErrInvalid].
//
// Every counter in the window is computed and compared in constant time,
// whether or not an earlier one matched. If several match (possible for
// short codes), the lowest wins, so the fewest counters are burned.
// Errors: [ErrFormat] before any MAC work, [ErrInvalid], and [*ParamError]
// for a lookAhead outside 0 to MaxWindow.
func ValidateHOTP(k *Key, code string, next uint64, lookAhead int) (uint64, error) {
	if lookAhead < 0 || lookAhead > MaxWindow {
		return 0, &ParamError{Field: "lookAhead", Reason: "must be 0 to 100"}
	}
	if !k.usable() {
		return 0, errZeroKey
	}
	want, ok := parseCode(code, k.digits)
	if !ok {
		return 0, ErrFormat
	}
	if next > ^uint64(0)-uint64(lookAhead) {
		lookAhead = int(^uint64(0) - next)
	}
	var matched uint64
	found := 0
	for c := next + uint64(lookAhead); ; c-- {
		eq := subtle.ConstantTimeEq(int32(k.value(c)), int32(want))
		mask := -uint64(eq)
		matched = matched&^mask | c&mask
		found |= eq
		if c == next {
			break
		}
	}
	if found == 0 {
		return 0, ErrInvalid
	}
	return matched, nil
}
