// Package seal encrypts secrets that must be shown again (a reset passcode in
// the admin console, a company passcode an admin may re-read) with
// XChaCha20-Poly1305 under a host key, with key IDs for rotation and an
// authenticated retention limit.
//
// Sealed layout: format (1) || key ID (1) || not-after, Unix seconds,
// big-endian (8) || nonce (24) || ciphertext and tag. The header is bound to
// the ciphertext as associated data, together with the caller's own
// associated data (a record ID), so a sealed value cannot be moved to another
// record or have its retention extended.
package seal

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// Format is the first byte of every sealed value.
const Format byte = 1

const headerLen = 1 + 1 + 8

// Overhead is the number of bytes sealing adds to a plaintext.
const Overhead = headerLen + chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead

// KeySize is the length of a sealing key.
const KeySize = chacha20poly1305.KeySize

// Errors.
var (
	ErrKey        = errors.New("seal: invalid key set")
	ErrUnknownKey = errors.New("seal: sealed under an unknown key")
	ErrFormat     = errors.New("seal: malformed sealed value")
	ErrOpen       = errors.New("seal: message authentication failed")
	ErrExpired    = errors.New("seal: retention limit passed")
)

// Sealer seals under its current key and opens under any of its keys. It is
// safe for concurrent use.
type Sealer struct {
	current uint8
	aeads   map[uint8]cipher.AEAD
	rand    io.Reader
}

// New returns a Sealer. keys maps key IDs to 32-byte keys; current names the
// one new values are sealed under. r supplies nonces (crypto/rand.Reader
// when nil).
func New(current uint8, keys map[uint8][]byte, r io.Reader) (*Sealer, error) {
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("%w: current key %d is not in the set", ErrKey, current)
	}
	if r == nil {
		r = rand.Reader
	}
	s := &Sealer{current: current, aeads: make(map[uint8]cipher.AEAD, len(keys)), rand: r}
	for id, k := range keys {
		a, err := chacha20poly1305.NewX(k)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: want %d bytes", ErrKey, id, KeySize)
		}
		s.aeads[id] = a
	}
	return s, nil
}

// Current returns the ID of the key new values are sealed under.
func (s *Sealer) Current() uint8 { return s.current }

// Seal encrypts plaintext, bound to ad, to be opened no later than notAfter.
// A zero notAfter means no retention limit.
func (s *Sealer) Seal(plaintext, ad []byte, notAfter time.Time) ([]byte, error) {
	out := make([]byte, headerLen+chacha20poly1305.NonceSizeX, Overhead+len(plaintext))
	out[0], out[1] = Format, s.current
	var na int64
	if !notAfter.IsZero() {
		na = notAfter.Unix()
	}
	binary.BigEndian.PutUint64(out[2:10], uint64(na))
	nonce := out[headerLen:]
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return nil, fmt.Errorf("seal: reading nonce: %w", err)
	}
	return s.aeads[s.current].Seal(out, nonce, plaintext, fullAD(out[:headerLen], ad)), nil
}

// Open decrypts a value made by [Sealer.Seal] with the same ad. It returns
// [ErrExpired] once now is past the value's retention limit. The limit is
// trusted only after the header has been authenticated, so the check comes
// after decryption, and the plaintext is wiped before the error returns.
func (s *Sealer) Open(sealed, ad []byte, now time.Time) ([]byte, error) {
	if len(sealed) < Overhead || sealed[0] != Format {
		return nil, ErrFormat
	}
	a, ok := s.aeads[sealed[1]]
	if !ok {
		return nil, ErrUnknownKey
	}
	header := sealed[:headerLen]
	nonce := sealed[headerLen : headerLen+chacha20poly1305.NonceSizeX]
	pt, err := a.Open(nil, nonce, sealed[headerLen+len(nonce):], fullAD(header, ad))
	if err != nil {
		return nil, ErrOpen
	}
	if na := int64(binary.BigEndian.Uint64(header[2:10])); na != 0 && now.Unix() > na {
		clear(pt)
		return nil, ErrExpired
	}
	return pt, nil
}

// NotAfter returns the retention limit written in a sealed value's header
// (zero for none). The header is authenticated only by [Sealer.Open].
func NotAfter(sealed []byte) (time.Time, error) {
	if len(sealed) < Overhead || sealed[0] != Format {
		return time.Time{}, ErrFormat
	}
	na := int64(binary.BigEndian.Uint64(sealed[2:10]))
	if na == 0 {
		return time.Time{}, nil
	}
	return time.Unix(na, 0).UTC(), nil
}

func fullAD(header, ad []byte) []byte {
	full := make([]byte, 0, len(header)+len(ad))
	return append(append(full, header...), ad...)
}
