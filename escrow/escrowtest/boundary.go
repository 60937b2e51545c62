package escrowtest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/internal/gentest"
)

// guardedStore counts the calls that reach the store under test.
type guardedStore struct {
	escrow.Store
	calls atomic.Int64
}

func (g *guardedStore) Load(ctx context.Context, k escrow.Key) (escrow.Row, error) {
	g.calls.Add(1)
	return g.Store.Load(ctx, k)
}

func (g *guardedStore) ByRecord(ctx context.Context, id string) (escrow.Row, error) {
	g.calls.Add(1)
	return g.Store.ByRecord(ctx, id)
}

func (g *guardedStore) ByCommand(ctx context.Context, id string) (escrow.Row, error) {
	g.calls.Add(1)
	return g.Store.ByCommand(ctx, id)
}

func (g *guardedStore) Write(ctx context.Context, r escrow.Row, prev uint64, evs []escrow.Event) error {
	g.calls.Add(1)
	return g.Store.Write(ctx, r, prev, evs)
}

func (g *guardedStore) Events(ctx context.Context, q escrow.EventQuery) ([]escrow.Event, error) {
	g.calls.Add(1)
	return g.Store.Events(ctx, q)
}

// testBoundary sends every identifier of gentest.BadIdents through each
// Service entry point in each identifier field and expects an
// *escrow.Error naming the field before any store call; every identifier
// of gentest.GoodIdents goes through the whole lifecycle on the backend and
// comes back byte for byte.
func testBoundary(t *testing.T, s escrow.Store) {
	g := &guardedStore{Store: s}
	svc := newService(t, g, newClock())
	for _, bad := range gentest.BadIdents(escrow.MaxIDLen) {
		v := bad.Value
		for _, c := range []struct {
			field string
			call  func() error
		}{
			{"DeviceID", func() error { _, err := svc.Generate(ctx, v, escrow.KindDeviceLockPIN, "a"); return err }},
			{"Actor", func() error { _, err := svc.Generate(ctx, "d", escrow.KindDeviceLockPIN, v); return err }},
			{"RecordID", func() error { _, err := svc.Reveal(ctx, v, "a", src, "why"); return err }},
			{"CommandID", func() error { _, err := svc.Acknowledge(ctx, v, "mdm"); return err }},
			{"Reason", func() error { _, err := svc.Reveal(ctx, "r", "a", src, v); return err }},
			{"DeviceID", func() error { _, err := svc.ByCommand(ctx, v, "c"); return err }},
			{"CommandID", func() error { _, err := svc.ByCommand(ctx, "d", v); return err }},
			{"DeviceID", func() error { _, err := svc.DeliverCommand(ctx, v, "c"); return err }},
			{"CommandID", func() error { _, err := svc.DeliverCommand(ctx, "d", v); return err }},
		} {
			field, call := c.field, c.call
			if field == "Reason" && len(v) > escrow.MaxIDLen {
				continue // a reason may be longer than an identifier (MaxReasonLen)
			}
			before := g.calls.Load()
			err := call()
			var e *escrow.Error
			if !errors.As(err, &e) || e.Field != field || !errors.Is(err, escrow.ErrInvalidRequest) {
				t.Errorf("%s %s: %v, want an *escrow.Error for %s", field, bad.Name, err, field)
			}
			if g.calls.Load() != before {
				t.Errorf("%s %s reached the store", field, bad.Name)
			}
		}
	}
	for _, good := range gentest.GoodIdents(escrow.MaxIDLen) {
		v := good.Value
		r, err := svc.Generate(ctx, v, escrow.KindRecoveryLock, v)
		if err != nil {
			t.Errorf("%s: Generate: %v", good.Name, err)
			continue
		}
		cmd := v // each identifier is another device, so its own command ID
		if _, err := svc.Sent(ctx, r.ID, cmd, v); err != nil {
			t.Errorf("%s: Sent: %v", good.Name, err)
			continue
		}
		if d, err := svc.DeliverCommand(ctx, v, cmd); err != nil || d.Record.ID != r.ID || d.Secret.IsZero() {
			t.Errorf("%s: DeliverCommand: %v", good.Name, err)
		}
		if b, err := svc.ByCommand(ctx, v, cmd); err != nil || b.ID != r.ID || b.DeviceID != v {
			t.Errorf("%s: ByCommand: %v", good.Name, err)
		}
		if _, err := svc.Acknowledge(ctx, cmd, v); err != nil {
			t.Errorf("%s: Acknowledge: %v", good.Name, err)
			continue
		}
		if _, err := svc.Reveal(ctx, r.ID, v, src, v); err != nil {
			t.Errorf("%s: Reveal: %v", good.Name, err)
		}
		hist, err := svc.History(ctx, v, escrow.KindRecoveryLock)
		if err != nil || len(hist) != 1 || hist[0].DeviceID != v || hist[0].CreatedBy != v || hist[0].CommandID != cmd {
			t.Errorf("%s: history %v", good.Name, err)
		}
		evs, err := svc.Events(ctx, escrow.EventQuery{DeviceID: v})
		if err != nil || len(evs) != 4 || evs[3].Actor != v || evs[3].Reason != v || evs[3].DeviceID != v || evs[1].CommandID != cmd {
			t.Errorf("%s: events %v", good.Name, err)
		}
	}
}
