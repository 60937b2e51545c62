package enrollment_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
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

// countingStore counts the Store calls by method.
type countingStore struct {
	*enrollment.MemStore
	calls map[string]int
}

func (s *countingStore) Load(ctx context.Context, site string) (enrollment.Record, error) {
	s.calls["Load"]++
	return s.MemStore.Load(ctx, site)
}

func (s *countingStore) Write(ctx context.Context, r enrollment.Record, prev uint64, events []enrollment.Event) error {
	s.calls["Write"]++
	return s.MemStore.Write(ctx, r, prev, events)
}

func (s *countingStore) Append(ctx context.Context, site string, rev uint64, events []enrollment.Event) error {
	s.calls["Append"]++
	return s.MemStore.Append(ctx, site, rev, events)
}

// TestStoreCallsPerOperation: without racing writers, each operation makes
// the store calls store/postgres/doc.go's statement table counts: a
// success is a Load and an Append, a failure a Load and a Write, the
// failure that locks also appends its alert's event at the revision it
// wrote (no second Load).
func TestStoreCallsPerOperation(t *testing.T) {
	ctx := context.Background()
	cs := &countingStore{MemStore: enrollment.NewMemStore(), calls: map[string]int{}}
	f := newFixture(t, func(c *enrollment.Config) {
		c.Store, c.Threshold = cs, 2
		c.SealKeys, c.SealKeyID = enrollment.NewKeys(map[uint8][]byte{1: pepper(3)}), 1
	})
	var code string
	for _, tt := range []struct {
		name string
		op   func() error
		want map[string]int
	}{
		{"generate", func() error { code = f.generate(t, "site"); return nil }, map[string]int{"Load": 1, "Write": 1}},
		{"right", func() error { return f.svc.Verify(ctx, "site", code, "10.0.0.1") }, map[string]int{"Load": 1, "Append": 1}},
		{"reveal", func() error { _, err := f.svc.Reveal(ctx, "site", "a@example.com"); return err }, map[string]int{"Load": 1, "Append": 1}},
		{"wrong", func() error {
			if err := f.svc.Verify(ctx, "site", wrong(code), "10.0.0.1"); !errors.Is(err, enrollment.ErrWrongPasscode) {
				return err
			}
			return nil
		}, map[string]int{"Load": 1, "Write": 1}},
		{"right after a failure", func() error { return f.svc.Verify(ctx, "site", code, "10.0.0.1") }, map[string]int{"Load": 1, "Write": 1}},
		{"wrong", func() error { _ = f.svc.Verify(ctx, "site", wrong(code), "10.0.0.1"); return nil }, map[string]int{"Load": 1, "Write": 1}},
		{"locking", func() error {
			var ae *enrollment.AttemptError
			if err := f.svc.Verify(ctx, "site", wrong(code), "10.0.0.1"); !errors.As(err, &ae) || !ae.JustLocked {
				return fmt.Errorf("want the lock: %w", err)
			}
			return nil
		}, map[string]int{"Load": 1, "Write": 1, "Append": 1}},
		{"disable", func() error { return f.svc.Disable(ctx, "site", "a@example.com") }, map[string]int{"Load": 1, "Write": 1}},
	} {
		clear(cs.calls)
		if err := tt.op(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !maps.Equal(cs.calls, tt.want) {
			t.Errorf("%s: store calls %v, want %v", tt.name, cs.calls, tt.want)
		}
	}
}

// TestAlertEventFailureIsLogged: an alert's outcome that cannot be
// recorded is logged, and one that is recorded is not.
func TestAlertEventFailureIsLogged(t *testing.T) {
	ctx := context.Background()
	for _, failing := range []bool{false, true} {
		var logs bytes.Buffer
		fs := &faultyStore{MemStore: enrollment.NewMemStore()}
		f := newFixture(t, func(c *enrollment.Config) {
			c.Store, c.Threshold = fs, 1
			c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		})
		code := f.generate(t, "site")
		if failing {
			fs.fail = "Append"
		}
		var ae *enrollment.AttemptError
		if err := f.svc.Verify(ctx, "site", wrong(code), "10.0.0.1"); !errors.As(err, &ae) || !ae.JustLocked || ae.Alert != nil {
			t.Fatalf("the locking failure: %v", err)
		}
		if got := strings.Contains(logs.String(), "recording alert event"); got != failing {
			t.Fatalf("Append failing %v: logged %v:\n%s", failing, got, logs.String())
		}
	}
}
