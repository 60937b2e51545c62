package main

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/mdmcred/mdmcred/passcode"
)

// resetView is the Reset passcode wizard of one device.
type resetView struct {
	Device      Device
	Owner       User
	Capability  passcode.Capability
	Unsupported string // the platform's reason, when it cannot be reset
	Open        *passcode.Reset
	NotifyUser  bool
	Result      *passcode.Result
	Passcode    string // the new passcode, shown once in the response to Reset
	Error       string
}

func (v resetView) title() string { return "Reset passcode: " + v.Device.Name }

func (a *app) newResetView(r *http.Request, d Device) (resetView, error) {
	v := resetView{Device: d}
	v.Owner, _ = a.inv.user(d.Owner)
	c, err := capability(d)
	var ue *passcode.UnsupportedError
	if errors.As(err, &ue) {
		v.Unsupported = ue.Reason
	} else if err != nil {
		v.Unsupported = err.Error()
	}
	v.Capability = c
	if d.Apple != nil && a.apple == nil && v.Unsupported == "" {
		v.Unsupported = noMDM
	}
	rs, ok, err := a.sdk.latestReset(r.Context(), d.ID)
	if err != nil {
		return v, err
	}
	if ok && rs.State.Open() {
		v.Open = &rs
	}
	return v, nil
}

func (a *app) resetPage(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.inv.device(r.PathValue("id"))
	if !ok {
		a.notFound(w, r)
		return
	}
	v, err := a.newResetView(r, d)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, r, s, http.StatusOK, "reset.html", v)
}

func (a *app) resetPasscode(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.inv.device(r.PathValue("id"))
	if !ok {
		a.notFound(w, r)
		return
	}
	if d.Apple != nil {
		a.appleReset(w, r, s, d)
		return
	}
	notifyUser := r.PostFormValue("notify_user") == "on"
	res, err := a.sdk.resetPasscode(r.Context(), d, s.User, notifyUser, d.Owner)
	v, verr := a.newResetView(r, d)
	if verr != nil {
		a.fail(w, r, verr)
		return
	}
	v.NotifyUser = notifyUser
	var ue *passcode.UnsupportedError
	var ip *passcode.InProgressError
	switch {
	case err == nil, errors.Is(err, passcode.ErrDelivery):
		v.Result = &res
		if !res.Passcode.IsZero() {
			v.Passcode = res.Passcode.Reveal()
		}
		if err != nil {
			v.Error = "The reset was made, but the email to the device user could not be sent."
		}
		a.render(w, r, s, http.StatusOK, "reset.html", v)
		return
	case errors.As(err, &ue):
		v.Error = "This device cannot be reset: " + ue.Reason
	case errors.As(err, &ip), errors.Is(err, passcode.ErrResetInProgress):
		v.Error = "A reset of this device is already in progress; wait for its outcome."
	default:
		a.fail(w, r, err)
		return
	}
	a.render(w, r, s, http.StatusUnprocessableEntity, "reset.html", v)
}

// eventsView is a device's Events view: every reset's states and actors.
type eventsView struct {
	Device Device
	Events []passcode.Event
	// Commands are the Android Management API commands sent to the
	// device (android.go).
	Commands []amapiCommand
	// Resets numbers the device's resets in the order they first appear
	// ("Reset 1", "Reset 2"): people compare those, not 32-hex IDs.
	Resets map[string]int
}

// resetNumbers numbers the resets of events in order of first appearance.
func resetNumbers(events []passcode.Event) map[string]int {
	n := map[string]int{}
	for _, e := range events {
		if _, ok := n[e.ResetID]; !ok {
			n[e.ResetID] = len(n) + 1
		}
	}
	return n
}

func (v eventsView) title() string { return "Events: " + v.Device.Name }

func (a *app) eventsPage(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.inv.device(r.PathValue("id"))
	if !ok {
		a.notFound(w, r)
		return
	}
	if d.Apple != nil {
		a.appleEventsPage(w, r, s, d)
		return
	}
	events, err := a.sdk.resetEvents(r.Context(), d.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, r, s, http.StatusOK, "events.html", eventsView{Device: d, Events: events, Resets: resetNumbers(events), Commands: a.sdk.amapi.commands(d.ID)})
}

// resetOutcome says what a reset of a device with capability c does, for
// the admin who is about to start it.
func resetOutcome(c passcode.Capability) string {
	switch c.Action {
	case passcode.SetPasscode:
		s := "Sets a new passcode on the device"
		if p := c.Policy; p.MinLength > 0 {
			if p.MinLength == p.MaxLength {
				s += fmt.Sprintf(" (%d characters)", p.MinLength)
			} else if p.MaxLength > 0 {
				s += fmt.Sprintf(" (%d to %d characters)", p.MinLength, p.MaxLength)
			}
		}
		return s + ". The new passcode is shown here once, for you to tell the user."
	case passcode.ClearPasscode:
		return "Clears the passcode; the user then has " + humanDuration(c.Grace) + " to set a new one on the device."
	case passcode.LockPIN:
		return fmt.Sprintf("Locks the Mac with a %d-digit PIN, shown here once; the PIN unlocks it.", c.Policy.MinLength)
	}
	return "Resets the passcode."
}

// resultOutcome says what happens next once a reset was requested, per
// platform outcome, for the admin and for the device's user.
func resultOutcome(c passcode.Capability) string {
	switch c.Action {
	case passcode.SetPasscode:
		return "When the device receives the command, the new passcode above unlocks it."
	case passcode.ClearPasscode:
		return "When the device receives the command, its passcode is removed: set a new one on the device within " +
			humanDuration(c.Grace) + ", before the passcode policy locks it."
	case passcode.LockPIN:
		return "When the Mac receives the command, it locks; the PIN above unlocks it."
	}
	return ""
}
