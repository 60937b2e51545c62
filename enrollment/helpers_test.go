package enrollment_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/mdmcredtest"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// recorder is an Alerter that keeps every alert, and fails while err is set.
type recorder struct {
	mu     sync.Mutex
	alerts []enrollment.Alert
	ctxErr []error
	err    error
}

func (r *recorder) SendLockAlert(ctx context.Context, a enrollment.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ctxErr = append(r.ctxErr, ctx.Err())
	if r.err != nil {
		return r.err
	}
	r.alerts = append(r.alerts, a)
	return nil
}

func (r *recorder) sent() []enrollment.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]enrollment.Alert(nil), r.alerts...)
}

func pepper(b byte) []byte {
	p := make([]byte, 32)
	for i := range p {
		p[i] = b + byte(i)
	}
	return p
}

type fixture struct {
	svc   *enrollment.Service
	store *enrollment.MemStore
	alert *recorder
	clock *mdmcredtest.Clock
}

func newFixture(t testing.TB, mod func(*enrollment.Config)) fixture {
	t.Helper()
	f := fixture{store: enrollment.NewMemStore(), alert: &recorder{}, clock: mdmcredtest.NewClock(t0)}
	cfg := enrollment.Config{
		Store: f.store, Alerter: f.alert, Now: f.clock.Now,
		Peppers: enrollment.NewKeys(map[uint8][]byte{1: pepper(1)}), PepperID: 1,
		Admins: func(_ context.Context, site string) ([]string, error) {
			return []string{"admin@" + site + ".example"}, nil
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	svc, err := enrollment.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func (f fixture) generate(t testing.TB, site string) string {
	t.Helper()
	p, err := f.svc.Generate(context.Background(), site, "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	return p.Reveal()
}

func kinds(t *testing.T, s enrollment.Store, site string) []enrollment.EventKind {
	t.Helper()
	ev, err := s.Events(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]enrollment.EventKind, len(ev))
	for i, e := range ev {
		out[i] = e.Kind
	}
	return out
}

// wrong returns a well-formed passcode different from code: its first
// character is moved to the next one of the same class, so the class rule
// still holds.
func wrong(code string) string {
	b := []byte(code)
	switch c := b[0]; {
	case c == '9':
		b[0] = '0'
	case c == 'z':
		b[0] = 'a'
	case c == 'Z':
		b[0] = 'A'
	default:
		b[0] = c + 1
	}
	return string(b)
}

var errBoom = errors.New("boom")

// overwrite replaces the site's stored record with r as it is, at the next
// revision: a test's way of changing a record behind the Service.
func overwrite(ctx context.Context, s enrollment.Store, r enrollment.Record) error {
	cur, err := s.Load(ctx, r.Site)
	if err != nil {
		return err
	}
	r.Rev = cur.Rev + 1
	return s.Write(ctx, r, cur.Rev, nil)
}
