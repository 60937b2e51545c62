package escrow

import "github.com/mdmcred/mdmcred/internal/secret"

// Secret is an escrowed secret in clear: a PIN, a password, a bypass code or
// a recovery key. Under every fmt verb (through pointers and struct fields,
// exported or not), in log/slog and in encoding/json it shows only
// [REDACTED]; the value is reached only through its Reveal method, at the
// moment it is put in an MDM command or shown to the admin who asked.
// Compare with its Equal method (constant time).
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

// NewSecret wraps s, a secret a device or agent reported (see
// [Service.Report]) or one a test needs.
func NewSecret(s string) Secret { return secret.New(s) }

// Keys is a set of sealing keys by key ID ([Config.SealKeys]). It prints as
// its key IDs only. Build it with [NewKeys].
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() map[uint8][]byte returns a copy of the keys by ID, for the
//     mechanism that uses them; never print it.
//   - Len() int is the number of keys; IsZero() bool reports that there are
//     none.
//   - String, Format, GoString, LogValue and MarshalJSON show only the key
//     IDs and [REDACTED].
type Keys = secret.Keys

// NewKeys copies m (key ID to 32-byte key) into a [Keys]; the caller may
// clear m afterwards.
func NewKeys(m map[uint8][]byte) Keys { return secret.NewKeys(m) }
