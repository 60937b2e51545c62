package enrollment_test

import (
	"context"
	"errors"
	"testing"

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
	if err := s.Write(ctx, enrollment.Record{Site: "s", Digest: []byte("d"), Rev: 1}, 0, nil); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := s.Append(ctx, "s", 1, []enrollment.Event{{Site: "s", Kind: enrollment.EventUsed, Failures: i}}); err != nil {
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

func (s faultyStore) Load(ctx context.Context, site string) (enrollment.Record, error) {
	if err := s.err("Load"); err != nil {
		return enrollment.Record{}, err
	}
	return s.MemStore.Load(ctx, site)
}

func (s faultyStore) Lookup(ctx context.Context, d []byte) (string, error) {
	if err := s.err("Lookup"); err != nil {
		return "", err
	}
	return s.MemStore.Lookup(ctx, d)
}

func (s faultyStore) Write(ctx context.Context, r enrollment.Record, prev uint64, events []enrollment.Event) error {
	if err := s.err("Write"); err != nil {
		return err
	}
	return s.MemStore.Write(ctx, r, prev, events)
}

func (s faultyStore) Append(ctx context.Context, site string, rev uint64, events []enrollment.Event) error {
	if err := s.err("Append"); err != nil {
		return err
	}
	return s.MemStore.Append(ctx, site, rev, events)
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
		"Generate":    {"Load", "Write"},
		"Verify":      {"Load", "Append"},
		"VerifyWrong": {"Load", "Write"},
		"Disable":     {"Load", "Write"},
		"Status":      {"Load"},
		"ResendAlert": {"Load"},
		"Reveal":      {"Load", "Append"},
		"ResolveSite": {"Lookup", "Load"},
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
	// A failure's event is written with its count, by the Write that
	// counts it: it does not depend on Append.
	fs := &faultyStore{MemStore: enrollment.NewMemStore()}
	f := newFixture(t, func(c *enrollment.Config) { c.Store = fs })
	code := f.generate(t, "site")
	fs.fail = "Append"
	if err := f.svc.Verify(ctx, "site", wrong(code), ""); !errors.Is(err, enrollment.ErrWrongPasscode) {
		t.Fatalf("Verify wrong with Append failing: %v", err)
	}
	// A success after a failure resets the count with its used event in
	// one Write, without Append either.
	if err := f.svc.Verify(ctx, "site", code, ""); err != nil {
		t.Fatalf("Verify after a failure with Append failing: %v", err)
	}
	if ev, err := f.svc.Events(ctx, "site"); err != nil || len(ev) != 3 || ev[1].Kind != enrollment.EventFailed || ev[2].Kind != enrollment.EventUsed {
		t.Fatalf("Events = %v, %v", ev, err)
	}
	if _, err := f.svc.Events(ctx, ""); !isParam(err, "site") {
		t.Fatal(err)
	}
}
