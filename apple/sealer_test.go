package apple

import (
	"bytes"
	"context"
	"crypto/fips140"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/mdmcred/mdmcred/internal/seal"
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

// TestResealTokens: a token sealed under key 1, or in format 1
// (XChaCha20-Poly1305, outside FIPS mode), is re-sealed under key 2 for
// its own enrollment; one under a key no longer held is counted as failed;
// a nil step is refused.
func TestResealTokens(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	s1, _ := NewSealer(NewKeys(map[uint8][]byte{1: k1}), 1)
	s2, _ := NewSealer(NewKeys(map[uint8][]byte{1: k1, 2: k2}), 2)
	only2, _ := NewSealer(NewKeys(map[uint8][]byte{2: k2}), 2)
	store := map[string][]byte{}
	for _, id := range []string{"udid-1", "udid-2"} {
		store[id], _ = s1.SealToken(id, NewUnlockToken([]byte("tok-"+id)))
	}
	if !fips140.Enabled() {
		a, err := chacha20poly1305.NewX(k1)
		if err != nil {
			t.Fatal(err)
		}
		h := []byte{seal.FormatXChaCha, 1, 0, 0, 0, 0, 0, 0, 0, 0}
		nonce := bytes.Repeat([]byte{5}, chacha20poly1305.NonceSizeX)
		store["udid-3"] = a.Seal(append(bytes.Clone(h), nonce...), nonce, []byte("tok-udid-3"), append(bytes.Clone(h), tokenAD("udid-3")...))
	}
	step := func(_ context.Context, after string, limit int, reseal func(string, []byte) []byte) (string, int, int, error) {
		ids := slices.Sorted(maps.Keys(store))
		visited, replaced, last := 0, 0, after
		for _, id := range ids {
			if id <= after || visited == limit {
				continue
			}
			visited, last = visited+1, id
			if out := reseal(id, store[id]); out != nil {
				store[id] = out
				replaced++
			}
		}
		return last, visited, replaced, nil
	}
	p, err := s2.ResealTokens(context.Background(), step, nil)
	if err != nil || p != (ResealProgress{Visited: len(store), Resealed: len(store)}) {
		t.Fatalf("ResealTokens = %+v, %v", p, err)
	}
	for id, sealed := range store {
		if got, err := only2.OpenToken(id, sealed); err != nil || string(got.Reveal()) != "tok-"+id {
			t.Fatalf("token %s under key 2 alone: %v", id, err)
		}
	}
	store["udid-9"], _ = s1.SealToken("udid-9", NewUnlockToken([]byte("tok")))
	if p, err := only2.ResealTokens(context.Background(), step, nil); err != nil || p != (ResealProgress{Visited: len(store), Failed: 1}) {
		t.Fatalf("with key 1 gone: %+v, %v", p, err)
	}
	if _, err := s2.ResealTokens(context.Background(), nil, nil); err == nil {
		t.Fatal("nil step accepted")
	}
}
