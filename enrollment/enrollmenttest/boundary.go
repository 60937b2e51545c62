package enrollmenttest

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/internal/gentest"
)

// guardedStore fails the test when the service calls the store while armed:
// a refused identifier must never reach a backend.
type guardedStore struct {
	enrollment.Store
	t     *testing.T
	armed atomic.Bool
}

func (g *guardedStore) check(method string) {
	if g.armed.Load() {
		g.t.Errorf("the service called Store.%s with an identifier it should have refused", method)
	}
}

func (g *guardedStore) Load(ctx context.Context, site string) (enrollment.Record, error) {
	g.check("Load")
	return g.Store.Load(ctx, site)
}

func (g *guardedStore) Write(ctx context.Context, r enrollment.Record, prev uint64, events []enrollment.Event) error {
	g.check("Write")
	return g.Store.Write(ctx, r, prev, events)
}

func (g *guardedStore) Append(ctx context.Context, site string, rev uint64, events []enrollment.Event) error {
	g.check("Append")
	return g.Store.Append(ctx, site, rev, events)
}

func (g *guardedStore) Lookup(ctx context.Context, digest []byte) (string, error) {
	g.check("Lookup")
	return g.Store.Lookup(ctx, digest)
}

func (g *guardedStore) Events(ctx context.Context, site string) ([]enrollment.Event, error) {
	g.check("Events")
	return g.Store.Events(ctx, site)
}

type countingAlerter struct{ n atomic.Int64 }

func (a *countingAlerter) SendLockAlert(context.Context, enrollment.Alert) error {
	a.n.Add(1)
	return nil
}

func boundaryService(t *testing.T, s enrollment.Store) *enrollment.Service {
	t.Helper()
	return boundaryServiceWith(t, s, &countingAlerter{}, 0)
}

func boundaryServiceWith(t *testing.T, s enrollment.Store, a enrollment.Alerter, threshold int) *enrollment.Service {
	t.Helper()
	svc, err := enrollment.New(enrollment.Config{
		Store: s, Alerter: a, Threshold: threshold, SourceThreshold: threshold,
		Peppers: enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{7}, 32)}), PepperID: 1,
		SealKeys: enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{9}, 32)}), SealKeyID: 1,
		Now: func() time.Time { return t0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// runBoundary checks, on the backend under test, that the service refuses
// every identifier of gentest.BadIdents with the same typed error before
// calling the store, and that every identifier of gentest.GoodIdents is
// stored and returned byte for byte.
func runBoundary(t *testing.T, newStore func(t *testing.T) enrollment.Store) {
	ctx := context.Background()
	const admin = "admin@example.com"
	t.Run("RefusesBadIdentifiers", func(t *testing.T) {
		g := &guardedStore{Store: newStore(t), t: t}
		svc := boundaryService(t, g)
		if _, err := svc.Generate(ctx, "site-a", admin); err != nil {
			t.Fatal(err)
		}
		g.armed.Store(true)
		wantIdent := func(t *testing.T, call string, err error, field string) {
			t.Helper()
			var pe *enrollment.ParamError
			if !errors.Is(err, enrollment.ErrParams) || !errors.As(err, &pe) || pe.Field != field {
				t.Errorf("%s = %v, want a *ParamError on %s", call, err, field)
			}
		}
		for _, id := range gentest.BadIdents(enrollment.MaxSiteLen) {
			t.Run("site "+id.Name, func(t *testing.T) {
				site := id.Value
				_, err := svc.Generate(ctx, site, admin)
				wantIdent(t, "Generate", err, "site")
				_, err = svc.Regenerate(ctx, site, admin)
				wantIdent(t, "Regenerate", err, "site")
				wantIdent(t, "Verify", svc.Verify(ctx, site, "aB3dE5gH7jK9", "10.0.0.1"), "site")
				wantIdent(t, "Disable", svc.Disable(ctx, site, admin), "site")
				_, err = svc.Reveal(ctx, site, admin)
				wantIdent(t, "Reveal", err, "site")
				_, err = svc.Status(ctx, site)
				wantIdent(t, "Status", err, "site")
				_, err = svc.Events(ctx, site)
				wantIdent(t, "Events", err, "site")
				wantIdent(t, "ResendAlert", svc.ResendAlert(ctx, site), "site")
			})
		}
		for _, id := range append(gentest.BadIdents(enrollment.MaxActorLen), gentest.Ident{Name: "display name form", Value: "Admin <admin@example.com>"}) {
			t.Run("actor "+id.Name, func(t *testing.T) {
				_, err := svc.Generate(ctx, "site-a", id.Value)
				wantIdent(t, "Generate", err, "actor")
				wantIdent(t, "Disable", svc.Disable(ctx, "site-a", id.Value), "actor")
				_, err = svc.Reveal(ctx, "site-a", id.Value)
				wantIdent(t, "Reveal", err, "actor")
			})
		}
		g.armed.Store(false)
		if st, err := svc.Status(ctx, "site-a"); err != nil || st.State != enrollment.StateActive || st.FailedAttempts != 0 {
			t.Fatalf("site-a after refused calls: %+v, %v", st, err)
		}
	})
	t.Run("ThresholdBound", func(t *testing.T) {
		// Above NIST SP 800-63B's 100 consecutive failures is a config
		// error; at 100, the 100th failure in a row locks and alerts once.
		s := newStore(t)
		_, err := enrollment.New(enrollment.Config{Store: s, Alerter: &countingAlerter{},
			Peppers: enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{7}, 32)}), PepperID: 1,
			Threshold: enrollment.MaxThreshold + 1})
		var pe *enrollment.ParamError
		if !errors.Is(err, enrollment.ErrParams) || !errors.As(err, &pe) || pe.Field != "Threshold" {
			t.Fatalf("New with Threshold %d = %v, want a *ParamError on Threshold", enrollment.MaxThreshold+1, err)
		}
		alerts := &countingAlerter{}
		svc := boundaryServiceWith(t, s, alerts, enrollment.MaxThreshold)
		pc, err := svc.Generate(ctx, "site-a", admin)
		if err != nil {
			t.Fatal(err)
		}
		wrong := []byte(pc.Reveal())
		// Another character of the same class: well-formed, but wrong.
		switch c := wrong[0]; {
		case c >= '0' && c <= '9':
			wrong[0] = '0' + (c-'0'+1)%10
		case c >= 'a' && c <= 'z':
			wrong[0] = 'a' + (c-'a'+1)%26
		default:
			wrong[0] = 'A' + (c-'A'+1)%26
		}
		for i := 1; i <= enrollment.MaxThreshold+1; i++ {
			err := svc.Verify(ctx, "site-a", string(wrong), "10.0.0.1")
			var ae *enrollment.AttemptError
			if !errors.As(err, &ae) || ae.Failures != i || ae.Locked != (i >= enrollment.MaxThreshold) || ae.JustLocked != (i == enrollment.MaxThreshold) ||
				(i == enrollment.MaxThreshold && ae.Rule != enrollment.RuleConsecutive) {
				t.Fatalf("attempt %d: %v (%+v)", i, err, ae)
			}
		}
		if err := svc.Verify(ctx, "site-a", pc.Reveal(), "10.0.0.1"); !errors.Is(err, enrollment.ErrLocked) {
			t.Fatalf("the right passcode after the lock: %v", err)
		}
		if alerts.n.Load() != 1 {
			t.Fatalf("%d alerts, want 1", alerts.n.Load())
		}
	})
	t.Run("KeepsGoodIdentifiers", func(t *testing.T) {
		svc := boundaryService(t, newStore(t))
		for _, id := range gentest.GoodIdents(enrollment.MaxSiteLen) {
			t.Run(id.Name, func(t *testing.T) {
				site := id.Value
				pc, err := svc.Generate(ctx, site, admin)
				if err != nil {
					t.Fatalf("Generate: %v", err)
				}
				if err := svc.Verify(ctx, site, pc.Reveal(), "10.0.0.1"); err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got, err := svc.ResolveSite(ctx, pc.Reveal()); err != nil || got != site {
					t.Fatalf("ResolveSite = %q, %v; want the site byte for byte", got, err)
				}
				if st, err := svc.Status(ctx, site); err != nil || st.Site != site || st.State != enrollment.StateActive {
					t.Fatalf("Status = %+v, %v", st, err)
				}
				again, err := svc.Reveal(ctx, site, admin)
				if err != nil || !again.Equal(pc.Reveal()) {
					t.Fatalf("Reveal: %v", err)
				}
				ev, err := svc.Events(ctx, site)
				if err != nil || len(ev) != 3 || ev[0].Site != site {
					t.Fatalf("Events = %+v, %v", ev, err)
				}
			})
		}
	})
}
