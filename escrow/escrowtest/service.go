package escrowtest

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/escrow"
)

var src = netip.MustParseAddr("192.0.2.44")

// clock is a settable clock safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(t0.UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func newService(t *testing.T, s escrow.Store, c *clock) *escrow.Service {
	t.Helper()
	svc, err := escrow.New(escrow.Config{Store: s, SealKeys: escrow.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{3}, 32)}),
		SealKeyID: 1, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func activate(t *testing.T, svc *escrow.Service, device, kind, cmd string) escrow.Record {
	t.Helper()
	r, err := svc.Generate(ctx, device, kind, "admin")
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if _, err := svc.Sent(ctx, r.ID, cmd, "mdm"); err != nil {
		t.Fatalf("Sent: %v", err)
	}
	if r, err = svc.Acknowledge(ctx, cmd, "mdm"); err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	return r
}

// The whole lifecycle over the backend: generate, deliver, send,
// acknowledge, reveal, a second secret that supersedes the first, history
// by command ID.
func testLifecycle(t *testing.T, s escrow.Store) {
	c := newClock()
	svc := newService(t, s, c)
	r, err := svc.Generate(ctx, "mac-1", escrow.KindRecoveryLock, "admin")
	if err != nil {
		t.Fatal(err)
	}
	pw, err := svc.Deliver(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Sent(ctx, r.ID, "cmd-1", "mdm"); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Get(ctx, r.ID); got.State != escrow.Sent {
		t.Fatalf("state %s before the acknowledgement", got.State)
	}
	c.Advance(time.Minute)
	if _, err := svc.Acknowledge(ctx, "cmd-1", "mdm"); err != nil {
		t.Fatal(err)
	}
	shown, err := svc.Reveal(ctx, r.ID, "helpdesk", src, "ticket 7")
	if err != nil || !shown.Equal(pw.Reveal()) {
		t.Fatalf("Reveal: %v", err)
	}
	r2 := activate(t, svc, "mac-1", escrow.KindRecoveryLock, "cmd-2")
	hist, err := svc.History(ctx, "mac-1", escrow.KindRecoveryLock)
	if err != nil || len(hist) != 2 || hist[0].State != escrow.Rotated || hist[0].CommandID != "cmd-1" || hist[1].ID != r2.ID {
		t.Fatalf("history %+v, %v", hist, err)
	}
	evs, err := svc.Events(ctx, escrow.EventQuery{RecordID: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Type.String()+":"+e.To.String())
	}
	want := "[transition:generated transition:sent transition:active viewed:active transition:rotated]"
	if fmt.Sprint(kinds) != want {
		t.Errorf("trail %v, want %s", kinds, want)
	}
}

// Of Racers concurrent Generates for one device and kind exactly one
// succeeds; the others are refused with ErrInProgress naming it.
func testOneOpenRace(t *testing.T, s escrow.Store) {
	svc := newService(t, s, newClock())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	refused := 0
	for i := 0; i < Racers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := svc.Generate(ctx, "mac-1", escrow.KindDeviceLockPIN, fmt.Sprintf("admin-%d", i))
			mu.Lock()
			defer mu.Unlock()
			var ip *escrow.InProgressError
			switch {
			case err == nil:
				won = append(won, r.ID)
			case errors.As(err, &ip):
				refused++
			default:
				t.Errorf("Generate: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || refused != Racers-1 {
		t.Fatalf("%d locks opened, %d refused; want 1 and %d", len(won), refused, Racers-1)
	}
	hist, _ := svc.History(ctx, "mac-1", escrow.KindDeviceLockPIN)
	if len(hist) != 1 || hist[0].ID != won[0] {
		t.Fatalf("history %+v", hist)
	}
}

// Racing Due workers start each due rotation exactly once.
func testRotationRace(t *testing.T, s escrow.Store) {
	c := newClock()
	svc := newService(t, s, c)
	const devices = 6
	active := map[string]string{}
	for d := 0; d < devices; d++ {
		dev := fmt.Sprintf("mac-%d", d)
		r := activate(t, svc, dev, escrow.KindAdminPassword, "cmd-"+dev)
		if _, err := svc.Reveal(ctx, r.ID, "admin", src, "sign in"); err != nil {
			t.Fatal(err)
		}
		active[dev] = r.ID
	}
	c.Advance(escrow.DefaultRotateAfterView)
	var wg sync.WaitGroup
	var mu sync.Mutex
	started := map[string]int{}
	workers := Racers / 2
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rots, err := svc.Due(ctx, c.Now())
			if err != nil {
				t.Errorf("Due: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range rots {
				started[r.Record.DeviceID]++
				if r.Replaces != active[r.Record.DeviceID] || r.Reason != escrow.ReasonAfterView {
					t.Errorf("rotation %+v", r)
				}
			}
		}()
	}
	wg.Wait()
	if len(started) != devices {
		t.Fatalf("rotations started for %d devices, want %d: %v", len(started), devices, started)
	}
	for dev, n := range started {
		if n != 1 {
			t.Errorf("%s: rotation started %d times", dev, n)
		}
		hist, _ := svc.History(ctx, dev, escrow.KindAdminPassword)
		if len(hist) != 2 || hist[1].State != escrow.Generated {
			t.Errorf("%s: history %+v", dev, hist)
		}
	}
	if rots, _ := svc.Due(ctx, c.Now()); len(rots) != 0 {
		t.Errorf("Due after the race started %d more", len(rots))
	}
}

// Racers concurrent views of one secret: all are shown, each is recorded
// exactly once, and the rotation deadline is the first view's.
func testViewRace(t *testing.T, s escrow.Store) {
	c := newClock()
	svc := newService(t, s, c)
	r := activate(t, svc, "mac-1", escrow.KindAdminPassword, "cmd-1")
	before, _ := svc.Events(ctx, escrow.EventQuery{RecordID: r.ID})
	var wg sync.WaitGroup
	for i := 0; i < Racers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.Reveal(ctx, r.ID, fmt.Sprintf("viewer-%d", i), src, "race"); err != nil {
				t.Errorf("Reveal: %v", err)
			}
		}()
	}
	wg.Wait()
	evs, _ := svc.Events(ctx, escrow.EventQuery{RecordID: r.ID})
	seen := map[string]int{}
	for _, e := range evs[len(before):] {
		if e.Type == escrow.EventViewed {
			seen[e.Actor]++
		}
	}
	if len(evs)-len(before) != Racers || len(seen) != Racers {
		t.Fatalf("%d events for %d views (%d viewers)", len(evs)-len(before), Racers, len(seen))
	}
	for a, n := range seen {
		if n != 1 {
			t.Errorf("%s's view recorded %d times", a, n)
		}
	}
	got, _ := svc.Get(ctx, r.ID)
	if got.Views != Racers || !got.RotateAt.Equal(got.FirstViewedAt.Add(escrow.DefaultRotateAfterView)) {
		t.Errorf("views %d, rotate at %v, first view %v", got.Views, got.RotateAt, got.FirstViewedAt)
	}
}

// Purge deletes closed records older than the age with their sealed
// secrets, and events older than it; it keeps the Active and open ones.
func testPurge(t *testing.T, s escrow.Store) {
	c := newClock()
	svc := newService(t, s, c)
	old := activate(t, svc, "mac-1", escrow.KindRecoveryLock, "c1")
	failed, err := svc.Generate(ctx, "mac-2", escrow.KindDeviceLockPIN, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Retire(ctx, failed.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	c.Advance(24 * time.Hour)
	cur := activate(t, svc, "mac-1", escrow.KindRecoveryLock, "c2") // supersedes old
	c.Advance(10 * 24 * time.Hour)
	open, err := svc.Generate(ctx, "mac-1", escrow.KindRecoveryLock, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Purge(ctx, c.Now(), -time.Hour); !errors.Is(err, escrow.ErrRetentionAge) {
		t.Errorf("negative age: %v", err)
	}
	// 10.5 days: the retired PIN (closed 11 days ago) goes; the rotated
	// password (closed 10 days ago) stays.
	res, err := svc.Purge(ctx, c.Now(), 10*24*time.Hour+12*time.Hour)
	if err != nil || res.Records != 1 {
		t.Fatalf("Purge = %+v, %v; want 1 record", res, err)
	}
	if _, err := svc.Get(ctx, failed.ID); !errors.Is(err, escrow.ErrNotFound) {
		t.Errorf("purged record: %v", err)
	}
	if h, _ := svc.History(ctx, "mac-2", escrow.KindDeviceLockPIN); len(h) != 0 {
		t.Errorf("mac-2 history %+v", h)
	}
	res, err = svc.Purge(ctx, c.Now(), 24*time.Hour)
	if err != nil || res.Records != 1 || res.Events == 0 {
		t.Fatalf("second Purge = %+v, %v", res, err)
	}
	if _, err := svc.Reveal(ctx, old.ID, "admin", src, "too late"); !errors.Is(err, escrow.ErrNotFound) {
		t.Errorf("Reveal of a purged secret: %v", err)
	}
	for _, id := range []string{cur.ID, open.ID} {
		if _, err := svc.Get(ctx, id); err != nil {
			t.Errorf("kept record %s: %v", id, err)
		}
	}
	evs, _ := svc.Events(ctx, escrow.EventQuery{DeviceID: "mac-1"})
	for _, e := range evs {
		if e.At.Before(c.Now().Add(-24 * time.Hour)) {
			t.Errorf("event %+v older than the age survived", e)
		}
	}
	if _, err := svc.Acknowledge(ctx, "c1", "mdm"); !errors.Is(err, escrow.ErrNotFound) {
		t.Errorf("command of a purged record: %v", err)
	}
}
