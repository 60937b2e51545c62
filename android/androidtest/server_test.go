package androidtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/android/androidtest"
	"github.com/mdmcred/mdmcred/internal/secret"
	"github.com/mdmcred/mdmcred/passcode"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

const dev = "enterprises/LC1/devices/d1"

func start(t *testing.T, d androidtest.Device) (*httptest.Server, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	s := androidtest.New(androidtest.Config{Now: c.Now})
	if !s.AddDevice(dev, d) {
		t.Fatal("AddDevice refused a good name")
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, c
}

// call sends one request and returns the status and body.
func call(t *testing.T, method, url string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func issue(t *testing.T, srv *httptest.Server, body android.Body) android.Operation {
	t.Helper()
	code, b := call(t, http.MethodPost, srv.URL+"/v1/"+dev+":issueCommand", body.Reveal())
	if code != http.StatusOK {
		t.Fatalf("issueCommand: %d %s", code, b)
	}
	op, err := android.ParseOperation(b)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func get(t *testing.T, srv *httptest.Server, name string) (android.Operation, []byte) {
	t.Helper()
	code, b := call(t, http.MethodGet, srv.URL+"/v1/"+name, nil)
	if code != http.StatusOK {
		t.Fatalf("get: %d %s", code, b)
	}
	op, err := android.ParseOperation(b)
	if err != nil {
		t.Fatal(err)
	}
	return op, b
}

func must(b android.Body, err error) android.Body {
	if err != nil {
		panic(err)
	}
	return b
}

func TestDeviceAnswers(t *testing.T) {
	lost := android.LostMode{Message: android.Message{Default: "Call IT"}}
	reset := func(pw string) android.Body {
		return must(android.ResetPasswordCommand(secret.New(pw), 0, android.Options{}))
	}
	for _, tc := range []struct {
		name   string
		device androidtest.Device
		gap    time.Duration // between the commands
		cmds   []android.Body
		want   []android.Outcome // of each command, once run
	}{
		{"reset alphanumeric", androidtest.Device{APILevel: 34}, 0, []android.Body{reset("Xq9abc12")},
			[]android.Outcome{{State: passcode.Succeeded}}},
		{"reset 6 digits on 14", androidtest.Device{APILevel: 34}, 0, []android.Body{reset("123456")},
			[]android.Outcome{{State: passcode.Succeeded}}},
		{"reset 5 digits on 14", androidtest.Device{APILevel: 34}, 0, []android.Body{reset("12345")},
			[]android.Outcome{{State: passcode.Failed, Reason: "INVALID_VALUE"}}},
		{"reset 4 digits on 13", androidtest.Device{APILevel: 33}, 0, []android.Body{reset("1234")},
			[]android.Outcome{{State: passcode.Succeeded}}},
		{"lock", androidtest.Device{APILevel: 34}, 0, []android.Body{must(android.LockCommand(android.Options{}))},
			[]android.Outcome{{State: passcode.Succeeded}}},
		{"lost mode right after a reset", androidtest.Device{APILevel: 34}, time.Minute,
			[]android.Body{reset("Xq9abc12"), must(android.StartLostModeCommand(lost, android.Options{}))},
			[]android.Outcome{{State: passcode.Succeeded}, {State: passcode.Failed, Reason: "RESET_PASSWORD_RECENTLY"}}},
		{"lost mode an hour after a reset", androidtest.Device{APILevel: 34}, androidtest.RecentReset,
			[]android.Body{reset("Xq9abc12"), must(android.StartLostModeCommand(lost, android.Options{}))},
			[]android.Outcome{{State: passcode.Succeeded}, {State: passcode.Succeeded}}},
		{"lost mode twice, stop twice", androidtest.Device{APILevel: 34}, time.Minute,
			[]android.Body{must(android.StartLostModeCommand(lost, android.Options{})), must(android.StartLostModeCommand(lost, android.Options{})),
				must(android.StopLostModeCommand(android.Options{})), must(android.StopLostModeCommand(android.Options{}))},
			[]android.Outcome{{State: passcode.Succeeded}, {State: passcode.Failed, Reason: "ALREADY_IN_LOST_MODE"},
				{State: passcode.Succeeded}, {State: passcode.Failed, Reason: "NOT_IN_LOST_MODE"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := start(t, tc.device)
			for i, body := range tc.cmds {
				op := issue(t, srv, body)
				op, _ = get(t, srv, op.Name)
				if got := op.Outcome(c.Now()); got != tc.want[i] {
					t.Errorf("command %d: %+v, want %+v", i, got, tc.want[i])
				}
				c.Advance(tc.gap)
			}
		})
	}
}

func TestDelayOfflineAndCancel(t *testing.T) {
	srv, c := start(t, androidtest.Device{APILevel: 34, Delay: 30 * time.Second})
	op := issue(t, srv, must(android.LockCommand(android.Options{})))
	if op.Done || op.Command.Type != android.Lock || op.Command.Duration != android.DefaultDuration ||
		!op.Command.CreateTime.Equal(c.Now()) {
		t.Fatalf("issued: %+v", op)
	}
	c.Advance(29 * time.Second)
	if op, _ = get(t, srv, op.Name); op.Outcome(c.Now()).State != passcode.Pending {
		t.Fatalf("before the delay: %+v", op)
	}
	c.Advance(time.Second)
	if op, _ = get(t, srv, op.Name); op.Outcome(c.Now()).State != passcode.Succeeded {
		t.Fatalf("at the delay: %+v", op)
	}

	// A command the device does not run before its deadline expires.
	short := issue(t, srv, must(android.LockCommand(android.Options{Duration: 10 * time.Second})))
	c.Advance(time.Hour)
	if op, _ = get(t, srv, short.Name); op.Done || op.Outcome(c.Now()).State != passcode.Expired {
		t.Fatalf("short command: %+v", op)
	}

	// Cancel before the device runs it: done with CANCELLED; after: as run.
	op = issue(t, srv, must(android.LockCommand(android.Options{})))
	if code, _ := call(t, http.MethodPost, srv.URL+"/v1/"+op.Name+":cancel", nil); code != http.StatusOK {
		t.Fatalf("cancel: %d", code)
	}
	c.Advance(time.Minute)
	if op, _ = get(t, srv, op.Name); op.Outcome(c.Now()) != (android.Outcome{State: passcode.Failed, Reason: "CANCELLED"}) {
		t.Fatalf("cancelled: %+v", op.Outcome(c.Now()))
	}

	off, c2 := start(t, androidtest.Device{APILevel: 34, Offline: true})
	op = issue(t, off, must(android.LockCommand(android.Options{})))
	c2.Advance(android.DefaultDuration)
	if op, _ = get(t, off, op.Name); op.Outcome(c2.Now()).State != passcode.Expired {
		t.Fatalf("offline device: %+v", op)
	}
}

func TestErrors(t *testing.T) {
	srv, _ := start(t, androidtest.Device{APILevel: 34})
	lock := must(android.LockCommand(android.Options{})).Reveal()
	for _, tc := range []struct {
		method, path string
		body         []byte
		code         int
		status       string
	}{
		{"POST", "/v1/enterprises/LC1/devices/nope:issueCommand", lock, 404, "NOT_FOUND"},
		{"POST", "/v1/" + dev + ":issueCommand", []byte(`{"type":`), 400, "INVALID_ARGUMENT"},
		{"POST", "/v1/" + dev + ":issueCommand", []byte(`{"type":"LOCK","duration":"1m"}`), 400, "INVALID_ARGUMENT"},
		{"GET", "/v1/" + dev + "/operations/1", nil, 404, "NOT_FOUND"},
		{"POST", "/v1/" + dev + "/operations/1:cancel", nil, 404, "NOT_FOUND"},
		{"GET", "/v2/" + dev, nil, 404, "NOT_FOUND"},
		{"DELETE", "/v1/" + dev, nil, 404, "NOT_FOUND"},
	} {
		code, b := call(t, tc.method, srv.URL+tc.path, tc.body)
		var e struct {
			Error struct {
				Code   int
				Status string
			}
		}
		if err := json.Unmarshal(b, &e); err != nil || code != tc.code || e.Error.Code != tc.code || e.Error.Status != tc.status {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, code, b)
		}
	}
	s := androidtest.New(androidtest.Config{})
	for _, bad := range []string{"", "enterprises/E/devices", "enterprises//devices/d", "enterprises/E/devices/d:x", "x/E/devices/d"} {
		if s.AddDevice(bad, androidtest.Device{}) {
			t.Errorf("AddDevice(%q) accepted", bad)
		}
	}
}

// TestPasswordNeverEchoed: no answer of the Server holds the new password,
// whether the device takes it or refuses it.
func TestPasswordNeverEchoed(t *testing.T) {
	for _, pw := range []string{"Pl4nted-Xq9", "98765"} {
		srv, c := start(t, androidtest.Device{APILevel: 34, Delay: time.Second})
		body := must(android.ResetPasswordCommand(secret.New(pw), android.LockNow, android.Options{}))
		code, b := call(t, http.MethodPost, srv.URL+"/v1/"+dev+":issueCommand", body.Reveal())
		op, err := android.ParseOperation(b)
		if code != 200 || err != nil || op.Command.ResetFlags != android.LockNow {
			t.Fatalf("%d %v %s", code, err, b)
		}
		c.Advance(time.Second)
		_, got := get(t, srv, op.Name)
		_, cancel := call(t, http.MethodPost, srv.URL+"/v1/"+op.Name+":cancel", nil)
		for _, answer := range [][]byte{b, got, cancel} {
			if strings.Contains(string(answer), pw) || strings.Contains(string(answer), "newPassword") {
				t.Fatalf("password echoed: %s", answer)
			}
		}
	}
}

// FuzzIssueCommand: any body gets a JSON answer, never a panic, and never
// the newPassword it carried.
func FuzzIssueCommand(f *testing.F) {
	for _, b := range []android.Body{
		must(android.LockCommand(android.Options{Duration: time.Hour})),
		must(android.ResetPasswordCommand(secret.New("Pl4nted-Xq9"), android.RequireEntry, android.Options{})),
		must(android.StartLostModeCommand(android.LostMode{EmailAddress: "it@example.com"}, android.Options{})),
		must(android.StopLostModeCommand(android.Options{})),
	} {
		f.Add(b.Reveal())
	}
	f.Add([]byte(`{"type":"LOCK","duration":"-1s"}`))
	f.Add([]byte(`{"type":"REBOOT","newPassword":"12"}`))
	s := androidtest.New(androidtest.Config{})
	s.AddDevice(dev, androidtest.Device{APILevel: 34})
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/"+dev+":issueCommand", bytes.NewReader(body)))
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %s", rec.Body)
		}
		var cmd struct{ NewPassword string }
		if json.Unmarshal(body, &cmd) == nil && len(cmd.NewPassword) >= 3 && strings.Contains(rec.Body.String(), cmd.NewPassword) {
			t.Fatalf("password %q echoed: %s", cmd.NewPassword, rec.Body)
		}
	})
}
