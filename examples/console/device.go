package main

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// homeView is the console's start page.
type homeView struct {
	Devices []Device
	Sites   []string
}

func (homeView) title() string { return "Devices" }

func (a *app) home(w http.ResponseWriter, r *http.Request, s *session) {
	a.render(w, r, s, http.StatusOK, "home.html", homeView{Devices: a.inv.Devices, Sites: a.inv.Sites})
}

// deviceView is the device card with its Service password panel.
type deviceView struct {
	Device    Device
	Choices   []actionChoice
	Policies  []string // what Remove network restrictions lifts on this mode
	Expires   string   // the expiry field's value, on the device's clock
	Min, Max  string   // its bounds
	DayValid  bool     // the chosen actions make a code valid for a date
	WantQR    bool
	SendEmail bool
	Email     string
	Language  string
	Languages []string
	// Challenge is true in the "Device shows a challenge" mode: the
	// panel makes the response to the challenge typed in ChallengeText
	// instead of a code with an expiry.
	Challenge     bool
	ChallengeText string
	// Errors are the rule errors by form field: actions, expires, qr,
	// email, lang, challenge, or form for the rest.
	Errors map[string]string
	Issued *issuedView
}

func (v deviceView) title() string { return v.Device.Name }

// issuedView is the dialog "Service password generated for device".
type issuedView struct {
	Code      string
	Expiry    string
	Challenge string       // for a response: the challenge it answers
	QR        template.URL // a data: URI, or empty
	Emailed   string       // the address the code was mailed to
	MailErr   bool
}

// localLayout is how an <input type="datetime-local"> writes a time.
const localLayout = "2006-01-02T15:04"

func (a *app) devicePage(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.inv.device(r.PathValue("id"))
	if !ok {
		a.notFound(w, r)
		return
	}
	if d.Apple != nil {
		a.appleDevicePage(w, r, s, d)
		return
	}
	v := a.newDeviceView(d, 0)
	v.Expires = a.now().Add(servicepass.DefaultValidity).In(d.Zone).Format(localLayout)
	v.Language = "en"
	a.render(w, r, s, http.StatusOK, "device.html", v)
}

func (a *app) newDeviceView(d Device, checked servicepass.Actions) deviceView {
	now := a.now().In(d.Zone)
	v := deviceView{Device: d, Choices: choices(d.Mode, checked), Languages: languages(), Errors: map[string]string{},
		Min: now.Add(servicepass.MinValidity).Format(localLayout), Max: now.Add(servicepass.MaxValidity).Format(localLayout),
		DayValid: checked != 0 && servicepass.DayValid(d.Mode, checked)}
	for _, c := range v.Choices {
		if c.Help != nil {
			v.Policies = c.Help
		}
	}
	return v
}

func (a *app) issueServicePassword(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.inv.device(r.PathValue("id"))
	if !ok {
		a.notFound(w, r)
		return
	}
	var f issueForm
	var badAction bool
	for _, name := range r.PostForm["action"] {
		act, err := servicepass.ParseActions(name)
		if err != nil || act.Count() != 1 {
			badAction = true
			continue
		}
		f.Actions |= act
	}
	if r.PostFormValue("kind") == "challenge" {
		a.respondToChallenge(w, r, s, d, f.Actions, badAction)
		return
	}
	f.WantQR = r.PostFormValue("qr") == "on"
	f.SendEmail = r.PostFormValue("send_email") == "on"
	f.Email = strings.TrimSpace(r.PostFormValue("email"))
	f.Language = r.PostFormValue("lang")

	v := a.newDeviceView(d, f.Actions)
	v.Expires, v.WantQR, v.SendEmail, v.Email, v.Language = r.PostFormValue("expires"), f.WantQR, f.SendEmail, f.Email, f.Language
	if badAction {
		v.Errors["actions"] = "unknown action"
	}
	if v.Expires != "" {
		if t, err := time.ParseInLocation(localLayout, v.Expires, d.Zone); err == nil {
			f.ExpiresAt, f.HasTime, f.Date = t, true, servicepass.DateOf(t)
		} else if t, err := time.Parse(time.DateOnly, v.Expires); err == nil {
			f.Date = servicepass.DateOf(t)
		} else {
			v.Errors["expires"] = "not a date and time"
		}
	}
	if len(v.Errors) > 0 {
		a.render(w, r, s, http.StatusUnprocessableEntity, "device.html", v)
		return
	}

	issued, err := a.sdk.issue(r.Context(), d, f, s.User)
	var re *servicepass.RuleError
	switch {
	case errors.As(err, &re):
		v.Errors[formField(re.Field)] = ruleText(re)
		a.render(w, r, s, http.StatusUnprocessableEntity, "device.html", v)
		return
	case err != nil && !errors.Is(err, servicepass.ErrMail):
		a.fail(w, r, err)
		return
	}
	iv := &issuedView{Code: issued.Display.Reveal(), Expiry: deviceTime(issued), MailErr: err != nil}
	if f.SendEmail && err == nil {
		iv.Emailed = f.Email
	}
	if !issued.QRPNG.IsZero() {
		iv.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(issued.QRPNG.Reveal()))
	}
	v.Issued = iv
	a.render(w, r, s, http.StatusOK, "device.html", v)
}

// respondToChallenge is the panel in its "Device shows a challenge" mode:
// the SDK parses the typed challenge (its check symbol catches a typing
// mistake before anything is issued), checks the mode rules and makes the
// response. A response has no expiry and is read out, not scanned or
// mailed, so the panel refuses those options rather than drop them.
func (a *app) respondToChallenge(w http.ResponseWriter, r *http.Request, s *session, d Device, actions servicepass.Actions, badAction bool) {
	v := a.newDeviceView(d, actions)
	v.DayValid = false // a response has no expiry date, COPE Set Password included
	v.Challenge, v.ChallengeText, v.Language = true, r.PostFormValue("challenge"), r.PostFormValue("lang")
	v.Expires = a.now().Add(servicepass.DefaultValidity).In(d.Zone).Format(localLayout)
	if badAction {
		v.Errors["actions"] = "unknown action"
	}
	if r.PostFormValue("qr") == "on" {
		v.Errors["qr"] = "A response to a challenge is read out to the device's user: no QR code."
	}
	if r.PostFormValue("send_email") == "on" {
		v.Errors["email"] = "A response to a challenge is read out to the device's user, not sent by email."
	}
	if len(v.Errors) > 0 {
		a.render(w, r, s, http.StatusUnprocessableEntity, "device.html", v)
		return
	}
	resp, err := a.sdk.respond(r.Context(), d, v.ChallengeText, actions, s.User)
	var re *servicepass.RuleError
	switch {
	case errors.Is(err, servicepass.ErrChallengeTypo):
		v.Errors["challenge"] = "The challenge has a typing mistake (its last character does not match). Ask the user to read it again; nothing was issued."
	case errors.Is(err, servicepass.ErrChallengeMalformed):
		v.Errors["challenge"] = "Not a challenge: type the 10 characters the device shows, like K7Q2M-9XJ4T."
	case errors.As(err, &re):
		v.Errors[formField(re.Field)] = ruleText(re)
	case err != nil:
		a.fail(w, r, err)
		return
	}
	if len(v.Errors) > 0 {
		a.render(w, r, s, http.StatusUnprocessableEntity, "device.html", v)
		return
	}
	v.ChallengeText = resp.Challenge
	v.Issued = &issuedView{Code: resp.Display.Reveal(), Challenge: resp.Challenge}
	a.render(w, r, s, http.StatusOK, "device.html", v)
}

// deviceTime is a code's expiry as the device's clock and calendar show it,
// from the Issued alone (the one source the email is made from too): its
// Location is the device's zone, which the request named.
func deviceTime(is servicepass.Issued) string {
	loc := is.Location
	if loc == nil {
		loc = time.UTC
	}
	if is.DayValid {
		return "end of " + is.ExpiryDate.String() + " (" + loc.String() + ")"
	}
	return is.ExpiresAt.In(loc).Format("2006-01-02 15:04 MST")
}

// formField is where a request field's error is shown on the panel.
func formField(f string) string {
	switch f {
	case "Actions":
		return "actions"
	case "ExpiresAt", "ExpiryDate", "Location":
		return "expires"
	case "WantQR":
		return "qr"
	case "EmailTo", "SendEmail":
		return "email"
	case "Language":
		return "lang"
	}
	return "form"
}
