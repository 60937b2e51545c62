package apple

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestSealer(t *testing.T) {
	keys := NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{1}, 32), 2: bytes.Repeat([]byte{2}, 32)})
	s1, err := NewSealer(keys, 1)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := NewSealer(keys, 2)
	tok := []byte("unlock-token-bytes\x00\xff")
	sealed, err := s1.SealToken("udid-1", NewUnlockToken(tok))
	if err != nil || bytes.Contains(sealed, tok) {
		t.Fatalf("SealToken: %v", err)
	}
	// Opens under a sealer holding the key, for the same enrollment only.
	if got, err := s2.OpenToken("udid-1", sealed); err != nil || !bytes.Equal(got.Reveal(), tok) {
		t.Fatalf("OpenToken = %v", err)
	}
	if _, err := s1.OpenToken("udid-2", sealed); !errors.Is(err, ErrSealed) {
		t.Errorf("other enrollment: %v", err)
	}
	if _, err := s1.SealToken("udid-1", UnlockToken{}); err == nil {
		t.Error("empty token sealed")
	}

	sec := Secrets{PIN: NewSecret("123456"), CurrentPassword: NewSecret("old pw"), NewPassword: NewSecret("new pw")}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ss, err := s1.SealSecrets("CMD-1", sec, now.Add(time.Hour))
	if err != nil || bytes.Contains(ss, []byte("123456")) {
		t.Fatalf("SealSecrets: %v", err)
	}
	got, err := s1.OpenSecrets("CMD-1", ss, now)
	if err != nil || got.PIN.Reveal() != "123456" || got.CurrentPassword.Reveal() != "old pw" || got.NewPassword.Reveal() != "new pw" || !got.UnlockToken.IsZero() {
		t.Fatalf("OpenSecrets = %v", err)
	}
	if _, err := s1.OpenSecrets("CMD-2", ss, now); !errors.Is(err, ErrSealed) {
		t.Errorf("other command: %v", err)
	}
	if _, err := s1.OpenSecrets("CMD-1", ss, now.Add(2*time.Hour)); !errors.Is(err, ErrSealed) {
		t.Errorf("past retention: %v", err)
	}
	ss[len(ss)-1] ^= 1
	if _, err := s1.OpenSecrets("CMD-1", ss, now); !errors.Is(err, ErrSealed) {
		t.Errorf("tampered: %v", err)
	}
	if _, err := NewSealer(keys, 3); err == nil {
		t.Error("unknown current key accepted")
	}
	if _, err := NewSealer(NewKeys(map[uint8][]byte{1: {1}}), 1); err == nil {
		t.Error("short key accepted")
	}
}
