package nanomdm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/micromdm/nanomdm/service"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/apple/nanomdm"
	"github.com/mdmcred/mdmcred/passcode"
)

func newSealer(t *testing.T, cur uint8, keys map[uint8][]byte) *apple.Sealer {
	t.Helper()
	s, err := apple.NewSealer(apple.NewKeys(keys), cur)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestResealTokensAfterRotation: the sealing key rotates from key 1 to
// key 2 (the host redeploys with both, key 2 current), ResealTokens
// re-seals every UnlockToken in batches with a progress report, key 1 is
// retired (the host redeploys with key 2 alone), and a device's
// ClearPasscode still carries its own UnlockToken; each token opens for
// its own enrollment only and keeps its time.
func TestResealTokensAfterRotation(t *testing.T) {
	h := newHarness(t) // sealer: key(2) as key ID 1
	token := []byte("UNLOCK-" + randHex(24))
	phone := h.enroll("iPhone", token)
	at, err := h.mw.UnlockTokenAt(ctx, phone.udid)
	if err != nil {
		t.Fatal(err)
	}
	// More tokens than a batch, sealed under key 1 as the first
	// deployment did.
	k1, k2 := key(2), key(9)
	old := newSealer(t, 1, map[uint8][]byte{1: k1})
	const extra = 1100
	for i := range extra {
		id := fmt.Sprintf("enr-%05d", i)
		sealed, err := old.SealToken(id, apple.NewUnlockToken([]byte("token-"+id)))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.tokens.PutToken(ctx, id, sealed, at); err != nil {
			t.Fatal(err)
		}
	}

	h.restart(newSealer(t, 2, map[uint8][]byte{1: k1, 2: k2}))
	var reports []apple.ResealProgress
	p, err := h.mw.ResealTokens(ctx, func(p apple.ResealProgress) { reports = append(reports, p) })
	if want := (apple.ResealProgress{Visited: extra + 1, Resealed: extra + 1}); err != nil || p != want {
		t.Fatalf("ResealTokens = %+v, %v; want %+v", p, err, want)
	}
	if len(reports) != 2 || reports[0].Visited != 1000 || reports[1] != p {
		t.Fatalf("progress %+v", reports)
	}
	if p, err := h.mw.ResealTokens(ctx, nil); err != nil || p != (apple.ResealProgress{Visited: extra + 1}) {
		t.Fatalf("second run: %+v, %v", p, err)
	}

	retired := newSealer(t, 2, map[uint8][]byte{2: k2})
	h.restart(retired)
	for i := range extra {
		id := fmt.Sprintf("enr-%05d", i)
		sealed, _, err := h.tokens.Token(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if tok, err := retired.OpenToken(id, sealed); err != nil || !bytes.Equal(tok.Reveal(), []byte("token-"+id)) {
			t.Fatalf("token of %s under key 2 alone: %v", id, err)
		}
		if _, err := retired.OpenToken("enr-other", sealed); !errors.Is(err, apple.ErrSealed) {
			t.Fatalf("token of %s opened for another enrollment: %v", id, err)
		}
	}
	if got, err := h.mw.UnlockTokenAt(ctx, phone.udid); err != nil || !got.Equal(at) {
		t.Fatalf("UnlockTokenAt = %v, %v; want %v", got, err, at)
	}
	res, err := h.resets.Request(ctx, passcode.ResetRequest{Device: passcode.Device{ID: phone.udid, Platform: passcode.IOS, UnlockTokenEscrowed: true}, Actor: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	clear, _ := apple.NewClearPasscode(newUUID(t))
	h.queue(phone, clear, res.Reset.ID, apple.Secrets{})
	cmd := phone.poll()
	if cmd == nil || cmd.RequestType != "ClearPasscode" || cmd.UUID != clear.UUID {
		t.Fatalf("device got %+v", cmd)
	}
	if got, _ := cmd.Body["UnlockToken"].([]byte); !bytes.Equal(got, token) {
		t.Fatalf("UnlockToken delivered %q after the rotation, want the device's own", got)
	}
	if next := phone.report("Acknowledged", cmd.UUID, nil); next != nil {
		t.Fatalf("unexpected command %+v", next)
	}
	if s := h.state(res.Reset.ID); s != passcode.Succeeded {
		t.Fatalf("reset %s, want succeeded", s)
	}
}

// TestResealTokensControl: without the re-seal, retiring key 1 leaves the
// device's token unopenable and its ClearPasscode is not sent; a token
// under a key the Sealer no longer holds is counted as failed and left.
func TestResealTokensControl(t *testing.T) {
	h := newHarness(t)
	phone := h.enroll("iPhone", []byte("UNLOCK-"+randHex(24)))
	h.restart(newSealer(t, 2, map[uint8][]byte{2: key(9)}))
	before, _, _ := h.tokens.Token(ctx, phone.udid)
	p, err := h.mw.ResealTokens(ctx, nil)
	if err != nil || p != (apple.ResealProgress{Visited: 1, Failed: 1}) {
		t.Fatalf("ResealTokens = %+v, %v", p, err)
	}
	if after, _, _ := h.tokens.Token(ctx, phone.udid); !bytes.Equal(after, before) {
		t.Fatal("an unopenable token was changed")
	}
	res, err := h.resets.Request(ctx, passcode.ResetRequest{Device: passcode.Device{ID: phone.udid, Platform: passcode.IOS, UnlockTokenEscrowed: true}, Actor: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	clear, _ := apple.NewClearPasscode(newUUID(t))
	h.queue(phone, clear, res.Reset.ID, apple.Secrets{})
	if cmd := phone.poll(); cmd != nil {
		t.Fatalf("a command went out with a token the Sealer cannot open: %+v", cmd)
	}
	if s := h.state(res.Reset.ID); s != passcode.Failed {
		t.Fatalf("reset %s, want failed", s)
	}
}

// onlyTokens is a TokenStore without the re-seal capability.
type onlyTokens struct{ nanomdm.TokenStore }

// TestMemTokenStoreReseal: a token a TokenUpdate replaces while the
// re-seal holds it is left as the TokenUpdate wrote it; a store without
// ResealTokens, a nil or a done context are refused.
func TestMemTokenStoreReseal(t *testing.T) {
	s := nanomdm.NewMemTokenStore()
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for _, id := range []string{"b", "a", "c"} {
		if err := s.PutToken(ctx, id, []byte("old-"+id), t0); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	last, visited, changed, err := s.ResealTokens(ctx, "a", 10, func(id string, sealed []byte) []byte {
		seen = append(seen, id+"="+string(sealed))
		if id == "b" {
			if err := s.PutToken(ctx, "b", []byte("update-b"), t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		return []byte("new-" + id)
	})
	if err != nil || last != "c" || visited != 2 || changed != 1 || fmt.Sprint(seen) != "[b=old-b c=old-c]" {
		t.Fatalf("ResealTokens = %q, %d, %d, %v; saw %v", last, visited, changed, err, seen)
	}
	for id, want := range map[string]string{"a": "old-a", "b": "update-b", "c": "new-c"} {
		got, at, err := s.Token(ctx, id)
		if err != nil || string(got) != want {
			t.Errorf("token %s = %q, %v; want %q", id, got, err, want)
		}
		if id == "c" && !at.Equal(t0) {
			t.Errorf("re-seal moved the token's time to %v", at)
		}
	}
	if last, visited, _, err := s.ResealTokens(ctx, "", 1, func(string, []byte) []byte { return nil }); err != nil || last != "a" || visited != 1 {
		t.Errorf("limit 1: %q, %d, %v", last, visited, err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, _, err := s.ResealTokens(done, "", 10, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("done context: %v", err)
	}
	var nilCtx context.Context
	if _, _, _, err := s.ResealTokens(nilCtx, "", 10, nil); !errors.Is(err, apple.ErrNilContext) {
		t.Errorf("nil context: %v", err)
	}
	sealer := newSealer(t, 1, map[uint8][]byte{1: key(1)})
	mw, err := nanomdm.New(&service.NopService{}, nanomdm.Config{Source: nanomdm.NewMemSource(sealer, nil), Tokens: onlyTokens{s}, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mw.ResealTokens(ctx, nil); !errors.Is(err, nanomdm.ErrNotResealer) {
		t.Errorf("store without ResealTokens: %v", err)
	}
	if _, err := mw.ResealTokens(nilCtx, nil); !errors.Is(err, apple.ErrNilContext) {
		t.Errorf("Service.ResealTokens with a nil context: %v", err)
	}
}
