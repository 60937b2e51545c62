package android_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/internal/secret"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// planted is the password every test puts in a command, to look for it
// where it must not be.
const planted = "Pl4nted-Xq9"

// goldenCommands are the request bodies of every command this package
// builds, each kept in testdata/<name>.json.
var goldenCommands = []struct {
	name  string
	build func() (android.Body, error)
}{
	{"lock", func() (android.Body, error) { return android.LockCommand(android.Options{}) }},
	{"lock-1h", func() (android.Body, error) { return android.LockCommand(android.Options{Duration: time.Hour}) }},
	{"reset-password", func() (android.Body, error) {
		return android.ResetPasswordCommand(secret.New(planted), 0, android.Options{})
	}},
	{"reset-password-flags", func() (android.Body, error) {
		return android.ResetPasswordCommand(secret.New(planted),
			android.RequireEntry|android.DoNotAskCredentialsOnBoot|android.LockNow, android.Options{Duration: 90*time.Second + 500*time.Millisecond})
	}},
	{"start-lost-mode", func() (android.Body, error) {
		return android.StartLostModeCommand(android.LostMode{
			Message:       android.Message{Default: "This phone is lost. Please call us.", Localized: map[string]string{"de": "Dieses Telefon ist verloren.", "pl-PL": "Ten telefon zaginął."}},
			PhoneNumber:   android.Message{Default: "+48 22 123 45 67"},
			EmailAddress:  "it@example.com",
			StreetAddress: android.Message{Default: "ul. Prosta 1, 00-001 Warszawa"},
			Organization:  android.Message{Default: "Example Sp. z o.o.", Localized: map[string]string{"en-US": "Example Ltd."}},
		}, android.Options{Duration: 24 * time.Hour})
	}},
	{"start-lost-mode-email", func() (android.Body, error) {
		return android.StartLostModeCommand(android.LostMode{EmailAddress: "it@example.com"}, android.Options{})
	}},
	{"stop-lost-mode", func() (android.Body, error) { return android.StopLostModeCommand(android.Options{}) }},
}

func TestGoldenCommands(t *testing.T) {
	for _, tc := range goldenCommands {
		t.Run(tc.name, func(t *testing.T) {
			body, err := tc.build()
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, body.Reveal(), "", "  "); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", tc.name+".json")
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Fatalf("%s: body\n%s\nwant\n%s", path, pretty.Bytes(), want)
			}
			// The compact body is what goes on the wire: the golden file
			// compacted, byte for byte.
			var compact bytes.Buffer
			if err := json.Compact(&compact, want); err != nil || !bytes.Equal(compact.Bytes(), body.Reveal()) {
				t.Fatalf("wire body %s is not the compacted golden file (%v)", body.Reveal(), err)
			}
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
				if s := fmt.Sprintf(verb, body); strings.Contains(s, planted) || strings.Contains(s, "newPassword") {
					t.Fatalf("%s prints the body: %s", verb, s)
				}
			}
			if j, _ := json.Marshal(body); bytes.Contains(j, []byte(planted)) {
				t.Fatalf("JSON of the body shows it: %s", j)
			}
		})
	}
}

func TestCommandErrors(t *testing.T) {
	pw := secret.New
	msg := func(s string) android.Message { return android.Message{Default: s} }
	tests := []struct {
		name  string
		build func() (android.Body, error)
		field string
		rule  string
	}{
		{"negative duration", func() (android.Body, error) { return android.LockCommand(android.Options{Duration: -time.Second}) }, "duration", "positive"},
		{"empty password", func() (android.Body, error) { return android.ResetPasswordCommand(pw(""), 0, android.Options{}) }, "newPassword", "required"},
		{"password of 3", func() (android.Body, error) { return android.ResetPasswordCommand(pw("123"), 0, android.Options{}) }, "newPassword", "at least 4"},
		{"password of 17", func() (android.Body, error) {
			return android.ResetPasswordCommand(pw(strings.Repeat("a", 17)), 0, android.Options{})
		}, "newPassword", "at most 16"},
		{"password with newline", func() (android.Body, error) {
			return android.ResetPasswordCommand(pw("abc\ndef"), 0, android.Options{})
		}, "newPassword", "printable ASCII"},
		{"password with umlaut", func() (android.Body, error) {
			return android.ResetPasswordCommand(pw("abcädef"), 0, android.Options{})
		}, "newPassword", "printable ASCII"},
		{"unknown flag", func() (android.Body, error) {
			return android.ResetPasswordCommand(pw("abcdef"), 1<<5, android.Options{})
		}, "resetPasswordFlags", "unknown flag"},
		{"empty lost mode", func() (android.Body, error) {
			return android.StartLostModeCommand(android.LostMode{}, android.Options{})
		}, "startLostModeParams", "at least one"},
		{"localized without default", func() (android.Body, error) {
			return android.StartLostModeCommand(android.LostMode{Message: android.Message{Localized: map[string]string{"de": "verloren"}}}, android.Options{})
		}, "startLostModeParams.lostMessage.defaultMessage", "required"},
		{"bad locale", func() (android.Body, error) {
			return android.StartLostModeCommand(android.LostMode{Organization: android.Message{Default: "x", Localized: map[string]string{"de_DE": "y"}}}, android.Options{})
		}, "startLostModeParams.lostOrganization.localizedMessages", "BCP 47"},
		{"empty translation", func() (android.Body, error) {
			return android.StartLostModeCommand(android.LostMode{Message: android.Message{Default: "x", Localized: map[string]string{"fr": ""}}}, android.Options{})
		}, "startLostModeParams.lostMessage.localizedMessages", "empty message"},
		{"message too long", func() (android.Body, error) {
			return android.StartLostModeCommand(android.LostMode{Message: msg(strings.Repeat("x", android.MaxMessageLen+1))}, android.Options{})
		}, "startLostModeParams.lostMessage.defaultMessage", "longer than"},
		{"invalid UTF-8", func() (android.Body, error) {
			return android.StartLostModeCommand(android.LostMode{PhoneNumber: msg("\xff")}, android.Options{})
		}, "startLostModeParams.lostPhoneNumber.defaultMessage", "UTF-8"},
		{"email too long", func() (android.Body, error) {
			return android.StartLostModeCommand(android.LostMode{EmailAddress: strings.Repeat("x", android.MaxMessageLen+1)}, android.Options{})
		}, "startLostModeParams.lostEmailAddress", "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := tc.build()
			var e *android.Error
			if !errors.As(err, &e) || !errors.Is(err, android.ErrInvalid) || e.Field != tc.field || !strings.Contains(e.Rule, tc.rule) {
				t.Fatalf("err = %v, want field %s rule %q", err, tc.field, tc.rule)
			}
			if !body.IsZero() {
				t.Fatal("a body came with the error")
			}
		})
	}
}

func TestLocaleTags(t *testing.T) {
	for tag, ok := range map[string]bool{
		"en": true, "en-US": true, "es-419": true, "zh-Hant-TW": true, "fil": true, "x-private": true,
		"i-klingon": true, "sr-Latn-RS": true,
		"": false, "e": false, "en_US": false, "1en": false, "en-": false, "-en": false, "en--US": false,
		"en-toolongsubtag": false, "abcd": false, "ąę": false,
	} {
		_, err := android.StartLostModeCommand(android.LostMode{Message: android.Message{Default: "x", Localized: map[string]string{tag: "y"}}}, android.Options{})
		if (err == nil) != ok {
			t.Errorf("tag %q: err = %v, want ok=%v", tag, err, ok)
		}
	}
}

// wire is the request JSON read back with the field names AMAPI documents.
type wire struct {
	Type               string   `json:"type"`
	Duration           string   `json:"duration"`
	NewPassword        string   `json:"newPassword"`
	ResetPasswordFlags []string `json:"resetPasswordFlags"`
}

func TestResetPasswordProperties(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(25)
	params.MinSuccessfulTests = 300
	props := gopter.NewProperties(params)
	genPassword := gen.SliceOfN(16, gen.IntRange(0x20, 0x7e)).FlatMap(func(v any) gopter.Gen {
		cs := v.([]int)
		return gen.IntRange(android.MinPasswordLength, android.MaxPasswordLength).Map(func(n int) string {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(cs[i])
			}
			return string(b)
		})
	}, reflect.TypeOf(""))
	props.Property("every valid password and flag set is sent as given and never printed", prop.ForAll(
		func(pw string, flags uint8, secs int64) bool {
			f := android.ResetFlags(flags) & (android.RequireEntry | android.DoNotAskCredentialsOnBoot | android.LockNow)
			d := time.Duration(secs) * time.Millisecond
			body, err := android.ResetPasswordCommand(secret.New(pw), f, android.Options{Duration: d})
			if err != nil {
				return false
			}
			var w wire
			if json.Unmarshal(body.Reveal(), &w) != nil || w.Type != "RESET_PASSWORD" || w.NewPassword != pw {
				return false
			}
			wantDur := d
			if d == 0 {
				wantDur = android.DefaultDuration
			}
			got, err := android.ParseOperation([]byte(`{"name":"op","metadata":{"duration":"` + w.Duration + `","resetPasswordFlags":` + mustJSON(w.ResetPasswordFlags) + `}}`))
			return err == nil && got.Command.Duration == wantDur && got.Command.ResetFlags == f &&
				!strings.Contains(fmt.Sprintf("%v %+v %#v", body, body, body), pw)
		},
		genPassword, gen.UInt8(), gen.Int64Range(0, int64(30*24*time.Hour/time.Millisecond)),
	))
	props.TestingRun(t)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// FuzzCommands feeds any input to the command builders: they never panic,
// refuse with an *android.Error, or build a body that is valid JSON of the
// command asked for, carrying the password and duration as given.
func FuzzCommands(f *testing.F) {
	f.Add(planted, uint8(7), int64(600e9), "Lost phone", "de", "Verloren", "it@example.com")
	f.Add("", uint8(0), int64(0), "", "", "", "")
	f.Add("1234", uint8(1<<5), int64(-1), "x", "de_DE", "", "a")
	f.Add("ab#$\n", uint8(0), int64(0), "", "", "", "")
	f.Add(strings.Repeat("a", 17), uint8(2), int64(1), "\xff", "x-private", "y", strings.Repeat("e", 5000))
	f.Fuzz(func(t *testing.T, pw string, flags uint8, dur int64, msg, tag, localized, email string) {
		o := android.Options{Duration: time.Duration(dur)}
		check := func(body android.Body, err error, typ string) map[string]any {
			if err != nil {
				var e *android.Error
				if !errors.As(err, &e) || !errors.Is(err, android.ErrInvalid) || e.Field == "" || !body.IsZero() {
					t.Fatalf("err %v with body %d bytes", err, body.Len())
				}
				// No error text of the package holds #, $, ~ or ^: a
				// password with one of them in an error is a leak, not
				// a coincidence.
				if strings.ContainsAny(pw, "#$~^") && strings.Contains(err.Error(), pw) {
					t.Fatalf("error %q repeats the password", err)
				}
				return nil
			}
			var m map[string]any
			if json.Unmarshal(body.Reveal(), &m) != nil || m["type"] != typ {
				t.Fatalf("%s body %s", typ, body.Reveal())
			}
			got, perr := android.ParseOperation([]byte(`{"name":"n","metadata":` + string(body.Reveal()) + `}`))
			want := o.Duration
			if want == 0 {
				want = android.DefaultDuration
			}
			if perr != nil || got.Command.Duration != want || string(got.Command.Type) != typ {
				t.Fatalf("body %s reads back as %+v, %v", body.Reveal(), got, perr)
			}
			return m
		}
		b, err := android.ResetPasswordCommand(secret.New(pw), android.ResetFlags(flags), o)
		if m := check(b, err, "RESET_PASSWORD"); m != nil && m["newPassword"] != pw {
			t.Fatalf("password sent as %v", m["newPassword"])
		}
		lm := android.LostMode{Message: android.Message{Default: msg, Localized: map[string]string{tag: localized}}, EmailAddress: email}
		b, err = android.StartLostModeCommand(lm, o)
		check(b, err, "START_LOST_MODE")
		b, err = android.LockCommand(o)
		check(b, err, "LOCK")
		b, err = android.StopLostModeCommand(o)
		check(b, err, "STOP_LOST_MODE")
	})
}
