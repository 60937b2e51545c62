package main

// Android Enterprise devices: their passcode resets and locks go to the
// Android Management API (AMAPI) over HTTP, as the SDK's package android
// builds and reads them. The console talks to a fake AMAPI it runs on
// loopback (android/androidtest), never to Google: a real host would use
// the nested module android/amapi with Google's client, which the console
// does not import so that the SDK's go.mod stays free of Google's modules.
//
// The console asks AMAPI for each pending command's operation whenever a
// page shows the device's resets (operations.get), and records every answer
// through android.Apply: the issueCommand answer, polls, and a real host's
// Pub/Sub pushes may come in any order and each move is recorded once.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/android/androidtest"
	"github.com/mdmcred/mdmcred/passcode"
)

// demoEnterprise is the demo AMAPI enterprise the Android Enterprise devices
// are enrolled in.
const demoEnterprise = "LC00demo"

// fakeDeviceDelay is how long after a command the fake AMAPI's devices run
// it, so that a person sees the command pending first.
const fakeDeviceDelay = 2 * time.Second

// AMAPI reports whether d is an Android Enterprise device managed through
// the Android Management API.
func (d Device) AMAPI() bool {
	return d.Platform.Platform == passcode.AndroidEnterpriseFullyManaged || d.Platform.Platform == passcode.AndroidEnterpriseWorkProfile
}

// AMAPIName is d's AMAPI resource name, enterprises/E/devices/D.
func (d Device) AMAPIName() string { return "enterprises/" + demoEnterprise + "/devices/" + d.ID }

// RaisedMin reports whether the SDK raised the device policy's minimum
// length (Android 14's numeric rule) for the new passcode.
func (v resetView) RaisedMin() bool {
	return v.Unsupported == "" && v.Capability.Policy.MinLength > v.Device.Platform.Policy.MinLength && v.Device.Platform.Policy.MinLength > 0
}

// fakeAMAPI is a fake AMAPI holding inv's Android Enterprise devices,
// which run a command delay after it is issued.
func fakeAMAPI(inv *inventory, now func() time.Time, delay time.Duration) (*androidtest.Server, error) {
	fake := androidtest.New(androidtest.Config{Now: now})
	for _, d := range inv.Devices {
		if d.AMAPI() && !fake.AddDevice(d.AMAPIName(), androidtest.Device{APILevel: d.Platform.APILevel, Delay: delay}) {
			return nil, fmt.Errorf("device %s: not an AMAPI resource name", d.ID)
		}
	}
	return fake, nil
}

// startFakeAMAPI serves fakeAMAPI(inv, now, delay) on a loopback port until
// ctx ends, and returns its base URL.
func startFakeAMAPI(ctx context.Context, inv *inventory, now func() time.Time, delay time.Duration) (string, error) {
	fake, err := fakeAMAPI(inv, now, delay)
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	return "http://" + ln.Addr().String(), nil
}

// amapiCommand is one command the console sent through AMAPI, as the
// Events view lists it. It never holds a password.
type amapiCommand struct {
	DeviceID  string
	Type      android.CommandType
	Operation string // the Operation's name; empty when AMAPI took none
	ResetID   string // the passcode reset a RESET_PASSWORD delivers
	IssuedBy  string
	IssuedAt  time.Time
	UpdatedAt time.Time
	Outcome   android.Outcome
	// Problem says why AMAPI took no command: its refusal's status, or
	// that it did not answer.
	Problem string
}

// amapiChannel sends device commands to an AMAPI endpoint over HTTP and
// keeps the list of commands sent (the host's own record, in memory).
type amapiChannel struct {
	endpoint string // base URL; empty: no AMAPI configured
	client   *http.Client
	now      func() time.Time
	resets   android.Lifecycle
	log      *slog.Logger

	mu   sync.Mutex
	cmds []*amapiCommand
}

func newAMAPIChannel(endpoint string, resets android.Lifecycle, now func() time.Time, log *slog.Logger) *amapiChannel {
	return &amapiChannel{endpoint: endpoint, client: &http.Client{Timeout: 10 * time.Second}, now: now, resets: resets, log: log}
}

// errNoAnswer: AMAPI gave no answer (or none the console could read); it
// may hold the command.
var errNoAnswer = errors.New("the Android Management API did not answer")

// amapiRefusal is AMAPI refusing a request: its google.rpc status name.
type amapiRefusal struct{ Status string }

func (e *amapiRefusal) Error() string {
	return "the Android Management API refused the command: " + e.Status
}

// call sends one request to AMAPI and reads the Operation it answers.
// Only the status name of a refusal is kept: its message might repeat the
// request, a password included.
func (c *amapiChannel) call(ctx context.Context, method, path string, body []byte) (android.Operation, error) {
	if c.endpoint == "" {
		return android.Operation{}, errNoAnswer
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+"/v1/"+path, bytes.NewReader(body))
	if err != nil {
		return android.Operation{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return android.Operation{}, errNoAnswer
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, android.MaxOperationSize+1))
	if err != nil {
		return android.Operation{}, errNoAnswer
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Status string }
		}
		if json.Unmarshal(data, &e) != nil || e.Error.Status == "" {
			e.Error.Status = fmt.Sprintf("HTTP %d", resp.StatusCode)
		}
		return android.Operation{}, &amapiRefusal{Status: e.Error.Status}
	}
	op, err := android.ParseOperation(data)
	if err != nil {
		return android.Operation{}, errNoAnswer
	}
	return op, nil
}

// issue sends body to device d and records the command. The body (which
// may hold a new password) is only written to the request.
func (c *amapiChannel) issue(ctx context.Context, d Device, typ android.CommandType, body android.Body, resetID, actor string) *amapiCommand {
	now := c.now().UTC()
	cmd := &amapiCommand{DeviceID: d.ID, Type: typ, ResetID: resetID, IssuedBy: actor, IssuedAt: now, UpdatedAt: now}
	op, err := c.call(ctx, http.MethodPost, d.AMAPIName()+":issueCommand", body.Reveal())
	var rf *amapiRefusal
	switch {
	case errors.As(err, &rf):
		cmd.Problem = rf.Status
		cmd.Outcome = android.Outcome{State: passcode.Failed, Reason: rf.Status}
	case err != nil:
		cmd.Problem = errNoAnswer.Error()
	default:
		cmd.Operation, cmd.Outcome = op.Name, op.Outcome(now)
	}
	c.log.Info("amapi command", "device", d.ID, "type", string(typ), "operation", cmd.Operation,
		"state", cmd.Outcome.State.String(), "reason", cmd.Outcome.Reason, "problem", cmd.Problem)
	c.mu.Lock()
	c.cmds = append(c.cmds, cmd)
	c.mu.Unlock()
	return cmd
}

// deliverReset sends the reset's new passcode to the device as a
// RESET_PASSWORD and records AMAPI's answer on the reset: Pending when
// AMAPI holds the command, Failed when it refused it. When AMAPI does not
// answer the reset stays Requested (AMAPI may hold the command) until it
// goes stale. res.Passcode is used for the request body only.
func (c *amapiChannel) deliverReset(ctx context.Context, d Device, res passcode.Result) (passcode.Reset, error) {
	body, err := android.ResetPasswordCommand(res.Passcode, 0, android.Options{})
	var cmd *amapiCommand
	if err != nil {
		// The passcode the SDK generated is one AMAPI cannot take: the
		// reset fails without a call.
		c.log.Error("amapi command not built", "device", d.ID, "err", err)
		cmd = &amapiCommand{DeviceID: d.ID, Type: android.ResetPassword, ResetID: res.Reset.ID, IssuedBy: res.Reset.RequestedBy,
			IssuedAt: c.now().UTC(), UpdatedAt: c.now().UTC(), Problem: "not sent: " + err.Error(),
			Outcome: android.Outcome{State: passcode.Failed, Reason: "not sent"}}
		c.mu.Lock()
		c.cmds = append(c.cmds, cmd)
		c.mu.Unlock()
	} else {
		cmd = c.issue(ctx, d, android.ResetPassword, body, res.Reset.ID, res.Reset.RequestedBy)
	}
	if cmd.Outcome.State != passcode.None {
		if _, err := android.Apply(ctx, c.resets, res.Reset.ID, cmd.Outcome); err != nil {
			return res.Reset, err
		}
	}
	return c.resets.Get(ctx, res.Reset.ID)
}

// send sends a command other than a passcode reset to device d.
func (c *amapiChannel) send(ctx context.Context, d Device, typ android.CommandType, body android.Body, actor string) amapiCommand {
	cmd := c.issue(ctx, d, typ, body, "", actor)
	c.mu.Lock()
	defer c.mu.Unlock()
	return *cmd
}

// refresh asks AMAPI for the operation of every pending command of device
// deviceID and records each answer (on the reset, for a RESET_PASSWORD). A
// command past its deadline without a result is Expired.
func (c *amapiChannel) refresh(ctx context.Context, deviceID string) error {
	c.mu.Lock()
	var pending []*amapiCommand
	for _, cmd := range c.cmds {
		if cmd.DeviceID == deviceID && cmd.Operation != "" && cmd.Outcome.State == passcode.Pending {
			pending = append(pending, cmd)
		}
	}
	c.mu.Unlock()
	for _, cmd := range pending {
		op, err := c.call(ctx, http.MethodGet, cmd.Operation, nil)
		if err != nil {
			c.log.Warn("amapi poll", "operation", cmd.Operation, "err", err)
			continue
		}
		now := c.now().UTC()
		o := op.Outcome(now)
		if cmd.ResetID != "" {
			if _, err := android.Apply(ctx, c.resets, cmd.ResetID, o); err != nil && !errors.Is(err, passcode.ErrResetExpired) {
				return err
			}
		}
		c.mu.Lock()
		if cmd.Outcome != o {
			cmd.Outcome, cmd.UpdatedAt = o, now
			c.log.Info("amapi outcome", "device", deviceID, "type", string(cmd.Type), "operation", cmd.Operation,
				"state", o.State.String(), "reason", o.Reason)
		}
		c.mu.Unlock()
	}
	return nil
}

// commands are the commands sent to device deviceID, oldest first.
func (c *amapiChannel) commands(deviceID string) []amapiCommand {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []amapiCommand
	for _, cmd := range c.cmds {
		if cmd.DeviceID == deviceID {
			out = append(out, *cmd)
		}
	}
	return out
}

// answers explain the device's answers an admin may meet.
var answers = map[string]string{
	string(android.StatusResetPasswordRecently):    "not put into Lost Mode: its password was reset recently",
	string(android.StatusUserExitLostModeRecently): "not put into Lost Mode: its user left Lost Mode recently",
	string(android.StatusAlreadyInLostMode):        "already in Lost Mode",
	string(android.StatusNotInLostMode):            "not in Lost Mode",
	string(android.ErrorInvalidValue):              "a value was refused (on Android 14, a numeric passcode shorter than 6 digits)",
	string(android.ErrorAPILevel):                  "its Android version does not support the command",
	string(android.ErrorManagementMode):            "its management mode does not support the command",
	string(android.ErrorUnsupported):               "it does not support the command",
	"CANCELLED":                                    "the command was cancelled",
}

// Answer is the device's answer for people: the reason a command failed,
// with what it means, or why AMAPI took none; "—" when there is none.
func (c amapiCommand) Answer() string {
	switch {
	case c.Problem != "":
		return c.Problem
	case c.Outcome.Reason == "":
		return "—"
	case answers[c.Outcome.Reason] != "":
		return c.Outcome.Reason + ": " + answers[c.Outcome.Reason]
	}
	return c.Outcome.Reason
}

// OperationID is the last segment of the Operation's name ("" when none).
func (c amapiCommand) OperationID() string {
	if c.Operation == "" {
		return ""
	}
	return c.Operation[strings.LastIndexByte(c.Operation, '/')+1:]
}

// commandView is the answer to one of the device card's command buttons.
type commandView struct {
	Device  Device
	Label   string // the button's label: Lock, Start Lost Mode, Stop Lost Mode
	Command *amapiCommand
	Error   string
}

func (v commandView) title() string { return v.Label + ": " + v.Device.Name }

// LostMode is why Lost Mode is not available on d ("" when it is), as
// passcode.CheckLostMode says.
func (d Device) LostMode() string {
	var ue *passcode.UnsupportedError
	if err := passcode.CheckLostMode(passcodeDevice(d)); errors.As(err, &ue) {
		return ue.Reason
	} else if err != nil {
		return err.Error()
	}
	return ""
}

// deviceCommand is the handler of one command button of the device card:
// build makes the command's body from the form, or says why not.
func (a *app) deviceCommand(label string, typ android.CommandType, build func(*http.Request, Device) (android.Body, string)) handler {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		d, ok := a.inv.device(r.PathValue("id"))
		if !ok {
			a.notFound(w, r)
			return
		}
		v := commandView{Device: d, Label: label}
		if !d.AMAPI() {
			v.Error = "This device is not managed through the Android Management API; " + label + " is not available here."
			a.render(w, r, s, http.StatusUnprocessableEntity, "command.html", v)
			return
		}
		body, refused := build(r, d)
		if refused != "" {
			v.Error = refused
			a.render(w, r, s, http.StatusUnprocessableEntity, "command.html", v)
			return
		}
		cmd := a.sdk.amapi.send(r.Context(), d, typ, body, s.User)
		v.Command = &cmd
		status := http.StatusOK
		if cmd.Problem != "" {
			v.Error = label + " was not sent: " + cmd.Problem + "."
			status = http.StatusBadGateway
		}
		a.render(w, r, s, status, "command.html", v)
	}
}

// lockDevice sends a LOCK.
func (a *app) lockDevice() handler {
	return a.deviceCommand("Lock", android.Lock, func(*http.Request, Device) (android.Body, string) {
		body, err := android.LockCommand(android.Options{})
		if err != nil {
			return android.Body{}, err.Error()
		}
		return body, ""
	})
}

// startLostMode sends a START_LOST_MODE with the form's message and phone
// number, where passcode.CheckLostMode allows it: on a device outside its
// rules AMAPI reports the command done while the device ignores it, so the
// refusal comes before any call.
func (a *app) startLostMode() handler {
	return a.deviceCommand("Start Lost Mode", android.StartLostMode, func(r *http.Request, d Device) (android.Body, string) {
		if why := d.LostMode(); why != "" {
			return android.Body{}, "Lost Mode is not available on this device: " + why
		}
		lm := android.LostMode{Message: android.Message{Default: r.PostFormValue("lost_message")},
			PhoneNumber: android.Message{Default: r.PostFormValue("lost_phone")}}
		body, err := android.StartLostModeCommand(lm, android.Options{})
		var ae *android.Error
		if errors.As(err, &ae) {
			return android.Body{}, "Lost Mode needs a message or a phone number to show (" + ae.Field + ": " + ae.Rule + ")."
		} else if err != nil {
			return android.Body{}, err.Error()
		}
		return body, ""
	})
}

// stopLostMode sends a STOP_LOST_MODE.
func (a *app) stopLostMode() handler {
	return a.deviceCommand("Stop Lost Mode", android.StopLostMode, func(_ *http.Request, d Device) (android.Body, string) {
		if why := d.LostMode(); why != "" {
			return android.Body{}, "Lost Mode is not available on this device: " + why
		}
		body, err := android.StopLostModeCommand(android.Options{})
		if err != nil {
			return android.Body{}, err.Error()
		}
		return body, ""
	})
}
