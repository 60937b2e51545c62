package amapi_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
)

// envelope is a Pub/Sub push request carrying data with notificationType
// typ, as Pub/Sub sends it to a push endpoint.
func envelope(typ string, data []byte) string {
	return `{"message":{"attributes":{"notificationType":"` + typ + `"},"data":"` + base64.StdEncoding.EncodeToString(data) +
		`","messageId":"136969346945","publishTime":"2026-03-02T10:03:00.123Z"},"subscription":"projects/mdm/subscriptions/amapi"}`
}

// resets maps operation names to reset IDs, as a host records them.
type resets struct {
	mu sync.Mutex
	m  map[string]string
}

func (r *resets) put(op, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]string{}
	}
	r.m[op] = id
}

func (r *resets) find(_ context.Context, op string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if op == "enterprises/LC1/devices/broken/operations/1" {
		return "", errors.New("database down")
	}
	return r.m[op], nil
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestPushHandler(t *testing.T) {
	R, P, A, S, F := passcode.Requested, passcode.Pending, passcode.Acknowledged, passcode.Succeeded, passcode.Failed
	tests := []struct {
		name   string
		fields map[string]any
		err    map[string]any
		trail  []passcode.State
	}{
		{"done", nil, nil, []passcode.State{R, P, A, S}},
		{"INVALID_VALUE", map[string]any{"errorCode": "INVALID_VALUE"}, nil, []passcode.State{R, P, F}},
		{"API_LEVEL", map[string]any{"errorCode": "API_LEVEL"}, nil, []passcode.State{R, P, F}},
		{"UNSUPPORTED", map[string]any{"errorCode": "UNSUPPORTED"}, nil, []passcode.State{R, P, F}},
		{"cancelled", nil, map[string]any{"code": 1, "message": "cancelled"}, []passcode.State{R, P, F}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := mdmcredtest.NewClock(start)
			f := newFakeAMAPI(t, clock.Now)
			c := newClient(t, f, clock.Now, nil)
			ps := newPasscodeService(t, passcode.NewMemStore(), clock.Now, nil)
			var rs resets
			hook := httptest.NewServer(c.PushHandler(rs.find, ps))
			defer hook.Close()

			res, op := deliver(t, c, ps)
			rs.put(op.Name, res.Reset.ID)
			f.finish(op.Name, tc.fields, tc.err)
			push := envelope("COMMAND", f.operationJSON(op.Name))
			// Pub/Sub delivers at least once: the same push twice, and a
			// poll racing them, record each move once.
			var wg sync.WaitGroup
			codes := make([]int, 3)
			for i := range 2 {
				wg.Add(1)
				go func() { defer wg.Done(); codes[i] = post(t, hook.URL, push) }()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Await(context.Background(), ps, res.Reset.ID, op.Name); err != nil {
					t.Error(err)
				}
				codes[2] = http.StatusNoContent
			}()
			wg.Wait()
			if codes[0] != http.StatusNoContent || codes[1] != http.StatusNoContent {
				t.Fatalf("push answered %v", codes)
			}
			if trail := states(t, ps, res.Reset.ID); !reflect.DeepEqual(trail, tc.trail) {
				t.Fatalf("events %v, want %v", trail, tc.trail)
			}
		})
	}
}

func TestPushHandlerAnswers(t *testing.T) {
	clock := mdmcredtest.NewClock(start)
	f := newFakeAMAPI(t, clock.Now)
	c := newClient(t, f, clock.Now, nil)
	ps := newPasscodeService(t, passcode.NewMemStore(), clock.Now, nil)
	var rs resets
	hook := httptest.NewServer(c.PushHandler(rs.find, ps))
	defer hook.Close()
	op := func(name string) []byte { return []byte(`{"name":"` + name + `","done":true}`) }
	rs.put("enterprises/LC1/devices/x/operations/9", "no-such-reset")
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"status report", envelope("STATUS_REPORT", []byte(`{"name":"enterprises/LC1/devices/3a1"}`)), http.StatusNoContent},
		{"enrollment", envelope("ENROLLMENT", []byte(`{}`)), http.StatusNoContent},
		{"another tool's command", envelope("COMMAND", op("enterprises/LC1/devices/x/operations/1")), http.StatusNoContent},
		{"reset gone", envelope("COMMAND", op("enterprises/LC1/devices/x/operations/9")), http.StatusNoContent},
		{"lookup fails", envelope("COMMAND", op("enterprises/LC1/devices/broken/operations/1")), http.StatusInternalServerError},
		{"not JSON", `hello`, http.StatusBadRequest},
		{"no type", `{"message":{"data":""}}`, http.StatusBadRequest},
		{"data not an operation", envelope("COMMAND", []byte(`[]`)), http.StatusBadRequest},
		{"too large", strings.Repeat(" ", 3<<20), http.StatusRequestEntityTooLarge},
	} {
		if got := post(t, hook.URL, tc.body); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	resp, err := http.Get(hook.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
}
