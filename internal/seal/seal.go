// Package seal encrypts secrets that must be shown again (a reset passcode in
// the admin console, a company passcode an admin may re-read) with
// AES-256-GCM under a host key, with key IDs for rotation and an
// authenticated retention limit. docs/sealed-format.md specifies the format
// byte by byte, with test vectors (testdata/vectors.json).
//
// Sealed layout (format 2): format (1) || key ID (1) || not-after, Unix
// seconds, big-endian (8) || nonce (12) || ciphertext and tag (16). The
// header is bound to the ciphertext as associated data, together with the
// caller's own associated data (a record ID), so a sealed value cannot be
// moved to another record or have its retention extended.
//
// # Formats
//
// Format 2 (AES-256-GCM) is the only one new values are sealed in: an
// algorithm FIPS 140-3 approves, so sealing works the same in and out of
// FIPS mode. Its 96-bit nonces are random, drawn by the Go Cryptographic
// Module itself (crypto/cipher.NewGCMWithRandomNonce), so NIST SP 800-38D
// §8.3 bounds one key to 2^32 seals (a nonce collision chance below 2^-32);
// rotate the sealing key well before that many (see docs/keys.md).
//
// Format 1 (XChaCha20-Poly1305, 24-byte nonce, same header) is what earlier
// releases sealed. [Sealer.Open] still opens it outside FIPS mode; in FIPS
// mode ([crypto/fips140.Enabled]) it refuses it with a [*ResealError]
// (matching [ErrReseal]): such values must be re-sealed, which [Sealer.Reseal]
// does, before a host switches to FIPS mode.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/fips140"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// The format bytes, the first byte of every sealed value.
const (
	// FormatXChaCha is format 1: XChaCha20-Poly1305. Opened outside FIPS
	// mode only; never written.
	FormatXChaCha byte = 1
	// FormatAESGCM is format 2: AES-256-GCM with a random 96-bit nonce.
	// Every new value is sealed in it.
	FormatAESGCM byte = 2
)

// Format is the format new values are sealed in.
const Format = FormatAESGCM

const (
	headerLen = 1 + 1 + 8
	gcmNonce  = 12
	gcmTag    = 16
)

// Overhead is the number of bytes sealing adds to a plaintext.
const Overhead = headerLen + gcmNonce + gcmTag

// overheadX is format 1's overhead.
const overheadX = headerLen + chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead

// KeySize is the length of a sealing key.
const KeySize = 32

// Errors.
var (
	ErrKey        = errors.New("seal: invalid key set")
	ErrUnknownKey = errors.New("seal: sealed under an unknown key")
	ErrFormat     = errors.New("seal: malformed sealed value")
	ErrOpen       = errors.New("seal: message authentication failed")
	ErrExpired    = errors.New("seal: retention limit passed")
	// ErrReseal is matched by a [*ResealError]: a value sealed in a format
	// the current mode does not open.
	ErrReseal = errors.New("seal: value must be re-sealed")
)

// ResealError reports a value sealed in a format FIPS 140-3 mode does not
// open (format 1, XChaCha20-Poly1305, which the Go Cryptographic Module
// does not approve). Open it outside FIPS mode and re-seal it
// ([Sealer.Reseal]). It matches [ErrReseal].
type ResealError struct {
	Format byte
}

// Error names the format and the rule.
func (e *ResealError) Error() string {
	return "seal: format " + strconv.Itoa(int(e.Format)) + " (XChaCha20-Poly1305) is not allowed in FIPS 140-3 mode; " +
		"re-seal the value with AES-256-GCM outside FIPS mode"
}

// Is reports whether target is [ErrReseal].
func (e *ResealError) Is(target error) bool { return target == ErrReseal }

// Sealer seals under its current key and opens under any of its keys. It is
// safe for concurrent use.
type Sealer struct {
	current uint8
	aeads   map[uint8]cipher.AEAD // AES-256-GCM with random nonces
	legacy  map[uint8]cipher.AEAD // XChaCha20-Poly1305, outside FIPS mode only
}

// New returns a Sealer. keys maps key IDs to 32-byte keys; current
// names the one new values are sealed under. Nonces come from the Go
// Cryptographic Module's random generator.
func New(current uint8, keys map[uint8][]byte) (*Sealer, error) {
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("%w: current key %d is not in the set", ErrKey, current)
	}
	s := &Sealer{current: current, aeads: make(map[uint8]cipher.AEAD, len(keys)), legacy: make(map[uint8]cipher.AEAD, len(keys))}
	for id, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("%w: key %d: want %d bytes", ErrKey, id, KeySize)
		}
		b, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %v", ErrKey, id, err)
		}
		a, err := cipher.NewGCMWithRandomNonce(b)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %v", ErrKey, id, err)
		}
		s.aeads[id] = a
		// The Go Cryptographic Module refuses XChaCha20-Poly1305 in FIPS
		// mode (x/crypto's NewX fails under fips140=only), and format 1
		// values do not open there.
		if !fips140.Enabled() {
			if s.legacy[id], err = chacha20poly1305.NewX(k); err != nil {
				return nil, fmt.Errorf("%w: key %d: %v", ErrKey, id, err)
			}
		}
	}
	return s, nil
}

// Current returns the ID of the key new values are sealed under.
func (s *Sealer) Current() uint8 { return s.current }

// Seal encrypts plaintext, bound to ad, to be opened no later than notAfter.
// A zero notAfter means no retention limit.
func (s *Sealer) Seal(plaintext, ad []byte, notAfter time.Time) []byte {
	var na int64
	if !notAfter.IsZero() {
		na = notAfter.Unix()
	}
	return s.seal(plaintext, ad, na)
}

func (s *Sealer) seal(plaintext, ad []byte, notAfter int64) []byte {
	out := make([]byte, headerLen, Overhead+len(plaintext))
	out[0], out[1] = FormatAESGCM, s.current
	binary.BigEndian.PutUint64(out[2:10], uint64(notAfter))
	// NewGCMWithRandomNonce draws the nonce and writes it before the
	// ciphertext: header || nonce || ciphertext || tag.
	return s.aeads[s.current].Seal(out, nil, plaintext, fullAD(out[:headerLen], ad))
}

// Open decrypts a value made by [Sealer.Seal] with the same ad. It returns
// [ErrExpired] once now is past the value's retention limit. The limit is
// trusted only after the header has been authenticated, so the check comes
// after decryption, and the plaintext is wiped before the error returns.
// A format 1 value opens outside FIPS mode only (a [*ResealError] in it).
func (s *Sealer) Open(sealed, ad []byte, now time.Time) ([]byte, error) {
	pt, na, err := s.open(sealed, ad)
	if err != nil {
		return nil, err
	}
	if na != 0 && now.Unix() > na {
		clear(pt)
		return nil, ErrExpired
	}
	return pt, nil
}

// open authenticates and decrypts sealed, returning the plaintext and the
// authenticated not-after field.
func (s *Sealer) open(sealed, ad []byte) ([]byte, int64, error) {
	if !wellFormed(sealed) {
		return nil, 0, ErrFormat
	}
	header := sealed[:headerLen]
	var (
		pt  []byte
		err error
	)
	switch sealed[0] {
	case FormatAESGCM:
		a, ok := s.aeads[sealed[1]]
		if !ok {
			return nil, 0, ErrUnknownKey
		}
		pt, err = a.Open(nil, nil, sealed[headerLen:], fullAD(header, ad))
	default: // FormatXChaCha, the only other format wellFormed admits
		if fips140.Enabled() {
			return nil, 0, &ResealError{Format: FormatXChaCha}
		}
		a, ok := s.legacy[sealed[1]]
		if !ok {
			return nil, 0, ErrUnknownKey
		}
		nonce := sealed[headerLen : headerLen+chacha20poly1305.NonceSizeX]
		pt, err = a.Open(nil, nonce, sealed[headerLen+len(nonce):], fullAD(header, ad))
	}
	if err != nil {
		return nil, 0, ErrOpen
	}
	return pt, int64(binary.BigEndian.Uint64(header[2:10])), nil
}

// NeedsReseal reports whether sealed is not in the current format under the
// current key: what a rotation re-seals. It reads the header only.
func (s *Sealer) NeedsReseal(sealed []byte) bool {
	return len(sealed) < headerLen || sealed[0] != Format || sealed[1] != s.current
}

// Reseal opens sealed (any format, any of the Sealer's keys) and seals the
// plaintext again in the current format under the current key, with the
// same ad and the same retention limit. It does not check the retention
// limit: a value past it is re-sealed unchanged in meaning and still
// refused by Open, and purges delete it. A format 1 value re-seals outside
// FIPS mode only.
func (s *Sealer) Reseal(sealed, ad []byte) ([]byte, error) {
	pt, na, err := s.open(sealed, ad)
	if err != nil {
		return nil, err
	}
	out := s.seal(pt, ad, na)
	clear(pt)
	return out, nil
}

// NotAfter returns the retention limit written in a sealed value's header
// (zero for none). The header is authenticated only by [Sealer.Open].
func NotAfter(sealed []byte) (time.Time, error) {
	if !wellFormed(sealed) {
		return time.Time{}, ErrFormat
	}
	na := int64(binary.BigEndian.Uint64(sealed[2:10]))
	if na == 0 {
		return time.Time{}, nil
	}
	return time.Unix(na, 0).UTC(), nil
}

// wellFormed reports whether sealed starts with a known format byte and is
// at least that format's overhead long (which includes the header).
func wellFormed(sealed []byte) bool {
	return len(sealed) >= Overhead && sealed[0] == FormatAESGCM ||
		len(sealed) >= overheadX && sealed[0] == FormatXChaCha
}

func fullAD(header, ad []byte) []byte {
	full := make([]byte, 0, len(header)+len(ad))
	return append(append(full, header...), ad...)
}
