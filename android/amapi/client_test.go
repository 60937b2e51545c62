package amapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/androidmanagement/v1"
	"google.golang.org/api/option"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/android/amapi"
	"github.com/mdmcred/mdmcred/internal/secret"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const device = "enterprises/LC1/devices/3a1"

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// newService is Google's real client pointed at the fake server.
func newService(t *testing.T, f *fakeAMAPI, logger *slog.Logger) *androidmanagement.Service {
	t.Helper()
	opts := []option.ClientOption{option.WithEndpoint(f.srv.URL + "/"), option.WithoutAuthentication()}
	if logger != nil {
		opts = append(opts, option.WithLogger(logger))
	}
	svc, err := androidmanagement.NewService(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func newClient(t *testing.T, f *fakeAMAPI, now func() time.Time, logger *slog.Logger) *amapi.Client {
	t.Helper()
	c, err := amapi.New(amapi.Config{Service: newService(t, f, logger), Now: now, PollInterval: time.Millisecond, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newPasscodeService(t *testing.T, store passcode.Store, now func() time.Time, logger *slog.Logger) *passcode.Service {
	t.Helper()
	svc, err := passcode.New(passcode.Config{
		Store: store, SealKeys: passcode.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{7}, 32)}), SealKeyID: 1,
		Now: now, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

var phone = passcode.Device{ID: "3a1", Name: "Anna's Pixel", Platform: passcode.AndroidEnterpriseFullyManaged, APILevel: 34, Owner: "anna"}

// goldenRequests are the commands of package android's golden files, sent
// through Google's client: testdata/<name>.json holds the exact bytes the
// client puts on the wire, and they must mean the same JSON as
// ../testdata/<name>.json, the body package android built.
var goldenRequests = []struct {
	name  string
	build func(pw passcode.Passcode) (android.Body, error)
}{
	{"lock", func(passcode.Passcode) (android.Body, error) { return android.LockCommand(android.Options{}) }},
	{"lock-1h", func(passcode.Passcode) (android.Body, error) {
		return android.LockCommand(android.Options{Duration: time.Hour})
	}},
	{"reset-password", func(pw passcode.Passcode) (android.Body, error) {
		return android.ResetPasswordCommand(pw, 0, android.Options{})
	}},
	{"reset-password-flags", func(pw passcode.Passcode) (android.Body, error) {
		return android.ResetPasswordCommand(pw, android.RequireEntry|android.DoNotAskCredentialsOnBoot|android.LockNow,
			android.Options{Duration: 90*time.Second + 500*time.Millisecond})
	}},
	{"start-lost-mode", func(passcode.Passcode) (android.Body, error) {
		return android.StartLostModeCommand(android.LostMode{
			Message:       android.Message{Default: "This phone is lost. Please call us.", Localized: map[string]string{"de": "Dieses Telefon ist verloren.", "pl-PL": "Ten telefon zaginął."}},
			PhoneNumber:   android.Message{Default: "+48 22 123 45 67"},
			EmailAddress:  "it@example.com",
			StreetAddress: android.Message{Default: "ul. Prosta 1, 00-001 Warszawa"},
			Organization:  android.Message{Default: "Example Sp. z o.o.", Localized: map[string]string{"en-US": "Example Ltd."}},
		}, android.Options{Duration: 24 * time.Hour})
	}},
	{"start-lost-mode-email", func(passcode.Passcode) (android.Body, error) {
		return android.StartLostModeCommand(android.LostMode{EmailAddress: "it@example.com"}, android.Options{})
	}},
	{"stop-lost-mode", func(passcode.Passcode) (android.Body, error) { return android.StopLostModeCommand(android.Options{}) }},
}

// goldenPassword is the password of the core golden files.
const goldenPassword = "Pl4nted-Xq9"

func TestGoldenRequests(t *testing.T) {
	clock := mdmcredtest.NewClock(start)
	f := newFakeAMAPI(t, clock.Now)
	c := newClient(t, f, clock.Now, nil)
	pw := passcodeOf(t, goldenPassword)
	for i, tc := range goldenRequests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := tc.build(pw)
			if err != nil {
				t.Fatal(err)
			}
			op, err := c.Issue(context.Background(), device, body)
			if err != nil {
				t.Fatal(err)
			}
			reqs := f.received()
			if len(reqs) != i+1 {
				t.Fatalf("%d requests after %d commands", len(reqs), i+1)
			}
			got := reqs[i]
			if got.Method != "POST" || got.Path != "/v1/"+device+":issueCommand" || got.Query != "alt=json&prettyPrint=false" {
				t.Fatalf("request %s %s?%s", got.Method, got.Path, got.Query)
			}
			path := filepath.Join("testdata", tc.name+".json")
			if *update {
				if err := os.WriteFile(path, append(bytes.TrimSpace(got.Body), '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bytes.TrimSpace(got.Body), bytes.TrimSpace(want)) {
				t.Fatalf("the client sent\n%s\nwant (%s)\n%s", got.Body, path, want)
			}
			core, err := os.ReadFile(filepath.Join("..", "testdata", tc.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var a, b any
			if json.Unmarshal(got.Body, &a) != nil || json.Unmarshal(core, &b) != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("the client sent\n%s\nwhich is not the body package android built:\n%s", got.Body, core)
			}
			if !strings.HasPrefix(op.Name, device+"/operations/") || op.Done || op.Outcome(clock.Now()).State != passcode.Pending {
				t.Fatalf("operation %+v", op)
			}
		})
	}
}

func TestIssueRefusesBadInput(t *testing.T) {
	clock := mdmcredtest.NewClock(start)
	f := newFakeAMAPI(t, clock.Now)
	c := newClient(t, f, clock.Now, nil)
	lock, _ := android.LockCommand(android.Options{})
	for _, name := range []string{"", "3a1", "enterprises/LC1/devices", "enterprises/LC1/devices/3a1/operations/1",
		"enterprises/../devices/3a1", "enterprises/LC1/devices/3a1:wipe", "enterprises/LC1/devices/a?b", "enterprises/LC1/devices/%2e",
		"enterprises/LC1/policies/3a1"} {
		var e *amapi.Error
		if _, err := c.Issue(context.Background(), name, lock); !errors.As(err, &e) || e.Status != 0 {
			t.Errorf("Issue(%q) = %v", name, err)
		}
	}
	var e *amapi.Error
	if _, err := c.Issue(context.Background(), device, android.Body{}); !errors.As(err, &e) {
		t.Errorf("Issue of an empty body = %v", err)
	}
	if _, err := c.Get(context.Background(), device); !errors.As(err, &e) {
		t.Errorf("Get of a device name = %v", err)
	}
	if n := len(f.received()); n != 0 {
		t.Fatalf("%d requests reached the server", n)
	}
	if _, err := amapi.New(amapi.Config{}); !errors.Is(err, amapi.ErrConfig) {
		t.Fatalf("New without a Service = %v", err)
	}
}

// request starts a reset of phone and delivers it.
func deliver(t *testing.T, c *amapi.Client, ps *passcode.Service) (passcode.Result, android.Operation) {
	t.Helper()
	res, err := ps.Request(context.Background(), passcode.ResetRequest{Device: phone, Actor: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	op, err := c.ResetPassword(context.Background(), ps, res, device, android.RequireEntry, android.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := ps.Get(context.Background(), res.Reset.ID); r.State != passcode.Pending {
		t.Fatalf("after issueCommand the reset is %s", r.State)
	}
	return res, op
}

func states(t *testing.T, ps *passcode.Service, id string) []passcode.State {
	t.Helper()
	evs, err := ps.Events(context.Background(), passcode.EventQuery{ResetID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []passcode.State
	for _, ev := range evs {
		if ev.Kind == passcode.EventTransition {
			out = append(out, ev.To)
		}
	}
	return out
}

func TestAwait(t *testing.T) {
	R, P, A, S, F, E := passcode.Requested, passcode.Pending, passcode.Acknowledged, passcode.Succeeded, passcode.Failed, passcode.Expired
	tests := []struct {
		name   string
		finish func(f *fakeAMAPI, c *amapi.Client, op string)
		want   android.Outcome
		trail  []passcode.State
	}{
		{"done", func(f *fakeAMAPI, _ *amapi.Client, op string) { f.finish(op, nil, nil) },
			android.Outcome{State: S}, []passcode.State{R, P, A, S}},
		{"INVALID_VALUE", func(f *fakeAMAPI, _ *amapi.Client, op string) {
			f.finish(op, map[string]any{"errorCode": "INVALID_VALUE"}, map[string]any{"code": 3, "message": "Invalid value"})
		}, android.Outcome{State: F, Reason: "INVALID_VALUE"}, []passcode.State{R, P, F}},
		{"MANAGEMENT_MODE", func(f *fakeAMAPI, _ *amapi.Client, op string) {
			f.finish(op, map[string]any{"errorCode": "MANAGEMENT_MODE"}, nil)
		}, android.Outcome{State: F, Reason: "MANAGEMENT_MODE"}, []passcode.State{R, P, F}},
		{"cancelled", func(_ *fakeAMAPI, c *amapi.Client, op string) {
			if err := c.Cancel(context.Background(), op); err != nil {
				panic(err)
			}
		}, android.Outcome{State: F, Reason: "CANCELLED"}, []passcode.State{R, P, F}},
		{"never answered", nil, android.Outcome{State: E}, []passcode.State{R, P, E}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := mdmcredtest.NewClock(start)
			// Every reading of the clock is a minute later: a command
			// never answered expires after ten polls.
			now := func() time.Time { return clock.Advance(time.Minute) }
			f := newFakeAMAPI(t, clock.Now)
			c := newClient(t, f, now, nil)
			ps := newPasscodeService(t, passcode.NewMemStore(), clock.Now, nil)
			res, op := deliver(t, c, ps)
			if tc.finish != nil {
				tc.finish(f, c, op.Name)
			}
			got, err := c.Await(context.Background(), ps, res.Reset.ID, op.Name)
			if err != nil || got != tc.want {
				t.Fatalf("Await = %+v, %v; want %+v", got, err, tc.want)
			}
			if trail := states(t, ps, res.Reset.ID); !reflect.DeepEqual(trail, tc.trail) {
				t.Fatalf("events %v, want %v", trail, tc.trail)
			}
		})
	}
}

func TestAwaitStops(t *testing.T) {
	clock := mdmcredtest.NewClock(start)
	f := newFakeAMAPI(t, clock.Now)
	c := newClient(t, f, clock.Now, nil)
	ps := newPasscodeService(t, passcode.NewMemStore(), clock.Now, nil)
	res, op := deliver(t, c, ps)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Await(ctx, ps, res.Reset.ID, op.Name); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Await on a pending command = %v", err)
	}
	var e *amapi.Error
	if _, err := c.Await(context.Background(), ps, res.Reset.ID, device+"/operations/404"); !errors.As(err, &e) || e.Status != 404 {
		t.Fatalf("Await of an unknown operation = %v", err)
	}
}

func TestResetPasswordRefused(t *testing.T) {
	clock := mdmcredtest.NewClock(start)
	f := newFakeAMAPI(t, clock.Now)
	c := newClient(t, f, clock.Now, nil)
	ps := newPasscodeService(t, passcode.NewMemStore(), clock.Now, nil)
	res, err := ps.Request(context.Background(), passcode.ResetRequest{Device: phone, Actor: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	f.refuse = 400 // and the message repeats the body, password included
	_, err = c.ResetPassword(context.Background(), ps, res, device, 0, android.Options{})
	var e *amapi.Error
	if !errors.As(err, &e) || e.Status != 400 || e.Call != "issueCommand" || !strings.Contains(e.Message, "[REDACTED]") {
		t.Fatalf("ResetPassword = %v", err)
	}
	if strings.Contains(err.Error(), res.Passcode.Reveal()) {
		t.Fatalf("the error shows the password: %v", err)
	}
	if trail := states(t, ps, res.Reset.ID); !reflect.DeepEqual(trail, []passcode.State{passcode.Requested, passcode.Failed}) {
		t.Fatalf("events %v", trail)
	}
}

func TestResetPasswordNoAnswer(t *testing.T) {
	clock := mdmcredtest.NewClock(start)
	f := newFakeAMAPI(t, clock.Now)
	c := newClient(t, f, clock.Now, nil)
	ps := newPasscodeService(t, passcode.NewMemStore(), clock.Now, nil)
	res, err := ps.Request(context.Background(), passcode.ResetRequest{Device: phone, Actor: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Close()
	var e *amapi.Error
	if _, err := c.ResetPassword(context.Background(), ps, res, device, 0, android.Options{}); !errors.As(err, &e) || e.Status != 0 {
		t.Fatalf("ResetPassword to a closed server = %v", err)
	}
	if r, _ := ps.Get(context.Background(), res.Reset.ID); r.State != passcode.Requested {
		t.Fatalf("with no answer the reset became %s", r.State)
	}
}

// passcodeOf makes a Passcode holding s.
func passcodeOf(t *testing.T, s string) passcode.Passcode {
	t.Helper()
	return secret.New(s)
}

func TestResetPasswordRefusedBeforeTheCall(t *testing.T) {
	clock := mdmcredtest.NewClock(start)
	f := newFakeAMAPI(t, clock.Now)
	c := newClient(t, f, clock.Now, nil)
	ps := newPasscodeService(t, passcode.NewMemStore(), clock.Now, nil)
	ctx := context.Background()

	owner := passcode.Device{ID: "own-dpc", Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true}
	res, err := ps.Request(ctx, passcode.ResetRequest{Device: owner, Actor: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	var e *amapi.Error
	if _, err := c.ResetPassword(ctx, ps, res, device, 0, android.Options{}); !errors.As(err, &e) || !strings.Contains(e.Message, "android-device-owner") {
		t.Fatalf("ResetPassword of an own-DPC reset = %v", err)
	}

	res, err = ps.Request(ctx, passcode.ResetRequest{Device: phone, Actor: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResetPassword(ctx, ps, res, "enterprises/LC1/devices/../x", 0, android.Options{}); !errors.As(err, &e) {
		t.Fatalf("ResetPassword to a bad name = %v", err)
	}
	if trail := states(t, ps, res.Reset.ID); !reflect.DeepEqual(trail, []passcode.State{passcode.Requested, passcode.Failed}) {
		t.Fatalf("events %v", trail)
	}

	res, err = ps.Request(ctx, passcode.ResetRequest{Device: phone, Actor: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResetPassword(ctx, ps, res, device, 1<<6, android.Options{}); !errors.Is(err, android.ErrInvalid) {
		t.Fatalf("ResetPassword with an unknown flag = %v", err)
	}
	if trail := states(t, ps, res.Reset.ID); !reflect.DeepEqual(trail, []passcode.State{passcode.Requested, passcode.Failed}) {
		t.Fatalf("events %v", trail)
	}
	if n := len(f.received()); n != 0 {
		t.Fatalf("%d requests reached the server", n)
	}
}

// A call cut short by its context says so to errors.Is, whichever layer of
// Google's client noticed: Await's deadline test depended on the timer
// firing before the request (it failed under load when the request saw
// the deadline first).
func TestErrorKeepsContextCause(t *testing.T) {
	clock := mdmcredtest.NewClock(start)
	f := newFakeAMAPI(t, clock.Now)
	c := newClient(t, f, clock.Now, nil)
	for _, tc := range []struct {
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, context.Canceled},
		{func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Unix(1, 0))
		}, context.DeadlineExceeded},
	} {
		ctx, cancel := tc.ctx()
		cancel()
		_, err := c.Get(ctx, device+"/operations/1")
		var e *amapi.Error
		if !errors.Is(err, tc.want) || !errors.As(err, &e) {
			t.Fatalf("Get with a dead context = %v, want an *amapi.Error matching %v", err, tc.want)
		}
	}
}
