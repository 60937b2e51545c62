package main

import (
	"errors"
	"net/http"
	"time"

	"github.com/mdmcred/mdmcred/passcode"
)

// portalView is the user portal's start page: My devices and the one-time PIN.
type portalView struct {
	User    User
	Devices []portalDevice
	// Missing lists what the user lacks for the one-time PIN; empty means
	// the option is offered.
	Missing []string
	PIN     string // shown once, in the response to Generate
	PINEnds time.Time
	// Reset is the reset just made in self-service.
	Reset     *passcode.Result
	ResetName string
	Passcode  string
	Reauth    bool // the user must sign in again before resetting
	Window    time.Duration
	Error     string
}

func (portalView) title() string { return "My devices" }

type portalDevice struct {
	Device Device
	Reset  *passcode.Reset // the latest reset, if any
}

func (a *app) newPortalView(r *http.Request, s *session) (portalView, error) {
	u, _ := a.inv.user(s.User)
	v := portalView{User: u, Missing: a.sdk.pinMissing(u), Window: a.sdk.reauthWindow}
	for _, d := range a.inv.devicesOf(u.ID) {
		pd := portalDevice{Device: d}
		rs, ok, err := a.sdk.latestReset(r.Context(), d.ID)
		if err != nil {
			return v, err
		}
		if ok {
			pd.Reset = &rs
		}
		v.Devices = append(v.Devices, pd)
	}
	return v, nil
}

func (a *app) portalHome(w http.ResponseWriter, r *http.Request, s *session) {
	v, err := a.newPortalView(r, s)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, r, s, http.StatusOK, "portal.html", v)
}

func (a *app) portalReset(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.inv.device(r.PathValue("id"))
	if !ok {
		a.notFound(w, r)
		return
	}
	res, err := a.sdk.selfServiceReset(r.Context(), d, s.User, s.SignedInAt)
	if errors.Is(err, passcode.ErrNotOwner) {
		a.notFound(w, r) // another user's device is not even named to this one
		return
	}
	v, verr := a.newPortalView(r, s)
	if verr != nil {
		a.fail(w, r, verr)
		return
	}
	var ue *passcode.UnsupportedError
	switch {
	case err == nil:
		v.Reset, v.ResetName = &res, d.Name
		if !res.Passcode.IsZero() {
			v.Passcode = res.Passcode.Reveal()
		}
		a.render(w, r, s, http.StatusOK, "portal.html", v)
		return
	case errors.Is(err, passcode.ErrReauthRequired):
		v.Reauth = true
	case errors.As(err, &ue):
		v.Error = "This device's passcode cannot be reset: " + ue.Reason
	case errors.Is(err, passcode.ErrResetInProgress):
		v.Error = "A reset of this device is already in progress."
	default:
		a.fail(w, r, err)
		return
	}
	a.render(w, r, s, http.StatusUnprocessableEntity, "portal.html", v)
}

func (a *app) portalPIN(w http.ResponseWriter, r *http.Request, s *session) {
	u, _ := a.inv.user(s.User)
	pin, ends, err := a.sdk.issuePIN(r.Context(), u)
	v, verr := a.newPortalView(r, s)
	if verr != nil {
		a.fail(w, r, verr)
		return
	}
	if err != nil {
		v.Error = "A one-time PIN is not available for your account."
		a.render(w, r, s, http.StatusForbidden, "portal.html", v)
		return
	}
	v.PIN, v.PINEnds = pin.Reveal(), ends
	a.render(w, r, s, http.StatusOK, "portal.html", v)
}
