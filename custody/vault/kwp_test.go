package vault

import (
	"bytes"
	"crypto/aes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// unwrapKWP is RFC 5649's unwrapping, as the fake Transit server (and
// Vault) runs it.
func unwrapKWP(kek, c []byte) ([]byte, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	if len(c) < 16 || len(c)%8 != 0 {
		return nil, errors.New("kwp: bad length")
	}
	n := len(c)/8 - 1
	var a [8]byte
	r := make([]byte, 8*n)
	var b [16]byte
	if n == 1 {
		block.Decrypt(b[:], c)
		copy(a[:], b[:8])
		copy(r, b[8:])
	} else {
		copy(a[:], c[:8])
		copy(r, c[8:])
		for j := 5; j >= 0; j-- {
			for i := n - 1; i >= 0; i-- {
				t := uint64(n*j + i + 1)
				binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(a[:])^t)
				copy(b[8:], r[8*i:8*i+8])
				block.Decrypt(b[:], b[:])
				copy(a[:], b[:8])
				copy(r[8*i:8*i+8], b[8:])
			}
		}
	}
	if binary.BigEndian.Uint32(a[:4]) != 0xA65959A6 {
		return nil, errors.New("kwp: integrity check failed")
	}
	mli := int(binary.BigEndian.Uint32(a[4:]))
	if mli <= 8*(n-1) || mli > 8*n {
		return nil, errors.New("kwp: bad length indicator")
	}
	for _, p := range r[mli:] {
		if p != 0 {
			return nil, errors.New("kwp: bad padding")
		}
	}
	return r[:mli], nil
}

var UnwrapKWP = unwrapKWP

func mustHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 5649 section 6's two examples.
func TestKWPVectors(t *testing.T) {
	kek := mustHex(t, "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")
	tests := []struct{ key, wrapped string }{
		{"c37b7e6492584340bed12207808941155068f738", "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"},
		{"466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"},
	}
	for _, tt := range tests {
		got, err := wrapKWP(kek, mustHex(t, tt.key))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got) != tt.wrapped {
			t.Errorf("wrap %s: %x, want %s", tt.key, got, tt.wrapped)
		}
		back, err := unwrapKWP(kek, got)
		if err != nil || hex.EncodeToString(back) != tt.key {
			t.Errorf("unwrap %s: %x, %v", tt.wrapped, back, err)
		}
	}
	if _, err := wrapKWP(kek, nil); err == nil {
		t.Error("wrapped nothing")
	}
	if _, err := wrapKWP(kek[:5], []byte("x")); err == nil {
		t.Error("wrapped under a 5-byte key")
	}
}

// For all keys and plaintexts: unwrap(wrap(p)) = p, and a flipped bit is
// caught.
func TestKWPRoundTrip(t *testing.T) {
	props := gopter.NewProperties(nil)
	props.Property("unwrap(wrap(p)) = p; a flipped bit fails", prop.ForAll(
		func(kek, p []byte, flip int) bool {
			w, err := wrapKWP(kek, p)
			if err != nil {
				return false
			}
			back, err := unwrapKWP(kek, w)
			if err != nil || !bytes.Equal(back, p) {
				return false
			}
			w[flip%len(w)] ^= 1 << (flip % 8)
			_, err = unwrapKWP(kek, w)
			return err != nil
		},
		gen.SliceOfN(32, gen.UInt8()),
		gen.SliceOf(gen.UInt8()).SuchThat(func(p []byte) bool { return len(p) > 0 }),
		gen.IntRange(0, 1<<20),
	))
	props.TestingRun(t)
}
