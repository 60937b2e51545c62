package vault

import (
	"crypto/aes"
	"encoding/binary"
	"errors"
)

// wrapKWP wraps plaintext under kek with AES Key Wrap with Padding
// (RFC 5649, NIST SP 800-38F KWP), as Transit's key import unwraps it.
func wrapKWP(kek, plaintext []byte) ([]byte, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	if len(plaintext) == 0 || len(plaintext) > 1<<31 {
		return nil, errors.New("vault: KWP takes 1 byte to 2 GiB")
	}
	n := (len(plaintext) + 7) / 8
	r := make([]byte, 8*n) // the padded plaintext, zero bytes after it
	copy(r, plaintext)
	var a [8]byte // the alternative initial value: A65959A6 || length
	binary.BigEndian.PutUint32(a[:4], 0xA65959A6)
	binary.BigEndian.PutUint32(a[4:], uint32(len(plaintext)))

	var b [16]byte
	if n == 1 {
		copy(b[:8], a[:])
		copy(b[8:], r)
		block.Encrypt(b[:], b[:])
		return b[:], nil
	}
	// RFC 3394's wrapping process W with A = the alternative IV.
	for j := 0; j < 6; j++ {
		for i := 0; i < n; i++ {
			copy(b[:8], a[:])
			copy(b[8:], r[8*i:8*i+8])
			block.Encrypt(b[:], b[:])
			t := uint64(n*j + i + 1)
			binary.BigEndian.PutUint64(a[:], binary.BigEndian.Uint64(b[:8])^t)
			copy(r[8*i:8*i+8], b[8:])
		}
	}
	return append(a[:], r...), nil
}
