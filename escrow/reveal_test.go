package escrow_test

import (
	"context"
	"crypto/fips140"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/escrow"
)

func TestRevealRecordsTheView(t *testing.T) {
	f := newFixture(t, nil)
	a := f.activate(t, "mac-1", escrow.KindRecoveryLock, "c1")
	f.clock.Advance(time.Minute)
	src := netip.MustParseAddr("::ffff:203.0.113.5") // an IPv4 client seen by a dual-stack listener
	sec, err := f.svc.Reveal(ctx, a.ID, "helpdesk-7", src, "ticket 4411: user locked out")
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := f.svc.Events(ctx, escrow.EventQuery{RecordID: a.ID})
	last := evs[len(evs)-1]
	want := escrow.Event{Type: escrow.EventViewed, RecordID: a.ID, DeviceID: "mac-1", Kind: escrow.KindRecoveryLock,
		CommandID: "c1", From: escrow.Active, To: escrow.Active, At: f.clock.Now(), Actor: "helpdesk-7",
		Source: netip.MustParseAddr("203.0.113.5"), Reason: "ticket 4411: user locked out"}
	if last != want {
		t.Errorf("view event %+v\nwant %+v", last, want)
	}
	for _, ev := range evs {
		if strings.Contains(ev.Reason+ev.Actor+ev.CommandID, sec.Reveal()) {
			t.Error("an event holds the secret")
		}
	}
}

// Rotate after view: due one hour after the first view, not moved by later
// views (API reads count the same), and run through the same lifecycle.
func TestRotateAfterView(t *testing.T) {
	f := newFixture(t, nil)
	a := f.activate(t, "mac-1", escrow.KindAdminPassword, "c1")
	if a.RotateAt != (time.Time{}) {
		t.Fatalf("unviewed admin password rotates at %v", a.RotateAt)
	}
	f.clock.Advance(10 * time.Minute)
	first := f.clock.Now()
	if _, err := f.svc.Reveal(ctx, a.ID, "admin-1", admin, "console"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(50 * time.Minute)
	if _, err := f.svc.Reveal(ctx, a.ID, "api-client", netip.MustParseAddr("10.0.0.9"), "API read"); err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.Get(ctx, a.ID)
	if !got.RotateAt.Equal(first.Add(escrow.DefaultRotateAfterView)) || got.Views != 2 || !got.FirstViewedAt.Equal(first) {
		t.Fatalf("after two views: rotate at %v, views %d, first %v", got.RotateAt, got.Views, got.FirstViewedAt)
	}
	if rots, _ := f.svc.Due(ctx, first.Add(time.Hour-time.Microsecond)); len(rots) != 0 {
		t.Fatalf("due early: %+v", rots)
	}
	rots, err := f.svc.Due(ctx, first.Add(time.Hour))
	if err != nil || len(rots) != 1 {
		t.Fatalf("Due: %+v %v", rots, err)
	}
	rot := rots[0]
	if rot.Replaces != a.ID || rot.Reason != escrow.ReasonAfterView || rot.Record.State != escrow.Generated || rot.Record.Version != 2 {
		t.Fatalf("rotation %+v", rot)
	}
	// Due again: nothing more, the rotation is open.
	if again, _ := f.svc.Due(ctx, first.Add(2*time.Hour)); len(again) != 0 {
		t.Fatalf("rotation started twice: %+v", again)
	}
	// The host runs it: deliver, send, acknowledge.
	pw, err := f.svc.Deliver(ctx, rot.Record.ID)
	if err != nil || pw.Len() != escrow.AdminDefaultLength {
		t.Fatalf("Deliver: %v", err)
	}
	if _, err := f.svc.Sent(ctx, rot.Record.ID, "c2", "mdm"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Acknowledge(ctx, "c2", "mdm"); err != nil {
		t.Fatal(err)
	}
	if old, _ := f.svc.Get(ctx, a.ID); old.State != escrow.Rotated {
		t.Errorf("old password is %s", old.State)
	}
}

func TestScheduledRotation(t *testing.T) {
	f := newFixture(t, func(c *escrow.Config) {
		k, _ := escrow.RecoveryLockPassword(0)
		k.Policy = escrow.Policy{RotateAfterView: escrow.Never, RotateEvery: 30 * 24 * time.Hour}
		c.Kinds = []escrow.Kind{k}
	})
	a := f.activate(t, "mac-1", escrow.KindRecoveryLock, "c1")
	if _, err := f.svc.Reveal(ctx, a.ID, "admin", admin, "check"); err != nil {
		t.Fatal(err)
	}
	rots, _ := f.svc.Due(ctx, a.ActivatedAt.Add(30*24*time.Hour))
	if len(rots) != 1 || rots[0].Reason != escrow.ReasonScheduled {
		t.Fatalf("scheduled rotation: %+v", rots)
	}
}

// Kinds that cannot be rotated are never due: a lock PIN, a bypass code, a
// reported key.
func TestNotRotated(t *testing.T) {
	f := newFixture(t, nil)
	pin := f.activate(t, "mac-1", escrow.KindDeviceLockPIN, "c1")
	fv, _ := f.svc.Report(ctx, "mac-1", escrow.KindFileVaultKey, escrow.NewSecret("ABCD-EFGH-1234-5678-WXYZ-0000"), "mdm")
	for _, id := range []string{pin.ID, fv.ID} {
		if _, err := f.svc.Reveal(ctx, id, "admin", admin, "check"); err != nil {
			t.Fatal(err)
		}
	}
	if rots, _ := f.svc.Due(ctx, t0.Add(48*time.Hour)); len(rots) != 0 {
		t.Fatalf("rotations of unrotatable kinds: %+v", rots)
	}
}

func TestAuthorizeDenied(t *testing.T) {
	f := newFixture(t, func(c *escrow.Config) {
		c.Authorize = func(_ context.Context, actor string, r escrow.Record) error {
			if actor != "owner-admin" || r.Kind != escrow.KindRecoveryLock {
				return errors.New("no")
			}
			return nil
		}
	})
	a := f.activate(t, "mac-1", escrow.KindRecoveryLock, "c1")
	if _, err := f.svc.Reveal(ctx, a.ID, "intruder", admin, "curious"); !errors.Is(err, escrow.ErrNotAllowed) {
		t.Fatalf("denied view: %v", err)
	}
	if _, err := f.svc.Reveal(ctx, a.ID, "owner-admin", admin, "needed"); err != nil {
		t.Fatalf("allowed view: %v", err)
	}
	evs, _ := f.svc.Events(ctx, escrow.EventQuery{RecordID: a.ID})
	n := len(evs)
	if evs[n-2].Type != escrow.EventViewDenied || evs[n-2].Actor != "intruder" || evs[n-1].Type != escrow.EventViewed {
		t.Errorf("events %+v", evs[n-2:])
	}
	if got, _ := f.svc.Get(ctx, a.ID); got.Views != 1 || got.RotateAt.IsZero() {
		t.Errorf("a denied view counted: %+v", got)
	}
}

// The Activation Lock bypass code is delivered as its hash.
func TestBypassDelivery(t *testing.T) {
	f := newFixture(t, nil)
	r, err := f.svc.Generate(ctx, "iphone-1", escrow.KindActivationBypass, "admin")
	if err != nil {
		t.Fatal(err)
	}
	code, err := f.svc.Deliver(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := escrow.BypassHash(code)
	if fips140.Enabled() {
		if !errors.Is(err, escrow.ErrFIPS) {
			t.Fatalf("FIPS 140-3 mode: BypassHash = %q, %v; want ErrFIPS", hash, err)
		}
		return
	}
	if err != nil || len(hash) != 64 {
		t.Fatalf("BypassHash: %q %v", hash, err)
	}
}
