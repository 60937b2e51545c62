package escrow

import (
	"crypto/fips140"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	cryptorand "crypto/rand"
)

// Apple's Activation Lock bypass code format (Apple's "Creating and using
// bypass codes"; the same algorithm as micromdm/nanodep's albc package,
// whose vectors the tests run): 16 random bytes written as 26 symbols of
// [BypassAlphabet], 5 bits each from the most significant bit on; the
// 26th symbol holds the last 3 bits as a value 0 to 7 (not padded to 5);
// groups of 5-5-4-4-4-4 joined by hyphens. The device (through Apple's
// activation lock service) receives the hex PBKDF2-HMAC-SHA256 of the 16
// bytes, with a salt of four zero bytes and 50,000 iterations.
const (
	// BypassAlphabet is Apple's 32 symbols: no B, I, O or S.
	BypassAlphabet = "0123456789ACDEFGHJKLMNPQRTUVWXYZ"
	// BypassCodeLen is the length of a bypass code with its hyphens.
	BypassCodeLen = 31

	bypassSymbols    = 26
	bypassIterations = 50000
)

// ErrBypassCode: a text is not a bypass code in Apple's format. Returned
// by [BypassHash] and by the kind's Validate, wrapped with the reason.
var ErrBypassCode = errors.New("escrow: malformed activation lock bypass code")

// ErrFIPS: [BypassHash] in FIPS 140-3 mode (GODEBUG=fips140=only). Apple
// fixes the hash as PBKDF2 with a 4-byte salt, and the Go Cryptographic
// Module refuses salts under 128 bits, so a FIPS deployment computes bypass
// hashes outside its FIPS boundary or not at all (docs/keys.md).
var ErrFIPS = errors.New("escrow: refused in FIPS 140-3 mode")

// NewBypassCode draws 16 bytes from r (crypto/rand.Reader when nil) and
// returns them as a bypass code: "3UM43-PUYVY-QYD1-UVCC-HEHJ-FKA4". It is
// [ActivationLockBypass]'s generator.
func NewBypassCode(r io.Reader) (Secret, error) {
	if r == nil {
		r = cryptorand.Reader
	}
	var raw [16]byte
	if _, err := io.ReadFull(r, raw[:]); err != nil {
		return Secret{}, fmt.Errorf("escrow: reading randomness: %w", err)
	}
	s := formatBypassCode(raw)
	clear(raw[:])
	return NewSecret(s), nil
}

// BypassHash returns what the device receives for a bypass code: the hex
// PBKDF2-HMAC-SHA256 of its 16 bytes (salt 00000000, 50,000 iterations).
// The code is read case-insensitively, its hyphens and spaces ignored; a
// text that is not a bypass code gives an error matching [ErrBypassCode]. In
// FIPS 140-3 mode it is refused with an error matching [ErrFIPS].
func BypassHash(code Secret) (string, error) {
	raw, err := parseBypassCode(code.Reveal())
	if err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, string(raw[:]), []byte{0, 0, 0, 0}, bypassIterations, sha256.Size)
	clear(raw[:])
	if fips140.Enabled() {
		return "", fmt.Errorf("%w: Apple's bypass hash is PBKDF2 with a 4-byte salt, under FIPS 140-3's 128 bits", ErrFIPS)
	}
	if err != nil {
		return "", fmt.Errorf("escrow: bypass hash: %w", err)
	}
	return hex.EncodeToString(key), nil
}

// formatBypassCode writes raw as 26 symbols in 5-5-4-4-4-4 groups.
func formatBypassCode(raw [16]byte) string {
	out := make([]byte, 0, BypassCodeLen)
	for i := 0; i < bypassSymbols; i++ {
		if i == 5 || i == 10 || i == 14 || i == 18 || i == 22 {
			out = append(out, '-')
		}
		out = append(out, BypassAlphabet[symbolAt(raw, i)])
	}
	return string(out)
}

// symbolAt returns symbol i: bits 5i to 5i+4 of raw, most significant
// first; the last symbol is the 3 remaining bits as a value.
func symbolAt(raw [16]byte, i int) byte {
	if i == bypassSymbols-1 {
		return raw[15] & 7
	}
	var v byte
	for b := 5 * i; b < 5*i+5; b++ {
		v = v<<1 | raw[b/8]>>(7-b%8)&1
	}
	return v
}

// parseBypassCode reads a bypass code: 26 symbols of BypassAlphabet in
// either case, hyphens and spaces ignored anywhere, the last symbol 0 to
// 7. It is the inverse of formatBypassCode on every code that function
// writes.
func parseBypassCode(s string) ([16]byte, error) {
	var raw [16]byte
	if len(s) > 4*BypassCodeLen {
		return raw, fmt.Errorf("%w: %d bytes", ErrBypassCode, len(s))
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == ' ' {
			continue
		}
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		v := symbolValue(c)
		if v < 0 {
			return raw, fmt.Errorf("%w: a character outside the alphabet at byte %d", ErrBypassCode, i)
		}
		if n == bypassSymbols {
			return raw, fmt.Errorf("%w: more than %d symbols", ErrBypassCode, bypassSymbols)
		}
		if n == bypassSymbols-1 {
			if v > 7 {
				return raw, fmt.Errorf("%w: the last symbol must be 0 to 7", ErrBypassCode)
			}
			raw[15] |= byte(v)
		} else {
			for k := 0; k < 5; k++ {
				b := 5*n + k
				raw[b/8] |= byte(v>>(4-k)&1) << (7 - b%8)
			}
		}
		n++
	}
	if n != bypassSymbols {
		return [16]byte{}, fmt.Errorf("%w: %d symbols, want %d", ErrBypassCode, n, bypassSymbols)
	}
	return raw, nil
}

func symbolValue(c byte) int {
	for i := 0; i < len(BypassAlphabet); i++ {
		if BypassAlphabet[i] == c {
			return i
		}
	}
	return -1
}
