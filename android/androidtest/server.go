// Package androidtest is a fake Android Management API for tests and demos:
// [Server] is a standard-library http.Handler that serves
// devices.issueCommand, operations.get and operations.cancel under /v1/ the
// way AMAPI documents them, with simulated [Device]s that run each command
// by Android's rules. Point an HTTP client (or Google's client, with
// option.WithEndpoint and option.WithoutAuthentication) at it.
//
// # Which function to call
//
// [New] a Server, [Server.AddDevice] each device under its resource name
// ("enterprises/E/devices/D"), serve it (httptest.NewServer, or
// http.Serve on a loopback listener) and send commands built by package
// android. issueCommand answers a pending Operation; operations.get shows
// it done once the device has run the command ([Device.Delay] after it was
// issued), with the device's answer in its metadata.
//
// # What the simulated device answers
//
//   - RESET_PASSWORD: errorCode INVALID_VALUE for a numeric newPassword
//     shorter than 6 on Android 14 (API 34) and later, as Android 14
//     refuses it; otherwise done.
//   - LOCK: done.
//   - START_LOST_MODE: ALREADY_IN_LOST_MODE in Lost Mode,
//     RESET_PASSWORD_RECENTLY within [RecentReset] of a password reset the
//     device ran; otherwise SUCCESS, and the device is in Lost Mode.
//   - STOP_LOST_MODE: NOT_IN_LOST_MODE out of Lost Mode; otherwise
//     SUCCESS.
//   - Any other type: errorCode UNSUPPORTED.
//
// An [Device.Offline] device never runs a command: its operations stay
// pending past their deadline (the command's createTime + duration), as a
// command that expired.
//
// # The new password
//
// The Server reads a RESET_PASSWORD's newPassword only to decide the
// device's answer and keeps it nowhere: not in the operation (whose
// metadata repeats every other field of the command), not in an error, not
// in a log. It keeps no request body.
package androidtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/passcode"
)

// RecentReset is how long after running a RESET_PASSWORD a simulated device
// refuses START_LOST_MODE with RESET_PASSWORD_RECENTLY. AMAPI documents the
// status and not the window; this is the fake's choice.
const RecentReset = time.Hour

// Device is a simulated device.
type Device struct {
	// APILevel is the device's Android API level
	// (Build.VERSION.SDK_INT); from 34 (Android 14) a numeric password
	// shorter than 6 is refused.
	APILevel int
	// Delay is how long after a command is issued the device runs it:
	// operations.get shows the operation done from createTime + Delay.
	// Zero: at once. A command whose Delay reaches its duration never
	// runs.
	Delay time.Duration
	// Offline: the device runs no command; every operation stays pending.
	Offline bool
}

// Config configures a [Server].
type Config struct {
	// Now is the clock the Server stamps createTime with and runs the
	// devices by. Zero: time.Now.
	Now func() time.Time
}

// Server is the fake AMAPI. It is safe for concurrent use.
type Server struct {
	now func() time.Time

	mu      sync.Mutex
	devices map[string]*device
	ops     map[string]*operation
	seq     int
}

type device struct {
	Device
	lostMode  bool
	lastReset time.Time // when the device last ran a RESET_PASSWORD
}

// operation is one issued command. result holds the device's answer, to be
// shown from runAt; it never holds a password.
type operation struct {
	name     string
	dev      *device
	metadata map[string]any
	runAt    time.Time
	runs     bool // the device will run it (online, before its deadline)
	ran      bool
	result   map[string]any // metadata fields the device's answer sets
	cmdType  string
	invalid  bool // a RESET_PASSWORD the device refuses
	canceled bool
}

// New returns a Server with no devices.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{now: cfg.Now, devices: map[string]*device{}, ops: map[string]*operation{}}
}

// AddDevice adds (or replaces) the device named name, a resource name
// "enterprises/E/devices/D" with plain segments. It reports whether the
// name has that form.
func (s *Server) AddDevice(name string, d Device) bool {
	if !resourceName(name, 4) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.devices[name] = &device{Device: d}
	return true
}

// resourceName reports whether name is enterprises/{e}/devices/{d}
// (n = 4) or enterprises/{e}/devices/{d}/operations/{o} (n = 6).
func resourceName(name string, n int) bool {
	parts := strings.Split(name, "/")
	if len(parts) != n || parts[0] != "enterprises" || parts[2] != "devices" || (n == 6 && parts[4] != "operations") {
		return false
	}
	for i := 1; i < n; i += 2 {
		if parts[i] == "" || strings.ContainsAny(parts[i], ":?#%") {
			return false
		}
	}
	return true
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// ServeHTTP serves POST /v1/{device}:issueCommand, GET /v1/{operation} and
// POST /v1/{operation}:cancel. Errors are google.rpc.Status JSON, as AMAPI
// answers them.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no such method")
		return
	}
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(path, ":issueCommand"):
		s.issue(w, r, strings.TrimSuffix(path, ":issueCommand"))
	case r.Method == http.MethodPost && strings.HasSuffix(path, ":cancel"):
		s.cancel(w, strings.TrimSuffix(path, ":cancel"))
	case r.Method == http.MethodGet && resourceName(path, 6):
		s.get(w, path)
	default:
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no such method")
	}
}

// command is the part of a devices.issueCommand body the device reads.
type command struct {
	Type        string `json:"type"`
	Duration    string `json:"duration"`
	NewPassword string `json:"newPassword"`
}

func (s *Server) issue(w http.ResponseWriter, r *http.Request, name string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "request body too large or unreadable")
		return
	}
	var cmd command
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &cmd) != nil || json.Unmarshal(body, &fields) != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.")
		return
	}
	duration := android.DefaultDuration
	if cmd.Duration != "" {
		d, err := time.ParseDuration(cmd.Duration)
		if err != nil || !strings.HasSuffix(cmd.Duration, "s") || strings.ContainsAny(cmd.Duration, "hmµun") || d < 0 {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid value at 'command.duration'")
			return
		}
		duration = d
	}
	// The password decides the device's answer and is dropped here.
	invalid := cmd.Type == string(android.ResetPassword) && numericTooShort(cmd.NewPassword)
	cmd.NewPassword = ""
	delete(fields, "newPassword")

	s.mu.Lock()
	defer s.mu.Unlock()
	dev, ok := s.devices[name]
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Resource not found: "+name)
		return
	}
	now := s.now().UTC()
	s.seq++
	op := &operation{
		name:    fmt.Sprintf("%s/operations/%d", name, 1700000000000+s.seq),
		dev:     dev,
		runAt:   now.Add(dev.Delay),
		runs:    !dev.Offline && dev.Delay < duration,
		cmdType: cmd.Type,
		invalid: invalid && dev.APILevel >= passcode.APIUpsideDownCake,
		metadata: map[string]any{
			"@type":      "type.googleapis.com/google.android.devicemanagement.v1.Command",
			"createTime": now.Format(time.RFC3339Nano),
			"duration":   strconv.FormatFloat(duration.Seconds(), 'f', -1, 64) + "s",
			"userName":   "enterprises/" + strings.Split(name, "/")[1] + "/users/demo-user",
		},
	}
	for k, v := range fields {
		if k != "duration" {
			op.metadata[k] = v
		}
	}
	s.ops[op.name] = op
	s.advance(op, now)
	writeOperation(w, op)
}

// numericTooShort reports whether pw is all digits and shorter than
// Android 14's minimum.
func numericTooShort(pw string) bool {
	if pw == "" || len(pw) >= passcode.Android14NumericMin {
		return false
	}
	for _, c := range []byte(pw) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// advance runs op on its device when its time has come. The caller holds
// s.mu. Commands of one device run in the order they were issued, as each
// is run when it is first read at or after its runAt.
func (s *Server) advance(op *operation, now time.Time) {
	if op.ran || op.canceled || !op.runs || now.Before(op.runAt) {
		return
	}
	op.ran = true
	d := op.dev
	switch android.CommandType(op.cmdType) {
	case android.ResetPassword:
		if op.invalid {
			op.result = map[string]any{"errorCode": string(android.ErrorInvalidValue)}
			return
		}
		d.lastReset = op.runAt
	case android.Lock:
	case android.StartLostMode:
		status := android.StatusSuccess
		switch {
		case d.lostMode:
			status = android.StatusAlreadyInLostMode
		case !d.lastReset.IsZero() && op.runAt.Sub(d.lastReset) < RecentReset:
			status = android.StatusResetPasswordRecently
		default:
			d.lostMode = true
		}
		op.result = map[string]any{"startLostModeStatus": map[string]any{"status": string(status)}}
	case android.StopLostMode:
		status := android.StatusSuccess
		if !d.lostMode {
			status = android.StatusNotInLostMode
		}
		d.lostMode = false
		op.result = map[string]any{"stopLostModeStatus": map[string]any{"status": string(status)}}
	default:
		op.result = map[string]any{"errorCode": string(android.ErrorUnsupported)}
	}
}

func (s *Server) get(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.ops[name]
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Resource not found: "+name)
		return
	}
	s.advance(op, s.now().UTC())
	writeOperation(w, op)
}

// cancel ends a command the device has not run: the operation is done
// with error CANCELLED. A command already run stays as it is.
func (s *Server) cancel(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.ops[name]
	if !ok || !resourceName(name, 6) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Resource not found: "+name)
		return
	}
	s.advance(op, s.now().UTC())
	if !op.ran {
		op.canceled = true
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, "{}\n")
}

// writeOperation writes op as AMAPI's Operation JSON. The caller holds
// s.mu.
func writeOperation(w http.ResponseWriter, op *operation) {
	md := make(map[string]any, len(op.metadata)+len(op.result))
	for k, v := range op.metadata {
		md[k] = v
	}
	m := map[string]any{"name": op.name, "metadata": md}
	switch {
	case op.ran:
		for k, v := range op.result {
			md[k] = v
		}
		m["done"] = true
	case op.canceled:
		m["done"] = true
		m["error"] = map[string]any{"code": 1, "message": "Operation cancelled."}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(m)
}

func writeError(w http.ResponseWriter, code int, status, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}
