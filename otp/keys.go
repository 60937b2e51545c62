package otp

import "github.com/mdmcred/mdmcred/internal/secret"

// Keys is a set of keys by key ID: [PINConfig.Peppers]. Build it with
// [NewKeys]. Under every fmt verb (through pointers and struct fields,
// exported or not), in log/slog and in encoding/json it shows only the key
// IDs (map[1:[REDACTED]]), so a PINConfig can be printed or logged. It is
// the same type as enrollment.Keys and passcode.Keys.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() map[uint8][]byte returns a copy of the keys by ID, for the
//     mechanism that uses them; never print it.
//   - Len() int is the number of keys; IsZero() bool reports that there are
//     none.
//   - String, Format, GoString, LogValue and MarshalJSON show only the key
//     IDs and [REDACTED].
type Keys = secret.Keys

// NewKeys copies m (key ID to key bytes) into a [Keys]; the caller may
// clear m afterwards.
//
//	cfg.Peppers = otp.NewKeys(map[uint8][]byte{1: pepper})
func NewKeys(m map[uint8][]byte) Keys { return secret.NewKeys(m) }

// clearKeys overwrites the copies of the keys a constructor handed to the
// mechanisms (which keep their own).
func clearKeys(m map[uint8][]byte) {
	for _, k := range m {
		clear(k)
	}
}
