package amapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAMAPI is a local stand-in for androidmanagement.googleapis.com: it
// serves devices.issueCommand, operations.get and operations.cancel the way
// AMAPI documents them, keeps every request it received, and lets the test
// decide how each command ends.
type fakeAMAPI struct {
	t   *testing.T
	srv *httptest.Server
	now func() time.Time

	mu       sync.Mutex
	requests []request
	ops      map[string]*fakeOp
	next     int
	// echoPassword makes the operation's metadata repeat newPassword, to
	// check that nothing downstream keeps it.
	echoPassword bool
	// refuse, when non-zero, is the HTTP status of the next issueCommand,
	// whose error message repeats the request body.
	refuse int
}

type request struct {
	Method, Path, Query string
	Body                []byte
}

type fakeOp struct {
	name     string
	done     bool
	err      map[string]any
	metadata map[string]any
}

func newFakeAMAPI(t *testing.T, now func() time.Time) *fakeAMAPI {
	f := &fakeAMAPI{t: t, now: now, ops: map[string]*fakeOp{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAMAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, request{r.Method, r.URL.Path, r.URL.RawQuery, body})
	path := strings.TrimPrefix(r.URL.Path, "/v1/")
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(path, ":issueCommand"):
		device := strings.TrimSuffix(path, ":issueCommand")
		var cmd map[string]any
		if err := json.Unmarshal(body, &cmd); err != nil {
			f.fail(w, 400, "INVALID_ARGUMENT", "Invalid JSON payload")
			return
		}
		if f.refuse != 0 {
			status := f.refuse
			f.refuse = 0
			f.fail(w, status, "INVALID_ARGUMENT", "Invalid command "+string(body))
			return
		}
		f.next++
		name := fmt.Sprintf("%s/operations/%d", device, 1700000000000+f.next)
		md := map[string]any{"@type": "type.googleapis.com/google.android.devicemanagement.v1.Command",
			"createTime": f.now().UTC().Format(time.RFC3339Nano), "userName": "enterprises/LC1/users/u1"}
		for k, v := range cmd {
			if k != "newPassword" || f.echoPassword {
				md[k] = v
			}
		}
		if _, ok := md["duration"]; !ok {
			md["duration"] = "600s"
		}
		op := &fakeOp{name: name, metadata: md}
		f.ops[name] = op
		f.write(w, op)
	case r.Method == http.MethodGet && strings.Contains(path, "/operations/"):
		op, ok := f.ops[path]
		if !ok {
			f.fail(w, 404, "NOT_FOUND", "Resource not found")
			return
		}
		f.write(w, op)
	case r.Method == http.MethodPost && strings.HasSuffix(path, ":cancel"):
		op, ok := f.ops[strings.TrimSuffix(path, ":cancel")]
		if !ok {
			f.fail(w, 404, "NOT_FOUND", "Resource not found")
			return
		}
		if !op.done {
			op.done, op.err = true, map[string]any{"code": 1, "message": "Operation cancelled"}
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	default:
		f.fail(w, 404, "NOT_FOUND", "no such method")
	}
}

func (f *fakeAMAPI) write(w http.ResponseWriter, op *fakeOp) {
	m := map[string]any{"name": op.name, "metadata": op.metadata}
	if op.done {
		m["done"] = true
	}
	if op.err != nil {
		m["error"] = op.err
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(m)
}

func (f *fakeAMAPI) fail(w http.ResponseWriter, code int, status, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}

// finish ends operation name: done, with the metadata fields given
// (errorCode, startLostModeStatus...) and an error if err is non-nil.
func (f *fakeAMAPI) finish(name string, fields map[string]any, err map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op, ok := f.ops[name]
	if !ok {
		f.t.Fatalf("no operation %s", name)
	}
	op.done, op.err = true, err
	for k, v := range fields {
		op.metadata[k] = v
	}
}

// operationJSON is the operation as operations.get would return it now.
func (f *fakeAMAPI) operationJSON(name string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := httptest.NewRecorder()
	f.write(rec, f.ops[name])
	return rec.Body.Bytes()
}

func (f *fakeAMAPI) received() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.requests...)
}
