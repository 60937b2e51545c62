package apple

import (
	"bytes"
	"crypto/fips140"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/hex"
	"testing"
	"time"
)

// Vectors computed independently of Go, with OpenSSL's PBKDF2 through
// Python's hashlib.pbkdf2_hmac('sha512', password, salt, iterations, n).
// The first is the widely published PBKDF2-HMAC-SHA512 vector ("password",
// "salt", 1 iteration, 64 bytes); the last is the shape ShadowHash uses
// (32-byte salt 00 01 .. 1f, 20000 iterations, 128 bytes).
var pbkdf2Vectors = []struct {
	password, salt string
	iter, n        int
	want           string
}{
	{"password", "salt", 1, 64, "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce"},
	{"password", "salt", 2, 64, "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53cf76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e"},
}

const shadowVector = "6ebc4cb4b03b0c1f12ed2552ae3c03513b41a426097ce0577f261f927c4107de1b3ee7f3c7716ad048b6add664f2cd48370b870aab77eff8305d189d2d4cbd32307fc26e470eefd2485cc400d31e2f9604bd9896f0f81eb1ee280a74c90b26d0c15081f4765f5fb096797cc349ced33e7491560af63ac5ffc0225705f6a2fb93"

func seqSalt() []byte {
	s := make([]byte, SaltSize)
	for i := range s {
		s[i] = byte(i)
	}
	return s
}

// The published vectors use a 4-byte salt, which FIPS 140-3 mode refuses
// (ShadowHash's salts are 32 bytes: TestShadowHashVector runs in both modes).
func TestPBKDF2Vectors(t *testing.T) {
	for _, v := range pbkdf2Vectors {
		k, err := pbkdf2.Key(sha512.New, v.password, []byte(v.salt), v.iter, v.n)
		if fips140.Enabled() {
			if err == nil {
				t.Errorf("FIPS 140-3 mode: PBKDF2 with a %d-byte salt = %x, want refused", len(v.salt), k)
			}
			continue
		}
		if err != nil || hex.EncodeToString(k) != v.want {
			t.Errorf("PBKDF2(%q, %q, %d) = %x, %v", v.password, v.salt, v.iter, k, err)
		}
	}
}

func TestShadowHashVector(t *testing.T) {
	h, err := ShadowHashWithSalt(NewSecret("correct horse"), seqSalt(), 20000)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(h.Entropy) != shadowVector || !bytes.Equal(h.Salt, seqSalt()) || h.Iterations != 20000 {
		t.Fatalf("ShadowHash = %x", h.Entropy)
	}
	v, err := decodePlist(h.Plist())
	if err != nil {
		t.Fatal(err)
	}
	d := v.(map[string]any)["SALTED-SHA512-PBKDF2"].(map[string]any)
	if len(d) != 3 || !bytes.Equal(d["entropy"].([]byte), h.Entropy) || !bytes.Equal(d["salt"].([]byte), h.Salt) || d["iterations"] != int64(20000) {
		t.Errorf("ShadowHashData = %v", d)
	}
	if bytes.Contains(h.Plist(), []byte("correct horse")) {
		t.Error("the password is in the hash plist")
	}
}

func TestHashAdminPassword(t *testing.T) {
	h, err := HashAdminPassword(NewSecret("correct horse"), 20000, bytes.NewReader(seqSalt()))
	if err != nil || hex.EncodeToString(h.Entropy) != shadowVector {
		t.Fatalf("HashAdminPassword = %x, %v", h.Entropy, err)
	}
	a, _ := HashAdminPassword(NewSecret("x"), MinIterations, nil)
	b, _ := HashAdminPassword(NewSecret("x"), MinIterations, nil)
	if bytes.Equal(a.Salt, b.Salt) || bytes.Equal(a.Entropy, b.Entropy) {
		t.Error("two hashes share a salt")
	}
	for _, tt := range []struct {
		pw   string
		salt []byte
		iter int
	}{
		{"", seqSalt(), MinIterations},
		{"x", seqSalt()[:31], MinIterations},
		{"x", seqSalt(), MinIterations - 1},
		{"x", seqSalt(), MaxIterations + 1},
	} {
		if _, err := ShadowHashWithSalt(NewSecret(tt.pw), tt.salt, tt.iter); err == nil {
			t.Errorf("%q, %d-byte salt, %d iterations: no error", tt.pw, len(tt.salt), tt.iter)
		}
	}
	if _, err := HashAdminPassword(NewSecret("x"), MinIterations, bytes.NewReader(nil)); err == nil {
		t.Error("empty reader: no error")
	}
}

func TestScaleIterations(t *testing.T) {
	for _, tt := range []struct {
		probe        int
		took, target time.Duration
		want         int
	}{
		{2000, time.Millisecond, 100 * time.Millisecond, 200000},
		{2000, 100 * time.Millisecond, 100 * time.Millisecond, MinIterations},
		{2000, time.Nanosecond, time.Second, MaxIterations},
		{2000, 0, time.Second, MaxIterations},
		{2000, 4 * time.Millisecond, 100 * time.Millisecond, 50000},
	} {
		if got := scaleIterations(tt.probe, tt.took, tt.target); got != tt.want {
			t.Errorf("scale(%d, %v, %v) = %d, want %d", tt.probe, tt.took, tt.target, got, tt.want)
		}
	}
	if n := CalibrateIterations(0); n < MinIterations || n > MaxIterations {
		t.Errorf("CalibrateIterations = %d", n)
	}
}
