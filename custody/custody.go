// Package custody is the port through which the SDK uses keys it must not
// hold: a site's service-password master key kept in an HSM or a KMS, and
// the key that wraps sealing and pepper keys at rest.
//
// The service-password device key is HKDF-SHA256 of the master key, and
// HKDF's first step (Extract) yields a pseudorandom key, the PRK, from
// which every device key is one HMAC-SHA256: device key =
// HMAC(PRK, deviceID || 0x01). A custodian that holds the PRK and answers
// HMAC requests ([Key]) therefore derives the same device keys, the same
// codes and the same test vectors as raw key bytes, while the master key
// never enters the process.
//
// Backends live in nested modules beside this package (PKCS#11, AWS KMS,
// Vault Transit), so that a host that keeps raw keys downloads none of
// them. [LocalKey] is the in-process implementation: for tests, and for a
// host that loads raw keys.
package custody

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
)

// Key is an HMAC-SHA256 key held by a custodian. HMAC returns the 32-byte
// HMAC-SHA256 of msg under the key. It is called once per device key
// derived; timeouts and retries are the caller's, through ctx. An error
// never holds key material.
type Key interface {
	HMAC(ctx context.Context, msg []byte) ([]byte, error)
}

// Wrapper encrypts data keys under a key that stays with its custodian
// (envelope encryption): the SDK keeps sealing and pepper keys wrapped at
// rest and unwraps them once at start.
type Wrapper interface {
	Wrap(ctx context.Context, plaintext []byte) ([]byte, error)
	Unwrap(ctx context.Context, wrapped []byte) ([]byte, error)
}

// Error is the error every backend returns: which backend, which operation,
// and the cause. It never holds key material.
type Error struct {
	Backend string // "pkcs11", "awskms", "vault", "local", ...
	Op      string // "hmac", "import", "create", "wrap", "unwrap"
	Err     error
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("custody: %s %s: %v", e.Backend, e.Op, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// LocalKey is a [Key] held in process memory. It prints as redacted.
type LocalKey struct{ key []byte }

// NewLocalKey returns a LocalKey over a copy of key, which must be at least
// 32 bytes (HMAC-SHA256's output size, and the FIPS 140-3 floor of 112 bits
// with margin).
func NewLocalKey(key []byte) (*LocalKey, error) {
	if len(key) < sha256.Size {
		return nil, &Error{Backend: "local", Op: "import", Err: fmt.Errorf("key has %d bytes, want at least %d", len(key), sha256.Size)}
	}
	return &LocalKey{key: append([]byte(nil), key...)}, nil
}

// HMAC implements [Key].
func (k *LocalKey) HMAC(ctx context.Context, msg []byte) ([]byte, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Backend: "local", Op: "hmac", Err: err}
	}
	m := hmac.New(sha256.New, k.key)
	m.Write(msg)
	return m.Sum(nil), nil
}

// String redacts the key.
func (k *LocalKey) String() string { return "custody.LocalKey([REDACTED])" }

// Format redacts the key under every fmt verb.
func (k *LocalKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }
