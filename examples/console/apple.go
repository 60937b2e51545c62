package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/passcode"
)

// The Apple devices' screens: the device card with its Lock and Lost Mode
// panels, the passcode reset of an Apple device (ClearPasscode on iOS and
// iPadOS, DeviceLock with a PIN on a Mac), and the Events view with what
// the device answered. Everything goes through the MDM server (-apple-mdm);
// without one, the screens say so and send nothing.

// noMDM is the note shown when no MDM server is configured.
const noMDM = "No Apple MDM server is configured, so nothing can be sent to this device. Start the demo MDM (cd apple/nanomdm && go run ./cmd/demomdm) and run the console with -apple-mdm and APPLE_MDM_TOKEN as it prints."

// Defaults of the forms.
const (
	defaultLockMessage = "This device was locked by IT. Call the help desk."
	defaultLostMessage = "This device is lost. Please call the number below."
	defaultLostPhone   = "+49 30 1234 5678"
	defaultLostNote    = "ACME IT help desk"
)

func (a *app) appleRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /admin/devices/{id}/apple/lock", a.adminOnly(a.appleLock))
	m.HandleFunc("POST /admin/devices/{id}/apple/lostmode", a.adminOnly(a.appleLostMode))
	m.HandleFunc("POST /admin/devices/{id}/apple/pin", a.adminOnly(a.appleRevealPIN))
}

// appleView is an Apple device's card.
type appleView struct {
	Device Device
	Owner  User
	// NoMDM: no MDM server is configured (the note says what to do).
	NoMDM bool
	// Unreachable is set when the MDM server did not answer.
	Unreachable string
	TokenAt     time.Time // when the MDM server recorded the UnlockToken
	HasToken    bool
	// LockPIN: Lock sets a 6-digit PIN (a Mac), through the passcode reset
	// lifecycle.
	LockPIN     bool
	LockRefused string // why Lock cannot be sent
	LostRefused string // why Lost Mode cannot be sent
	// PINReset is the Mac's latest lock, whose PIN the admin who sent it
	// can have shown again.
	PINReset *passcode.Reset

	LockMessage                  string
	LostMessage, Phone, Footnote string

	Notice string // what was sent and what the device answered
	Error  string
	PIN    string // the lock PIN, shown in the response to Lock or Show
}

func (v appleView) title() string { return v.Device.Name }

// agentDevices are the devices the device simulator plays (the Android
// agents); the Apple devices are simulated behind the MDM server.
func (inv *inventory) agentDevices() []Device {
	var out []Device
	for _, d := range inv.Devices {
		if d.Apple == nil {
			out = append(out, d)
		}
	}
	return out
}

func isAppleMac(d Device) bool { return d.Apple != nil && d.Apple.Info.Platform == passcode.MacOS }

// newAppleView fills the card: the capability checks are asked of the
// apple package with the UnlockToken's time from the MDM server, before any
// command is built for real.
func (a *app) newAppleView(ctx context.Context, d Device) (appleView, error) {
	v := appleView{Device: d, LockPIN: isAppleMac(d), LockMessage: defaultLockMessage,
		LostMessage: defaultLostMessage, Phone: defaultLostPhone, Footnote: defaultLostNote}
	v.Owner, _ = a.inv.user(d.Owner)
	if a.apple == nil {
		v.NoMDM = true
		return v, nil
	}
	ad, err := a.apple.device(ctx, d)
	if err != nil {
		a.log.Error("apple mdm", "err", err)
		v.Unreachable = "The MDM server did not answer; try again."
		return v, nil
	}
	v.TokenAt, v.HasToken = ad.UnlockTokenAt, !ad.UnlockTokenAt.IsZero()
	const probe = "00000000-0000-4000-8000-000000000000" // a UUID for the capability check only
	lock, _ := apple.NewDeviceLock(probe, apple.Lock{PIN: v.LockPIN})
	if _, err := apple.Check(ad, lock, a.now()); err != nil {
		v.LockRefused = reasonOf(err)
	}
	lost, _ := apple.NewEnableLostMode(probe, apple.LostMode{Message: "x"})
	if _, err := apple.Check(ad, lost, a.now()); err != nil {
		v.LostRefused = reasonOf(err)
	}
	if v.LockPIN {
		rs, ok, err := a.sdk.latestReset(ctx, d.ID)
		if err != nil {
			return v, err
		}
		if ok {
			v.PINReset = &rs
		}
	}
	return v, nil
}

// reasonOf is a capability refusal for people.
func reasonOf(err error) string {
	var ue *apple.UnsupportedError
	if errors.As(err, &ue) {
		return ue.Reason
	}
	return err.Error()
}

func (a *app) appleDevicePage(w http.ResponseWriter, r *http.Request, s *session, d Device) {
	v, err := a.newAppleView(r.Context(), d)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, r, s, http.StatusOK, "apple_device.html", v)
}

// appleDevice finds the Apple device the path names.
func (a *app) appleDevice(w http.ResponseWriter, r *http.Request) (Device, bool) {
	d, ok := a.inv.device(r.PathValue("id"))
	if !ok || d.Apple == nil {
		a.notFound(w, r)
		return Device{}, false
	}
	return d, true
}

// appleCard renders the card after a POST, with the view v was started as.
func (a *app) appleCard(w http.ResponseWriter, r *http.Request, s *session, v appleView, status int) {
	a.render(w, r, s, status, "apple_device.html", v)
}

// formText is a form field trimmed, bounded to a Lock Screen's worth.
func formText(r *http.Request, name string) string {
	v := strings.TrimSpace(r.PostFormValue(name))
	if len(v) > 200 {
		v = v[:200]
	}
	return v
}

// appleLock locks the device: on a Mac with a 6-digit PIN, through the
// passcode reset lifecycle (generated and sealed by the passcode service,
// handed to the MDM server's sealed escrow, filled in at delivery); on iOS
// and iPadOS without one.
func (a *app) appleLock(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.appleDevice(w, r)
	if !ok {
		return
	}
	v, err := a.newAppleView(r.Context(), d)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v.LockMessage = formText(r, "message")
	switch {
	case v.NoMDM || v.Unreachable != "":
		v.Error = v.Unreachable
		if v.NoMDM {
			v.Error = noMDM
		}
		a.appleCard(w, r, s, v, http.StatusServiceUnavailable)
		return
	case v.LockRefused != "":
		a.apple.refused(d, apple.DeviceLock, v.LockRefused, s.User)
		v.Error = "Lock refused: " + v.LockRefused + ". Nothing was sent to the device."
		a.appleCard(w, r, s, v, http.StatusUnprocessableEntity)
		return
	}
	if v.LockPIN {
		res, cmd, err := a.appleRequest(r.Context(), d, s.User, false, v.LockMessage)
		if msg, done := a.appleRequestError(w, r, err); done {
			return
		} else if msg != "" {
			v.Error = msg
			a.appleCard(w, r, s, v, http.StatusUnprocessableEntity)
			return
		}
		v.Notice = a.answerNotice(r.Context(), cmd, "Lock")
		if !res.Passcode.IsZero() {
			v.PIN = res.Passcode.Reveal()
		}
		if nv, err := a.newAppleView(r.Context(), d); err == nil {
			nv.Notice, nv.PIN, nv.LockMessage = v.Notice, v.PIN, v.LockMessage
			v = nv
		}
		a.appleCard(w, r, s, v, http.StatusOK)
		return
	}
	uuid, err := apple.NewCommandUUID(nil)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	cmd, err := apple.NewDeviceLock(uuid, apple.Lock{Message: v.LockMessage})
	if err != nil {
		v.Error = "The message cannot be sent: " + err.Error()
		a.appleCard(w, r, s, v, http.StatusUnprocessableEntity)
		return
	}
	if err := a.apple.enqueue(r.Context(), d, cmd, apple.Secret{}, "", s.User); err != nil {
		a.fail(w, r, err)
		return
	}
	v.Notice = a.answerNotice(r.Context(), cmd, "Lock")
	a.appleCard(w, r, s, v, http.StatusOK)
}

// appleLostMode enables or disables Lost Mode. A device that cannot enter
// it (not supervised, not iOS) is refused with the reason before any call.
func (a *app) appleLostMode(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.appleDevice(w, r)
	if !ok {
		return
	}
	v, err := a.newAppleView(r.Context(), d)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v.LostMessage, v.Phone, v.Footnote = formText(r, "message"), formText(r, "phone"), formText(r, "footnote")
	enable := r.PostFormValue("op") != "disable"
	rt, label := apple.EnableLostMode, "Enable Lost Mode"
	if !enable {
		rt, label = apple.DisableLostMode, "Disable Lost Mode"
	}
	switch {
	case v.NoMDM || v.Unreachable != "":
		v.Error = v.Unreachable
		if v.NoMDM {
			v.Error = noMDM
		}
		a.appleCard(w, r, s, v, http.StatusServiceUnavailable)
		return
	case v.LostRefused != "":
		a.apple.refused(d, rt, v.LostRefused, s.User)
		v.Error = label + " refused: " + v.LostRefused + ". Nothing was sent to the device."
		a.appleCard(w, r, s, v, http.StatusUnprocessableEntity)
		return
	}
	uuid, err := apple.NewCommandUUID(nil)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var cmd apple.Command
	if enable {
		cmd, err = apple.NewEnableLostMode(uuid, apple.LostMode{Message: v.LostMessage, PhoneNumber: v.Phone, Footnote: v.Footnote})
	} else {
		cmd, err = apple.NewDisableLostMode(uuid)
	}
	if err != nil {
		var ae *apple.Error
		if errors.As(err, &ae) {
			v.Error = label + ": " + ae.Field + ": " + ae.Rule
		} else {
			v.Error = label + ": " + err.Error()
		}
		a.appleCard(w, r, s, v, http.StatusUnprocessableEntity)
		return
	}
	if err := a.apple.enqueue(r.Context(), d, cmd, apple.Secret{}, "", s.User); err != nil {
		a.fail(w, r, err)
		return
	}
	v.Notice = a.answerNotice(r.Context(), cmd, label)
	a.appleCard(w, r, s, v, http.StatusOK)
}

// appleRevealPIN shows the Mac's lock PIN again: the passcode service
// opens its sealed copy for the admin who sent the lock and records the
// view (anyone else is refused, and that is recorded too).
func (a *app) appleRevealPIN(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.appleDevice(w, r)
	if !ok {
		return
	}
	v, err := a.newAppleView(r.Context(), d)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if v.PINReset == nil {
		v.Error = "This device has no lock PIN to show."
		a.appleCard(w, r, s, v, http.StatusUnprocessableEntity)
		return
	}
	pin, err := a.sdk.resets.Reveal(r.Context(), v.PINReset.ID, passcode.Viewer{ID: s.User})
	switch {
	case err == nil:
		v.PIN = pin.Reveal()
		v.Notice = "The lock PIN was opened from its sealed copy; this view is recorded in the Events."
	case errors.Is(err, passcode.ErrNotAllowed):
		v.Error = "Only the admin who sent the lock can see its PIN. This attempt is recorded."
	case errors.Is(err, passcode.ErrRetentionPassed):
		v.Error = "The lock PIN is no longer kept."
	default:
		a.fail(w, r, err)
		return
	}
	a.appleCard(w, r, s, v, http.StatusOK)
}

// answerNotice waits briefly for the device's answer to cmd and says what
// it was.
func (a *app) answerNotice(ctx context.Context, cmd apple.Command, label string) string {
	if err := a.apple.awaitAnswer(ctx, cmd.UUID, answerWait); err != nil {
		a.log.Error("apple mdm sync", "err", err)
	}
	for _, e := range a.apple.deviceEvents(a.sentDevice(cmd.UUID)) {
		if e.CommandUUID == cmd.UUID && strings.HasPrefix(e.What, "device answered") {
			return label + " sent (" + string(cmd.RequestType) + "); the " + e.What + ": " + e.Detail + "."
		}
	}
	return label + " sent (" + string(cmd.RequestType) + "); the device has not answered yet. The Events view shows its answer when it comes."
}

func (a *app) sentDevice(uuid string) string {
	a.apple.mu.Lock()
	defer a.apple.mu.Unlock()
	return a.apple.sent[uuid].DeviceID
}

// appleRequest is a passcode reset of an Apple device through the MDM
// server: the command is built and checked (apple.Check, before anything is
// recorded), the reset requested (on a Mac the passcode service generates
// the 6-digit PIN and keeps it sealed), moved to Pending, and the template
// queued with the PIN handed to the MDM server's escrow.
func (a *app) appleRequest(ctx context.Context, d Device, admin string, notifyUser bool, message string) (passcode.Result, apple.Command, error) {
	uuid, err := apple.NewCommandUUID(nil)
	if err != nil {
		return passcode.Result{}, apple.Command{}, err
	}
	var cmd apple.Command
	if isAppleMac(d) {
		cmd, err = apple.NewDeviceLock(uuid, apple.Lock{Message: message, PIN: true})
	} else {
		cmd, err = apple.NewClearPasscode(uuid)
	}
	if err != nil {
		return passcode.Result{}, cmd, err
	}
	reason, err := a.apple.check(ctx, d, cmd)
	if err != nil {
		return passcode.Result{}, cmd, err
	}
	if reason != "" {
		a.apple.refused(d, cmd.RequestType, reason, admin)
		return passcode.Result{}, cmd, &passcode.UnsupportedError{Reason: reason}
	}
	res, err := a.sdk.resets.Request(ctx, passcode.ResetRequest{Device: passcodeDevice(d), Actor: admin,
		NotifyUser: notifyUser, UserEmail: d.Owner, Language: "en"})
	if err != nil && !errors.Is(err, passcode.ErrDelivery) {
		return res, cmd, err
	}
	mailErr := err
	if res.Reset, err = a.sdk.resets.Transition(ctx, res.Reset.ID, passcode.Pending, appleActor); err != nil {
		return res, cmd, err
	}
	if err := a.apple.enqueue(ctx, d, cmd, res.Passcode, res.Reset.ID, admin); err != nil {
		if rs, ferr := a.sdk.resets.Transition(ctx, res.Reset.ID, passcode.Failed, appleActor); ferr == nil {
			res.Reset = rs
		}
		return res, cmd, err
	}
	return res, cmd, mailErr
}

// appleRequestError turns appleRequest's refusals into the page's error
// text; done is true when it answered the request itself.
func (a *app) appleRequestError(w http.ResponseWriter, r *http.Request, err error) (msg string, done bool) {
	var ue *passcode.UnsupportedError
	var ip *passcode.InProgressError
	switch {
	case err == nil, errors.Is(err, passcode.ErrDelivery):
		return "", false
	case errors.As(err, &ue):
		return "Refused: " + ue.Reason + ". Nothing was sent to the device.", false
	case errors.As(err, &ip), errors.Is(err, passcode.ErrResetInProgress):
		return "A lock or passcode reset of this device is already in progress; wait for its outcome.", false
	}
	a.fail(w, r, err)
	return "", true
}

// appleReset is the Reset passcode wizard's Reset on an Apple device.
func (a *app) appleReset(w http.ResponseWriter, r *http.Request, s *session, d Device) {
	v, verr := a.newResetView(r, d)
	if verr != nil {
		a.fail(w, r, verr)
		return
	}
	if a.apple == nil {
		v.Error = noMDM
		a.render(w, r, s, http.StatusServiceUnavailable, "reset.html", v)
		return
	}
	v.NotifyUser = r.PostFormValue("notify_user") == "on"
	res, cmd, err := a.appleRequest(r.Context(), d, s.User, v.NotifyUser, defaultLockMessage)
	msg, done := a.appleRequestError(w, r, err)
	if done {
		return
	}
	if msg != "" {
		v.Error = msg
		a.render(w, r, s, http.StatusUnprocessableEntity, "reset.html", v)
		return
	}
	if errors.Is(err, passcode.ErrDelivery) {
		v.Error = "The reset was made, but the email to the device user could not be sent."
	}
	_ = a.answerNotice(r.Context(), cmd, "Reset passcode")
	if rs, gerr := a.sdk.resets.Get(r.Context(), res.Reset.ID); gerr == nil {
		res.Reset = rs
	}
	v.Result = &res
	if !res.Passcode.IsZero() {
		v.Passcode = res.Passcode.Reveal()
	}
	a.render(w, r, s, http.StatusOK, "reset.html", v)
}

// appleEventsView is an Apple device's Events view: its passcode resets
// and every command the console sent through the MDM server, with what the
// device answered.
type appleEventsView struct {
	Device      Device
	Events      []passcode.Event
	MDM         []appleEvent
	NoMDM       bool
	Unreachable string
}

func (v appleEventsView) title() string { return "Events: " + v.Device.Name }

func (a *app) appleEventsPage(w http.ResponseWriter, r *http.Request, s *session, d Device) {
	v := appleEventsView{Device: d, NoMDM: a.apple == nil}
	if a.apple != nil {
		if err := a.apple.sync(r.Context()); err != nil {
			a.log.Error("apple mdm sync", "err", err)
			v.Unreachable = "The MDM server did not answer; answers since the last visit may be missing."
		}
		v.MDM = a.apple.deviceEvents(d.ID)
	}
	events, err := a.sdk.resetEvents(r.Context(), d.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v.Events = events
	a.render(w, r, s, http.StatusOK, "apple_events.html", v)
}
