package amapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/api/androidmanagement/v1"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/passcode"
)

// DefaultPollInterval is how often [Client.Await] asks for an operation
// when Config.PollInterval is zero.
const DefaultPollInterval = 5 * time.Second

// Config configures a [Client].
type Config struct {
	// Service is Google's AMAPI client, from androidmanagement.NewService.
	// Required. Do not give it a logger at slog.LevelDebug (nor set
	// GOOGLE_SDK_GO_LOGGING_LEVEL=debug): Google's client then logs every
	// request body, a RESET_PASSWORD's new password included.
	Service *androidmanagement.Service
	// Now is the clock that decides when a command has expired. Zero:
	// time.Now.
	Now func() time.Time
	// PollInterval is the wait between two polls in Await. Zero:
	// DefaultPollInterval.
	PollInterval time.Duration
	// Logger receives one line per command issued and per outcome
	// recorded, never a password or a request body. Zero: discard.
	Logger *slog.Logger
}

// Client issues device commands through AMAPI and records their outcomes
// on the passcode lifecycle. It is safe for concurrent use.
type Client struct {
	svc      *androidmanagement.Service
	now      func() time.Time
	interval time.Duration
	log      *slog.Logger
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Service == nil {
		return nil, fmt.Errorf("%w: Service is required", ErrConfig)
	}
	if cfg.PollInterval < 0 {
		return nil, fmt.Errorf("%w: PollInterval is negative", ErrConfig)
	}
	c := &Client{svc: cfg.Service, now: cfg.Now, interval: cfg.PollInterval, log: cfg.Logger}
	if c.now == nil {
		c.now = time.Now
	}
	if c.interval == 0 {
		c.interval = DefaultPollInterval
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c, nil
}

// checkName refuses a resource name that is not
// enterprises/{e}/devices/{d}[/operations/{o}] with plain segments, so that
// no path can be smuggled into the request URL.
func checkName(call, name string, operation bool) error {
	parts := strings.Split(name, "/")
	want := 4
	if operation {
		want = 6
	}
	ok := len(parts) == want && parts[0] == "enterprises" && parts[2] == "devices" && (!operation || parts[4] == "operations")
	for i := 1; ok && i < len(parts); i += 2 {
		seg := parts[i]
		ok = seg != "" && seg != "." && seg != ".." && len(seg) <= 256 && !strings.ContainsAny(seg, "?#%:\\ \t\r\n")
	}
	if !ok {
		form := "enterprises/{enterpriseId}/devices/{deviceId}"
		if operation {
			form += "/operations/{operationId}"
		}
		return &Error{Call: call, Name: fmt.Sprintf("%.80q", name), Message: "name must be " + form}
	}
	return nil
}

// operation turns Google's Operation into the android package's.
func operation(op *androidmanagement.Operation) (android.Operation, error) {
	b, err := json.Marshal(op)
	if err != nil {
		return android.Operation{}, err
	}
	return android.ParseOperation(b)
}

// Issue sends one devices.issueCommand to device
// ("enterprises/{e}/devices/{d}") with body, built by one of package
// android's command functions, and returns the Operation AMAPI answers
// with. The body is not kept: the Google client's request holds the only
// copy while the call runs.
func (c *Client) Issue(ctx context.Context, device string, body android.Body) (android.Operation, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := checkName("issueCommand", device, false); err != nil {
		return android.Operation{}, err
	}
	var cmd androidmanagement.Command
	if err := json.Unmarshal(body.Reveal(), &cmd); err != nil || cmd.Type == "" {
		return android.Operation{}, &Error{Call: "issueCommand", Name: device, Message: "body is not a command built by package android"}
	}
	pw := cmd.NewPassword
	op, err := c.svc.Enterprises.Devices.IssueCommand(device, &cmd).Context(ctx).Do()
	cmd.NewPassword = ""
	if err != nil {
		e := callError("issueCommand", device, err, pw)
		c.log.WarnContext(ctx, "amapi command refused", "device", device, "type", cmd.Type, "status", e.Status)
		return android.Operation{}, e
	}
	o, err := operation(op)
	if err != nil {
		return android.Operation{}, &Error{Call: "issueCommand", Name: device, Message: "answer is not an Operation: " + err.Error()}
	}
	c.log.InfoContext(ctx, "amapi command issued", "device", device, "type", cmd.Type, "operation", o.Name)
	return o, nil
}

// Get reads operation name ("enterprises/{e}/devices/{d}/operations/{o}").
func (c *Client) Get(ctx context.Context, name string) (android.Operation, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := checkName("operations.get", name, true); err != nil {
		return android.Operation{}, err
	}
	op, err := c.svc.Enterprises.Devices.Operations.Get(name).Context(ctx).Do()
	if err != nil {
		return android.Operation{}, callError("operations.get", name, err, "")
	}
	o, err := operation(op)
	if err != nil {
		return android.Operation{}, &Error{Call: "operations.get", Name: name, Message: "answer is not an Operation: " + err.Error()}
	}
	return o, nil
}

// Cancel asks AMAPI to cancel operation name; a command the device has
// not run yet then fails with CANCELLED. Record it with Await or a push as
// for any other outcome.
func (c *Client) Cancel(ctx context.Context, name string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := checkName("operations.cancel", name, true); err != nil {
		return err
	}
	if _, err := c.svc.Enterprises.Devices.Operations.Cancel(name).Context(ctx).Do(); err != nil {
		return callError("operations.cancel", name, err, "")
	}
	return nil
}

// ResetPassword delivers a passcode reset requested with
// passcode.Service.Request (res) to device: it sends RESET_PASSWORD with
// res.Passcode and flags, and records the answer on the reset through lc
// (*passcode.Service): Pending once AMAPI holds the command, or Failed
// when AMAPI refuses it (then with the *Error). When no answer comes (a
// timeout), the reset is left as it was: AMAPI may hold the command, and
// the reset expires if nothing more is heard of it. A passcode the command
// cannot carry (an *android.Error) or a malformed device name fails the
// reset without a call. Follow it with [Client.Await] or a push
// subscription ([Client.PushHandler]) for the device's answer. The reset
// must be for an Android Enterprise platform, whose passcode.Check applies
// Android 14's 6-digit rule and the platform's limits.
func (c *Client) ResetPassword(ctx context.Context, lc android.Lifecycle, res passcode.Result, device string, flags android.ResetFlags, o android.Options) (android.Operation, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if p := res.Reset.Platform; p != passcode.AndroidEnterpriseFullyManaged && p != passcode.AndroidEnterpriseWorkProfile {
		return android.Operation{}, &Error{Call: "issueCommand", Name: device,
			Message: "reset " + res.Reset.ID + " is for platform " + p.String() + ", not an Android Enterprise (AMAPI) one"}
	}
	body, err := android.ResetPasswordCommand(res.Passcode, flags, o)
	return c.deliver(ctx, lc, res.Reset.ID, device, body, err)
}

// deliver sends body (or records buildErr, the reason there is none) and
// records the answer on the reset.
func (c *Client) deliver(ctx context.Context, lc android.Lifecycle, resetID, device string, body android.Body, buildErr error) (android.Operation, error) {
	reason, err := "invalid command", buildErr
	if err == nil {
		reason, err = "invalid device name", checkName("issueCommand", device, false)
	}
	var op android.Operation
	if err == nil {
		op, err = c.Issue(ctx, device, body)
		if e, ok := err.(*Error); ok {
			if e.Status == 0 {
				// No answer (a timeout, a dropped connection): AMAPI may
				// hold the command, so the reset stays open and goes
				// stale if nothing more is heard of it.
				return android.Operation{}, err
			}
			reason = fmt.Sprintf("HTTP %d", e.Status)
		}
	}
	if err != nil {
		if _, aerr := c.record(ctx, lc, resetID, android.Outcome{State: passcode.Failed, Reason: reason}); aerr != nil {
			return android.Operation{}, fmt.Errorf("%w (and recording the failure: %v)", err, aerr)
		}
		return android.Operation{}, err
	}
	out := op.Outcome(c.now())
	if _, err := c.record(ctx, lc, resetID, out); err != nil {
		return op, err
	}
	return op, nil
}

func (c *Client) record(ctx context.Context, lc android.Lifecycle, resetID string, o android.Outcome) (passcode.State, error) {
	s, err := android.Apply(ctx, lc, resetID, o)
	if err != nil {
		c.log.WarnContext(ctx, "amapi outcome not recorded", "reset", resetID, "outcome", o.State.String(), "reason", o.Reason, "error", err.Error())
		return s, err
	}
	c.log.InfoContext(ctx, "amapi outcome recorded", "reset", resetID, "state", s.String(), "reason", o.Reason)
	return s, nil
}

// Await polls operation name every Config.PollInterval until the command
// succeeded, failed or expired (past its createTime + duration, by
// Config.Now), records each outcome on reset resetID through lc, and
// returns the last. It stops early with ctx's error, or with an *Error when
// a poll fails.
func (c *Client) Await(ctx context.Context, lc android.Lifecycle, resetID, name string) (android.Outcome, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return android.Outcome{}, ctx.Err()
		case <-t.C:
		}
		op, err := c.Get(ctx, name)
		if err != nil {
			if ctx.Err() != nil { // the poll was cut short by ctx
				return android.Outcome{}, ctx.Err()
			}
			return android.Outcome{}, err
		}
		out := op.Outcome(c.now())
		if _, err := c.record(ctx, lc, resetID, out); err != nil {
			return out, err
		}
		if out.State != passcode.Pending {
			return out, nil
		}
		t.Reset(c.interval)
	}
}
