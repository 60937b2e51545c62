package passcode

import "github.com/mdmcred/mdmcred/internal/secret"

// Keys is a set of keys by key ID ([Config.SealKeys]). Build it with
// [NewKeys]. Under every fmt verb (through pointers and struct fields,
// exported or not), in log/slog and in encoding/json it shows only the key
// IDs (map[1:[REDACTED]]), so a Config can be printed or logged.
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
//	cfg.SealKeys = passcode.NewKeys(map[uint8][]byte{1: key})
func NewKeys(m map[uint8][]byte) Keys { return secret.NewKeys(m) }
