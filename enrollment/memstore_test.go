package enrollment_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
)

func TestMemStoreConformance(t *testing.T) {
	enrollmenttest.RunStore(t, func(*testing.T) enrollment.Store { return enrollment.NewMemStore() })
}

func TestMemStoreKeepsRecentEvents(t *testing.T) {
	s := enrollment.NewMemStore()
	ctx := context.Background()
	const n = 3*enrollment.MemStoreEvents + 17
	for i := range n {
		if err := s.AppendEvent(ctx, enrollment.Event{Site: "s", Kind: enrollment.EventUsed, Failures: i}); err != nil {
			t.Fatal(err)
		}
		if i == 10 {
			if ev, _ := s.Events(ctx, "s"); len(ev) != 11 {
				t.Fatalf("%d events after 11", len(ev))
			}
		}
	}
	ev, _ := s.Events(ctx, "s")
	if len(ev) != enrollment.MemStoreEvents || ev[0].Failures != n-enrollment.MemStoreEvents || ev[len(ev)-1].Failures != n-1 {
		t.Fatalf("kept %d events from %d to %d", len(ev), ev[0].Failures, ev[len(ev)-1].Failures)
	}
}

// faultyStore fails the named method with errBoom.
type faultyStore struct {
	*enrollment.MemStore
	fail string
}

func (s faultyStore) err(m string) error {
	if s.fail == m {
		return errBoom
	}
	return nil
}

func (s faultyStore) Put(ctx context.Context, r enrollment.Record) error {
	if err := s.err("Put"); err != nil {
		return err
	}
	return s.MemStore.Put(ctx, r)
}

func (s faultyStore) Get(ctx context.Context, site string) (enrollment.Record, error) {
	if err := s.err("Get"); err != nil {
		return enrollment.Record{}, err
	}
	return s.MemStore.Get(ctx, site)
}

func (s faultyStore) Lookup(ctx context.Context, d []byte) (string, error) {
	if err := s.err("Lookup"); err != nil {
		return "", err
	}
	return s.MemStore.Lookup(ctx, d)
}

func (s faultyStore) AppendEvent(ctx context.Context, e enrollment.Event) error {
	if err := s.err("AppendEvent"); err != nil {
		return err
	}
	return s.MemStore.AppendEvent(ctx, e)
}

func (s faultyStore) UpdateLockout(ctx context.Context, site string, version int64, l enrollment.Lockout, events ...enrollment.Event) error {
	if err := s.err("UpdateLockout"); err != nil {
		return err
	}
	return s.MemStore.UpdateLockout(ctx, site, version, l, events...)
}

func (s faultyStore) RecordUse(ctx context.Context, site string, d []byte, at time.Time, src string) error {
	if err := s.err("RecordUse"); err != nil {
		return err
	}
	return s.MemStore.RecordUse(ctx, site, d, at, src)
}

func (s faultyStore) Disable(ctx context.Context, site, by string, at time.Time) error {
	if err := s.err("Disable"); err != nil {
		return err
	}
	return s.MemStore.Disable(ctx, site, by, at)
}

// TestStoreErrorsPropagate: every store failure surfaces as an error that
// wraps it, and never as a success.
func TestStoreErrorsPropagate(t *testing.T) {
	ctx := context.Background()
	ops := map[string]func(f fixture, code string) error{
		"Generate": func(f fixture, _ string) error { _, err := f.svc.Generate(ctx, "site", "a@example.com"); return err },
		"Verify":   func(f fixture, code string) error { return f.svc.Verify(ctx, "site", code, "") },
		"VerifyWrong": func(f fixture, code string) error {
			return f.svc.Verify(ctx, "site", wrong(code), "")
		},
		"Disable":     func(f fixture, _ string) error { return f.svc.Disable(ctx, "site", "a@example.com") },
		"Status":      func(f fixture, _ string) error { _, err := f.svc.Status(ctx, "site"); return err },
		"ResendAlert": func(f fixture, _ string) error { return f.svc.ResendAlert(ctx, "site") },
		"Reveal":      func(f fixture, _ string) error { _, err := f.svc.Reveal(ctx, "site", "a@example.com"); return err },
		"ResolveSite": func(f fixture, code string) error { _, err := f.svc.ResolveSite(ctx, code); return err },
	}
	// Which store failure each operation must report.
	cases := map[string][]string{
		"Generate":    {"Put", "AppendEvent"},
		"Verify":      {"Get", "RecordUse"},
		"VerifyWrong": {"Get", "UpdateLockout"},
		"Disable":     {"Disable", "AppendEvent"},
		"Status":      {"Get"},
		"ResendAlert": {"Get"},
		"Reveal":      {"Get", "AppendEvent"},
		"ResolveSite": {"Lookup", "Get"},
	}
	for op, methods := range cases {
		for _, m := range methods {
			t.Run(op+"/"+m, func(t *testing.T) {
				fs := &faultyStore{MemStore: enrollment.NewMemStore()}
				f := newFixture(t, func(c *enrollment.Config) {
					c.Store = fs
					c.SealKeys = enrollment.NewKeys(map[uint8][]byte{0: pepper(3)})
				})
				code := f.generate(t, "site")
				fs.fail = m
				if err := ops[op](f, code); !errors.Is(err, errBoom) {
					t.Fatalf("%s with %s failing: %v", op, m, err)
				}
			})
		}
	}
	// A failed audit event does not undo a recorded use or failure (the
	// use is its own event, appended by RecordUse).
	fs := &faultyStore{MemStore: enrollment.NewMemStore()}
	f := newFixture(t, func(c *enrollment.Config) { c.Store = fs })
	code := f.generate(t, "site")
	fs.fail = "AppendEvent"
	if err := f.svc.Verify(ctx, "site", code, ""); err != nil {
		t.Fatalf("Verify with the audit log failing: %v", err)
	}
	if err := f.svc.Verify(ctx, "site", wrong(code), ""); !errors.Is(err, enrollment.ErrWrongPasscode) {
		t.Fatalf("Verify wrong with the audit log failing: %v", err)
	}
	// The failure's event is written with its count, by UpdateLockout:
	// it does not depend on AppendEvent.
	if ev, err := f.svc.Events(ctx, "site"); err != nil || len(ev) != 3 || ev[1].Kind != enrollment.EventUsed || ev[2].Kind != enrollment.EventFailed {
		t.Fatalf("Events = %v, %v", ev, err)
	}
	if _, err := f.svc.Events(ctx, ""); !isParam(err, "site") {
		t.Fatal(err)
	}
}
