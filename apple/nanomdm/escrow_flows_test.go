package nanomdm_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/apple/nanomdm"
	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/passcode"
)

var helpdesk = netip.MustParseAddr("192.0.2.7")

// record returns the escrow's record id.
func (h *harness) record(id string) escrow.Record {
	h.t.Helper()
	r, err := h.escrow.Get(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// escrowEvents lists the escrow's events of devices, as "type:from>to/actor".
func (h *harness) escrowEvents(recordID string) []string {
	h.t.Helper()
	evs, err := h.escrow.Events(ctx, escrow.EventQuery{RecordID: recordID})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%s:%s>%s/%s", e.Type, e.From, e.To, e.Actor))
	}
	return out
}

// escrowHay is everything the escrow holds for devices: every event (as
// fmt and JSON show it) and every stored row.
func (h *harness) escrowHay(devices []string) [][]byte {
	h.t.Helper()
	var hay [][]byte
	for _, d := range devices {
		evs, err := h.escrow.Events(ctx, escrow.EventQuery{DeviceID: d})
		if err != nil {
			h.t.Fatal(err)
		}
		if len(evs) == 0 {
			h.t.Fatalf("no escrow events for %s", d)
		}
		for _, e := range evs {
			j, err := json.Marshal(e)
			if err != nil {
				h.t.Fatal(err)
			}
			hay = append(hay, []byte(fmt.Sprintf("%+v %#v", e, e)), j)
		}
		for _, k := range []string{escrow.KindDeviceLockPIN, escrow.KindRecoveryLock} {
			row, err := h.escrowDB.Load(ctx, escrow.Key{DeviceID: d, Kind: k})
			if errors.Is(err, escrow.ErrNotFound) {
				continue
			}
			if err != nil {
				h.t.Fatal(err)
			}
			hay = append(hay, row.Data)
		}
	}
	return hay
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// The escrow package as the middleware's secret source, end to end through
// NanoMDM and the simulated device: lock PINs and Recovery Lock passwords
// generated and sealed by the escrow, filled in at delivery, in force only
// once the device acknowledged, revealed with an audit event, rotated after
// view through the same path; and none of them in NanoMDM's storage, any
// log line, or the escrow's events and rows.
func TestEscrowFlows(t *testing.T) {
	h := newEscrowHarness(t)
	var secrets []string // every PIN and password the devices received
	var devices []string
	defer func() {
		hay := append(h.storage(), h.logs.Bytes())
		hay = append(hay, h.escrowHay(devices)...)
		n := 0
		for _, s := range secrets {
			for _, hit := range hits(hay, []byte(s)) {
				t.Errorf("secret found: %s", hit)
				n++
			}
		}
		if len(secrets) < 5 {
			t.Errorf("only %d secrets planted", len(secrets))
		}
		t.Logf("scanned NanoMDM's storage, %d bytes of logs and the escrow's events and rows of %d devices for %d secrets: %d hits",
			len(h.logs.Bytes()), len(devices), len(secrets), n)
	}()
	enroll := func(name string) *device {
		d := h.enroll(name, nil)
		devices = append(devices, d.udid)
		return d
	}

	t.Run("macOS lock with an escrowed PIN: active after the ack, a second lock refused, revealed and audited", func(t *testing.T) {
		mac := enroll("Mac")
		rec, err := h.escrow.Generate(ctx, mac.udid, escrow.KindDeviceLockPIN, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		lock, _ := apple.NewDeviceLock(newUUID(t), apple.Lock{Message: "Locked by IT", PIN: true})
		if _, err := apple.Check(h.appleDevice(mac, passcode.MacOS, "14.4", false, true), lock, time.Now()); err != nil {
			t.Fatal(err)
		}
		// A DeviceLock without a PIN does not carry the escrowed one.
		bare, _ := apple.NewDeviceLock(newUUID(t), apple.Lock{})
		if _, err := h.escrowSrc.Queue(ctx, h.store, rec.ID, bare); !errors.Is(err, nanomdm.ErrMismatch) {
			t.Fatalf("Queue of a lock without PIN: %v", err)
		}
		if r, err := h.escrowSrc.Queue(ctx, h.store, rec.ID, lock); err != nil || r.State != escrow.Sent || r.CommandID != lock.UUID {
			t.Fatalf("Queue = %+v, %v", r, err)
		}
		// A second lock while this one is open is refused, not stacked.
		if _, err := h.escrow.Generate(ctx, mac.udid, escrow.KindDeviceLockPIN, "admin2@example.com"); !errors.Is(err, escrow.ErrInProgress) {
			t.Fatalf("second lock: %v", err)
		}

		cmd := mac.poll()
		if cmd == nil || cmd.UUID != lock.UUID || cmd.RequestType != "DeviceLock" {
			t.Fatalf("device got %+v", cmd)
		}
		pin, _ := cmd.Body["PIN"].(string)
		if !sixDigits.MatchString(pin) {
			t.Fatalf("PIN delivered %q", pin)
		}
		secrets = append(secrets, pin)
		if s := h.record(rec.ID).State; s != escrow.Sent {
			t.Fatalf("delivered, not acknowledged: %s", s)
		}
		mac.report("Acknowledged", cmd.UUID, map[string]any{"MessageResult": "Success"})
		if s := h.record(rec.ID).State; s != escrow.Active {
			t.Fatalf("after the ack: %s", s)
		}

		shown, err := h.escrow.Reveal(ctx, rec.ID, "helpdesk@example.com", helpdesk, "user at the desk, ticket 42")
		if err != nil || !shown.Equal(pin) {
			t.Fatalf("Reveal: %v (equal %v)", err, shown.Equal(pin))
		}
		evs, err := h.escrow.Events(ctx, escrow.EventQuery{RecordID: rec.ID})
		if err != nil {
			t.Fatal(err)
		}
		v := evs[len(evs)-1]
		if v.Type != escrow.EventViewed || v.Actor != "helpdesk@example.com" || v.Source != helpdesk ||
			v.Reason != "user at the desk, ticket 42" || v.CommandID != lock.UUID || v.At.IsZero() {
			t.Errorf("view event %+v", v)
		}
		want := []string{"transition:none>generated/admin@example.com", "transition:generated>sent/nanomdm",
			"transition:sent>active/nanomdm", "viewed:active>active/helpdesk@example.com"}
		if got := h.escrowEvents(rec.ID); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("events %v, want %v", got, want)
		}
		// The lock is closed: a new one may start.
		next, err := h.escrow.Generate(ctx, mac.udid, escrow.KindDeviceLockPIN, "admin@example.com")
		if err != nil {
			t.Fatalf("a lock after the first was acknowledged: %v", err)
		}
		if _, err := h.escrow.Retire(ctx, next.ID, "admin@example.com"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Recovery Lock: NotNow then Acknowledged, active only after the ack, rotated after view", func(t *testing.T) {
		mac := enroll("Mac")
		dev := h.appleDevice(mac, passcode.MacOS, "14.4", false, true)
		rec, err := h.escrow.Generate(ctx, mac.udid, escrow.KindRecoveryLock, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		// No password is in force yet: the command must not ask for one.
		wrong, _ := apple.NewSetRecoveryLock(newUUID(t), apple.RecoveryLock{HasCurrent: true})
		if _, err := h.escrowSrc.Queue(ctx, h.store, rec.ID, wrong); !errors.Is(err, nanomdm.ErrMismatch) {
			t.Fatalf("Queue with a CurrentPassword none is set: %v", err)
		}
		set, _ := apple.NewSetRecoveryLock(newUUID(t), apple.RecoveryLock{})
		if _, err := apple.Check(dev, set, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := h.escrowSrc.Queue(ctx, h.store, rec.ID, set); err != nil {
			t.Fatal(err)
		}
		cmd := mac.poll()
		first, _ := cmd.Body["NewPassword"].(string)
		if cmd.UUID != set.UUID || len(first) != escrow.RecoveryLockDefaultLength || cmd.Body["CurrentPassword"] != nil {
			t.Fatalf("device got %+v", cmd)
		}
		secrets = append(secrets, first)
		if next := mac.report("NotNow", cmd.UUID, nil); next != nil {
			t.Fatalf("after NotNow the server sent %+v", next)
		}
		if s := h.record(rec.ID).State; s != escrow.Sent {
			t.Fatalf("after NotNow: %s", s)
		}
		cmd = mac.poll() // the device asks again later
		if cmd == nil || cmd.UUID != set.UUID || cmd.Body["NewPassword"] != first {
			t.Fatalf("redelivery: %+v", cmd)
		}
		if s := h.record(rec.ID).State; s != escrow.Sent {
			t.Fatalf("delivered again, not acknowledged: %s", s)
		}
		mac.report("Acknowledged", cmd.UUID, nil)
		if s := h.record(rec.ID).State; s != escrow.Active {
			t.Fatalf("after the ack: %s", s)
		}

		// An admin views it; an hour later the rotation is due.
		shown, err := h.escrow.Reveal(ctx, rec.ID, "helpdesk@example.com", helpdesk, "recoveryOS at the desk")
		if err != nil || !shown.Equal(first) {
			t.Fatalf("Reveal: %v", err)
		}
		if rots, err := h.escrow.Due(ctx, h.clock.Now()); err != nil || len(rots) != 0 {
			t.Fatalf("Due before the hour: %v, %v", rots, err)
		}
		h.clock.Advance(escrow.DefaultRotateAfterView)
		rots, err := h.escrow.Due(ctx, h.clock.Now())
		if err != nil || len(rots) != 1 {
			t.Fatalf("Due: %+v, %v", rots, err)
		}
		rot := rots[0]
		if rot.Replaces != rec.ID || rot.Reason != escrow.ReasonAfterView || rot.Record.DeviceID != mac.udid {
			t.Fatalf("rotation %+v", rot)
		}
		// The same path: SetRecoveryLock, now with the current password.
		rotate, _ := apple.NewSetRecoveryLock(newUUID(t), apple.RecoveryLock{HasCurrent: true})
		if _, err := h.escrowSrc.Queue(ctx, h.store, rot.Record.ID, rotate); err != nil {
			t.Fatal(err)
		}
		cmd = mac.poll()
		second, _ := cmd.Body["NewPassword"].(string)
		if cmd.UUID != rotate.UUID || cmd.Body["CurrentPassword"] != first || len(second) != escrow.RecoveryLockDefaultLength || second == first {
			t.Fatalf("rotation delivered %+v", cmd)
		}
		secrets = append(secrets, second)
		if a, b := h.record(rec.ID).State, h.record(rot.Record.ID).State; a != escrow.Active || b != escrow.Sent {
			t.Fatalf("rotation delivered, not acknowledged: old %s, new %s", a, b)
		}
		mac.report("Acknowledged", cmd.UUID, nil)
		if a, b := h.record(rec.ID).State, h.record(rot.Record.ID).State; a != escrow.Rotated || b != escrow.Active {
			t.Fatalf("after the rotation's ack: old %s, new %s", a, b)
		}
		// Repeated and late reports change nothing: the first final outcome
		// decided.
		before := h.escrowEvents(rot.Record.ID)
		mac.report("Acknowledged", rotate.UUID, nil)
		mac.report("Error", rotate.UUID, errorChain(12, "MDMErrorDomain", "late"))
		if got := h.escrowEvents(rot.Record.ID); fmt.Sprint(got) != fmt.Sprint(before) || h.record(rot.Record.ID).State != escrow.Active {
			t.Errorf("after repeated reports: %v, want %v", got, before)
		}
		want := []string{"transition:none>generated/system", "transition:generated>sent/nanomdm", "transition:sent>active/nanomdm"}
		if fmt.Sprint(before) != fmt.Sprint(want) {
			t.Errorf("rotation events %v, want %v", before, want)
		}
	})

	t.Run("an Error leaves the secret failed with no active claim", func(t *testing.T) {
		mac := enroll("Mac")
		rec, err := h.escrow.Generate(ctx, mac.udid, escrow.KindRecoveryLock, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		set, _ := apple.NewSetRecoveryLock(newUUID(t), apple.RecoveryLock{})
		if _, err := h.escrowSrc.Queue(ctx, h.store, rec.ID, set); err != nil {
			t.Fatal(err)
		}
		cmd := mac.poll()
		pw, _ := cmd.Body["NewPassword"].(string)
		secrets = append(secrets, pw)
		mac.report("Error", cmd.UUID, errorChain(12081, "MDMErrorDomain", "Recovery Lock could not be set."))
		mac.report("Acknowledged", cmd.UUID, nil) // a late ack does not revive it
		hist, err := h.escrow.History(ctx, mac.udid, escrow.KindRecoveryLock)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1 || hist[0].State != escrow.Failed {
			t.Fatalf("history %+v", hist)
		}
		// With nothing in force, the next attempt sets a password afresh.
		next, err := h.escrow.Generate(ctx, mac.udid, escrow.KindRecoveryLock, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		again, _ := apple.NewSetRecoveryLock(newUUID(t), apple.RecoveryLock{})
		if _, err := h.escrowSrc.Queue(ctx, h.store, next.ID, again); err != nil {
			t.Fatalf("a fresh set after a failure: %v", err)
		}
		cmd = mac.poll()
		pw, _ = cmd.Body["NewPassword"].(string)
		secrets = append(secrets, pw)
		if cmd.Body["CurrentPassword"] != nil {
			t.Errorf("the failed password is offered as current: %+v", cmd)
		}
		mac.report("Acknowledged", cmd.UUID, nil)
	})

	t.Run("another device can neither fetch nor report a command", func(t *testing.T) {
		mac, other := enroll("Mac"), h.enroll("Mac", nil) // other has no escrow records
		rec, err := h.escrow.Generate(ctx, mac.udid, escrow.KindDeviceLockPIN, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		lock, _ := apple.NewDeviceLock(newUUID(t), apple.Lock{PIN: true})
		if _, err := h.escrowSrc.Queue(ctx, h.store, rec.ID, lock); err != nil {
			t.Fatal(err)
		}
		if got := other.report("Acknowledged", lock.UUID, nil); got != nil {
			t.Fatalf("other device got %+v", got)
		}
		other.report("Error", lock.UUID, errorChain(1, "x", "y"))
		if s := h.record(rec.ID).State; s != escrow.Sent {
			t.Fatalf("a foreign report moved the secret to %s", s)
		}
		if _, err := h.escrowSrc.Plaintext(ctx, other.udid, lock.UUID); !errors.Is(err, nanomdm.ErrUnknownCommand) {
			t.Errorf("Plaintext for another device: %v", err)
		}
		cmd := mac.poll()
		pin, _ := cmd.Body["PIN"].(string)
		secrets = append(secrets, pin)
		mac.report("Acknowledged", cmd.UUID, nil)
		if s := h.record(rec.ID).State; s != escrow.Active {
			t.Fatalf("after the owner's ack: %s", s)
		}
	})

	t.Run("a command whose secret failed before delivery is not sent", func(t *testing.T) {
		mac := enroll("Mac")
		rec, err := h.escrow.Generate(ctx, mac.udid, escrow.KindDeviceLockPIN, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		lock, _ := apple.NewDeviceLock(newUUID(t), apple.Lock{PIN: true})
		if _, err := h.escrowSrc.Queue(ctx, h.store, rec.ID, lock); err != nil {
			t.Fatal(err)
		}
		if _, err := h.escrow.Fail(ctx, lock.UUID, "admin@example.com"); err != nil { // the admin cancelled
			t.Fatal(err)
		}
		if cmd := mac.poll(); cmd != nil {
			t.Fatalf("device got %+v", cmd)
		}
		if s := h.record(rec.ID).State; s != escrow.Failed {
			t.Fatalf("%s", s)
		}
	})

	t.Run("a lock PIN that expired unfetched is not sent", func(t *testing.T) {
		mac := enroll("Mac")
		rec, err := h.escrow.Generate(ctx, mac.udid, escrow.KindDeviceLockPIN, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		lock, _ := apple.NewDeviceLock(newUUID(t), apple.Lock{PIN: true})
		if _, err := h.escrowSrc.Queue(ctx, h.store, rec.ID, lock); err != nil {
			t.Fatal(err)
		}
		// The Mac stays off past the stale deadline; Due expires the PIN.
		h.clock.Advance(escrow.DefaultStaleAfter)
		if _, err := h.escrow.Due(ctx, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if s := h.record(rec.ID).State; s != escrow.Expired {
			t.Fatalf("after the deadline: %s", s)
		}
		if cmd := mac.poll(); cmd != nil {
			t.Fatalf("an expired PIN was sent: %+v", cmd)
		}
		// Failed off NanoMDM's queue, and so in the escrow: no claim left.
		if s := h.record(rec.ID).State; s != escrow.Failed {
			t.Fatalf("after the refused delivery: %s", s)
		}
		if _, err := h.escrow.Generate(ctx, mac.udid, escrow.KindDeviceLockPIN, "admin@example.com"); err != nil {
			t.Fatalf("a new lock after the expired one: %v", err)
		}
	})
}
