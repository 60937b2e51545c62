package android_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/passcode"
)

// push wraps data in a Pub/Sub push envelope as Pub/Sub sends it.
func push(notificationType, data string) string {
	return `{"message":{"attributes":{"notificationType":"` + notificationType + `"},"data":"` +
		base64.StdEncoding.EncodeToString([]byte(data)) + `","messageId":"2070443601311540","message_id":"2070443601311540",` +
		`"publishTime":"2026-03-02T10:01:02.345Z","publish_time":"2026-03-02T10:01:02.345Z"},` +
		`"subscription":"projects/mdm-demo/subscriptions/amapi-push"}`
}

var pushCases = []struct {
	name   string
	body   string
	typ    string
	state  passcode.State // of the operation, at the creation time; 0 for no operation
	reason string
}{
	{"command done", push("COMMAND", opJSON(true, "", "")), "COMMAND", passcode.Succeeded, ""},
	{"command failed", push("COMMAND", opJSON(true, "", `"errorCode":"INVALID_VALUE"`)), "COMMAND", passcode.Failed, "INVALID_VALUE"},
	{"lost mode refused", push("COMMAND", opJSON(true, "", `"type":"START_LOST_MODE","startLostModeStatus":{"status":"RESET_PASSWORD_RECENTLY"}`)), "COMMAND", passcode.Failed, "RESET_PASSWORD_RECENTLY"},
	{"command cancelled", push("COMMAND", opJSON(true, `{"code":1}`, "")), "COMMAND", passcode.Failed, "CANCELLED"},
	{"status report not read", push("STATUS_REPORT", `{"not":"an operation"}`), "STATUS_REPORT", 0, ""},
	{"enrollment not read", push("ENROLLMENT", `garbage`), "ENROLLMENT", 0, ""},
}

func TestParsePush(t *testing.T) {
	for _, tc := range pushCases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := android.ParsePush([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if n.Type != tc.typ || n.MessageID != "2070443601311540" || n.Subscription != "projects/mdm-demo/subscriptions/amapi-push" ||
				!n.PublishTime.Equal(time.Date(2026, 3, 2, 10, 1, 2, 345e6, time.UTC)) {
				t.Fatalf("parsed %+v", n)
			}
			if tc.state == 0 {
				if n.Operation != (android.Operation{}) {
					t.Fatalf("operation read from a %s notification", n.Type)
				}
				return
			}
			if o := n.Operation.Outcome(created); o.State != tc.state || o.Reason != tc.reason {
				t.Fatalf("outcome %+v, want %s %q", o, tc.state, tc.reason)
			}
		})
	}
}

var badPushes = []struct{ name, body, field string }{
	{"not JSON", `nope`, "push"},
	{"no message", `{"subscription":"s"}`, "message"},
	{"no type", `{"message":{"data":""}}`, "message.attributes.notificationType"},
	{"bad publishTime", `{"message":{"attributes":{"notificationType":"COMMAND"},"publishTime":"now"}}`, "message.publishTime"},
	{"data not base64", `{"message":{"attributes":{"notificationType":"COMMAND"},"data":"%%%"}}`, "message.data"},
	{"data not an operation", push("COMMAND", `{"done":true}`), "message.data.name"},
	{"operation with bad time", push("COMMAND", `{"name":"x","metadata":{"createTime":"0"}}`), "message.data.metadata.createTime"},
	{"too large", `{"message":{"data":"` + strings.Repeat("A", android.MaxPushSize) + `"}}`, "push"},
}

func TestParsePushErrors(t *testing.T) {
	for _, tc := range badPushes {
		t.Run(tc.name, func(t *testing.T) {
			_, err := android.ParsePush([]byte(tc.body))
			var e *android.Error
			if !errors.As(err, &e) || !errors.Is(err, android.ErrInvalid) || e.Field != tc.field {
				t.Fatalf("err = %v, want field %s", err, tc.field)
			}
		})
	}
}

func FuzzParsePush(f *testing.F) {
	for _, tc := range pushCases {
		f.Add([]byte(tc.body))
	}
	for _, tc := range badPushes {
		if len(tc.body) < 1000 {
			f.Add([]byte(tc.body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := android.ParsePush(body)
		if err != nil {
			if !errors.Is(err, android.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if n.Type == "" {
			t.Fatal("notification without a type")
		}
		if (n.Type == android.NotificationCommand) != (n.Operation.Name != "") {
			t.Fatalf("type %s with operation %q", n.Type, n.Operation.Name)
		}
		_ = n.Operation.Outcome(created)
	})
}
