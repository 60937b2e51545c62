package nanomdm_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/apple/nanomdm"
	"github.com/mdmcred/mdmcred/passcode"
)

var ctx = context.Background()

func newUUID(t *testing.T) string {
	t.Helper()
	u, err := apple.NewCommandUUID(nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// appleDevice is what the host's inventory says, with the UnlockToken's
// time from the middleware.
func (h *harness) appleDevice(d *device, p passcode.Platform, os string, supervised, silicon bool) apple.Device {
	at, err := h.mw.UnlockTokenAt(ctx, d.udid)
	if err != nil && !errors.Is(err, nanomdm.ErrNoToken) {
		h.t.Fatal(err)
	}
	return apple.Device{Platform: p, OSVersion: os, Supervised: supervised, AppleSilicon: silicon, UnlockTokenAt: at}
}

func transitions(t *testing.T, h *harness, resetID string) []string {
	t.Helper()
	evs, err := h.resets.Events(ctx, passcode.EventQuery{ResetID: resetID})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind.String()+":"+e.To.String()+"/"+e.Actor)
	}
	return out
}

// The planted secrets, checked for in nanomdm's storage and every log line
// at the end of TestFlows.
type planted struct {
	tokens  [][]byte
	secrets []string
}

func TestFlows(t *testing.T) {
	h := newHarness(t)
	var p planted
	defer func() {
		// Nothing of the devices' secrets in nanomdm's storage or in any log
		// line (nanomdm's, the middleware's, the passcode service's).
		hay := append(h.storage(), h.logs.Bytes())
		if len(hay) < 20 {
			t.Fatalf("storage looks empty: %d entries", len(hay))
		}
		n := 0
		for _, tok := range p.tokens {
			for _, hit := range hits(hay, tok) {
				t.Errorf("unlock token found: %s", hit)
				n++
			}
		}
		for _, s := range p.secrets {
			for _, hit := range hits(hay, []byte(s)) {
				t.Errorf("secret found: %s", hit)
				n++
			}
		}
		t.Logf("scanned %d storage entries and %d bytes of logs for %d secrets: %d hits", len(hay)-1, len(h.logs.Bytes()), len(p.tokens)+len(p.secrets), n)
	}()

	t.Run("iOS passcode clear succeeds", func(t *testing.T) {
		token := []byte("UNLOCK-" + randHex(24))
		p.tokens = append(p.tokens, token)
		phone := h.enroll("iPhone", token)
		dev := h.appleDevice(phone, passcode.IOS, "17.4", true, false)
		clear, _ := apple.NewClearPasscode(newUUID(t))
		capab, err := apple.Check(dev, clear, time.Now())
		if err != nil || capab.UnlockTokenAge < 0 || capab.UnlockTokenAge > time.Minute {
			t.Fatalf("Check = %+v, %v", capab, err)
		}
		res, err := h.resets.Request(ctx, passcode.ResetRequest{Device: passcode.Device{ID: phone.udid, Platform: passcode.IOS, UnlockTokenEscrowed: true}, Actor: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		h.queue(phone, clear, res.Reset.ID, apple.Secrets{})

		cmd := phone.poll()
		if cmd == nil || cmd.RequestType != "ClearPasscode" || cmd.UUID != clear.UUID {
			t.Fatalf("device got %+v", cmd)
		}
		if got, _ := cmd.Body["UnlockToken"].([]byte); !bytes.Equal(got, token) {
			t.Fatalf("UnlockToken delivered %q, want the device's own", got)
		}
		if next := phone.report("Acknowledged", cmd.UUID, nil); next != nil {
			t.Fatalf("unexpected command %+v", next)
		}
		if s := h.state(res.Reset.ID); s != passcode.Succeeded {
			t.Fatalf("reset %s, want succeeded", s)
		}
		want := []string{"transition:requested/admin", "transition:pending/nanomdm", "transition:acknowledged/nanomdm", "transition:succeeded/nanomdm"}
		if got := transitions(t, h, res.Reset.ID); len(got) != len(want) || got[3] != want[3] || got[2] != want[2] {
			t.Errorf("events %v, want %v", got, want)
		}
	})

	t.Run("iPad without unlock token is refused", func(t *testing.T) {
		ipad := h.enroll("iPad", nil)
		clear, _ := apple.NewClearPasscode(newUUID(t))
		if _, err := apple.Check(h.appleDevice(ipad, passcode.IPadOS, "17.0", false, false), clear, time.Now()); !errors.Is(err, apple.ErrUnsupported) {
			t.Fatalf("Check = %v", err)
		}
	})

	t.Run("macOS lock with PIN, a second lock refused, PIN revealed and audited", func(t *testing.T) {
		mac := h.enroll("Mac", nil)
		res, err := h.resets.Request(ctx, passcode.ResetRequest{Device: passcode.Device{ID: mac.udid, Platform: passcode.MacOS}, Actor: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		pin := res.Passcode
		p.secrets = append(p.secrets, pin.Reveal())
		lock, _ := apple.NewDeviceLock(newUUID(t), apple.Lock{Message: "Locked by IT <helpdesk & co>", PIN: true})
		if _, err := apple.Check(h.appleDevice(mac, passcode.MacOS, "14.4", false, true), lock, time.Now()); err != nil {
			t.Fatal(err)
		}
		h.queue(mac, lock, res.Reset.ID, apple.Secrets{PIN: pin})

		// A second lock while this one is open is refused, not stacked.
		if _, err := h.resets.Request(ctx, passcode.ResetRequest{Device: passcode.Device{ID: mac.udid, Platform: passcode.MacOS}, Actor: "admin2"}); !errors.Is(err, passcode.ErrResetInProgress) {
			t.Fatalf("second lock: %v", err)
		}

		cmd := mac.poll()
		if cmd == nil || cmd.RequestType != "DeviceLock" || cmd.Body["PIN"] != pin.Reveal() || cmd.Body["Message"] != "Locked by IT <helpdesk & co>" {
			t.Fatalf("device got %+v", cmd)
		}
		mac.report("Acknowledged", cmd.UUID, map[string]any{"MessageResult": "Success"})
		if s := h.state(res.Reset.ID); s != passcode.Succeeded {
			t.Fatalf("reset %s", s)
		}
		if o := h.source.Outcomes(lock.UUID); len(o) != 1 || o[0].MessageResult != apple.MessageSuccess {
			t.Errorf("outcomes %+v", o)
		}
		shown, err := h.resets.Reveal(ctx, res.Reset.ID, passcode.Viewer{ID: "admin"})
		if err != nil || !shown.Equal(pin.Reveal()) {
			t.Fatalf("Reveal: %v", err)
		}
		evs, _ := h.resets.Events(ctx, passcode.EventQuery{ResetID: res.Reset.ID})
		if last := evs[len(evs)-1]; last.Kind != passcode.EventViewed || last.Actor != "admin" {
			t.Errorf("last event %+v, want viewed by admin", last)
		}
	})

	t.Run("Lost Mode on and off; refused when unsupervised", func(t *testing.T) {
		phone := h.enroll("iPhone", nil)
		ipad := h.enroll("iPad", nil)
		on, _ := apple.NewEnableLostMode(newUUID(t), apple.LostMode{Message: "Lost. Please call", PhoneNumber: "+1 555 0100", Footnote: "ACME IT"})
		if _, err := apple.Check(h.appleDevice(ipad, passcode.IPadOS, "17.0", false, false), on, time.Now()); !errors.Is(err, apple.ErrUnsupported) {
			t.Fatalf("unsupervised iPad: %v", err)
		}
		if _, err := apple.Check(h.appleDevice(phone, passcode.IOS, "17.4", true, false), on, time.Now()); err != nil {
			t.Fatal(err)
		}
		h.queue(phone, on, "", apple.Secrets{})
		cmd := phone.poll()
		if cmd == nil || cmd.RequestType != "EnableLostMode" || cmd.Body["Footnote"] != "ACME IT" {
			t.Fatalf("device got %+v", cmd)
		}
		phone.report("Acknowledged", cmd.UUID, nil)
		off, _ := apple.NewDisableLostMode(newUUID(t))
		h.queue(phone, off, "", apple.Secrets{})
		cmd = phone.poll()
		if cmd == nil || cmd.RequestType != "DisableLostMode" {
			t.Fatalf("device got %+v", cmd)
		}
		phone.report("Acknowledged", cmd.UUID, nil)
		// Off again: the device is not in Lost Mode and says so (12067).
		again, _ := apple.NewDisableLostMode(newUUID(t))
		h.queue(phone, again, "", apple.Secrets{})
		cmd = phone.poll()
		phone.report("Error", cmd.UUID, errorChain(12067, "MCMDMErrorDomain", "The device is not in Lost Mode."))
		for _, c := range []struct {
			uuid string
			kind apple.OutcomeKind
			lost apple.LostModeState
		}{{on.UUID, apple.Succeeded, 0}, {off.UUID, apple.Succeeded, 0}, {again.UUID, apple.Failed, apple.NotInLostMode}} {
			o := h.source.Outcomes(c.uuid)
			if len(o) != 1 || o[0].Kind != c.kind || o[0].LostMode != c.lost {
				t.Errorf("%s: outcomes %+v", c.uuid, o)
			}
		}
	})

	t.Run("Recovery Lock set: NotNow, then active only after the ack; then rotated", func(t *testing.T) {
		mac := h.enroll("Mac", nil)
		dev := h.appleDevice(mac, passcode.MacOS, "14.4", false, true)
		first, second := "RL-first-"+randHex(6), "RL-second-"+randHex(6)
		p.secrets = append(p.secrets, first, second)

		set, _ := apple.NewSetRecoveryLock(newUUID(t), apple.RecoveryLock{})
		if _, err := apple.Check(dev, set, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := apple.Check(apple.Device{Platform: passcode.MacOS, OSVersion: "14.4"}, set, time.Now()); !errors.Is(err, apple.ErrUnsupported) {
			t.Errorf("Intel Mac: %v", err)
		}
		h.queue(mac, set, "", apple.Secrets{NewPassword: apple.NewSecret(first)})
		cmd := mac.poll()
		if cmd == nil || cmd.Body["NewPassword"] != first || cmd.Body["CurrentPassword"] != nil {
			t.Fatalf("device got %+v", cmd)
		}
		if next := mac.report("NotNow", cmd.UUID, nil); next != nil {
			t.Fatalf("after NotNow the server sent %+v", next)
		}
		if st := h.source.State(set.UUID); st != nanomdm.EscrowPending {
			t.Fatalf("after NotNow: %s", st)
		}
		cmd = mac.poll() // the device asks again later
		if cmd == nil || cmd.UUID != set.UUID || cmd.Body["NewPassword"] != first {
			t.Fatalf("redelivery: %+v", cmd)
		}
		if st := h.source.State(set.UUID); st != nanomdm.EscrowPending {
			t.Fatalf("delivered but not acknowledged: %s", st)
		}
		mac.report("Acknowledged", cmd.UUID, nil)
		if st := h.source.State(set.UUID); st != nanomdm.EscrowActive {
			t.Fatalf("after ack: %s", st)
		}

		rotate, _ := apple.NewSetRecoveryLock(newUUID(t), apple.RecoveryLock{HasCurrent: true})
		h.queue(mac, rotate, "", apple.Secrets{CurrentPassword: apple.NewSecret(first), NewPassword: apple.NewSecret(second)})
		cmd = mac.poll()
		if cmd == nil || cmd.Body["CurrentPassword"] != first || cmd.Body["NewPassword"] != second {
			t.Fatalf("rotation delivered %+v", cmd)
		}
		mac.report("Acknowledged", cmd.UUID, nil)
		if st := h.source.State(rotate.UUID); st != nanomdm.EscrowActive {
			t.Fatalf("rotation: %s", st)
		}
	})

	t.Run("Error keeps its chain and fails the reset", func(t *testing.T) {
		token := []byte("UNLOCK-" + randHex(24))
		p.tokens = append(p.tokens, token)
		phone := h.enroll("iPhone", token)
		res, err := h.resets.Request(ctx, passcode.ResetRequest{Device: passcode.Device{ID: phone.udid, Platform: passcode.IOS, UnlockTokenEscrowed: true}, Actor: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		clear, _ := apple.NewClearPasscode(newUUID(t))
		h.queue(phone, clear, res.Reset.ID, apple.Secrets{})
		cmd := phone.poll()
		phone.report("Error", cmd.UUID, errorChain(12021, "MCMDMErrorDomain", "The unlock token is invalid."))
		if s := h.state(res.Reset.ID); s != passcode.Failed {
			t.Fatalf("reset %s", s)
		}
		o := h.source.Outcomes(clear.UUID)
		if len(o) != 1 || o[0].Kind != apple.Failed || len(o[0].ErrorChain) != 1 ||
			o[0].ErrorChain[0] != (apple.ErrorChainItem{ErrorCode: 12021, ErrorDomain: "MCMDMErrorDomain", LocalizedDescription: "The unlock token is invalid.", USEnglishDescription: "The unlock token is invalid."}) {
			t.Errorf("outcomes %+v", o)
		}
	})

	t.Run("a command whose secret is missing at delivery is not sent", func(t *testing.T) {
		mac := h.enroll("Mac", nil)
		res, err := h.resets.Request(ctx, passcode.ResetRequest{Device: passcode.Device{ID: mac.udid, Platform: passcode.MacOS}, Actor: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		p.secrets = append(p.secrets, res.Passcode.Reveal())
		lock, _ := apple.NewDeviceLock(newUUID(t), apple.Lock{PIN: true})
		// Registered without its PIN: the escrow lost it.
		h.queue(mac, lock, res.Reset.ID, apple.Secrets{})
		after, _ := apple.NewDisableLostMode(newUUID(t))
		if err := nanomdm.Enqueue(ctx, h.store, after, mac.udid); err != nil {
			t.Fatal(err)
		}
		cmd := mac.poll()
		if cmd == nil || cmd.UUID != after.UUID {
			t.Fatalf("device got %+v, want the next command", cmd)
		}
		if s := h.state(res.Reset.ID); s != passcode.Failed {
			t.Fatalf("reset %s", s)
		}
		if o := h.source.Outcomes(lock.UUID); len(o) != 1 || o[0].ErrorChain[0].ErrorDomain != "mdmcred" {
			t.Errorf("outcomes %+v", o)
		}
	})

	t.Run("another device cannot answer for a command; a repeated report changes nothing", func(t *testing.T) {
		token := []byte("UNLOCK-" + randHex(24))
		p.tokens = append(p.tokens, token)
		phone := h.enroll("iPhone", token)
		other := h.enroll("iPhone", nil)
		res, err := h.resets.Request(ctx, passcode.ResetRequest{Device: passcode.Device{ID: phone.udid, Platform: passcode.IOS, UnlockTokenEscrowed: true}, Actor: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		clear, _ := apple.NewClearPasscode(newUUID(t))
		h.queue(phone, clear, res.Reset.ID, apple.Secrets{})
		// The other device, enrolled and authenticated, claims the result.
		if got := other.report("Acknowledged", clear.UUID, nil); got != nil {
			t.Fatalf("other device got %+v", got)
		}
		if s := h.state(res.Reset.ID); s != passcode.Pending || len(h.source.Outcomes(clear.UUID)) != 0 {
			t.Fatalf("a foreign report moved the reset to %s / outcomes %v", s, h.source.Outcomes(clear.UUID))
		}
		// Nor does the other device receive it.
		if got := other.poll(); got != nil {
			t.Fatalf("other device got %+v", got)
		}
		cmd := phone.poll()
		if cmd == nil || cmd.UUID != clear.UUID {
			t.Fatalf("device got %+v", cmd)
		}
		phone.report("Acknowledged", cmd.UUID, nil)
		before := transitions(t, h, res.Reset.ID)
		phone.report("Acknowledged", cmd.UUID, nil) // a retried report
		if s := h.state(res.Reset.ID); s != passcode.Succeeded || len(transitions(t, h, res.Reset.ID)) != len(before) {
			t.Errorf("after a repeated report: %s, %v", s, transitions(t, h, res.Reset.ID))
		}
	})

	t.Run("devices in parallel", func(t *testing.T) {
		const n = 6
		var wg sync.WaitGroup
		errs := make(chan string, n)
		type job struct {
			dev     *device
			resetID string
			cmd     apple.Command
		}
		jobs := make([]job, n)
		for i := range jobs {
			token := []byte("UNLOCK-" + randHex(24))
			p.tokens = append(p.tokens, token)
			d := h.enroll("iPhone", token)
			res, err := h.resets.Request(ctx, passcode.ResetRequest{Device: passcode.Device{ID: d.udid, Platform: passcode.IOS, UnlockTokenEscrowed: true}, Actor: "admin"})
			if err != nil {
				t.Fatal(err)
			}
			c, _ := apple.NewClearPasscode(newUUID(t))
			h.queue(d, c, res.Reset.ID, apple.Secrets{})
			d.unlockToken = token
			jobs[i] = job{d, res.Reset.ID, c}
		}
		for _, j := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := j.dev.poll()
				if cmd == nil || cmd.UUID != j.cmd.UUID || !bytes.Equal(cmd.Body["UnlockToken"].([]byte), j.dev.unlockToken) {
					errs <- "wrong command or token for " + j.dev.udid
					return
				}
				j.dev.report("Acknowledged", cmd.UUID, nil)
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		for _, j := range jobs {
			if s := h.state(j.resetID); s != passcode.Succeeded {
				t.Errorf("%s: %s", j.dev.udid, s)
			}
		}
	})

	t.Run("check-out forgets the unlock token", func(t *testing.T) {
		token := []byte("UNLOCK-" + randHex(24))
		p.tokens = append(p.tokens, token)
		phone := h.enroll("iPhone", token)
		if _, err := h.mw.UnlockTokenAt(ctx, phone.udid); err != nil {
			t.Fatal(err)
		}
		phone.checkin(map[string]any{"MessageType": "CheckOut", "UDID": phone.udid, "Topic": "com.apple.mgmt.test"})
		if _, err := h.mw.UnlockTokenAt(ctx, phone.udid); !errors.Is(err, nanomdm.ErrNoToken) {
			t.Errorf("after check-out: %v", err)
		}
	})
}

// The control for the scan in TestFlows: the same scan over plain nanomdm
// (no middleware), with a PIN put in the command before queueing as other
// servers do, finds the UnlockToken and the PIN, in storage and in what the
// device receives. So the scan can see a leak, and the middleware is what
// prevents it.
func TestScanFindsSecretsWithoutMiddleware(t *testing.T) {
	h := newServer(t, true, false)
	token := []byte("UNLOCK-" + randHex(24))
	phone := h.enroll("iPhone", token)
	lock, _ := apple.NewDeviceLock(newUUID(t), apple.Lock{PIN: true})
	pin := "730194"
	filled, err := apple.Fill(lock.Template, apple.Secrets{PIN: apple.NewSecret(pin)})
	if err != nil {
		t.Fatal(err)
	}
	lock.Template = filled
	if err := nanomdm.Enqueue(ctx, h.store, lock, phone.udid); err != nil {
		t.Fatal(err)
	}
	cmd := phone.poll()
	if cmd == nil || len(hits([][]byte{cmd.Raw}, []byte(pin))) == 0 {
		t.Fatalf("the scan does not see the PIN in the delivered command: %+v", cmd)
	}
	hay := h.storage()
	if len(hits(hay, token)) == 0 {
		t.Error("the scan does not find the UnlockToken nanomdm stored")
	}
	if len(hits(hay, []byte(pin))) == 0 {
		t.Error("the scan does not find the PIN queued in clear")
	}
}

// The scanner itself: every form is found, a PIN inside a timestamp is not.
func TestHits(t *testing.T) {
	tok := []byte("UNLOCK-0123456789abcdef")
	for _, tt := range []struct {
		hay    string
		secret []byte
		want   bool
	}{
		{"<string>730194</string>", []byte("730194"), true},
		{"last_seen_at=1765064412730194", []byte("730194"), false},
		{"x 730194", []byte("730194"), true},
		{"<data>" + base64.StdEncoding.EncodeToString(tok) + "</data>", tok, true},
		{"<data>" + base64.StdEncoding.EncodeToString(append([]byte("ab"), tok...)) + "</data>", tok, true},
		{"<data>" + base64.StdEncoding.EncodeToString(append([]byte("a"), tok...)) + "</data>", tok, true},
		{"hex " + hex.EncodeToString(tok), tok, true},
		{"nothing here", tok, false},
	} {
		if got := len(hits([][]byte{[]byte(tt.hay)}, tt.secret)) > 0; got != tt.want {
			t.Errorf("hits(%q, %q) = %v", tt.hay, tt.secret, got)
		}
	}
}
