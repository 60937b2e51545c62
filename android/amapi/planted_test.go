package amapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
)

// recordingStore is a passcode store that keeps a copy of everything the
// SDK hands it and everything it hands back, to scan for the password.
type recordingStore struct {
	passcode.Store
	mu   sync.Mutex
	seen bytes.Buffer
}

func (s *recordingStore) record(vs ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vs {
		fmt.Fprintf(&s.seen, "%#v\n%+v\n", v, v)
		if j, err := json.Marshal(v); err == nil {
			s.seen.Write(j)
		}
		s.seen.WriteByte('\n')
	}
}

func (s *recordingStore) Write(ctx context.Context, r passcode.Reset, prev uint64, events []passcode.Event) error {
	s.record(r, prev, events, r.Sealed)
	return s.Store.Write(ctx, r, prev, events)
}

func (s *recordingStore) Load(ctx context.Context, id string) (passcode.Reset, error) {
	r, err := s.Store.Load(ctx, id)
	s.record(id, r)
	return r, err
}

func (s *recordingStore) Open(ctx context.Context, deviceID string) (passcode.Reset, error) {
	r, err := s.Store.Open(ctx, deviceID)
	s.record(deviceID, r)
	return r, err
}

func (s *recordingStore) Append(ctx context.Context, ev passcode.Event) error {
	s.record(ev)
	return s.Store.Append(ctx, ev)
}

func (s *recordingStore) Events(ctx context.Context, q passcode.EventQuery) ([]passcode.Event, error) {
	evs, err := s.Store.Events(ctx, q)
	s.record(q, evs)
	return evs, err
}

// hits counts the places the password shows in text: as it is, JSON-escaped,
// in base64 and in hexadecimal.
func hits(text, pw string) int {
	q, _ := json.Marshal(pw)
	n := 0
	for _, v := range []string{pw, string(q[1 : len(q)-1]), base64.StdEncoding.EncodeToString([]byte(pw)),
		base64.RawURLEncoding.EncodeToString([]byte(pw)), fmt.Sprintf("%x", pw)} {
		n += strings.Count(text, v)
	}
	return n
}

// TestPlantedPasswordScan runs resets through the module end to end, with a
// fake AMAPI that echoes the new password in every operation's metadata
// and in a refusal's message, then scans everything the SDK stored (every
// value that went into or came out of the passcode store, the events), all
// log output (passcode.Service's, the Client's, Google's client's at info
// level) and every value returned, for the password: 0 hits.
func TestPlantedPasswordScan(t *testing.T) {
	ctx := context.Background()
	clock := mdmcredtest.NewClock(start)
	f := newFakeAMAPI(t, clock.Now)
	f.echoPassword = true
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&logs, &logMu}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c := newClient(t, f, clock.Now, logger)
	store := &recordingStore{Store: passcode.NewMemStore()}
	ps := newPasscodeService(t, store, clock.Now, logger)
	var rs resets
	hook := httptest.NewServer(c.PushHandler(rs.find, ps))
	defer hook.Close()

	var returned bytes.Buffer
	keep := func(vs ...any) {
		for _, v := range vs {
			fmt.Fprintf(&returned, "%#v %+v %v\n", v, v, v)
		}
	}
	var passwords []string
	for i, end := range []func(op string){
		func(op string) { f.finish(op, nil, nil) },
		func(op string) { f.finish(op, map[string]any{"errorCode": "INVALID_VALUE"}, nil) },
		nil, // refused by AMAPI, its message echoing the body
	} {
		phone := phone
		phone.ID = fmt.Sprintf("dev-%d", i)
		res, err := ps.Request(ctx, passcode.ResetRequest{Device: phone, Actor: "admin@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		passwords = append(passwords, res.Passcode.Reveal())
		if end == nil {
			f.mu.Lock()
			f.refuse = 400
			f.mu.Unlock()
		}
		op, err := c.ResetPassword(ctx, ps, res, "enterprises/LC1/devices/"+phone.ID, android.RequireEntry|android.LockNow, android.Options{})
		keep(op, err)
		if end == nil {
			continue
		}
		rs.put(op.Name, res.Reset.ID)
		end(op.Name)
		if code := post(t, hook.URL, envelope("COMMAND", f.operationJSON(op.Name))); code != 204 {
			t.Fatalf("push: %d", code)
		}
		out, err := c.Await(ctx, ps, res.Reset.ID, op.Name)
		got, gerr := c.Get(ctx, op.Name)
		keep(out, err, got, gerr)
		// The admin sees the passcode again (a view is recorded) ...
		pc, err := ps.Reveal(ctx, res.Reset.ID, passcode.Viewer{ID: "admin@example.com"})
		if err != nil || pc.Reveal() != res.Passcode.Reveal() {
			t.Fatalf("Reveal: %v", err)
		}
		keep(pc)
	}
	for i := range passwords {
		evs, err := ps.Events(ctx, passcode.EventQuery{DeviceID: fmt.Sprintf("dev-%d", i)})
		keep(evs, err)
	}
	// The fake server did receive each password: the scan can see one.
	var sent strings.Builder
	for _, r := range f.received() {
		sent.Write(r.Body)
		sent.WriteString(f.srv.URL) // and the operations it answered with
	}
	for name := range f.ops {
		sent.Write(f.operationJSON(name))
	}
	logMu.Lock()
	logText := logs.String()
	logMu.Unlock()
	store.mu.Lock()
	stored := store.seen.String()
	store.mu.Unlock()
	for i, pw := range passwords {
		if hits(sent.String(), pw) == 0 {
			t.Fatalf("password %d never reached the fake server: the scan would prove nothing", i)
		}
		for what, text := range map[string]string{"store": stored, "logs": logText, "returned values": returned.String()} {
			if n := hits(text, pw); n != 0 {
				t.Errorf("password %d: %d hits in %s", i, n, what)
			}
		}
	}
	if !strings.Contains(logText, "amapi command issued") || !strings.Contains(logText, "passcode reset") || len(stored) == 0 {
		t.Fatalf("nothing to scan: logs %q, %d bytes stored", logText, len(stored))
	}
}

// TestGoogleDebugLogShowsBodies keeps the warning in the docs true: Google's
// client at debug level logs request bodies, the new password included.
func TestGoogleDebugLogShowsBodies(t *testing.T) {
	clock := mdmcredtest.NewClock(start)
	f := newFakeAMAPI(t, clock.Now)
	var logs bytes.Buffer
	debug := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, f, clock.Now, debug)
	body, err := android.ResetPasswordCommand(passcodeOf(t, goldenPassword), 0, android.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Issue(context.Background(), device, body); err != nil {
		t.Fatal(err)
	}
	if hits(logs.String(), goldenPassword) == 0 {
		t.Fatalf("Google's client no longer logs bodies at debug level; update the docs: %s", logs.String())
	}
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
