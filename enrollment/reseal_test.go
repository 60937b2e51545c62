package enrollment_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
)

// TestReseal: after a rotation from sealing key 1 to key 2, Reseal moves
// every sealed copy to key 2 in batches with a progress report, and a
// service holding key 2 alone reveals every passcode; a second run changes
// nothing; a copy whose key is gone is counted and left.
func TestReseal(t *testing.T) {
	ctx := context.Background()
	store := enrollment.NewMemStore()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	svc := func(cur uint8, keys map[uint8][]byte) *enrollment.Service {
		s, err := enrollment.New(enrollment.Config{Store: store, Alerter: nopAlerter{},
			Admins:  func(context.Context, string) ([]string, error) { return nil, nil },
			Peppers: enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{9}, 32)}), PepperID: 1,
			SealKeys: enrollment.NewKeys(keys), SealKeyID: cur, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old := svc(1, map[uint8][]byte{1: k1})
	const n = 1200
	want := map[string]string{}
	for i := range n {
		site := fmt.Sprintf("site-%04d", i)
		pc, err := old.Generate(ctx, site, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		want[site] = pc.Reveal()
	}
	rotated := svc(2, map[uint8][]byte{1: k1, 2: k2})
	var reports []enrollment.ResealProgress
	p, err := rotated.Reseal(ctx, func(p enrollment.ResealProgress) { reports = append(reports, p) })
	if err != nil || p.Visited != n || p.Resealed != n || p.Failed != 0 || len(reports) != 2 || reports[1] != p {
		t.Fatalf("Reseal = %+v, %v; progress %+v", p, err, reports)
	}
	onlyNew := svc(2, map[uint8][]byte{2: k2})
	for site, pc := range want {
		got, err := onlyNew.Reveal(ctx, site, "admin@example.com")
		if err != nil || !got.Equal(pc) {
			t.Fatalf("%s: %v", site, err)
		}
	}
	if p, err := rotated.Reseal(ctx, nil); err != nil || p.Resealed != 0 || p.Visited != n {
		t.Fatalf("second run: %+v, %v", p, err)
	}
	// Key 1 is gone and a new copy is sealed under it elsewhere: counted, left.
	if _, err := old.Generate(ctx, "late", "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	if p, err := onlyNew.Reseal(ctx, nil); err != nil || p.Failed != 1 || p.Resealed != 0 {
		t.Fatalf("unopenable copy: %+v, %v", p, err)
	}
	noSeal, _ := enrollment.New(enrollment.Config{Store: store, Alerter: nopAlerter{},
		Admins:  func(context.Context, string) ([]string, error) { return nil, nil },
		Peppers: enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{9}, 32)}), PepperID: 1})
	if _, err := noSeal.Reseal(ctx, nil); !errors.Is(err, enrollment.ErrConfig) {
		t.Fatalf("no SealKeys: %v", err)
	}
}

type nopAlerter struct{}

func (nopAlerter) SendLockAlert(context.Context, enrollment.Alert) error { return nil }
