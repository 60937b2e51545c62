package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // photos of a QR code
	_ "image/png"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
)

// simView is the device simulator: what the agent shows its user.
type simView struct {
	Devices []Device
	Device  Device
	Users   []User
	Grant   *grantView
	Refusal string
	Window  *windowView
	Reset   *passcode.Reset // the device's open reset command, if any
	Notice  string          // the outcome of a reset report or a PIN
	Error   string
	// Challenge is the challenge the device shows for a challenge-bound
	// code, in display form, or empty.
	Challenge string
}

func (simView) title() string { return "Device simulator" }

type grantView struct {
	Actions     []string
	Scope       string // what Unlock opened; empty without Unlock
	SetPassword bool   // Set Password was granted
	Degraded    bool
}

type windowView struct {
	Active  bool
	End     time.Time
	Left    string // the time left when the page was made
	Actions []string
	Revert  []string
}

// actionNames are the labels of the actions in a, in bit order.
func actionNames(a servicepass.Actions) []string {
	var out []string
	for _, l := range actionLabels {
		if a.Has(l.a) {
			out = append(out, l.label)
		}
	}
	return out
}

// simDevice is the device the request names (the first one by default).
func (a *app) simDevice(r *http.Request) (Device, bool) {
	id := r.FormValue("device")
	if id == "" {
		return a.inv.Devices[0], true
	}
	d, ok := a.inv.device(id)
	return d, ok && d.Apple == nil // Apple devices answer through the MDM server
}

func (a *app) simulatorPage(r *http.Request, _ *session) any {
	d, ok := a.simDevice(r)
	if !ok {
		d = a.inv.Devices[0]
	}
	return a.newSimView(r, d)
}

func (a *app) newSimView(r *http.Request, d Device) simView {
	v := simView{Devices: a.inv.agentDevices(), Device: d, Users: a.inv.Users}
	if c, ok := a.sdk.shownChallenge(d); ok {
		v.Challenge = c.String()
	}
	ws, err := a.sdk.window(d)
	if err != nil {
		// After a lost state the status still says what to revert.
		v.Error = "The device state could not be read: " + err.Error()
	}
	if (err == nil || errors.Is(err, servicepass.ErrStateLost)) && (ws.Active || ws.Revert != 0) {
		// Revert: what the agent undoes when the active window ends, plus
		// the duty left by ended (or lost) windows.
		wv := &windowView{Active: ws.Active, End: ws.End, Actions: actionNames(ws.Actions), Revert: actionNames(ws.Actions&servicepass.Reversible | ws.Revert)}
		if ws.Active {
			wv.Left = countdownText(ws.End.Sub(a.now()))
		} else {
			wv.End = ws.Ended
		}
		v.Window = wv
	}
	// An Android Enterprise device answers through AMAPI (android.go), not here.
	if rs, ok, err := a.sdk.latestReset(r.Context(), d.ID); err == nil && ok && rs.State.Open() && !d.AMAPI() {
		v.Reset = &rs
	}
	return v
}

func (a *app) simulatorVerify(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.simDevice(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	code := r.PostFormValue("code")
	if f, _, err := r.FormFile("qr"); err == nil {
		text, err := readQR(f)
		f.Close()
		if err != nil {
			v := a.newSimView(r, d)
			v.Refusal = "No QR code could be read from that picture. Take the photo again, closer and in focus, or type the code."
			a.render(w, r, s, http.StatusUnprocessableEntity, "simulator.html", v)
			return
		}
		code = text
	}
	grant, err := a.sdk.verify(d, code)
	v := a.newSimView(r, d)
	if err != nil {
		v.Refusal = refusal(err)
		a.render(w, r, s, http.StatusUnprocessableEntity, "simulator.html", v)
		return
	}
	v.Grant = newGrantView(grant.Actions, grant.Scope, grant.Degraded)
	a.render(w, r, s, http.StatusOK, "simulator.html", v)
}

// simulatorChallenge is the device agent showing a new challenge, which
// replaces any earlier one.
func (a *app) simulatorChallenge(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.simDevice(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	if _, err := a.sdk.newChallenge(d); err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, r, s, http.StatusOK, "simulator.html", a.newSimView(r, d))
}

// simulatorRespond is the device agent taking the response to the
// challenge it shows.
func (a *app) simulatorRespond(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.simDevice(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	grant, err := a.sdk.verifyResponse(d, r.PostFormValue("response"))
	v := a.newSimView(r, d)
	if err != nil {
		v.Refusal = responseRefusal(err)
		a.render(w, r, s, http.StatusUnprocessableEntity, "simulator.html", v)
		return
	}
	v.Grant = newGrantView(grant.Actions, grant.Scope, grant.Degraded)
	a.render(w, r, s, http.StatusOK, "simulator.html", v)
}

// responseRefusal words a refused response for the device's user; what it
// shares with a code is worded as for a code.
func responseRefusal(err error) string {
	switch {
	case errors.Is(err, servicepass.ErrNoChallenge):
		return "This device shows no challenge now. Tap \"Show a challenge\" and read the new one to your administrator."
	case errors.Is(err, servicepass.ErrChallengeExpired):
		return "The challenge has expired. Tap \"Show a challenge\" and read the new one to your administrator."
	case errors.Is(err, servicepass.ErrChallengeVoid):
		return "Too many wrong responses: this challenge no longer works. Tap \"Show a challenge\" and read the new one to your administrator."
	case errors.Is(err, servicepass.ErrTypo), errors.Is(err, servicepass.ErrMalformed):
		return "That response has a typing mistake. Check each character and type it again (this does not count as a wrong attempt)."
	case errors.Is(err, servicepass.ErrInvalid), errors.Is(err, servicepass.ErrUnknownKey):
		return "This response does not answer the challenge this device shows. Check that it was made for this device and this challenge."
	}
	return refusal(err)
}

// newGrantView describes a grant: what Unlock opened only when Unlock was
// granted, and what Set Password allows when it was.
func newGrantView(actions servicepass.Actions, sc servicepass.Scope, degraded bool) *grantView {
	g := &grantView{Actions: actionNames(actions), Degraded: degraded}
	if actions&servicepass.Unlock != 0 {
		g.Scope = scopeText(sc)
	}
	g.SetPassword = actions&servicepass.SetPassword != 0
	return g
}

// scopeText says what a granted Unlock opened.
func scopeText(sc servicepass.Scope) string {
	if sc == servicepass.ScopeWorkProfile {
		return "the work profile"
	}
	return "the whole device"
}

// refusal words a verification error for the device's user.
func refusal(err error) string {
	var lo *servicepass.LockedOutError
	switch {
	case errors.As(err, &lo):
		return fmt.Sprintf("Too many wrong service passwords. Wait %s, then try again.", humanDuration(lo.RetryAfter))
	case errors.Is(err, servicepass.ErrTypo), errors.Is(err, servicepass.ErrMalformed):
		return "That service password has a typing mistake. Check each character and type it again (this does not count as a wrong attempt)."
	case errors.Is(err, servicepass.ErrExpired):
		return "This service password has expired. Ask your administrator for a new one."
	case errors.Is(err, servicepass.ErrNotYetValid):
		return "This service password is not valid yet. Check the date and time on this device."
	case errors.Is(err, servicepass.ErrReplay):
		return "This service password was already used on this device. Each one works once; ask for a new one."
	case errors.Is(err, servicepass.ErrInvalid), errors.Is(err, servicepass.ErrUnknownKey):
		return "This service password is not for this device. Check that it was made for this device, or ask for a new one."
	case errors.Is(err, servicepass.ErrMode):
		return "This service password asks for something this device does not allow in its mode. Ask for a new one."
	case errors.Is(err, servicepass.ErrClockBack):
		return "The clock of this device was turned back. Set the correct date and time, then try again."
	case errors.Is(err, servicepass.ErrVersion):
		return "This service password needs a newer version of the device agent."
	}
	return "The service password could not be checked. Try again."
}

// maxPixels bounds a picture's size before it is decoded: a small PNG can
// claim a huge image.
const maxPixels = 40_000_000

// errPicture refuses a picture too large to decode.
var errPicture = errors.New("console: picture too large")

// readQR decodes the QR code in a PNG or JPEG picture, with gozxing.
func readQR(r io.Reader) (string, error) {
	var head bytes.Buffer
	cfg, _, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return "", err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels/cfg.Height {
		return "", errPicture
	}
	img, _, err := image.Decode(io.MultiReader(&head, r))
	if err != nil {
		return "", err
	}
	// Draw it on a white margin, so that a cropped symbol is found too.
	b := img.Bounds()
	m := max(16, b.Dx()/8)
	canvas := image.NewGray(image.Rect(0, 0, b.Dx()+2*m, b.Dy()+2*m))
	draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(canvas, b.Sub(b.Min).Add(image.Pt(m, m)), img, b.Min, draw.Src)
	bmp, err := gozxing.NewBinaryBitmapFromImage(canvas)
	if err != nil {
		return "", err
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		hints[gozxing.DecodeHintType_PURE_BARCODE] = true
		if res, err = zxqr.NewQRCodeReader().Decode(bmp, hints); err != nil {
			return "", err
		}
	}
	return strings.TrimSpace(res.GetText()), nil
}

func (a *app) simulatorEndWindow(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.simDevice(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	v := a.newSimView(r, d)
	if v.Window == nil || v.Window.Active {
		v.Error = "No ended privileged window to acknowledge."
		a.render(w, r, s, http.StatusConflict, "simulator.html", v)
		return
	}
	if err := a.sdk.endWindow(d); err != nil {
		a.fail(w, r, err)
		return
	}
	v = a.newSimView(r, d)
	v.Notice = "Reverted to the policy; the privileged window is closed."
	a.render(w, r, s, http.StatusOK, "simulator.html", v)
}

// simulatorReport is the device answering its passcode reset command.
func (a *app) simulatorReport(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.simDevice(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	rs, ok, err := a.sdk.latestReset(r.Context(), d.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !ok || rs.ID != r.PathValue("id") || d.AMAPI() {
		a.notFound(w, r)
		return
	}
	var to passcode.State
	switch r.PostFormValue("to") {
	case "acknowledged":
		to = passcode.Acknowledged
	case "succeeded":
		to = passcode.Succeeded
	case "failed":
		to = passcode.Failed
	}
	_, err = a.sdk.deviceReports(r.Context(), rs.ID, to)
	v := a.newSimView(r, d)
	if err != nil {
		v.Error = "The device cannot report that now: " + err.Error()
		a.render(w, r, s, http.StatusConflict, "simulator.html", v)
		return
	}
	v.Notice = "Reported to the server: " + to.String() + "."
	a.render(w, r, s, http.StatusOK, "simulator.html", v)
}

// simulatorPIN is the secure-apps passcode reset on the device, which takes
// the user's one-time PIN from the portal.
func (a *app) simulatorPIN(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.simDevice(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	err := a.sdk.usePIN(r.Context(), r.PostFormValue("user"), r.PostFormValue("pin"))
	v := a.newSimView(r, d)
	status := http.StatusOK
	switch {
	case err == nil:
		v.Notice = "One-time PIN accepted: set a new secure-apps passcode now."
	case errors.Is(err, otp.ErrPINFormat):
		v.Error, status = "That is not a one-time PIN: check the digits.", http.StatusUnprocessableEntity
	case errors.Is(err, otp.ErrPINLocked):
		v.Error, status = "Too many wrong PINs: this PIN no longer works. Generate a new one in the portal.", http.StatusUnprocessableEntity
	case errors.Is(err, otp.ErrPINExpired), errors.Is(err, otp.ErrPINNotFound):
		v.Error, status = "No valid one-time PIN for this user: generate a new one in the portal.", http.StatusUnprocessableEntity
	case errors.Is(err, otp.ErrPINInvalid):
		v.Error, status = "Wrong one-time PIN.", http.StatusUnprocessableEntity
	default:
		v.Error, status = "The PIN could not be checked.", http.StatusUnprocessableEntity
	}
	a.render(w, r, s, status, "simulator.html", v)
}
