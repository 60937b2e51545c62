package passcodetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/passcode"
)

// ResealResets is how many resets [RunResealer] seals: more than one
// batch (1,000) of a re-seal.
const ResealResets = 1100

// RunResealer runs the conformance suite for a store's [passcode.Resealer]
// capability through [passcode.Service.Reseal]: after a sealing key
// rotation every sealed passcode is re-sealed under the new key in batches
// (progress after each), a service holding the new key alone shows every
// passcode, a second run changes nothing, transitions racing the re-seal
// are not lost, and a passcode sealed under a key the service no longer
// holds is counted as failed and left. newStore must return a new, empty
// store on each call, and the store must implement Resealer.
func RunResealer(t *testing.T, newStore func(t *testing.T) passcode.Store) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	k1, k2 := bytes.Repeat([]byte{0x51}, 32), bytes.Repeat([]byte{0x52}, 32)
	service := func(t *testing.T, s passcode.Store, cur uint8, keys map[uint8][]byte) *passcode.Service {
		t.Helper()
		svc, err := passcode.New(passcode.Config{Store: s, Mailer: nopMailer{}, SealKeys: passcode.NewKeys(keys), SealKeyID: cur,
			Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	request := func(t *testing.T, svc *passcode.Service, n int) map[string]string {
		t.Helper()
		want := make(map[string]string, n)
		for i := range n {
			dev := passcode.Device{ID: fmt.Sprintf("reseal-%05d", i), Platform: passcode.AndroidDeviceOwner, APILevel: 34,
				ResetTokenActive: true, Owner: "anna"}
			res, err := svc.Request(ctx, passcode.ResetRequest{Device: dev, Actor: "admin"})
			if err != nil {
				t.Fatalf("Request: %v", err)
			}
			want[res.Reset.ID] = res.Passcode.Reveal()
		}
		return want
	}
	t.Run("RotationInBatches", func(t *testing.T) {
		s := newStore(t)
		if _, ok := s.(passcode.Resealer); !ok {
			t.Fatalf("%T does not implement passcode.Resealer", s)
		}
		want := request(t, service(t, s, 1, map[uint8][]byte{1: k1}), ResealResets)
		rotated := service(t, s, 2, map[uint8][]byte{1: k1, 2: k2})
		// Transitions race the re-seal; none may be lost.
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range want {
				if _, err := rotated.Transition(ctx, id, passcode.Pending, "mdm"); err != nil {
					t.Errorf("Transition(%s): %v", id, err)
					return
				}
			}
		}()
		var reports []passcode.ResealProgress
		p, err := rotated.Reseal(ctx, func(p passcode.ResealProgress) { reports = append(reports, p) })
		wg.Wait()
		if err != nil || p.Visited != ResealResets || p.Failed != 0 || p.Resealed != ResealResets {
			t.Fatalf("Reseal = %+v, %v", p, err)
		}
		if len(reports) != 2 || reports[0].Visited != 1000 || reports[1] != p {
			t.Fatalf("progress %+v", reports)
		}
		onlyNew := service(t, s, 2, map[uint8][]byte{2: k2})
		for id, pc := range want {
			got, err := onlyNew.Reveal(ctx, id, passcode.Viewer{ID: "admin"})
			if err != nil || !got.Equal(pc) {
				t.Fatalf("Reveal(%s) under the new key alone: %v", id, err)
			}
			r, err := s.Load(ctx, id)
			if err != nil || r.State != passcode.Pending {
				t.Fatalf("reset %s: state %v, %v: a transition was lost", id, r.State, err)
			}
		}
		if p, err := rotated.Reseal(ctx, nil); err != nil || p.Visited != ResealResets || p.Resealed != 0 {
			t.Fatalf("second run: %+v, %v", p, err)
		}
	})
	t.Run("UnopenableLeft", func(t *testing.T) {
		s := newStore(t)
		want := request(t, service(t, s, 1, map[uint8][]byte{1: k1}), 3)
		var before [][]byte
		for id := range want {
			r, _ := s.Load(ctx, id)
			before = append(before, r.Sealed)
		}
		p, err := service(t, s, 2, map[uint8][]byte{2: k2}).Reseal(ctx, nil)
		if err != nil || p.Visited != 3 || p.Failed != 3 || p.Resealed != 0 {
			t.Fatalf("Reseal = %+v, %v", p, err)
		}
		for id := range want {
			r, _ := s.Load(ctx, id)
			found := false
			for _, b := range before {
				found = found || bytes.Equal(b, r.Sealed)
			}
			if !found {
				t.Fatalf("reset %s: an unopenable value was changed", id)
			}
		}
	})
	t.Run("RevisionBumped", func(t *testing.T) {
		// A re-seal adds one to the reset's revision, so that a write
		// decided on the reset before it (with the old Sealed) gets
		// ErrConflict instead of restoring the old value.
		s := newStore(t)
		want := request(t, service(t, s, 1, map[uint8][]byte{1: k1}), 1)
		var id string
		for k := range want {
			id = k
		}
		before, err := s.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := service(t, s, 2, map[uint8][]byte{1: k1, 2: k2}).Reseal(ctx, nil); err != nil || p.Resealed != 1 {
			t.Fatalf("Reseal = %+v, %v", p, err)
		}
		after, _ := s.Load(ctx, id)
		if after.Rev != before.Rev+1 || bytes.Equal(after.Sealed, before.Sealed) {
			t.Fatalf("after a re-seal: revision %d (was %d), Sealed changed %v", after.Rev, before.Rev, !bytes.Equal(after.Sealed, before.Sealed))
		}
		if _, err := move(ctx, s, before, passcode.Pending, t0); !errors.Is(err, passcode.ErrConflict) {
			t.Fatalf("a write decided before the re-seal: %v, want ErrConflict", err)
		}
		if got, _ := s.Load(ctx, id); !bytes.Equal(got.Sealed, after.Sealed) || got.State != passcode.Requested {
			t.Fatal("a write decided before the re-seal changed the reset")
		}
	})
	t.Run("Empty", func(t *testing.T) {
		p, err := service(t, newStore(t), 1, map[uint8][]byte{1: k1}).Reseal(ctx, nil)
		if err != nil || p != (passcode.ResealProgress{}) {
			t.Fatalf("Reseal of an empty store = %+v, %v", p, err)
		}
	})
}
