package servicepass

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestMACStateMatchesHMAC checks the midstate HMAC against crypto/hmac over
// the documented MAC input, for device IDs of every length class.
func TestMACStateMatchesHMAC(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= MaxDeviceIDLen; n++ {
		var key [KeySize]byte
		for i := range key {
			key[i] = byte(r.Uint32())
		}
		id := strings.Repeat("x", n)
		m := newMACState(&key, id)
		for k := 0; k < 3; k++ {
			var b [payloadBytes]byte
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			in := macInput(id, &b)
			if len(in)%sha256.BlockSize != 9 || len(in) < len(macLabel)+1+n+9 {
				t.Fatalf("MAC input length %d for a %d-byte ID", len(in), n)
			}
			h := hmac.New(sha256.New, key[:])
			h.Write(in)
			want := binary.BigEndian.Uint64(h.Sum(nil)) >> (64 - MACBits)
			if got := m.tag(&b); got != want {
				t.Fatalf("ID length %d: tag %x, HMAC %x", n, got, want)
			}
		}
	}
}

// TestExpanderMatchesHKDF checks the issuer's HKDF-Expand shortcut against
// crypto/hkdf.Key through DeriveDeviceKey.
func TestExpanderMatchesHKDF(t *testing.T) {
	m, err := GenerateMasterKey(7, nil)
	if err != nil {
		t.Fatal(err)
	}
	is, err := NewIssuer(IssuerConfig{Keys: []MasterKey{m}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "device-42", strings.Repeat("z", MaxDeviceIDLen)} {
		want, _ := DeriveDeviceKey(m, id)
		var got [KeySize]byte
		ex := is.prks[0].Get().(*expander)
		ex.expand(&got, id)
		if got != *want.raw() {
			t.Fatalf("expand(%q) differs from hkdf.Key", id)
		}
	}
}
