package enrollment_test

import (
	"bytes"
	"context"
	"crypto/fips140"
	"errors"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
)

func TestMemStoreResealer(t *testing.T) {
	enrollmenttest.RunResealer(t, func(*testing.T) enrollment.Store { return enrollment.NewMemStore() })
}

// TestResealRefusals: a service without SealKeys has nothing to re-seal; a
// store without ResealRecords cannot.
func TestResealRefusals(t *testing.T) {
	ctx := context.Background()
	cfg := enrollment.Config{Store: enrollment.NewMemStore(), Alerter: nopAlerter{},
		Peppers: enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{9}, 32)}), PepperID: 1}
	noSeal, err := enrollment.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noSeal.Reseal(ctx, nil); !isParam(err, "SealKeys") {
		t.Fatalf("no SealKeys: %v", err)
	}
	cfg.Store = storeOnly{enrollment.NewMemStore()}
	cfg.SealKeys, cfg.SealKeyID = enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{1}, 32)}), 1
	plain, err := enrollment.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Reseal(ctx, nil); !isParam(err, "Store") {
		t.Fatalf("store without ResealRecords: %v", err)
	}
}

// storeOnly hides MemStore's optional capabilities.
type storeOnly struct{ enrollment.Store }

type nopAlerter struct{}

func (nopAlerter) SendLockAlert(context.Context, enrollment.Alert) error { return nil }

// TestRevealFormat1: a copy sealed in format 1 (built here from
// docs/sealed-format.md: XChaCha20-Poly1305, the AD the label, 0, the site,
// 0, the digest) is revealed outside FIPS mode; in FIPS mode Reveal
// refuses it with ErrNoReveal and ErrReseal.
func TestRevealFormat1(t *testing.T) {
	ctx := context.Background()
	key := bytes.Repeat([]byte{1}, 32)
	store := enrollment.NewMemStore()
	svc, err := enrollment.New(enrollment.Config{Store: store, Alerter: nopAlerter{},
		Peppers: enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{9}, 32)}), PepperID: 1,
		SealKeys: enrollment.NewKeys(map[uint8][]byte{1: key}), SealKeyID: 1})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := svc.Generate(ctx, "berlin", "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := store.Load(ctx, "berlin")
	header := append([]byte{1, 1}, make([]byte, 8)...) // format 1, key 1, no limit
	ad := append(append(append(append(bytes.Clone(header), "mdmcred/enrollment/passcode/v1"...), 0), "berlin\x00"...), rec.Digest...)
	nonce := bytes.Repeat([]byte{3}, chacha20poly1305.NonceSizeX)
	if fips140.Enabled() {
		rec.Sealed = append(append(header, nonce...), make([]byte, 16+12)...)
	} else {
		a, err := chacha20poly1305.NewX(key)
		if err != nil {
			t.Fatal(err)
		}
		rec.Sealed = a.Seal(append(bytes.Clone(header), nonce...), nonce, []byte(pc.Reveal()), ad)
	}
	if err := overwrite(ctx, store, rec); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Reveal(ctx, "berlin", "admin@example.com")
	switch {
	case fips140.Enabled() && (!errors.Is(err, enrollment.ErrReseal) || !errors.Is(err, enrollment.ErrNoReveal)):
		t.Fatalf("FIPS mode: %v, want ErrNoReveal and ErrReseal", err)
	case !fips140.Enabled() && (err != nil || !got.Equal(pc.Reveal())):
		t.Fatalf("outside FIPS mode: %v", err)
	}
}

// TestMemStoreResealBatches: ResealRecords visits at most limit records in
// site order after the cursor; a limit of 1 is one record, 0 none.
func TestMemStoreResealBatches(t *testing.T) {
	ctx := context.Background()
	s := enrollment.NewMemStore()
	for _, site := range []string{"b", "a"} {
		if err := s.Write(ctx, enrollment.Record{Site: site, Digest: []byte("digest-" + site), Sealed: []byte("sealed-" + site), Rev: 1}, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	reseal := func(enrollment.Record) []byte { return []byte("resealed") }
	for _, tt := range []struct {
		after, last      string
		limit, n, change int
	}{
		{"", "", 0, 0, 0},
		{"", "a", 1, 1, 1},
		{"a", "b", 1, 1, 1},
		{"b", "b", 1, 0, 0},
	} {
		last, n, changed, err := s.ResealRecords(ctx, tt.after, tt.limit, reseal)
		if err != nil || last != tt.last || n != tt.n || changed != tt.change {
			t.Fatalf("ResealRecords(%q, %d) = %q, %d, %d, %v; want %q, %d, %d", tt.after, tt.limit, last, n, changed, err, tt.last, tt.n, tt.change)
		}
	}
}
