package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/micromdm/nanolib/log"
	"github.com/micromdm/nanolib/storage/kv/kvmap"
	"github.com/micromdm/nanolib/storage/kv/kvtxn"
	"github.com/micromdm/nanomdm/cryptoutil"
	httpmdm "github.com/micromdm/nanomdm/http/mdm"
	"github.com/micromdm/nanomdm/mdm"
	"github.com/micromdm/nanomdm/service"
	"github.com/micromdm/nanomdm/service/certauth"
	nmservice "github.com/micromdm/nanomdm/service/nanomdm"
	"github.com/micromdm/nanomdm/storage/inmem"
	nmkv "github.com/micromdm/nanomdm/storage/kv"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/apple/nanomdm"
)

// server is NanoMDM on its in-memory storage behind its own HTTP handlers,
// with the mdmcred middleware in front of it, simulated devices enrolled
// in it, and the demo's API beside it.
type server struct {
	buckets [6]*kvmap.KVMap // the storage's buckets
	store   *inmem.InMem
	mw      *nanomdm.Service
	escrow  *nanomdm.MemSource
	token   string // the API's bearer token
	now     func() time.Time
	devices map[string]*device
	mux     *http.ServeMux

	mu       sync.Mutex
	commands map[string]string // CommandUUID -> RequestType, for the results
	results  []result
}

// result is one report a device made: what the API lists.
type result struct {
	Seq          int       `json:"seq"`
	At           time.Time `json:"at"`
	EnrollmentID string    `json:"enrollment_id"`
	CommandUUID  string    `json:"command_uuid"`
	RequestType  string    `json:"request_type"`
	Status       string    `json:"status"`
	// Raw is the device's report as it sent it (a plist), for the host to
	// read with apple.ParseResult. A report carries no secret.
	Raw []byte `json:"raw"`
}

// escrowRetention bounds how long an escrowed PIN waits for delivery.
const escrowRetention = time.Hour

func newServer(token string, nlog log.Logger, slogger *slog.Logger) (*server, error) {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	var buckets [6]*kvmap.KVMap
	sealer, err := apple.NewSealer(apple.NewKeys(map[uint8][]byte{1: key[:]}), 1)
	clear(key[:])
	if err != nil {
		return nil, err
	}
	// inmem.New, with the buckets kept so that a test can read every byte
	// NanoMDM stores.
	for i := range buckets {
		buckets[i] = kvmap.New()
	}
	store := &inmem.InMem{KV: nmkv.New(kvtxn.New(buckets[0]), kvtxn.New(buckets[1]), kvtxn.New(buckets[2]),
		kvtxn.New(buckets[3]), kvtxn.New(buckets[4]), kvtxn.New(buckets[5]))}
	s := &server{buckets: buckets, store: store, token: token, now: time.Now, devices: map[string]*device{}, commands: map[string]string{}}
	s.escrow = nanomdm.NewMemSource(sealer, nil)
	core := nmservice.New(s.store, nmservice.WithLogger(nlog))
	// The recorder sits under the middleware, so that it also sees the
	// failures the middleware reports for a command it could not fill.
	s.mw, err = nanomdm.New(&recorder{CheckinAndCommandService: core, s: s}, nanomdm.Config{Source: s.escrow, Tokens: nanomdm.NewMemTokenStore(), Sealer: sealer, Logger: slogger})
	if err != nil {
		return nil, err
	}
	// certauth outermost, so that only a message signed by the enrollment it
	// names reaches the middleware.
	svc := certauth.New(s.mw, s.store, certauth.WithLogger(nlog))
	s.mux = http.NewServeMux()
	s.mux.Handle("/mdm", httpmdm.CertExtractMdmSignatureMiddleware(
		httpmdm.CheckinAndCommandHandler(svc, nlog.With("handler", "mdm")),
		httpmdm.MdmSignatureVerifierFunc(cryptoutil.VerifyMdmSignature)))
	s.mux.HandleFunc("GET /v1/devices", s.auth(s.listDevices))
	s.mux.HandleFunc("POST /v1/commands", s.auth(s.enqueue))
	s.mux.HandleFunc("GET /v1/results", s.auth(s.listResults))
	return s, nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// recorder keeps every result NanoMDM stores (what the devices reported,
// after the middleware took it, and the failures the middleware reported on
// a device's behalf), for the API's result list.
type recorder struct {
	service.CheckinAndCommandService
	s *server
}

func (rc *recorder) CommandAndReportResults(r *mdm.Request, res *mdm.CommandResults) (*mdm.Command, error) {
	cmd, err := rc.CheckinAndCommandService.CommandAndReportResults(r, res)
	if err == nil && res != nil && res.Status != "Idle" && res.CommandUUID != "" {
		rc.s.record(res)
	}
	return cmd, err
}

func (s *server) record(res *mdm.CommandResults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := ""
	if e := res.Resolved(); e != nil {
		id = e.DeviceChannelID
	}
	s.results = append(s.results, result{Seq: len(s.results) + 1, At: s.now().UTC(), EnrollmentID: id,
		CommandUUID: res.CommandUUID, RequestType: s.commands[res.CommandUUID], Status: res.Status,
		Raw: append([]byte(nil), res.Raw...)})
}

// auth requires the API's bearer token.
func (s *server) auth(h http.HandlerFunc) http.HandlerFunc {
	want := []byte("Bearer " + s.token)
	return func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		h(w, r)
	}
}

// deviceInfo is a device as the API lists it.
type deviceInfo struct {
	EnrollmentID string `json:"enrollment_id"`
	Name         string `json:"name"`
	Model        string `json:"model"`
	OSVersion    string `json:"os_version"`
	// UnlockTokenAt is when the middleware recorded the device's
	// UnlockToken; absent when it holds none.
	UnlockTokenAt *time.Time `json:"unlock_token_at,omitempty"`
}

func (s *server) listDevices(w http.ResponseWriter, r *http.Request) {
	out := []deviceInfo{}
	for _, p := range demoDevices {
		info := deviceInfo{EnrollmentID: p.UDID, Name: p.Name, Model: p.Model, OSVersion: p.OSVersion}
		if at, err := s.mw.UnlockTokenAt(r.Context(), p.UDID); err == nil {
			info.UnlockTokenAt = &at
		} else if !errors.Is(err, nanomdm.ErrNoToken) {
			writeError(w, http.StatusInternalServerError, "reading the unlock tokens")
			return
		}
		out = append(out, info)
	}
	writeJSON(w, http.StatusOK, out)
}

// enqueueRequest is the body of POST /v1/commands: a command template
// built with the apple package (placeholders, no secret), the enrollment
// to send it to, and the PIN a DeviceLock template waits for. The PIN is
// sealed into the escrow at once and filled in only when the device
// fetches the command.
type enqueueRequest struct {
	EnrollmentID string `json:"enrollment_id"`
	Command      []byte `json:"command"`
	PIN          string `json:"pin,omitempty"`
}

// maxBody bounds a request body (a command template is a few hundred bytes).
const maxBody = 64 << 10

func (s *server) enqueue(w http.ResponseWriter, r *http.Request) {
	var req enqueueRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "body: not a JSON enqueue request")
		return
	}
	c, status, msg := s.checkEnqueue(req)
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	var sec apple.Secrets
	if req.PIN != "" {
		sec.PIN = apple.NewSecret(req.PIN)
	}
	if err := s.escrow.Put(req.EnrollmentID, c.UUID, sec, s.now().Add(escrowRetention)); err != nil {
		writeError(w, http.StatusBadRequest, "pin: cannot be escrowed")
		return
	}
	s.mu.Lock()
	s.commands[c.UUID] = string(c.RequestType)
	s.mu.Unlock()
	if err := nanomdm.Enqueue(r.Context(), s.store, c, req.EnrollmentID); err != nil {
		writeError(w, http.StatusInternalServerError, "enqueue failed")
		return
	}
	s.devices[req.EnrollmentID].wake()
	writeJSON(w, http.StatusAccepted, map[string]string{"command_uuid": c.UUID, "request_type": string(c.RequestType)})
}

// checkEnqueue validates a request: a known device, a command plist with a
// UUID and RequestType, and a PIN exactly when the template waits for one
// (and no other secret). status is 0 when the request is good.
func (s *server) checkEnqueue(req enqueueRequest) (c apple.Command, status int, msg string) {
	if _, ok := s.devices[req.EnrollmentID]; !ok {
		return c, http.StatusNotFound, "enrollment_id: no such device"
	}
	cmd, err := mdm.DecodeCommand(req.Command)
	if err != nil || cmd.CommandUUID == "" || cmd.Command.RequestType == "" {
		return c, http.StatusBadRequest, "command: not an MDM command plist with a CommandUUID and RequestType"
	}
	s.mu.Lock()
	_, seen := s.commands[cmd.CommandUUID]
	s.mu.Unlock()
	if seen {
		return c, http.StatusConflict, "command: this CommandUUID was queued before"
	}
	need := apple.Placeholders(req.Command)
	switch {
	case need&^(apple.FillPIN|apple.FillUnlockToken) != 0:
		return c, http.StatusBadRequest, "command: waits for secrets this API does not take (" + need.String() + ")"
	case need&apple.FillPIN != 0 && req.PIN == "":
		return c, http.StatusBadRequest, "pin: the command waits for a PIN"
	case need&apple.FillPIN == 0 && req.PIN != "":
		return c, http.StatusBadRequest, "pin: the command takes no PIN"
	case req.PIN != "" && apple.CheckPIN(apple.NewSecret(req.PIN)) != nil:
		return c, http.StatusBadRequest, "pin: must be 6 digits"
	}
	return apple.Command{UUID: cmd.CommandUUID, RequestType: apple.RequestType(cmd.Command.RequestType), Template: req.Command, Fills: need}, 0, ""
}

func (s *server) listResults(w http.ResponseWriter, r *http.Request) {
	after := 0
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "after: not a result sequence number")
			return
		}
		after = n
	}
	s.mu.Lock()
	out := []result{}
	if after < len(s.results) {
		out = append(out, s.results[after:]...)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// addDevices makes the demo devices, speaking to mdmURL. Call it before
// the server serves: the device map is read-only afterwards.
func (s *server) addDevices(mdmURL string, client *http.Client, slogger *slog.Logger) error {
	for _, p := range demoDevices {
		var token []byte
		if p.Escrows {
			token = make([]byte, 32)
			if _, err := rand.Read(token); err != nil {
				return err
			}
		}
		d, err := newDevice(p, mdmURL, client, token, slogger)
		if err != nil {
			return err
		}
		s.devices[p.UDID] = d
	}
	return nil
}

// enroll enrolls the devices and has them answer pushes until ctx ends.
func (s *server) enroll(ctx context.Context) error {
	for _, p := range demoDevices {
		d := s.devices[p.UDID]
		if err := d.enroll(ctx); err != nil {
			return err
		}
		go d.run(ctx)
	}
	return nil
}
