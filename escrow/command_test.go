package escrow_test

import (
	"errors"
	"testing"

	"github.com/mdmcred/mdmcred/escrow"
)

// ByCommand and DeliverCommand answer only for the device the command's
// record belongs to, and DeliverCommand only while the secret is open.
func TestByCommandAndDeliverCommand(t *testing.T) {
	f := newFixture(t, nil)
	old := f.activate(t, "mac-1", escrow.KindRecoveryLock, "rl-1")
	shown, err := f.svc.Reveal(ctx, old.ID, "helpdesk", admin, "ticket 7")
	if err != nil {
		t.Fatal(err)
	}
	oldSecret := shown.Reveal()
	next, err := f.svc.Generate(ctx, "mac-1", escrow.KindRecoveryLock, "admin-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Sent(ctx, next.ID, "rl-2", "mdm"); err != nil {
		t.Fatal(err)
	}
	lock, err := f.svc.Generate(ctx, "mac-1", escrow.KindDeviceLockPIN, "admin-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Sent(ctx, lock.ID, "lock-1", "mdm"); err != nil {
		t.Fatal(err)
	}
	failed, err := f.svc.Generate(ctx, "mac-2", escrow.KindDeviceLockPIN, "admin-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Sent(ctx, failed.ID, "lock-2", "mdm"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Fail(ctx, "lock-2", "mdm"); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name            string
		device, command string
		record          string // ByCommand's answer ("" when an error)
		byErr           error
		deliverErr      error
		current         string // DeliverCommand's CurrentID
	}{
		{"open rotation", "mac-1", "rl-2", next.ID, nil, nil, old.ID},
		{"active record", "mac-1", "rl-1", old.ID, nil, escrow.ErrNotPending, ""},
		{"open lock, no active PIN", "mac-1", "lock-1", lock.ID, nil, nil, ""},
		{"failed lock", "mac-2", "lock-2", failed.ID, nil, escrow.ErrNotPending, ""},
		{"another device's command", "mac-2", "rl-2", "", escrow.ErrNotFound, escrow.ErrNotFound, ""},
		{"another device's lock", "mac-1", "lock-2", "", escrow.ErrNotFound, escrow.ErrNotFound, ""},
		{"unknown command", "mac-1", "nope", "", escrow.ErrNotFound, escrow.ErrNotFound, ""},
		{"empty device", "", "rl-2", "", escrow.ErrInvalidRequest, escrow.ErrInvalidRequest, ""},
		{"control in command", "mac-1", "rl\x00", "", escrow.ErrInvalidRequest, escrow.ErrInvalidRequest, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := f.svc.ByCommand(ctx, c.device, c.command)
			if !errors.Is(err, c.byErr) || r.ID != c.record {
				t.Errorf("ByCommand = %s, %v; want %q, %v", r.ID, err, c.record, c.byErr)
			}
			d, err := f.svc.DeliverCommand(ctx, c.device, c.command)
			if !errors.Is(err, c.deliverErr) {
				t.Fatalf("DeliverCommand: %v, want %v", err, c.deliverErr)
			}
			if err != nil {
				if d.Record.ID != "" || !d.Secret.IsZero() || !d.Current.IsZero() {
					t.Errorf("refused delivery holds %+v", d)
				}
				return
			}
			if d.Record.ID != c.record || d.CurrentID != c.current || d.Current.IsZero() != (c.current == "") {
				t.Errorf("delivery %+v, want record %s current %q", d, c.record, c.current)
			}
			want, err := f.svc.Deliver(ctx, c.record)
			if err != nil || !d.Secret.Equal(want.Reveal()) {
				t.Errorf("Secret is not what Deliver opens: %v", err)
			}
			if c.current != "" && !d.Current.Equal(oldSecret) {
				t.Error("Current is not the Active record's secret")
			}
		})
	}

	// Neither is a view: no event beyond the reveal above, and no rotation
	// scheduled on the Active record by them.
	evs, err := f.svc.Events(ctx, escrow.EventQuery{DeviceID: "mac-1"})
	if err != nil {
		t.Fatal(err)
	}
	views := 0
	for _, ev := range evs {
		if ev.Type == escrow.EventViewed {
			views++
		}
	}
	if views != 1 {
		t.Errorf("%d viewed events, want the one reveal", views)
	}
	if _, err := f.svc.ByCommand(nilCtx(), "mac-1", "rl-2"); !errors.Is(err, escrow.ErrNilContext) {
		t.Errorf("nil context: %v", err)
	}
	if _, err := f.svc.DeliverCommand(nilCtx(), "mac-1", "rl-2"); !errors.Is(err, escrow.ErrNilContext) {
		t.Errorf("nil context: %v", err)
	}
}
