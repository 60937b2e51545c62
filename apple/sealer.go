package apple

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/mdmcred/mdmcred/internal/seal"
	"github.com/mdmcred/mdmcred/internal/secret"
)

// Keys are 32-byte sealing keys by key ID. They print as their key IDs
// only.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() map[uint8][]byte returns a copy of the keys by ID, for the
//     mechanism that uses them; never print it.
//   - Len() int is the number of keys; IsZero() bool reports that there are
//     none.
//   - String, Format, GoString, LogValue and MarshalJSON show only the key
//     IDs and [REDACTED].
type Keys = secret.Keys

// NewKeys copies m into Keys.
func NewKeys(m map[uint8][]byte) Keys { return secret.NewKeys(m) }

// ErrSealed: a sealed value cannot be opened (wrong key, tampered, bound to
// another enrollment or command, or past its retention). Returned wrapped
// in an *Error.
var ErrSealed = errors.New("apple: sealed value cannot be opened")

// Sealer keeps the secrets an MDM server holds between enrollment and
// delivery sealed at rest with AES-256-GCM (the project's sealed format, docs/sealed-format.md) under the host's keys:
// UnlockTokens bound to their enrollment ID, escrowed [Secrets] bound to
// their CommandUUID. A value sealed for one enrollment or command does not
// open for another. It is safe for concurrent use.
type Sealer struct {
	s *seal.Sealer
}

// NewSealer returns a Sealer that seals under keys[current] and opens under
// any key in keys (keep retired keys until their values are gone).
func NewSealer(keys Keys, current uint8) (*Sealer, error) {
	s, err := seal.New(current, keys.Reveal())
	if err != nil {
		return nil, fieldError("Keys", err.Error())
	}
	return &Sealer{s: s}, nil
}

func tokenAD(enrollmentID string) []byte {
	return []byte("mdmcred apple UnlockToken\x00" + enrollmentID)
}
func secretsAD(commandUUID string) []byte {
	return []byte("mdmcred apple Secrets\x00" + commandUUID)
}

// SealToken seals an UnlockToken for enrollmentID, with no retention limit
// (the token is valid until the device re-enrolls).
func (s *Sealer) SealToken(enrollmentID string, t UnlockToken) ([]byte, error) {
	if t.IsZero() {
		return nil, fieldError("UnlockToken", "is empty")
	}
	pt := t.Reveal()
	defer clear(pt)
	return s.s.Seal(pt, tokenAD(enrollmentID), time.Time{}), nil
}

// OpenToken opens a value made by SealToken for the same enrollmentID.
func (s *Sealer) OpenToken(enrollmentID string, sealed []byte) (UnlockToken, error) {
	pt, err := s.s.Open(sealed, tokenAD(enrollmentID), time.Now())
	if err != nil {
		return UnlockToken{}, sealErr("UnlockToken", err)
	}
	defer clear(pt)
	return NewUnlockToken(pt), nil
}

// ResealProgress counts what [Sealer.ResealTokens] did so far: tokens
// visited, re-sealed, and those that did not open (left as they are;
// OpenToken refuses them alike).
type ResealProgress = seal.Progress

// ResealStep is one batch of a token store's re-seal: it visits at most
// limit sealed UnlockTokens whose enrollment ID sorts after after (byte
// order), in that order. For each it calls reseal with the enrollment ID
// and the sealed token; when reseal returns a value (not nil) it replaces
// the sealed token with it, changing nothing else (not the time it was
// recorded), in one atomic operation that applies only if the store still
// holds the sealed token reseal saw (a token a TokenUpdate replaced
// meanwhile is left as the TokenUpdate wrote it). It returns the last
// enrollment ID visited, how many tokens it visited and how many it
// replaced. reseal is called outside any lock or transaction of the
// store's.
type ResealStep func(ctx context.Context, after string, limit int, reseal func(enrollmentID string, sealed []byte) []byte) (last string, visited, replaced int, err error)

// ResealTokens re-seals every UnlockToken step visits that is not sealed
// under the Sealer's current key in the current format (AES-256-GCM),
// each still bound to its enrollment ID: after a sealing key rotation, or
// to move tokens sealed with XChaCha20-Poly1305 (docs/sealed-format.md,
// format 1) before a deployment runs in FIPS 140-3 mode. It runs step in
// batches of at most 1,000 tokens, each its own store operation, calls
// progress (when not nil) after each batch and returns the totals, also
// when it stops on an error or a done context. Run it after making a new
// key current and before removing the old one; apple/nanomdm's
// Service.ResealTokens calls it over its TokenStore (docs/keys.md).
func (s *Sealer) ResealTokens(ctx context.Context, step ResealStep, progress func(ResealProgress)) (ResealProgress, error) {
	if ctx == nil {
		return ResealProgress{}, ErrNilContext
	}
	if step == nil {
		return ResealProgress{}, fieldError("step", "is nil")
	}
	return s.s.ResealAll(ctx, func(ctx context.Context, after string, limit int, fn func(sealed, ad []byte) []byte) (seal.Batch, error) {
		return seal.OnePerEntry(step(ctx, after, limit, func(id string, sealed []byte) []byte { return fn(sealed, tokenAD(id)) }))
	}, progress)
}

// SealSecrets seals the secrets a command will take at delivery, bound to
// its CommandUUID, to be opened no later than notAfter (zero: no limit).
func (s *Sealer) SealSecrets(commandUUID string, sec Secrets, notAfter time.Time) ([]byte, error) {
	var pt []byte
	for _, f := range [][]byte{sec.UnlockToken.Reveal(), []byte(sec.PIN.Reveal()), []byte(sec.CurrentPassword.Reveal()), []byte(sec.NewPassword.Reveal())} {
		pt = binary.BigEndian.AppendUint32(pt, uint32(len(f)))
		pt = append(pt, f...)
		clear(f)
	}
	defer clear(pt)
	return s.s.Seal(pt, secretsAD(commandUUID), notAfter), nil
}

// OpenSecrets opens a value made by SealSecrets for the same commandUUID, at
// time now.
func (s *Sealer) OpenSecrets(commandUUID string, sealed []byte, now time.Time) (Secrets, error) {
	pt, err := s.s.Open(sealed, secretsAD(commandUUID), now)
	if err != nil {
		return Secrets{}, sealErr("Secrets", err)
	}
	defer clear(pt)
	var parts [4][]byte
	rest := pt
	for i := range parts {
		if len(rest) < 4 || uint64(binary.BigEndian.Uint32(rest)) > uint64(len(rest)-4) {
			return Secrets{}, sealErr("Secrets", seal.ErrFormat)
		}
		n := binary.BigEndian.Uint32(rest)
		parts[i], rest = rest[4:4+n], rest[4+n:]
	}
	if len(rest) != 0 {
		return Secrets{}, sealErr("Secrets", seal.ErrFormat)
	}
	return Secrets{
		UnlockToken:     NewUnlockToken(parts[0]),
		PIN:             NewSecret(string(parts[1])),
		CurrentPassword: NewSecret(string(parts[2])),
		NewPassword:     NewSecret(string(parts[3])),
	}, nil
}

func sealErr(field string, err error) error {
	return &Error{Field: field, Rule: "sealed value cannot be opened: " + err.Error(), Offset: -1, Err: ErrSealed}
}
