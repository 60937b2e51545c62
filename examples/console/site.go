package main

import (
	"errors"
	"net/http"
	"strings"

	"github.com/mdmcred/mdmcred/enrollment"
)

// siteView is a site's Self-service enrollment panel.
type siteView struct {
	Site     string
	Has      bool // a passcode was generated
	Status   enrollment.Status
	Passcode string // shown once, in the response to Generate new
	Alerts   []enrollment.Event
	Events   []enrollment.Event
	Notice   string
}

func (v siteView) title() string { return "Site " + v.Site }

func (a *app) siteView(r *http.Request, site string) (siteView, error) {
	v := siteView{Site: site}
	st, ok, err := a.sdk.siteStatus(r.Context(), site)
	if err != nil {
		return v, err
	}
	v.Status, v.Has = st, ok
	if ok {
		events, err := a.sdk.siteEvents(r.Context(), site)
		if err != nil {
			return v, err
		}
		for i := len(events) - 1; i >= 0; i-- { // newest first
			e := events[i]
			if e.Kind == enrollment.EventAlertSent || e.Kind == enrollment.EventAlertFailed {
				v.Alerts = append(v.Alerts, e)
			}
			v.Events = append(v.Events, e)
		}
	}
	return v, nil
}

func (a *app) sitePage(w http.ResponseWriter, r *http.Request, s *session) {
	a.siteAnswer(w, r, s, func(*siteView) error { return nil })
}

// siteAnswer runs do for a known site and shows its panel.
func (a *app) siteAnswer(w http.ResponseWriter, r *http.Request, s *session, do func(*siteView) error) {
	site := r.PathValue("site")
	if !a.inv.hasSite(site) {
		a.notFound(w, r)
		return
	}
	var shown siteView
	if err := do(&shown); err != nil {
		a.fail(w, r, err)
		return
	}
	v, err := a.siteView(r, site)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v.Passcode, v.Notice = shown.Passcode, shown.Notice
	a.render(w, r, s, http.StatusOK, "site.html", v)
}

func (a *app) generateSitePasscode(w http.ResponseWriter, r *http.Request, s *session) {
	a.siteAnswer(w, r, s, func(v *siteView) error {
		pc, err := a.sdk.generatePasscode(r.Context(), r.PathValue("site"), s.User)
		if err != nil {
			return err
		}
		v.Passcode = pc.Reveal()
		return nil
	})
}

func (a *app) revealSitePasscode(w http.ResponseWriter, r *http.Request, s *session) {
	a.siteAnswer(w, r, s, func(v *siteView) error {
		pc, err := a.sdk.revealPasscode(r.Context(), r.PathValue("site"), s.User)
		if errors.Is(err, enrollment.ErrNoReveal) || errors.Is(err, enrollment.ErrNoPasscode) {
			v.Notice = "This passcode cannot be shown again; generate a new one if it is lost."
			return nil
		}
		if err == nil {
			v.Passcode = pc.Reveal()
		}
		return err
	})
}

func (a *app) disableSite(w http.ResponseWriter, r *http.Request, s *session) {
	a.siteAnswer(w, r, s, func(v *siteView) error {
		err := a.sdk.disableEnrollment(r.Context(), r.PathValue("site"), s.User)
		if errors.Is(err, enrollment.ErrNoPasscode) {
			v.Notice = "There is no passcode to disable."
			return nil
		}
		if err == nil {
			v.Notice = "Self-service enrollment is disabled. Generate a new passcode to turn it on again."
		}
		return err
	})
}

// enrollView is the device's self-service enrollment page.
type enrollView struct {
	Sites  []string
	Site   string
	Result string
	Error  string
}

func (enrollView) title() string { return "Self-service enrollment" }

func (a *app) enrollPage(*http.Request, *session) any {
	return enrollView{Sites: a.inv.Sites}
}

func (a *app) enroll(w http.ResponseWriter, r *http.Request, s *session) {
	v := enrollView{Sites: a.inv.Sites, Site: r.PostFormValue("site")}
	status := http.StatusUnprocessableEntity
	if !a.inv.hasSite(v.Site) {
		v.Error = "Choose your site."
		a.render(w, r, s, status, "enroll.html", v)
		return
	}
	err := a.sdk.enroll(r.Context(), v.Site, strings.TrimSpace(r.PostFormValue("passcode")), clientIP(r))
	switch {
	case err == nil:
		v.Result, status = "Company passcode accepted: this device is enrolling.", http.StatusOK
	case errors.Is(err, enrollment.ErrLocked):
		v.Error = "Self-service enrollment is locked for this site after too many wrong passcodes. Ask your IT department."
	case errors.Is(err, enrollment.ErrDisabled), errors.Is(err, enrollment.ErrNoPasscode):
		v.Error = "Self-service enrollment is turned off for this site. Ask your IT department."
	case errors.Is(err, enrollment.ErrAlert):
		v.Error = "Self-service enrollment is locked for this site after too many wrong passcodes. Ask your IT department."
	case errors.Is(err, enrollment.ErrMalformed), errors.Is(err, enrollment.ErrWrongPasscode):
		v.Error = "That company passcode is wrong. Check it with your IT department."
	default:
		a.fail(w, r, err)
		return
	}
	a.render(w, r, s, status, "enroll.html", v)
}
