package apple

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const resultHead = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>`

func plistDoc(body string) string { return resultHead + body + "</dict></plist>" }

var resultTests = []struct {
	name string
	in   string
	want Result
	kind OutcomeKind
	lost LostModeState
	err  string // the *Error's Field when the input is refused
}{
	{"acknowledged", plistDoc(`<key>Status</key><string>Acknowledged</string><key>CommandUUID</key><string>C1</string><key>UDID</key><string>U1</string>`),
		Result{Status: StatusAcknowledged, CommandUUID: "C1", UDID: "U1"}, Succeeded, LostModeNoError, ""},
	{"not now", plistDoc(`<key>CommandUUID</key><string>C1</string><key>Status</key><string>NotNow</string>`),
		Result{Status: StatusNotNow, CommandUUID: "C1"}, StillPending, LostModeNoError, ""},
	{"idle", plistDoc(`<key>Status</key><string>Idle</string><key>UDID</key><string>U1</string>`),
		Result{Status: StatusIdle, UDID: "U1"}, NoResult, LostModeNoError, ""},
	{"lock message result", plistDoc(`<key>Status</key><string>Acknowledged</string><key>CommandUUID</key><string>C2</string><key>MessageResult</key><string>NoPasscodeSet</string><key>RequestType</key><string>DeviceLock</string>`),
		Result{Status: StatusAcknowledged, CommandUUID: "C2", MessageResult: MessageNoPasscodeSet}, Succeeded, LostModeNoError, ""},
	{"error with chain", plistDoc(`<key>Status</key><string>Error</string><key>CommandUUID</key><string>C3</string>
<key>ErrorChain</key><array>
<dict><key>ErrorCode</key><integer>12021</integer><key>ErrorDomain</key><string>MCMDMErrorDomain</string><key>LocalizedDescription</key><string>Le code est incorrect</string><key>USEnglishDescription</key><string>Invalid unlock token &amp; more</string></dict>
<dict><key>ErrorCode</key><integer>-1</integer><key>ErrorDomain</key><string>Inner</string><key>LocalizedDescription</key><string>x</string></dict>
</array>`),
		Result{Status: StatusError, CommandUUID: "C3", ErrorChain: []ErrorChainItem{
			{12021, "MCMDMErrorDomain", "Le code est incorrect", "Invalid unlock token & more"},
			{-1, "Inner", "x", ""}}}, Failed, LostModeNoError, ""},
	{"not in lost mode", plistDoc(`<key>Status</key><string>Error</string><key>CommandUUID</key><string>C4</string><key>ErrorChain</key><array><dict><key>ErrorCode</key><integer>12067</integer><key>ErrorDomain</key><string>MCMDMErrorDomain</string><key>LocalizedDescription</key><string>Not in Lost Mode</string></dict></array>`),
		Result{Status: StatusError, CommandUUID: "C4", ErrorChain: []ErrorChainItem{{12067, "MCMDMErrorDomain", "Not in Lost Mode", ""}}}, Failed, NotInLostMode, ""},
	{"lost mode refused 12069", plistDoc(`<key>Status</key><string>Error</string><key>CommandUUID</key><string>C5</string><key>ErrorChain</key><array><dict><key>ErrorCode</key><integer>12069</integer></dict></array>`),
		Result{Status: StatusError, CommandUUID: "C5", ErrorChain: []ErrorChainItem{{ErrorCode: 12069}}}, Failed, LostModeRefused, ""},
	{"lost mode refused 12078", plistDoc(`<key>Status</key><string>Error</string><key>CommandUUID</key><string>C5</string><key>ErrorChain</key><array><dict><key>ErrorCode</key><integer>12078</integer></dict></array>`),
		Result{Status: StatusError, CommandUUID: "C5", ErrorChain: []ErrorChainItem{{ErrorCode: 12078}}}, Failed, LostModeRefused, ""},
	{"format error", plistDoc(`<key>Status</key><string>CommandFormatError</string><key>CommandUUID</key><string>C6</string>`),
		Result{Status: StatusCommandFormatError, CommandUUID: "C6"}, Failed, LostModeNoError, ""},
	{"comments and other keys", `<?xml version="1.0"?><!-- c --><plist version="1.0"><dict><!-- x --><key>Status</key><string>Acknowledged</string><key>CommandUUID</key><string>C7</string><key>Extra</key><array><true/><real>1.5</real><date>2026-01-01T00:00:00Z</date><data>AAE=</data></array></dict></plist>
`, Result{Status: StatusAcknowledged, CommandUUID: "C7"}, Succeeded, LostModeNoError, ""},

	{"unknown status", plistDoc(`<key>Status</key><string>Done</string><key>CommandUUID</key><string>C</string>`), Result{}, 0, 0, "Status"},
	{"no status", plistDoc(`<key>CommandUUID</key><string>C</string>`), Result{}, 0, 0, "Status"},
	{"status not a string", plistDoc(`<key>Status</key><integer>1</integer>`), Result{}, 0, 0, "Status"},
	{"no uuid", plistDoc(`<key>Status</key><string>Acknowledged</string>`), Result{}, 0, 0, "CommandUUID"},
	{"control in uuid", plistDoc(`<key>Status</key><string>Acknowledged</string><key>CommandUUID</key><string>a&#x9;b</string>`), Result{}, 0, 0, "CommandUUID"},
	{"message result Apple may add later", plistDoc(`<key>Status</key><string>Acknowledged</string><key>CommandUUID</key><string>C</string><key>MessageResult</key><string>Maybe</string>`),
		Result{Status: StatusAcknowledged, CommandUUID: "C", MessageResult: "Maybe"}, Succeeded, LostModeNoError, ""},
	{"message result not a string", plistDoc(`<key>Status</key><string>Acknowledged</string><key>CommandUUID</key><string>C</string><key>MessageResult</key><integer>1</integer>`), Result{}, 0, 0, "MessageResult"},
	{"chain not array", plistDoc(`<key>Status</key><string>Error</string><key>CommandUUID</key><string>C</string><key>ErrorChain</key><dict/>`), Result{}, 0, 0, "ErrorChain"},
	{"chain item not dict", plistDoc(`<key>Status</key><string>Error</string><key>CommandUUID</key><string>C</string><key>ErrorChain</key><array><string/></array>`), Result{}, 0, 0, "ErrorChain[0]"},
	{"chain without code", plistDoc(`<key>Status</key><string>Error</string><key>CommandUUID</key><string>C</string><key>ErrorChain</key><array><dict/></array>`), Result{}, 0, 0, "ErrorChain[0].ErrorCode"},
	{"code not integer", plistDoc(`<key>Status</key><string>Error</string><key>CommandUUID</key><string>C</string><key>ErrorChain</key><array><dict><key>ErrorCode</key><string>1</string></dict></array>`), Result{}, 0, 0, "ErrorChain[0].ErrorCode"},
	{"domain not string", plistDoc(`<key>Status</key><string>Error</string><key>CommandUUID</key><string>C</string><key>ErrorChain</key><array><dict><key>ErrorCode</key><integer>1</integer><key>ErrorDomain</key><true/></dict></array>`), Result{}, 0, 0, "ErrorChain[0].ErrorDomain"},
	{"huge integer", plistDoc(`<key>Status</key><string>Error</string><key>CommandUUID</key><string>C</string><key>ErrorChain</key><array><dict><key>ErrorCode</key><integer>99999999999999999999</integer></dict></array>`), Result{}, 0, 0, "plist"},
	{"duplicate key", plistDoc(`<key>Status</key><string>Idle</string><key>Status</key><string>Acknowledged</string>`), Result{}, 0, 0, "plist"},
	{"top-level array", resultHead[:strings.Index(resultHead, "<dict>")] + `<array/></plist>`, Result{}, 0, 0, "plist"},
	{"not a plist", `<dict><key>Status</key><string>Idle</string></dict>`, Result{}, 0, 0, "plist"},
	{"truncated", plistDoc(`<key>Status</key><string>Idle`)[:60], Result{}, 0, 0, "plist"},
	{"empty", ``, Result{}, 0, 0, "plist"},
	{"two values", resultHead + `</dict><dict></dict></plist>`, Result{}, 0, 0, "plist"},
	{"key without value", plistDoc(`<key>Status</key>`), Result{}, 0, 0, "plist"},
	{"bad base64", plistDoc(`<key>Status</key><string>Idle</string><key>D</key><data>!!</data>`), Result{}, 0, 0, "plist"},
	{"unknown element", plistDoc(`<key>Status</key><string>Idle</string><key>D</key><foo/>`), Result{}, 0, 0, "plist"},
	{"markup in string", plistDoc(`<key>Status</key><string>Idle<b/></string>`), Result{}, 0, 0, "plist"},
	{"text in dict", plistDoc(`hello<key>Status</key><string>Idle</string>`), Result{}, 0, 0, "plist"},
	{"too deep", plistDoc(`<key>Status</key><string>Idle</string><key>D</key>` + strings.Repeat("<array>", 40) + strings.Repeat("</array>", 40)), Result{}, 0, 0, "plist"},
	{"entity", `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY x "Acknowledged">]><plist version="1.0"><dict><key>Status</key><string>&x;</string><key>CommandUUID</key><string>C</string></dict></plist>`, Result{}, 0, 0, "plist"},
	{"trailing element", plistDoc(`<key>Status</key><string>Idle</string>`) + `<x/>`, Result{}, 0, 0, "plist"},
}

func TestParseResult(t *testing.T) {
	for _, tt := range resultTests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseResult([]byte(tt.in))
			if tt.err != "" {
				var e *Error
				if !errors.As(err, &e) || e.Field != tt.err {
					t.Fatalf("err = %v, want an *Error on %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r, tt.want) {
				t.Fatalf("got %+v\nwant %+v", r, tt.want)
			}
			o := r.Outcome()
			if o.Kind != tt.kind || o.LostMode != tt.lost || o.CommandUUID != r.CommandUUID || o.Status != r.Status || o.MessageResult != r.MessageResult {
				t.Errorf("outcome %+v, want kind %s lost mode %d", o, tt.kind, tt.lost)
			}
			if (o.Kind == Failed) != (len(o.ErrorChain) == len(r.ErrorChain) && o.Kind == Failed) {
				t.Errorf("chain not kept: %+v", o.ErrorChain)
			}
		})
	}
	if _, err := ParseResult(make([]byte, MaxPlistSize+1)); err == nil {
		t.Error("oversized input accepted")
	}
}

func TestOutcomeKindString(t *testing.T) {
	for k, want := range map[OutcomeKind]string{Succeeded: "succeeded", StillPending: "still-pending", Failed: "failed", NoResult: "no-result", 0: "outcome(0)", 9: "outcome(9)"} {
		if k.String() != want {
			t.Errorf("%d: %q", uint8(k), k.String())
		}
	}
}

// FuzzParseResult: no input panics; every input gives a Result with a known
// Status or an *Error; an accepted result's outcome is consistent with it.
func FuzzParseResult(f *testing.F) {
	for _, tt := range resultTests {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResult(b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		o := r.Outcome()
		switch r.Status {
		case StatusAcknowledged:
			if o.Kind != Succeeded {
				t.Fatal(o.Kind)
			}
		case StatusNotNow:
			if o.Kind != StillPending {
				t.Fatal(o.Kind)
			}
		case StatusError, StatusCommandFormatError:
			if o.Kind != Failed || len(o.ErrorChain) != len(r.ErrorChain) {
				t.Fatal(o.Kind)
			}
		case StatusIdle:
			if o.Kind != NoResult {
				t.Fatal(o.Kind)
			}
		default:
			t.Fatalf("status %q accepted", r.Status)
		}
		if r.Status != StatusIdle && r.CommandUUID == "" {
			t.Fatal("no CommandUUID")
		}
	})
}
