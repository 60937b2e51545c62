package passcode

import (
	"bytes"
	"context"
	"crypto/fips140"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/mdmcred/mdmcred/internal/seal"
)

// sealFormat1 seals pt for r as earlier releases did (docs/sealed-format.md
// format 1, XChaCha20-Poly1305), outside FIPS mode.
func sealFormat1(t *testing.T, key []byte, id uint8, r Reset, pt string) []byte {
	t.Helper()
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		t.Fatal(err)
	}
	h := []byte{seal.FormatXChaCha, id, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(h[2:], uint64(r.RetainUntil.Unix()))
	nonce := bytes.Repeat([]byte{7}, chacha20poly1305.NonceSizeX)
	return a.Seal(append(bytes.Clone(h), nonce...), nonce, []byte(pt), append(bytes.Clone(h), sealAD(r)...))
}

// TestReseal: after a rotation from key 1 to key 2, Reseal moves every
// sealed passcode (format 1 ones included, outside FIPS mode) to format 2
// under key 2, in batches with a progress report; a service holding key 2
// alone then shows every passcode. Run again, it changes nothing.
func TestReseal(t *testing.T) {
	ctx := context.Background()
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	store := NewMemStore()
	svc := func(cur uint8, keys map[uint8][]byte) *Service {
		s, err := New(Config{Store: store, SealKeys: NewKeys(keys), SealKeyID: cur, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	old := svc(1, map[uint8][]byte{1: k1})
	const n = 2500 // three batches
	want := map[string]string{}
	for i := range n {
		dev := Device{ID: fmt.Sprintf("dev-%04d", i), Platform: AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true, Owner: "anna"}
		res, err := old.Request(ctx, ResetRequest{Device: dev, Actor: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		want[res.Reset.ID] = res.Passcode.Reveal()
	}
	// One reset sealed in format 1, as an earlier release left it.
	var legacyID string
	if !fips140.Enabled() {
		for id, pc := range want {
			r := store.resets[id]
			r.Sealed = sealFormat1(t, k1, 1, *r, pc)
			legacyID = id
			break
		}
	}
	rotated := svc(2, map[uint8][]byte{1: k1, 2: k2})
	var reports []ResealProgress
	p, err := rotated.Reseal(ctx, func(p ResealProgress) { reports = append(reports, p) })
	if err != nil || p.Visited != n || p.Resealed != n || p.Failed != 0 {
		t.Fatalf("Reseal = %+v, %v", p, err)
	}
	if len(reports) != 3 || reports[0].Visited != 1000 || reports[2] != p {
		t.Fatalf("progress %+v", reports)
	}
	for id := range want {
		if s := store.resets[id].Sealed; s[0] != seal.FormatAESGCM || s[1] != 2 {
			t.Fatalf("reset %s sealed %x", id, s[:2])
		}
	}
	onlyNew := svc(2, map[uint8][]byte{2: k2})
	for id, pc := range want {
		got, err := onlyNew.Reveal(ctx, id, Viewer{ID: "admin"})
		if err != nil || !got.Equal(pc) {
			t.Fatalf("reset %s (legacy %v): %v", id, id == legacyID, err)
		}
	}
	if p, err := rotated.Reseal(ctx, nil); err != nil || p.Visited != n || p.Resealed != 0 {
		t.Fatalf("second run: %+v, %v", p, err)
	}
}

// TestResealFailures: a value that does not open (its key already removed)
// is counted and left; a store without ResealResets, a nil or done context
// are refused.
func TestResealFailures(t *testing.T) {
	ctx := context.Background()
	store := NewMemStore()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	s1, _ := New(Config{Store: store, SealKeys: NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{1}, 32)}), SealKeyID: 1, Now: func() time.Time { return now }})
	dev := Device{ID: "d", Platform: AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true, Owner: "anna"}
	if _, err := s1.Request(ctx, ResetRequest{Device: dev, Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	s2, _ := New(Config{Store: store, SealKeys: NewKeys(map[uint8][]byte{2: bytes.Repeat([]byte{2}, 32)}), SealKeyID: 2, Now: func() time.Time { return now }})
	if p, err := s2.Reseal(ctx, nil); err != nil || p.Visited != 1 || p.Failed != 1 || p.Resealed != 0 {
		t.Fatalf("Reseal = %+v, %v", p, err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s2.Reseal(done, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("done context: %v", err)
	}
	var nilCtx context.Context
	if _, err := s2.Reseal(nilCtx, nil); err == nil {
		t.Fatal("nil context accepted")
	}
	s3, _ := New(Config{Store: storeOnly{store}, SealKeys: NewKeys(map[uint8][]byte{2: bytes.Repeat([]byte{2}, 32)}), SealKeyID: 2})
	if _, err := s3.Reseal(ctx, nil); !isParamErr(err, "Store") {
		t.Fatalf("store without ResealResets: %v", err)
	}
}

// storeOnly hides MemStore's optional capabilities.
type storeOnly struct{ Store }

// TestRevealFormat1: a passcode sealed in format 1 (built here from
// docs/sealed-format.md) shows outside FIPS mode; in FIPS mode Reveal
// refuses it with ErrReseal.
func TestRevealFormat1(t *testing.T) {
	ctx := context.Background()
	key := bytes.Repeat([]byte{1}, 32)
	store := NewMemStore()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	svc, err := New(Config{Store: store, SealKeys: NewKeys(map[uint8][]byte{1: key}), SealKeyID: 1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	dev := Device{ID: "d", Platform: AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true, Owner: "anna"}
	res, err := svc.Request(ctx, ResetRequest{Device: dev, Actor: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	r := store.resets[res.Reset.ID]
	if fips140.Enabled() {
		// The header alone decides: FIPS mode refuses format 1 before any
		// decryption (x/crypto's XChaCha20-Poly1305 is refused there).
		r.Sealed = append([]byte{seal.FormatXChaCha, 1}, make([]byte, 48+8)...)
	} else {
		r.Sealed = sealFormat1(t, key, 1, *r, res.Passcode.Reveal())
	}
	pc, err := svc.Reveal(ctx, res.Reset.ID, Viewer{ID: "admin"})
	switch {
	case fips140.Enabled() && !errors.Is(err, ErrReseal):
		t.Fatalf("FIPS mode: %v, want ErrReseal", err)
	case !fips140.Enabled() && (err != nil || !pc.Equal(res.Passcode.Reveal())):
		t.Fatalf("outside FIPS mode: %v", err)
	}
}

// isParamErr reports whether err is a *ParamError on field that matches
// ErrParams.
func isParamErr(err error, field string) bool {
	var pe *ParamError
	return errors.As(err, &pe) && pe.Field == field && errors.Is(err, ErrParams)
}

// ResealResets visits the resets after after, in ID order, at most limit
// of them: the exact bounds of both.
func TestMemStoreResealResetsBounds(t *testing.T) {
	ctx := context.Background()
	m := NewMemStore()
	for _, id := range []string{"a", "b", "c"} {
		if err := m.Write(ctx, Reset{ID: id, DeviceID: "d-" + id, Sealed: []byte{1}, Rev: 1}, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		after        string
		limit        int
		last         string
		visited, mod int
	}{
		{"", 1, "a", 1, 1},
		{"a", 1, "b", 1, 1},
		{"a", 2, "c", 2, 2},
		{"b", 10, "c", 1, 1},
		{"c", 10, "c", 0, 0},
		{"a", 0, "a", 0, 0},
	} {
		var seen []string
		last, visited, changed, err := m.ResealResets(ctx, tc.after, tc.limit, func(r Reset) []byte {
			seen = append(seen, r.ID)
			return []byte{2}
		})
		if err != nil || last != tc.last || visited != tc.visited || changed != tc.mod || len(seen) != tc.visited {
			t.Errorf("ResealResets(%q, %d) = %q, %d, %d, %v (saw %v); want %q, %d, %d", tc.after, tc.limit, last, visited, changed, err, seen, tc.last, tc.visited, tc.mod)
		}
	}
	for _, id := range []string{"a", "b", "c"} {
		if r, _ := m.Load(ctx, id); r.Rev < 2 {
			t.Errorf("reset %s re-sealed at revision %d", id, r.Rev)
		}
	}
}
