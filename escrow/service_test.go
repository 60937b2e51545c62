package escrow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/mdmcredtest"
)

var (
	t0    = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	admin = netip.MustParseAddr("192.0.2.10")
	ctx   = context.Background()
)

type fixture struct {
	svc   *escrow.Service
	store *escrow.MemStore
	clock *mdmcredtest.Clock
	log   *bytes.Buffer
}

func newFixture(t testing.TB, edit func(*escrow.Config)) *fixture {
	t.Helper()
	f, err := buildFixture(edit)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func buildFixture(edit func(*escrow.Config)) (*fixture, error) {
	f := &fixture{store: escrow.NewMemStore(), clock: mdmcredtest.NewClock(t0), log: &bytes.Buffer{}}
	cfg := escrow.Config{
		Store:     f.store,
		SealKeys:  escrow.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{7}, 32)}),
		SealKeyID: 1,
		Now:       f.clock.Now,
		Rand:      mdmcredtest.Reader(rand.New(rand.NewSource(1))),
		Logger:    slog.New(slog.NewTextHandler(f.log, nil)),
	}
	if edit != nil {
		edit(&cfg)
	}
	svc, err := escrow.New(cfg)
	f.svc = svc
	return f, err
}

// activate generates, sends and acknowledges a secret of kind on device.
func (f *fixture) activate(t testing.TB, device, kind, cmd string) escrow.Record {
	t.Helper()
	r, err := f.svc.Generate(ctx, device, kind, "admin-1")
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if _, err := f.svc.Sent(ctx, r.ID, cmd, "mdm"); err != nil {
		t.Fatalf("Sent: %v", err)
	}
	r, err = f.svc.Acknowledge(ctx, cmd, "mdm")
	if err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	return r
}

func TestLockFlow(t *testing.T) {
	f := newFixture(t, nil)
	r, err := f.svc.Generate(ctx, "mac-1", escrow.KindDeviceLockPIN, "admin-1")
	if err != nil {
		t.Fatal(err)
	}
	if r.State != escrow.Generated || r.Version != 1 || len(r.Sealed) == 0 {
		t.Fatalf("generated %+v", r)
	}
	pin, err := f.svc.Deliver(ctx, r.ID)
	if err != nil || len(pin.Reveal()) != 6 {
		t.Fatalf("Deliver: %v", err)
	}
	// A second lock while the first is being set is refused, not stacked.
	_, err = f.svc.Generate(ctx, "mac-1", escrow.KindDeviceLockPIN, "admin-2")
	var ip *escrow.InProgressError
	if !errors.As(err, &ip) || ip.RecordID != r.ID || !errors.Is(err, escrow.ErrInProgress) {
		t.Fatalf("second Generate: %v", err)
	}
	if _, err := f.svc.Sent(ctx, r.ID, "cmd-1", "mdm"); err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.Get(ctx, r.ID)
	if got.State != escrow.Sent || got.CommandID != "cmd-1" {
		t.Fatalf("after Sent: %+v", got)
	}
	// Never active before the device acknowledged.
	if a, err := f.svc.Acknowledge(ctx, "cmd-1", "mdm"); err != nil || a.State != escrow.Active {
		t.Fatalf("Acknowledge: %+v %v", a, err)
	}
	// A repeated acknowledgement changes nothing.
	evs, _ := f.svc.Events(ctx, escrow.EventQuery{RecordID: r.ID})
	if _, err := f.svc.Acknowledge(ctx, "cmd-1", "mdm"); err != nil {
		t.Fatal(err)
	}
	evs2, _ := f.svc.Events(ctx, escrow.EventQuery{RecordID: r.ID})
	if len(evs2) != len(evs) {
		t.Errorf("repeated acknowledgement recorded %d events", len(evs2)-len(evs))
	}
	// Delivery is for open secrets only; the admin reveals.
	if _, err := f.svc.Deliver(ctx, r.ID); !errors.Is(err, escrow.ErrNotPending) {
		t.Errorf("Deliver of an active secret: %v", err)
	}
	shown, err := f.svc.Reveal(ctx, r.ID, "admin-2", admin, "user on the phone")
	if err != nil || !shown.Equal(pin.Reveal()) {
		t.Fatalf("Reveal: %v", err)
	}
	// A second lock after the first took effect: the first PIN stays in
	// the history, by its command ID.
	r2 := f.activate(t, "mac-1", escrow.KindDeviceLockPIN, "cmd-2")
	hist, _ := f.svc.History(ctx, "mac-1", escrow.KindDeviceLockPIN)
	if len(hist) != 2 || hist[0].State != escrow.Rotated || hist[0].CommandID != "cmd-1" || hist[1].ID != r2.ID || hist[1].Version != 2 {
		t.Fatalf("history %+v", hist)
	}
	if old, err := f.svc.Reveal(ctx, r.ID, "admin-2", admin, "which PIN did the first lock use"); err != nil || !old.Equal(pin.Reveal()) {
		t.Fatalf("Reveal of the first PIN: %v", err)
	}
	// No secret in the log or the events.
	all, _ := f.svc.Events(ctx, escrow.EventQuery{DeviceID: "mac-1"})
	if strings.Contains(f.log.String(), pin.Reveal()) || strings.Contains(fmt.Sprintf("%+v", all), pin.Reveal()) {
		t.Error("the PIN reached the log or the events")
	}
}

func TestFailKeepsActive(t *testing.T) {
	f := newFixture(t, nil)
	a := f.activate(t, "mac-1", escrow.KindRecoveryLock, "c1")
	r, _ := f.svc.Generate(ctx, "mac-1", escrow.KindRecoveryLock, "admin-1")
	if _, err := f.svc.Sent(ctx, r.ID, "c2", "mdm"); err != nil {
		t.Fatal(err)
	}
	if got, err := f.svc.Fail(ctx, "c2", "mdm"); err != nil || got.State != escrow.Failed {
		t.Fatalf("Fail: %+v %v", got, err)
	}
	if got, _ := f.svc.Get(ctx, a.ID); got.State != escrow.Active {
		t.Errorf("the active password went %s after a failed rotation", got.State)
	}
	// A fresh one may be generated now.
	if _, err := f.svc.Generate(ctx, "mac-1", escrow.KindRecoveryLock, "admin-1"); err != nil {
		t.Errorf("Generate after failure: %v", err)
	}
}

func TestStaleAndLateAcknowledgement(t *testing.T) {
	f := newFixture(t, nil)
	r, _ := f.svc.Generate(ctx, "mac-1", escrow.KindRecoveryLock, "admin-1")
	if _, err := f.svc.Sent(ctx, r.ID, "c1", "mdm"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(escrow.DefaultStaleAfter)
	if rots, err := f.svc.Due(ctx, f.clock.Now()); err != nil || len(rots) != 0 {
		t.Fatalf("Due: %v %v", rots, err)
	}
	if got, _ := f.svc.Get(ctx, r.ID); got.State != escrow.Expired {
		t.Fatalf("stale secret is %s", got.State)
	}
	// The device comes back and acknowledges: it did set the password.
	if got, err := f.svc.Acknowledge(ctx, "c1", "mdm"); err != nil || got.State != escrow.Active {
		t.Fatalf("late Acknowledge: %+v %v", got, err)
	}
}

func TestGenerateExpiresStaleOpen(t *testing.T) {
	f := newFixture(t, nil)
	r, _ := f.svc.Generate(ctx, "mac-1", escrow.KindDeviceLockPIN, "admin-1")
	f.clock.Advance(escrow.DefaultStaleAfter - time.Microsecond)
	if _, err := f.svc.Generate(ctx, "mac-1", escrow.KindDeviceLockPIN, "admin-1"); !errors.Is(err, escrow.ErrInProgress) {
		t.Fatalf("just before the deadline: %v", err)
	}
	f.clock.Advance(time.Microsecond)
	if _, err := f.svc.Generate(ctx, "mac-1", escrow.KindDeviceLockPIN, "admin-1"); err != nil {
		t.Fatalf("at the deadline: %v", err)
	}
	if got, _ := f.svc.Get(ctx, r.ID); got.State != escrow.Expired {
		t.Errorf("old one is %s", got.State)
	}
}

func TestReport(t *testing.T) {
	f := newFixture(t, nil)
	key := "ABCD-EFGH-1234-5678-WXYZ-0000"
	r, err := f.svc.Report(ctx, "mac-1", escrow.KindFileVaultKey, escrow.NewSecret(key), "mdm")
	if err != nil || r.State != escrow.Active {
		t.Fatalf("Report: %+v %v", r, err)
	}
	r2, err := f.svc.Report(ctx, "mac-1", escrow.KindFileVaultKey, escrow.NewSecret("ZZZZ-EFGH-1234-5678-WXYZ-0000"), "mdm")
	if err != nil {
		t.Fatal(err)
	}
	if old, _ := f.svc.Get(ctx, r.ID); old.State != escrow.Rotated || r2.Version != 2 {
		t.Errorf("old %s, new version %d", old.State, r2.Version)
	}
	_, err = f.svc.Report(ctx, "mac-1", escrow.KindFileVaultKey, escrow.NewSecret("not a key"), "mdm")
	var e *escrow.Error
	if !errors.As(err, &e) || e.Field != "Secret" || strings.Contains(err.Error(), "not a key") {
		t.Errorf("malformed key: %v", err)
	}
	if _, err := f.svc.Generate(ctx, "mac-1", escrow.KindFileVaultKey, "admin"); !errors.Is(err, escrow.ErrInvalidRequest) {
		t.Errorf("Generate of a stored kind: %v", err)
	}
	if _, err := f.svc.Reveal(ctx, r.ID, "admin", admin, "audit"); err != nil {
		t.Errorf("Reveal of a reported key: %v", err)
	}
}

func TestRetire(t *testing.T) {
	f := newFixture(t, nil)
	a := f.activate(t, "mac-1", escrow.KindAdminPassword, "c1")
	if got, err := f.svc.Retire(ctx, a.ID, "admin"); err != nil || got.State != escrow.Retired {
		t.Fatalf("Retire: %+v %v", got, err)
	}
	_, err := f.svc.Retire(ctx, a.ID, "admin")
	var te *escrow.TransitionError
	if !errors.As(err, &te) || te.From != escrow.Retired || te.Input != escrow.Retire {
		t.Errorf("second Retire: %v", err)
	}
}

func TestRequestErrors(t *testing.T) {
	f := newFixture(t, nil)
	a := f.activate(t, "mac-1", escrow.KindAdminPassword, "c1")
	cases := []struct {
		name  string
		err   error
		field string
		call  func() error
	}{
		{"empty device", escrow.ErrInvalidRequest, "DeviceID", func() error { _, err := f.svc.Generate(ctx, "", escrow.KindDeviceLockPIN, "a"); return err }},
		{"control in device", escrow.ErrInvalidRequest, "DeviceID", func() error { _, err := f.svc.Generate(ctx, "d\x00", escrow.KindDeviceLockPIN, "a"); return err }},
		{"unknown kind", escrow.ErrInvalidRequest, "Kind", func() error { _, err := f.svc.Generate(ctx, "d", "nope", "a"); return err }},
		{"no actor", escrow.ErrInvalidRequest, "Actor", func() error { _, err := f.svc.Generate(ctx, "d", escrow.KindDeviceLockPIN, ""); return err }},
		{"no source", escrow.ErrInvalidRequest, "Source", func() error { _, err := f.svc.Reveal(ctx, a.ID, "a", netip.Addr{}, "why"); return err }},
		{"no reason", escrow.ErrInvalidRequest, "Reason", func() error { _, err := f.svc.Reveal(ctx, a.ID, "a", admin, ""); return err }},
		{"unknown record", escrow.ErrNotFound, "", func() error { _, err := f.svc.Reveal(ctx, "nope", "a", admin, "why"); return err }},
		{"unknown command", escrow.ErrNotFound, "", func() error { _, err := f.svc.Acknowledge(ctx, "nope", "mdm"); return err }},
		{"command reused", escrow.ErrInvalidRequest, "CommandID", func() error {
			r, err := f.svc.Generate(ctx, "mac-2", escrow.KindAdminPassword, "a")
			if err != nil {
				return err
			}
			_, err = f.svc.Sent(ctx, r.ID, "c1", "mdm")
			return err
		}},
	}
	for _, c := range cases {
		err := c.call()
		if !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
			continue
		}
		var e *escrow.Error
		if c.field != "" && (!errors.As(err, &e) || e.Field != c.field) {
			t.Errorf("%s: %v, want field %s", c.name, err, c.field)
		}
	}
}

func nilCtx() context.Context { return nil }

func TestConfigErrors(t *testing.T) {
	good := escrow.NewKeys(map[uint8][]byte{1: make([]byte, 32)})
	for _, c := range []struct {
		name string
		cfg  escrow.Config
	}{
		{"no store", escrow.Config{SealKeys: good, SealKeyID: 1}},
		{"no keys", escrow.Config{Store: escrow.NewMemStore()}},
		{"short key", escrow.Config{Store: escrow.NewMemStore(), SealKeys: escrow.NewKeys(map[uint8][]byte{1: make([]byte, 16)}), SealKeyID: 1}},
		{"negative stale", escrow.Config{Store: escrow.NewMemStore(), SealKeys: good, SealKeyID: 1, StaleAfter: -time.Second}},
		{"duplicate kind", escrow.Config{Store: escrow.NewMemStore(), SealKeys: good, SealKeyID: 1, Kinds: []escrow.Kind{escrow.DeviceLockPIN(), escrow.DeviceLockPIN()}}},
		{"bad kind name", escrow.Config{Store: escrow.NewMemStore(), SealKeys: good, SealKeyID: 1, Kinds: []escrow.Kind{{Name: "a\tb"}}}},
		{"stored kind rotated", escrow.Config{Store: escrow.NewMemStore(), SealKeys: good, SealKeyID: 1, Kinds: []escrow.Kind{{Name: "x", Policy: escrow.Policy{RotateEvery: time.Hour}}}}},
		{"bad policy", escrow.Config{Store: escrow.NewMemStore(), SealKeys: good, SealKeyID: 1, Kinds: []escrow.Kind{{Name: "x", Policy: escrow.Policy{RotateEvery: -2}}}}},
	} {
		if _, err := escrow.New(c.cfg); !errors.Is(err, escrow.ErrConfig) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
