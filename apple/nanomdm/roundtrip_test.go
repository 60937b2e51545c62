package nanomdm_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"howett.net/plist"

	"github.com/mdmcred/mdmcred/apple"
)

// The plist apple writes, read by howett.net/plist (a library neither
// mdmcred nor nanomdm wrote): every command, filled, and the ShadowHashData.

type wire struct {
	CommandUUID string
	Command     map[string]any
}

func decodeCommand(t *testing.T, b []byte) wire {
	t.Helper()
	var w wire
	format, err := plist.Unmarshal(b, &w)
	if err != nil || format != plist.XMLFormat {
		t.Fatalf("howett.net/plist: format %d, %v\n%s", format, err, b)
	}
	return w
}

func TestRoundTripHowett(t *testing.T) {
	hash, err := apple.ShadowHashWithSalt(apple.NewSecret("correct horse"), bytes.Repeat([]byte{7}, apple.SaltSize), apple.MinIterations)
	if err != nil {
		t.Fatal(err)
	}
	token := []byte{0, 0xff, '<', '&', 0x80}
	const uuid = "3F2504E0-4F89-41D3-9A0C-0305E82C3301"
	tests := []struct {
		name  string
		build func() (apple.Command, error)
		sec   apple.Secrets
		want  map[string]any
	}{
		{"ClearPasscode", func() (apple.Command, error) { return apple.NewClearPasscode(uuid) },
			apple.Secrets{UnlockToken: apple.NewUnlockToken(token)},
			map[string]any{"RequestType": "ClearPasscode", "UnlockToken": token}},
		{"DeviceLock", func() (apple.Command, error) {
			return apple.NewDeviceLock(uuid, apple.Lock{Message: "<b>&amp;</b> ]]> \"'\t\n", PhoneNumber: "+1 (555) 0100", PIN: true})
		}, apple.Secrets{PIN: apple.NewSecret("000042")},
			map[string]any{"RequestType": "DeviceLock", "Message": "<b>&amp;</b> ]]> \"'\t\n", "PhoneNumber": "+1 (555) 0100", "PIN": "000042"}},
		{"EnableLostMode", func() (apple.Command, error) {
			return apple.NewEnableLostMode(uuid, apple.LostMode{Message: "Verloren – bitte anrufen 📞", Footnote: "ACME"})
		}, apple.Secrets{}, map[string]any{"RequestType": "EnableLostMode", "Message": "Verloren – bitte anrufen 📞", "Footnote": "ACME"}},
		{"DisableLostMode", func() (apple.Command, error) { return apple.NewDisableLostMode(uuid) },
			apple.Secrets{}, map[string]any{"RequestType": "DisableLostMode"}},
		{"SetRecoveryLock", func() (apple.Command, error) {
			return apple.NewSetRecoveryLock(uuid, apple.RecoveryLock{HasCurrent: true})
		}, apple.Secrets{CurrentPassword: apple.NewSecret("old&<pw>"), NewPassword: apple.NewSecret("new pw ü")},
			map[string]any{"RequestType": "SetRecoveryLock", "CurrentPassword": "old&<pw>", "NewPassword": "new pw ü"}},
		{"SetRecoveryLock clear", func() (apple.Command, error) {
			return apple.NewSetRecoveryLock(uuid, apple.RecoveryLock{HasCurrent: true, Clear: true})
		}, apple.Secrets{CurrentPassword: apple.NewSecret("old")},
			map[string]any{"RequestType": "SetRecoveryLock", "CurrentPassword": "old", "NewPassword": ""}},
		{"SetAutoAdminPassword", func() (apple.Command, error) { return apple.NewSetAutoAdminPassword(uuid, "GUID-1", hash) },
			apple.Secrets{}, map[string]any{"RequestType": "SetAutoAdminPassword", "GUID": "GUID-1", "passwordHash": hash.Plist()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.build()
			if err != nil {
				t.Fatal(err)
			}
			// The queued template is a valid plist too.
			decodeCommand(t, c.Template)
			out, err := apple.Fill(c.Template, tt.sec)
			if err != nil {
				t.Fatal(err)
			}
			w := decodeCommand(t, out)
			if w.CommandUUID != uuid || !reflect.DeepEqual(w.Command, tt.want) {
				t.Errorf("got %#v\nwant %#v", w.Command, tt.want)
			}
		})
	}

	// ShadowHashData as Apple describes it.
	var shadow map[string]map[string]any
	if _, err := plist.Unmarshal(hash.Plist(), &shadow); err != nil {
		t.Fatal(err)
	}
	d := shadow["SALTED-SHA512-PBKDF2"]
	if len(shadow) != 1 || !bytes.Equal(d["entropy"].([]byte), hash.Entropy) || !bytes.Equal(d["salt"].([]byte), hash.Salt) || d["iterations"] != uint64(apple.MinIterations) {
		t.Errorf("ShadowHashData %#v", shadow)
	}
}

// For all text a builder accepts, howett.net/plist reads back exactly that
// text; and for all results howett.net/plist writes, ParseResult reads the
// same fields back.
func TestRoundTripProperties(t *testing.T) {
	props := gopter.NewProperties(nil)
	// Any string, less the characters XML 1.0 cannot carry (which apple
	// refuses, as its own tests check), so that no case passes vacuously.
	text := gen.AnyString().Map(func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF {
				return r
			}
			return -1
		}, s)
	}).SuchThat(func(s string) bool { return utf8.ValidString(s) && s != "" })
	props.Property("builder text survives howett.net/plist", prop.ForAll(
		func(msg, foot string) bool {
			c, err := apple.NewEnableLostMode("U", apple.LostMode{Message: msg, Footnote: foot})
			if err != nil {
				return false
			}
			var w wire
			if _, err := plist.Unmarshal(c.Template, &w); err != nil {
				return false
			}
			return w.Command["Message"] == msg && w.Command["Footnote"] == foot
		}, text, text))
	props.Property("results howett.net/plist writes parse back", prop.ForAll(
		func(status int, uuid, domain, desc string, code int64) bool {
			st := []string{"Acknowledged", "NotNow", "Error", "CommandFormatError"}[status]
			body, err := plist.Marshal(map[string]any{
				"Status": st, "CommandUUID": uuid, "UDID": "U",
				"ErrorChain": []any{map[string]any{"ErrorCode": code, "ErrorDomain": domain, "LocalizedDescription": desc}},
			}, plist.XMLFormat)
			if err != nil {
				return false
			}
			r, err := apple.ParseResult(body)
			if err != nil {
				return false
			}
			return string(r.Status) == st && r.CommandUUID == uuid && len(r.ErrorChain) == 1 &&
				r.ErrorChain[0].ErrorCode == code && r.ErrorChain[0].ErrorDomain == domain && r.ErrorChain[0].LocalizedDescription == desc
		},
		gen.IntRange(0, 3), gen.Identifier(), gen.AlphaString(), gen.AlphaString(), gen.Int64()))
	props.TestingRun(t)
}
