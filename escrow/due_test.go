package escrow_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/escrow"
)

// Due works through more due rows than one store batch holds, each once.
func TestDueManyRows(t *testing.T) {
	f := newFixture(t, nil)
	const n = 250
	for i := 0; i < n; i++ {
		r := f.activate(t, fmt.Sprintf("mac-%d", i), escrow.KindAdminPassword, fmt.Sprintf("c-%d", i))
		if _, err := f.svc.Reveal(ctx, r.ID, "admin", admin, "bulk"); err != nil {
			t.Fatal(err)
		}
	}
	rots, err := f.svc.Due(ctx, t0.Add(2*time.Hour))
	if err != nil || len(rots) != n {
		t.Fatalf("Due started %d rotations, want %d: %v", len(rots), n, err)
	}
	seen := map[string]bool{}
	for _, r := range rots {
		if seen[r.Record.DeviceID] {
			t.Fatalf("%s rotated twice", r.Record.DeviceID)
		}
		seen[r.Record.DeviceID] = true
	}
}

// A row due for a rotation this Service cannot run (its kind was dropped
// from the Config) is left alone, and Due still returns.
func TestDueUnknownKind(t *testing.T) {
	f := newFixture(t, nil)
	r := f.activate(t, "mac-1", escrow.KindAdminPassword, "c1")
	if _, err := f.svc.Reveal(ctx, r.ID, "admin", admin, "x"); err != nil {
		t.Fatal(err)
	}
	other, err := escrow.New(escrow.Config{Store: f.store, SealKeys: escrow.NewKeys(map[uint8][]byte{1: make([]byte, 32)}),
		SealKeyID: 1, Kinds: []escrow.Kind{escrow.DeviceLockPIN()}})
	if err != nil {
		t.Fatal(err)
	}
	rots, err := other.Due(ctx, t0.Add(2*time.Hour))
	if err != nil || len(rots) != 0 {
		t.Fatalf("Due = %+v, %v", rots, err)
	}
	if rots, _ := f.svc.Due(ctx, t0.Add(2*time.Hour)); len(rots) != 1 {
		t.Fatalf("the Service that knows the kind started %d rotations", len(rots))
	}
}
