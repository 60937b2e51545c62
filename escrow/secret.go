package escrow

import "github.com/mdmcred/mdmcred/internal/secret"

// Secret is an escrowed secret in clear: a PIN, a password, a bypass code or
// a recovery key. Under every fmt verb (through pointers and struct fields,
// exported or not), in log/slog and in encoding/json it shows only
// [REDACTED]; the value is reached only through its Reveal method, at the
// moment it is put in an MDM command or shown to the admin who asked.
// Compare with its Equal method (constant time).
type Secret = secret.String

// NewSecret wraps s, a secret a device or agent reported (see
// [Service.Report]) or one a test needs.
func NewSecret(s string) Secret { return secret.New(s) }

// Keys is a set of sealing keys by key ID ([Config.SealKeys]). It prints as
// its key IDs only. Build it with [NewKeys].
type Keys = secret.Keys

// NewKeys copies m (key ID to 32-byte key) into a [Keys]; the caller may
// clear m afterwards.
func NewKeys(m map[uint8][]byte) Keys { return secret.NewKeys(m) }
