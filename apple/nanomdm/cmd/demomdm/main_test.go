package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/micromdm/nanolib/log/stdlogfmt"

	"github.com/mdmcred/mdmcred/apple"
)

// syncBuffer collects log lines from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

const testToken = "test-token"

// demo is the demo MDM in process, its devices enrolled (when enroll is
// set) and answering; every log line of NanoMDM and the middleware kept.
type demo struct {
	t    *testing.T
	s    *server
	srv  *httptest.Server
	logs *syncBuffer
}

func newDemo(t *testing.T, enroll bool) *demo {
	t.Helper()
	d := &demo{t: t, logs: &syncBuffer{}}
	nlog := stdlogfmt.New(stdlogfmt.WithLogger(stdlog.New(d.logs, "nanomdm ", 0)), stdlogfmt.WithDebug())
	slogger := slog.New(slog.NewTextHandler(d.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	if d.s, err = newServer(testToken, nlog, slogger); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The devices are made before the server serves (the map is then
	// read-only), as run does.
	if err := d.s.addDevices("http://"+ln.Addr().String()+"/mdm", &http.Client{Timeout: 10 * time.Second}, slogger); err != nil {
		t.Fatal(err)
	}
	d.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: d.s}}
	d.srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); d.srv.Close() })
	if enroll {
		if err := d.s.enroll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// api does one API request with token and returns the status and body.
func (d *demo) api(method, path, token string, body []byte) (int, []byte) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := d.srv.Client().Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func enqueueBody(t testing.TB, udid string, c apple.Command, pin string) []byte {
	b, err := json.Marshal(enqueueRequest{EnrollmentID: udid, Command: c.Template, PIN: pin})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// answer waits for the device's report on command uuid and parses it with
// the apple package, as the console does.
func (d *demo) answer(uuid string) (result, apple.Outcome) {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		code, body := d.api(http.MethodGet, "/v1/results", testToken, nil)
		if code != http.StatusOK {
			d.t.Fatalf("results: HTTP %d %s", code, body)
		}
		var rs []result
		if err := json.Unmarshal(body, &rs); err != nil {
			d.t.Fatal(err)
		}
		for _, r := range rs {
			if r.CommandUUID == uuid {
				res, err := apple.ParseResult(r.Raw)
				if err != nil {
					d.t.Fatalf("ParseResult: %v", err)
				}
				return r, res.Outcome()
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.t.Fatalf("no answer to %s\n%s", uuid, d.logs.Bytes())
	return result{}, apple.Outcome{}
}

func newUUID(t testing.TB) string {
	u, err := apple.NewCommandUUID(nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

const (
	iPhone = "DEMO-IPHONE-0001"
	iPad   = "DEMO-IPAD-0001"
	mac    = "DEMO-MAC-0001"
)

// Each command through the API reaches the simulated device through
// NanoMDM and the middleware, and the device's answer comes back in the
// results, readable by apple.ParseResult. Afterwards neither NanoMDM's
// storage nor any log line holds a PIN or an UnlockToken.
func TestCommandsThroughNanoMDM(t *testing.T) {
	d := newDemo(t, true)
	lock := func(l apple.Lock) apple.Command {
		c, err := apple.NewDeviceLock(newUUID(t), l)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	clearPC := func() apple.Command { c, _ := apple.NewClearPasscode(newUUID(t)); return c }
	lostOn := func() apple.Command {
		c, _ := apple.NewEnableLostMode(newUUID(t), apple.LostMode{Message: "Lost <&>", PhoneNumber: "+1 555 0100"})
		return c
	}
	lostOff := func() apple.Command { c, _ := apple.NewDisableLostMode(newUUID(t)); return c }
	var pins []string
	for i, c := range []struct {
		name    string
		udid    string
		cmd     apple.Command
		pin     string
		status  apple.Status
		code    int64
		domain  string
		message apple.MessageResult
		lost    apple.LostModeState
	}{
		{name: "iPhone passcode cleared with its own UnlockToken", udid: iPhone, cmd: clearPC(), status: apple.StatusAcknowledged},
		{name: "iPad passcode cleared", udid: iPad, cmd: clearPC(), status: apple.StatusAcknowledged},
		{name: "Mac locked with PIN and message", udid: mac, cmd: lock(apple.Lock{Message: "Call IT", PIN: true}), pin: "904215", status: apple.StatusAcknowledged, message: apple.MessageSuccess},
		{name: "Mac has no UnlockToken: not sent, failed by the middleware", udid: mac, cmd: clearPC(), status: apple.StatusError, code: 1, domain: "mdmcred"},
		{name: "iPhone locked without PIN", udid: iPhone, cmd: lock(apple.Lock{}), status: apple.StatusAcknowledged},
		{name: "Lost Mode on a supervised iPhone", udid: iPhone, cmd: lostOn(), status: apple.StatusAcknowledged},
		{name: "Lost Mode off", udid: iPhone, cmd: lostOff(), status: apple.StatusAcknowledged},
		{name: "Lost Mode off again: not in Lost Mode", udid: iPhone, cmd: lostOff(), status: apple.StatusError, code: 12067, domain: "MCMDMErrorDomain", lost: apple.NotInLostMode},
		{name: "Lost Mode on an unsupervised iPad: refused by the device", udid: iPad, cmd: lostOn(), status: apple.StatusError, code: 12069, domain: "MCMDMErrorDomain", lost: apple.LostModeRefused},
	} {
		if c.pin != "" {
			pins = append(pins, c.pin)
		}
		code, body := d.api(http.MethodPost, "/v1/commands", testToken, enqueueBody(t, c.udid, c.cmd, c.pin))
		if code != http.StatusAccepted {
			t.Fatalf("%d %s: enqueue HTTP %d %s", i, c.name, code, body)
		}
		r, o := d.answer(c.cmd.UUID)
		if r.EnrollmentID != c.udid || r.RequestType != string(c.cmd.RequestType) || o.Status != c.status || o.MessageResult != c.message || o.LostMode != c.lost {
			t.Errorf("%s: result %+v outcome %+v", c.name, r, o)
		}
		if c.code != 0 && (len(o.ErrorChain) == 0 || o.ErrorChain[0].ErrorCode != c.code || o.ErrorChain[0].ErrorDomain != c.domain) {
			t.Errorf("%s: error chain %+v, want %d %s", c.name, o.ErrorChain, c.code, c.domain)
		}
	}

	// The secrets were filled in at delivery only.
	hay := [][]byte{d.logs.Bytes()}
	for _, b := range d.s.buckets {
		for k := range b.Keys(context.Background(), nil) {
			v, _ := b.Get(context.Background(), k)
			hay = append(hay, []byte(k), v)
		}
	}
	code, results := d.api(http.MethodGet, "/v1/results", testToken, nil)
	if code != http.StatusOK {
		t.Fatal(code)
	}
	hay = append(hay, results)
	if len(hay) < 20 {
		t.Fatalf("storage looks empty: %d entries", len(hay))
	}
	secrets := map[string][]byte{}
	for _, p := range pins {
		secrets["PIN "+p] = []byte(">" + p + "<") // as a plist <string> would hold it
		secrets["PIN in JSON "+p] = []byte(`"` + p + `"`)
	}
	for udid, dev := range d.s.devices {
		if dev.token != nil {
			secrets["UnlockToken of "+udid] = dev.token
			secrets["UnlockToken (base64) of "+udid] = []byte(b64(dev.token))
		}
	}
	for name, sec := range secrets {
		for _, h := range hay {
			if bytes.Contains(h, sec) {
				t.Errorf("%s found in NanoMDM's storage, the logs or the results", name)
				break
			}
		}
	}
}

// The API takes only well-formed requests from its token holder, for a
// known device, with a PIN exactly when the command waits for one.
func TestEnqueueRefusals(t *testing.T) {
	d := newDemo(t, false)
	lockPIN, _ := apple.NewDeviceLock(newUUID(t), apple.Lock{PIN: true})
	clearPC, _ := apple.NewClearPasscode(newUUID(t))
	recovery, _ := apple.NewSetRecoveryLock(newUUID(t), apple.RecoveryLock{})
	for _, c := range []struct {
		name  string
		token string
		body  []byte
		code  int
		err   string
	}{
		{"no token", "", enqueueBody(t, mac, lockPIN, "123456"), 401, "bearer token"},
		{"wrong token", "test-tokem", enqueueBody(t, mac, lockPIN, "123456"), 401, "bearer token"},
		{"not JSON", testToken, []byte("<plist/>"), 400, "not a JSON"},
		{"unknown field", testToken, []byte(`{"enrollment_id":"DEMO-MAC-0001","command":"","unlock_token":"x"}`), 400, "not a JSON"},
		{"unknown device", testToken, enqueueBody(t, "DEMO-NONE", lockPIN, "123456"), 404, "no such device"},
		{"not a command", testToken, enqueueBody(t, mac, apple.Command{Template: []byte("<plist><dict/></plist>")}, ""), 400, "not an MDM command"},
		{"PIN missing", testToken, enqueueBody(t, mac, lockPIN, ""), 400, "waits for a PIN"},
		{"PIN not taken", testToken, enqueueBody(t, iPhone, clearPC, "123456"), 400, "takes no PIN"},
		{"PIN too short", testToken, enqueueBody(t, mac, lockPIN, "12345"), 400, "6 digits"},
		{"PIN not digits", testToken, enqueueBody(t, mac, lockPIN, "12345a"), 400, "6 digits"},
		{"secrets the API does not take", testToken, enqueueBody(t, mac, recovery, ""), 400, "does not take"},
		{"accepted", testToken, enqueueBody(t, mac, lockPIN, "123456"), 202, ""},
		{"same CommandUUID again", testToken, enqueueBody(t, mac, lockPIN, "123456"), 409, "queued before"},
	} {
		code, body := d.api(http.MethodPost, "/v1/commands", c.token, c.body)
		if code != c.code || !strings.Contains(string(body), c.err) {
			t.Errorf("%s: HTTP %d %s, want %d %q", c.name, code, body, c.code, c.err)
		}
		if strings.Contains(string(body), "123456") {
			t.Errorf("%s: the answer repeats the PIN: %s", c.name, body)
		}
	}
	for _, c := range []struct {
		path string
		code int
	}{{"/v1/results?after=-1", 400}, {"/v1/results?after=x", 400}, {"/v1/results?after=99", 200}, {"/v1/devices", 200}} {
		if code, body := d.api(http.MethodGet, c.path, testToken, nil); code != c.code {
			t.Errorf("GET %s: HTTP %d %s, want %d", c.path, code, body, c.code)
		}
	}
}

// Any body sent to the enqueue endpoint gets an answer (no panic), and a
// PIN is never accepted for a command that does not wait for one.
func FuzzEnqueue(f *testing.F) {
	lockPIN, _ := apple.NewDeviceLock("6E1A9C2B-7D3F-4A5B-8C9D-0E1F2A3B4C5D", apple.Lock{PIN: true})
	clearPC, _ := apple.NewClearPasscode("7E1A9C2B-7D3F-4A5B-8C9D-0E1F2A3B4C5D")
	for _, s := range [][]byte{enqueueBody(f, mac, lockPIN, "123456"), enqueueBody(f, iPhone, clearPC, ""), enqueueBody(f, iPhone, clearPC, "123456"),
		[]byte(`{}`), []byte(`{"enrollment_id":"DEMO-MAC-0001","command":"PHBsaXN0Lz4="}`), nil} {
		f.Add(s)
	}
	s, err := newServer(testToken, stdlogfmt.New(stdlogfmt.WithLogger(stdlog.New(io.Discard, "", 0))), slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	if err := s.addDevices("http://127.0.0.1:1/mdm", http.DefaultClient, slog.New(slog.DiscardHandler)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/v1/commands", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusAccepted:
			var r enqueueRequest
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatalf("accepted a body that is not JSON: %q", body)
			}
			if need := apple.Placeholders(r.Command); (need&apple.FillPIN != 0) != (r.PIN != "") {
				t.Fatalf("accepted PIN %v for a command waiting for %s", r.PIN != "", need)
			}
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusInternalServerError:
		default:
			t.Fatalf("HTTP %d for %q", w.Code, body)
		}
	})
}

// run serves until its context ends, printing its address, the devices
// and the token; it refuses a non-loopback address and stray arguments.
func TestRun(t *testing.T) {
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"-addr", "0.0.0.0:0"}, "loopback only"},
		{[]string{"-addr", "example.com:80"}, "loopback only"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"-nope"}, "not defined"},
	} {
		if err := run(context.Background(), c.args, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("run %v = %v, want %q", c.args, err, c.err)
		}
	}

	t.Setenv(tokenEnv, "")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, pw, io.Discard); pw.Close() }()
	var out strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(out.String(), "console: ") {
		n, err := pr.Read(buf)
		if err != nil {
			t.Fatalf("run: %v\n%s", err, out.String())
		}
		out.Write(buf[:n])
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	for _, want := range []string{"demo MDM on http://127.0.0.1:", "device: DEMO-IPHONE-0001", "device: DEMO-IPAD-0001", "device: DEMO-MAC-0001", "token: " + tokenEnv + "="} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
}

// b64 is b as encoding/json and plist write a []byte (standard base64).
func b64(b []byte) string {
	j, _ := json.Marshal(b)
	return strings.Trim(string(j), `"`)
}
