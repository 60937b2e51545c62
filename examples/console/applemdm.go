package main

// The console's Apple MDM wiring: a client of the demo MDM server
// (apple/nanomdm/cmd/demomdm, a program of the nested module that runs
// NanoMDM with the mdmcred middleware), and the apple package's calls at the
// three points a host makes them: queue (build the command, Check the
// device, Request the reset, queue the template with the PIN handed to the
// MDM's sealed escrow), report (ParseResult, Outcome, Apply to the reset).
// The console does not link NanoMDM: it speaks to the MDM server over its
// loopback API, as a host with its own MDM server would.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/passcode"
)

// AppleDevice is what the inventory knows of an Apple device managed
// through the MDM server.
type AppleDevice struct {
	// EnrollmentID is the device's enrollment in the MDM server (its UDID).
	EnrollmentID string
	// Model is how the console names the hardware: iPhone, iPad, Mac.
	Model string
	// Info is what apple.Check needs (platform, OS version, supervision,
	// Apple silicon); UnlockTokenAt comes from the MDM server.
	Info apple.Device
}

// OS is the device's OS and version as Apple names them ("iPadOS 17.2").
func (d AppleDevice) OS() string {
	name := map[passcode.Platform]string{passcode.IOS: "iOS", passcode.IPadOS: "iPadOS", passcode.MacOS: "macOS"}[d.Info.Platform]
	return strings.TrimSpace(name + " " + d.Info.OSVersion)
}

// appleActor is the actor the reset lifecycle records for the moves the MDM
// server's reports make (the middleware's own name for itself).
const appleActor = "nanomdm"

// answerWait bounds how long a request waits for the device's answer
// before showing the page (the demo's devices answer at once; a real device
// may take minutes, and the Events view shows the answer when it comes).
const answerWait = 3 * time.Second

// appleMDM is the console's side of the MDM server: the API client, which
// command serves which reset, and the devices' MDM events.
type appleMDM struct {
	base   string // the MDM server's base URL
	token  string // its API bearer token
	client *http.Client
	resets apple.Lifecycle
	now    func() time.Time

	syncMu sync.Mutex // one results sync at a time
	mu     sync.Mutex
	after  int                     // the last result read
	sent   map[string]sentCommand  // CommandUUID -> what it serves
	events map[string][]appleEvent // device ID -> its MDM events, oldest first
}

// sentCommand is a command the console queued.
type sentCommand struct {
	DeviceID    string
	RequestType apple.RequestType
	ResetID     string // the passcode reset it serves, or ""
	Answered    bool
}

// appleEvent is one row of a device's MDM events.
type appleEvent struct {
	At          time.Time
	Command     apple.RequestType
	CommandUUID string
	// What happened: "queued", "refused by the console", or the device's
	// answer ("Acknowledged", "NotNow", "Error", "CommandFormatError").
	What   string
	Detail string
	Actor  string
}

func newAppleMDM(base, token string, resets apple.Lifecycle, now func() time.Time) (*appleMDM, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-apple-mdm %q: want the MDM server's http(s):// base URL", base)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		// The API carries the lock PINs it escrows: in clear only on this host.
		return nil, fmt.Errorf("-apple-mdm %q: plain http only to a loopback address; use https", base)
	}
	if token == "" {
		return nil, errors.New("-apple-mdm: the MDM server's API token is required (APPLE_MDM_TOKEN)")
	}
	if now == nil {
		now = time.Now
	}
	return &appleMDM{base: strings.TrimSuffix(u.String(), "/"), token: token, client: &http.Client{Timeout: 10 * time.Second},
		resets: resets, now: now, sent: map[string]sentCommand{}, events: map[string][]appleEvent{}}, nil
}

// isLoopback reports whether host is localhost or a loopback IP.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// call does one API request; out, when not nil, receives the JSON answer.
func (m *appleMDM) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+m.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return fmt.Errorf("apple mdm: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	lr := io.LimitReader(resp.Body, 4<<20)
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		_ = json.NewDecoder(lr).Decode(&e)
		return fmt.Errorf("apple mdm: %s %s: HTTP %d: %s", method, path, resp.StatusCode, e.Error)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(lr).Decode(out)
}

// unlockTokenAt asks the MDM server when it recorded the device's
// UnlockToken (zero: none).
func (m *appleMDM) unlockTokenAt(ctx context.Context, enrollmentID string) (time.Time, error) {
	var devs []struct {
		EnrollmentID  string     `json:"enrollment_id"`
		UnlockTokenAt *time.Time `json:"unlock_token_at"`
	}
	if err := m.call(ctx, http.MethodGet, "/v1/devices", nil, &devs); err != nil {
		return time.Time{}, err
	}
	for _, d := range devs {
		if d.EnrollmentID == enrollmentID {
			if d.UnlockTokenAt != nil {
				return *d.UnlockTokenAt, nil
			}
			return time.Time{}, nil
		}
	}
	return time.Time{}, fmt.Errorf("apple mdm: device %s is not enrolled", enrollmentID)
}

// device is d as apple.Check sees it, with the UnlockToken's time from the
// MDM server.
func (m *appleMDM) device(ctx context.Context, d Device) (apple.Device, error) {
	ad := d.Apple.Info
	at, err := m.unlockTokenAt(ctx, d.Apple.EnrollmentID)
	ad.UnlockTokenAt = at
	return ad, err
}

// check asks apple.Check whether d can run c; the reason when not.
func (m *appleMDM) check(ctx context.Context, d Device, c apple.Command) (string, error) {
	ad, err := m.device(ctx, d)
	if err != nil {
		return "", err
	}
	_, err = apple.Check(ad, c, m.now())
	var ue *apple.UnsupportedError
	if errors.As(err, &ue) {
		return ue.Reason, nil
	}
	return "", err
}

// enqueue queues c's template (placeholders only) for d, with the PIN it
// waits for (zero: none), which the MDM server seals into its escrow and
// fills in at delivery. resetID is the reset c serves ("" for none),
// already moved to Pending.
func (m *appleMDM) enqueue(ctx context.Context, d Device, c apple.Command, pin apple.Secret, resetID, actor string) error {
	m.mu.Lock()
	m.sent[c.UUID] = sentCommand{DeviceID: d.ID, RequestType: c.RequestType, ResetID: resetID}
	m.mu.Unlock()
	body := struct {
		EnrollmentID string `json:"enrollment_id"`
		Command      []byte `json:"command"`
		PIN          string `json:"pin,omitempty"`
	}{EnrollmentID: d.Apple.EnrollmentID, Command: c.Template}
	if !pin.IsZero() {
		body.PIN = pin.Reveal()
	}
	if err := m.call(ctx, http.MethodPost, "/v1/commands", body, nil); err != nil {
		m.mu.Lock()
		delete(m.sent, c.UUID)
		m.mu.Unlock()
		return err
	}
	detail := "the device is pushed to fetch it"
	if c.Fills&apple.FillPIN != 0 {
		detail = "the PIN is sealed in the MDM server's escrow and filled in only when the device fetches the command; " + detail
	}
	if c.Fills&apple.FillUnlockToken != 0 {
		detail = "the UnlockToken the device escrowed is filled in only when it fetches the command; " + detail
	}
	m.addEvent(d.ID, appleEvent{At: m.now(), Command: c.RequestType, CommandUUID: c.UUID, What: "queued", Detail: detail, Actor: actor})
	return nil
}

// refused records a command the console refused before any call.
func (m *appleMDM) refused(d Device, rt apple.RequestType, reason, actor string) {
	m.addEvent(d.ID, appleEvent{At: m.now(), Command: rt, What: "refused by the console", Detail: reason + "; nothing was sent to the device", Actor: actor})
}

func (m *appleMDM) addEvent(deviceID string, e appleEvent) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events[deviceID] = append(m.events[deviceID], e)
}

// deviceEvents is d's MDM events, oldest first.
func (m *appleMDM) deviceEvents(deviceID string) []appleEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]appleEvent(nil), m.events[deviceID]...)
}

// apiResult is a report as the MDM server lists it.
type apiResult struct {
	Seq          int       `json:"seq"`
	At           time.Time `json:"at"`
	EnrollmentID string    `json:"enrollment_id"`
	CommandUUID  string    `json:"command_uuid"`
	Raw          []byte    `json:"raw"`
}

// sync reads the reports the devices made since the last sync: each one is
// parsed (apple.ParseResult), recorded as an event of its device and, for a
// command that serves a reset, applied to the reset (apple.Apply).
func (m *appleMDM) sync(ctx context.Context) error {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	m.mu.Lock()
	after := m.after
	m.mu.Unlock()
	var results []apiResult
	if err := m.call(ctx, http.MethodGet, "/v1/results?after="+strconv.Itoa(after), nil, &results); err != nil {
		return err
	}
	for _, r := range results {
		m.mu.Lock()
		sc, ok := m.sent[r.CommandUUID]
		m.mu.Unlock()
		res, perr := apple.ParseResult(r.Raw)
		switch {
		case !ok:
			// A command someone else queued: not the console's to show.
		case perr != nil:
			m.addEvent(sc.DeviceID, appleEvent{At: r.At, Command: sc.RequestType, CommandUUID: r.CommandUUID, What: "unreadable report", Detail: perr.Error(), Actor: appleActor})
		default:
			o := res.Outcome()
			e := appleEvent{At: r.At, Command: sc.RequestType, CommandUUID: r.CommandUUID, What: "device answered " + string(o.Status), Detail: outcomeDetail(o), Actor: appleActor}
			if sc.ResetID != "" {
				rs, err := apple.Apply(ctx, m.resets, sc.ResetID, appleActor, o)
				if err != nil {
					e.Detail += "; the passcode reset did not move: " + err.Error()
				} else {
					e.Detail += "; passcode reset " + rs.State.String()
				}
			}
			m.mu.Lock()
			if o.Kind != apple.StillPending {
				sc.Answered = true
				m.sent[r.CommandUUID] = sc
			}
			m.mu.Unlock()
			m.addEvent(sc.DeviceID, e)
		}
		m.mu.Lock()
		if r.Seq > m.after {
			m.after = r.Seq
		}
		m.mu.Unlock()
	}
	return nil
}

// awaitAnswer syncs until the device answered command uuid (or wait ends).
func (m *appleMDM) awaitAnswer(ctx context.Context, uuid string, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if err := m.sync(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		m.mu.Lock()
		done := m.sent[uuid].Answered
		m.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil // not answered yet: the Events view will show it
		case <-t.C:
		}
	}
}

// outcomeDetail is an outcome for people: the error chain, DeviceLock's
// message result, the Lost Mode state.
func outcomeDetail(o apple.Outcome) string {
	var parts []string
	switch o.Kind {
	case apple.Succeeded:
		parts = append(parts, "the device ran the command")
	case apple.StillPending:
		parts = append(parts, "the device will ask for the command again later")
	case apple.Failed:
		parts = append(parts, "the command failed")
	}
	for _, e := range o.ErrorChain {
		desc := e.USEnglishDescription
		if desc == "" {
			desc = e.LocalizedDescription
		}
		parts = append(parts, fmt.Sprintf("error %d (%s): %s", e.ErrorCode, e.ErrorDomain, desc))
	}
	if o.MessageResult != "" {
		parts = append(parts, "Lock Screen message: "+string(o.MessageResult))
	}
	switch o.LostMode {
	case apple.NotInLostMode:
		parts = append(parts, "the device is not in Lost Mode")
	case apple.LostModeRefused:
		parts = append(parts, "the device refused Lost Mode")
	}
	return strings.Join(parts, "; ")
}

// The passcode reset service is the lifecycle the reports move.
var _ apple.Lifecycle = (*passcode.Service)(nil)
