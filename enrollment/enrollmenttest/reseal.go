package enrollmenttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
)

// ResealSites is how many sites [RunResealer] seals a passcode copy for:
// more than one batch (1,000) of a re-seal.
const ResealSites = 1100

// RunResealer runs the conformance suite for a store's
// [enrollment.Resealer] capability through [enrollment.Service.Reseal]:
// after a sealing key rotation every sealed copy is re-sealed under the new
// key in batches (progress after each), a service holding the new key alone
// reveals every passcode, a second run changes nothing, failed attempts
// racing the re-seal are all counted, a failure decided on a record read
// before its copy was re-sealed does not write the old copy back (the
// re-seal moves the record's revision), and a copy sealed under a key the
// service no longer holds is counted as failed and left. newStore must
// return a new, empty store on each call, and the store must implement
// Resealer.
func RunResealer(t *testing.T, newStore func(t *testing.T) enrollment.Store) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	k1, k2 := bytes.Repeat([]byte{0x61}, 32), bytes.Repeat([]byte{0x62}, 32)
	service := func(t *testing.T, s enrollment.Store, cur uint8, keys map[uint8][]byte) *enrollment.Service {
		t.Helper()
		svc, err := enrollment.New(enrollment.Config{Store: s, Alerter: &countingAlerter{},
			Peppers: enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{7}, 32)}), PepperID: 1,
			SealKeys: enrollment.NewKeys(keys), SealKeyID: cur, Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	generate := func(t *testing.T, svc *enrollment.Service, n int) map[string]string {
		t.Helper()
		want := make(map[string]string, n)
		for i := range n {
			site := fmt.Sprintf("reseal-%05d", i)
			pc, err := svc.Generate(ctx, site, "admin@example.com")
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			want[site] = pc.Reveal()
		}
		return want
	}
	t.Run("RotationInBatches", func(t *testing.T) {
		s := newStore(t)
		if _, ok := s.(enrollment.Resealer); !ok {
			t.Fatalf("%T does not implement enrollment.Resealer", s)
		}
		want := generate(t, service(t, s, 1, map[uint8][]byte{1: k1}), ResealSites)
		rotated := service(t, s, 2, map[uint8][]byte{1: k1, 2: k2})
		// Failed attempts race the re-seal; every one must be counted.
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for site := range want {
				_ = rotated.Verify(ctx, site, "wrong-passcode", "192.0.2.1")
			}
		}()
		var reports []enrollment.ResealProgress
		p, err := rotated.Reseal(ctx, func(p enrollment.ResealProgress) { reports = append(reports, p) })
		wg.Wait()
		if err != nil || p.Visited != ResealSites || p.Failed != 0 || p.Resealed != ResealSites {
			t.Fatalf("Reseal = %+v, %v", p, err)
		}
		if len(reports) != 2 || reports[0].Visited != 1000 || reports[1] != p {
			t.Fatalf("progress %+v", reports)
		}
		onlyNew := service(t, s, 2, map[uint8][]byte{2: k2})
		for site, pc := range want {
			got, err := onlyNew.Reveal(ctx, site, "admin@example.com")
			if err != nil || !got.Equal(pc) {
				t.Fatalf("Reveal(%s) under the new key alone: %v", site, err)
			}
			r, err := s.Load(ctx, site)
			if err != nil || r.Failures != 1 {
				t.Fatalf("site %s: %d failures, %v: a failed attempt was lost", site, r.Failures, err)
			}
		}
		if p, err := rotated.Reseal(ctx, nil); err != nil || p.Visited != ResealSites || p.Resealed != 0 {
			t.Fatalf("second run: %+v, %v", p, err)
		}
	})
	t.Run("ResealBetweenLoadAndWrite", func(t *testing.T) {
		s := &resealHook{Store: newStore(t)}
		want := generate(t, service(t, s, 1, map[uint8][]byte{1: k1}), 1)
		rotated := service(t, s, 2, map[uint8][]byte{1: k1, 2: k2})
		s.before = func() {
			if p, err := rotated.Reseal(ctx, nil); err != nil || p.Resealed != 1 {
				t.Errorf("Reseal between Verify's Load and Write = %+v, %v", p, err)
			}
		}
		for site := range want {
			if err := rotated.Verify(ctx, site, "wrong-passcode", "192.0.2.1"); !errors.Is(err, enrollment.ErrMalformed) {
				t.Fatalf("Verify: %v", err)
			}
			got, err := service(t, s, 2, map[uint8][]byte{2: k2}).Reveal(ctx, site, "admin@example.com")
			if err != nil || !got.Equal(want[site]) {
				t.Fatalf("Reveal under the new key alone: %v: the failure wrote the old copy back", err)
			}
			// Inserted at 1, re-sealed to 2, the failure written at 3.
			if r, err := s.Load(ctx, site); err != nil || r.Failures != 1 || r.Rev != 3 {
				t.Fatalf("%d failures at revision %d, %v: want the failure counted once, at revision 3", r.Failures, r.Rev, err)
			}
		}
	})
	t.Run("UnopenableLeft", func(t *testing.T) {
		s := newStore(t)
		want := generate(t, service(t, s, 1, map[uint8][]byte{1: k1}), 3)
		before := map[string][]byte{}
		for site := range want {
			r, _ := s.Load(ctx, site)
			before[site] = r.Sealed
		}
		p, err := service(t, s, 2, map[uint8][]byte{2: k2}).Reseal(ctx, nil)
		if err != nil || p.Visited != 3 || p.Failed != 3 || p.Resealed != 0 {
			t.Fatalf("Reseal = %+v, %v", p, err)
		}
		for site := range want {
			if r, _ := s.Load(ctx, site); !bytes.Equal(r.Sealed, before[site]) {
				t.Fatalf("site %s: an unopenable copy was changed", site)
			}
		}
	})
	t.Run("Empty", func(t *testing.T) {
		p, err := service(t, newStore(t), 1, map[uint8][]byte{1: k1}).Reseal(ctx, nil)
		if err != nil || p != (enrollment.ResealProgress{}) {
			t.Fatalf("Reseal of an empty store = %+v, %v", p, err)
		}
	})
}

// resealHook runs before once, before the first Write that replaces a
// record (prev not 0), and passes ResealRecords through.
type resealHook struct {
	enrollment.Store
	before func()
}

func (h *resealHook) Write(ctx context.Context, r enrollment.Record, prev uint64, events []enrollment.Event) error {
	if f := h.before; f != nil && prev != 0 {
		h.before = nil
		f()
	}
	return h.Store.Write(ctx, r, prev, events)
}

func (h *resealHook) ResealRecords(ctx context.Context, after string, limit int, reseal func(enrollment.Record) []byte) (string, int, int, error) {
	return h.Store.(enrollment.Resealer).ResealRecords(ctx, after, limit, reseal)
}
