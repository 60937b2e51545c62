package android_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/passcode"
)

var created = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// meta is an operation's metadata: a Command as AMAPI returns it.
func meta(fields string) string {
	s := `{"@type":"type.googleapis.com/google.android.devicemanagement.v1.Command","type":"RESET_PASSWORD","createTime":"2026-03-02T10:00:00Z","duration":"600s","userName":"enterprises/LC1/users/7"`
	if fields != "" {
		s += "," + fields
	}
	return s + "}"
}

const opName = "enterprises/LC1/devices/3a1/operations/1700000000000"

func opJSON(done bool, errJSON, metaFields string) string {
	s := `{"name":"` + opName + `","done":` + fmt.Sprint(done) + `,"metadata":` + meta(metaFields)
	if errJSON != "" {
		s += `,"error":` + errJSON
	}
	return s + "}"
}

// operationCases are operations as AMAPI sends them, with where each puts
// the reset at three times: before the deadline, at it, and after it.
var operationCases = []struct {
	name string
	json string
	want android.Outcome // before the deadline
	// atDeadline is the outcome at createTime + duration.
	atDeadline passcode.State
}{
	{"pending", opJSON(false, "", ""), android.Outcome{State: passcode.Pending}, passcode.Expired},
	{"done", opJSON(true, "", ""), android.Outcome{State: passcode.Succeeded}, passcode.Succeeded},
	{"done with flags echoed", opJSON(true, "", `"resetPasswordFlags":["REQUIRE_ENTRY","LOCK_NOW"],"newPassword":"`+planted+`"`), android.Outcome{State: passcode.Succeeded}, passcode.Succeeded},
	{"unspecified error code", opJSON(true, "", `"errorCode":"COMMAND_ERROR_CODE_UNSPECIFIED"`), android.Outcome{State: passcode.Succeeded}, passcode.Succeeded},
	{"API_LEVEL", opJSON(true, "", `"errorCode":"API_LEVEL"`), android.Outcome{State: passcode.Failed, Reason: "API_LEVEL"}, passcode.Failed},
	{"MANAGEMENT_MODE", opJSON(true, "", `"errorCode":"MANAGEMENT_MODE"`), android.Outcome{State: passcode.Failed, Reason: "MANAGEMENT_MODE"}, passcode.Failed},
	{"INVALID_VALUE", opJSON(true, `{"code":3,"message":"Invalid value"}`, `"errorCode":"INVALID_VALUE"`), android.Outcome{State: passcode.Failed, Reason: "INVALID_VALUE"}, passcode.Failed},
	{"UNSUPPORTED", opJSON(true, "", `"errorCode":"UNSUPPORTED"`), android.Outcome{State: passcode.Failed, Reason: "UNSUPPORTED"}, passcode.Failed},
	{"UNKNOWN", opJSON(true, "", `"errorCode":"UNKNOWN"`), android.Outcome{State: passcode.Failed, Reason: "UNKNOWN"}, passcode.Failed},
	{"future error code", opJSON(true, "", `"errorCode":"SOMETHING_NEW"`), android.Outcome{State: passcode.Failed, Reason: "SOMETHING_NEW"}, passcode.Failed},
	{"cancelled", opJSON(true, `{"code":1,"message":"cancelled by caller"}`, ""), android.Outcome{State: passcode.Failed, Reason: "CANCELLED"}, passcode.Failed},
	{"rpc error without metadata code", opJSON(true, `{"code":13}`, ""), android.Outcome{State: passcode.Failed, Reason: "INTERNAL"}, passcode.Failed},
	{"unknown rpc code", opJSON(true, `{"code":99}`, ""), android.Outcome{State: passcode.Failed, Reason: "rpc-99"}, passcode.Failed},
	{"error code 0 is no error", opJSON(true, `{"code":0}`, ""), android.Outcome{State: passcode.Succeeded}, passcode.Succeeded},
	{"lost mode started", opJSON(true, "", `"type":"START_LOST_MODE","startLostModeStatus":{"status":"SUCCESS"}`), android.Outcome{State: passcode.Succeeded}, passcode.Succeeded},
	{"already in lost mode", opJSON(true, "", `"type":"START_LOST_MODE","startLostModeStatus":{"status":"ALREADY_IN_LOST_MODE"}`), android.Outcome{State: passcode.Failed, Reason: "ALREADY_IN_LOST_MODE"}, passcode.Failed},
	{"reset password recently", opJSON(true, "", `"type":"START_LOST_MODE","startLostModeStatus":{"status":"RESET_PASSWORD_RECENTLY"}`), android.Outcome{State: passcode.Failed, Reason: "RESET_PASSWORD_RECENTLY"}, passcode.Failed},
	{"user exit lost mode recently", opJSON(true, "", `"type":"START_LOST_MODE","startLostModeStatus":{"status":"USER_EXIT_LOST_MODE_RECENTLY"}`), android.Outcome{State: passcode.Failed, Reason: "USER_EXIT_LOST_MODE_RECENTLY"}, passcode.Failed},
	{"lost mode status wins over error code", opJSON(true, "", `"type":"START_LOST_MODE","errorCode":"UNKNOWN","startLostModeStatus":{"status":"ALREADY_IN_LOST_MODE"}`), android.Outcome{State: passcode.Failed, Reason: "ALREADY_IN_LOST_MODE"}, passcode.Failed},
	{"lost mode stopped", opJSON(true, "", `"type":"STOP_LOST_MODE","stopLostModeStatus":{"status":"SUCCESS"}`), android.Outcome{State: passcode.Succeeded}, passcode.Succeeded},
	{"not in lost mode", opJSON(true, "", `"type":"STOP_LOST_MODE","stopLostModeStatus":{"status":"NOT_IN_LOST_MODE"}`), android.Outcome{State: passcode.Failed, Reason: "NOT_IN_LOST_MODE"}, passcode.Failed},
	{"unspecified lost mode status", opJSON(true, "", `"type":"STOP_LOST_MODE","stopLostModeStatus":{"status":"STATUS_UNSPECIFIED"}`), android.Outcome{State: passcode.Succeeded}, passcode.Succeeded},
	{"lock pending", opJSON(false, "", `"type":"LOCK","duration":"3600s"`), android.Outcome{State: passcode.Pending}, passcode.Pending},
	{"fractional duration", opJSON(false, "", `"duration":"600.000000001s"`), android.Outcome{State: passcode.Pending}, passcode.Pending},
	{"no duration: ten minutes", `{"name":"` + opName + `","metadata":{"type":"LOCK","createTime":"2026-03-02T10:00:00Z"}}`, android.Outcome{State: passcode.Pending}, passcode.Expired},
	{"no metadata never expires", `{"name":"` + opName + `"}`, android.Outcome{State: passcode.Pending}, passcode.Pending},
	{"null metadata", `{"name":"` + opName + `","metadata":null}`, android.Outcome{State: passcode.Pending}, passcode.Pending},
}

func TestOperationOutcome(t *testing.T) {
	deadline := created.Add(android.DefaultDuration)
	for _, tc := range operationCases {
		t.Run(tc.name, func(t *testing.T) {
			op, err := android.ParseOperation([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if op.Name != opName {
				t.Fatalf("Name = %q", op.Name)
			}
			if got := op.Outcome(deadline.Add(-time.Nanosecond)); got != tc.want {
				t.Fatalf("Outcome before the deadline = %+v, want %+v", got, tc.want)
			}
			if got := op.Outcome(deadline); got.State != tc.atDeadline {
				t.Fatalf("Outcome at the deadline = %+v, want %s", got, tc.atDeadline)
			}
			if s := fmt.Sprintf("%v %+v %#v", op, op, op); strings.Contains(s, planted) {
				t.Fatalf("the parsed operation keeps the password: %s", s)
			}
		})
	}
}

func TestOperationFields(t *testing.T) {
	op, err := android.ParseOperation([]byte(opJSON(true, `{"code":3,"message":"bad"}`, `"type":"RESET_PASSWORD","duration":"1.5s","errorCode":"INVALID_VALUE","resetPasswordFlags":["DO_NOT_ASK_CREDENTIALS_ON_BOOT","FUTURE_FLAG"]`)))
	if err != nil {
		t.Fatal(err)
	}
	c := op.Command
	if !op.Done || op.Error == nil || op.Error.Code != 3 || op.Error.Message != "bad" ||
		c.Type != android.ResetPassword || !c.CreateTime.Equal(created) || c.Duration != 1500*time.Millisecond ||
		c.UserName != "enterprises/LC1/users/7" || c.ErrorCode != android.ErrorInvalidValue ||
		c.ResetFlags != android.DoNotAskCredentialsOnBoot || !c.Deadline().Equal(created.Add(1500*time.Millisecond)) {
		t.Fatalf("parsed %+v", op)
	}
}

var badOperations = []struct {
	name, json, field string
}{
	{"empty", ``, "operation"},
	{"array", `[]`, "operation"},
	{"null", `null`, "name"},
	{"no name", `{"done":true}`, "name"},
	{"done not bool", `{"name":"x","done":"yes"}`, "operation"},
	{"metadata not object", `{"name":"x","metadata":[1]}`, "metadata"},
	{"bad createTime", `{"name":"x","metadata":{"createTime":"yesterday"}}`, "metadata.createTime"},
	{"bad duration", `{"name":"x","metadata":{"duration":"10m"}}`, "metadata.duration"},
	{"negative duration", `{"name":"x","metadata":{"duration":"-5s"}}`, "metadata.duration"},
	{"huge duration", `{"name":"x","metadata":{"duration":"99999999999999s"}}`, "metadata.duration"},
	{"too many fractional digits", `{"name":"x","metadata":{"duration":"1.0000000001s"}}`, "metadata.duration"},
	{"error not object", `{"name":"x","error":"boom"}`, "operation"},
	{"too large", `{"name":"` + strings.Repeat("x", android.MaxOperationSize) + `"}`, "operation"},
}

func TestParseOperationErrors(t *testing.T) {
	for _, tc := range badOperations {
		t.Run(tc.name, func(t *testing.T) {
			_, err := android.ParseOperation([]byte(tc.json))
			var e *android.Error
			if !errors.As(err, &e) || !errors.Is(err, android.ErrInvalid) || e.Field != tc.field {
				t.Fatalf("err = %v, want field %s", err, tc.field)
			}
		})
	}
}

func FuzzParseOperation(f *testing.F) {
	for _, tc := range operationCases {
		f.Add([]byte(tc.json))
	}
	for _, tc := range badOperations {
		if len(tc.json) < 1000 {
			f.Add([]byte(tc.json))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		op, err := android.ParseOperation(data)
		if err != nil {
			var e *android.Error
			if !errors.As(err, &e) || !errors.Is(err, android.ErrInvalid) || e.Field == "" || e.Rule == "" {
				t.Fatalf("error %v is not an *android.Error", err)
			}
			return
		}
		if op.Name == "" {
			t.Fatal("parsed an operation with no name")
		}
		if op.Command.Duration < 0 || op.Command.CreateTime.Location() != time.UTC {
			t.Fatalf("parsed %+v", op.Command)
		}
		for _, now := range []time.Time{{}, created, created.Add(24 * time.Hour), op.Command.Deadline()} {
			switch o := op.Outcome(now); o.State {
			case passcode.Failed:
				if o.Reason == "" {
					t.Fatal("failed without a code")
				}
			case passcode.Pending, passcode.Succeeded, passcode.Expired:
				if o.Reason != "" {
					t.Fatalf("%s with code %q", o.State, o.Reason)
				}
			default:
				t.Fatalf("outcome %s", o.State)
			}
		}
	})
}
