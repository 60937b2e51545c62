package apple

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const testUUID = "0B9A5F0E-1C2D-4E3F-8A9B-0C1D2E3F4A5B"

// wantDeviceLock is the exact template NewDeviceLock writes for a Mac lock
// with a message, a phone number and a PIN.
const wantDeviceLock = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
<key>Command</key>
<dict>
<key>RequestType</key>
<string>DeviceLock</string>
<key>Message</key>
<string>Call IT &amp; return &lt;this&gt; Mac</string>
<key>PhoneNumber</key>
<string>+1 555 0100</string>
<key>PIN</key>
<string>mdmcred-fill:PIN</string>
</dict>
<key>CommandUUID</key>
<string>0B9A5F0E-1C2D-4E3F-8A9B-0C1D2E3F4A5B</string>
</dict>
</plist>
`

func TestDeviceLockTemplateExact(t *testing.T) {
	c, err := NewDeviceLock(testUUID, Lock{Message: "Call IT & return <this> Mac", PhoneNumber: "+1 555 0100", PIN: true})
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Template) != wantDeviceLock {
		t.Errorf("template:\n%s\nwant:\n%s", c.Template, wantDeviceLock)
	}
	if c.Fills != FillPIN || c.RequestType != DeviceLock || c.UUID != testUUID {
		t.Errorf("command = %+v", c)
	}
	filled, err := Fill(c.Template, Secrets{PIN: NewSecret("042917")})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(wantDeviceLock, "mdmcred-fill:PIN", "042917", 1)
	if string(filled) != want {
		t.Errorf("filled:\n%s", filled)
	}
	if bytes.Contains(c.Template, []byte("042917")) {
		t.Error("Fill changed the template in place")
	}
}

// commandBody decodes a command plist with the package's decoder and
// returns its Command dictionary and CommandUUID.
func commandBody(t *testing.T, b []byte) (map[string]any, string) {
	t.Helper()
	v, err := decodePlist(b)
	if err != nil {
		t.Fatalf("decoding own output: %v\n%s", err, b)
	}
	m := v.(map[string]any)
	return m["Command"].(map[string]any), m["CommandUUID"].(string)
}

func TestBuilders(t *testing.T) {
	hash, err := ShadowHashWithSalt(NewSecret("pw"), make([]byte, SaltSize), MinIterations)
	if err != nil {
		t.Fatal(err)
	}
	token := []byte{0, 1, 2, 0xff, '<', '&'}
	tests := []struct {
		name    string
		build   func() (Command, error)
		secrets Secrets
		fills   Fields
		want    map[string]any // the Command dictionary after Fill
	}{
		{"clear passcode", func() (Command, error) { return NewClearPasscode(testUUID) },
			Secrets{UnlockToken: NewUnlockToken(token)}, FillUnlockToken,
			map[string]any{"RequestType": "ClearPasscode", "UnlockToken": token}},
		{"lock iOS, no PIN", func() (Command, error) { return NewDeviceLock(testUUID, Lock{Message: "hi"}) },
			Secrets{}, 0, map[string]any{"RequestType": "DeviceLock", "Message": "hi"}},
		{"lock macOS", func() (Command, error) { return NewDeviceLock(testUUID, Lock{PIN: true}) },
			Secrets{PIN: NewSecret("123456")}, FillPIN, map[string]any{"RequestType": "DeviceLock", "PIN": "123456"}},
		{"lost mode", func() (Command, error) {
			return NewEnableLostMode(testUUID, LostMode{Message: `]]></string><key>PIN</key><string>1`, PhoneNumber: "+1\n555", Footnote: `"'&`})
		}, Secrets{}, 0, map[string]any{"RequestType": "EnableLostMode", "Message": `]]></string><key>PIN</key><string>1`, "PhoneNumber": "+1\n555", "Footnote": `"'&`}},
		{"lost mode phone only", func() (Command, error) { return NewEnableLostMode(testUUID, LostMode{PhoneNumber: "1"}) },
			Secrets{}, 0, map[string]any{"RequestType": "EnableLostMode", "PhoneNumber": "1"}},
		{"disable lost mode", func() (Command, error) { return NewDisableLostMode(testUUID) },
			Secrets{}, 0, map[string]any{"RequestType": "DisableLostMode"}},
		{"recovery lock set", func() (Command, error) { return NewSetRecoveryLock(testUUID, RecoveryLock{}) },
			Secrets{NewPassword: NewSecret("new <&> pw")}, FillNewPassword,
			map[string]any{"RequestType": "SetRecoveryLock", "NewPassword": "new <&> pw"}},
		{"recovery lock rotate", func() (Command, error) { return NewSetRecoveryLock(testUUID, RecoveryLock{HasCurrent: true}) },
			Secrets{CurrentPassword: NewSecret("old"), NewPassword: NewSecret("new")}, FillCurrentPassword | FillNewPassword,
			map[string]any{"RequestType": "SetRecoveryLock", "CurrentPassword": "old", "NewPassword": "new"}},
		{"recovery lock clear", func() (Command, error) {
			return NewSetRecoveryLock(testUUID, RecoveryLock{HasCurrent: true, Clear: true})
		}, Secrets{CurrentPassword: NewSecret("old")}, FillCurrentPassword,
			map[string]any{"RequestType": "SetRecoveryLock", "CurrentPassword": "old", "NewPassword": ""}},
		{"auto admin password", func() (Command, error) { return NewSetAutoAdminPassword(testUUID, "A-GUID", hash) },
			Secrets{}, 0, map[string]any{"RequestType": "SetAutoAdminPassword", "GUID": "A-GUID", "passwordHash": hash.Plist()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.build()
			if err != nil {
				t.Fatal(err)
			}
			if c.Fills != tt.fills || Placeholders(c.Template) != tt.fills {
				t.Errorf("Fills %s, Placeholders %s, want %s", c.Fills, Placeholders(c.Template), tt.fills)
			}
			out, err := Fill(c.Template, tt.secrets)
			if err != nil {
				t.Fatal(err)
			}
			if Placeholders(out) != 0 {
				t.Errorf("placeholders left after Fill: %s", Placeholders(out))
			}
			body, uuid := commandBody(t, out)
			if uuid != testUUID {
				t.Errorf("CommandUUID %q", uuid)
			}
			if len(body) != len(tt.want) {
				t.Errorf("keys %v, want %v", body, tt.want)
			}
			for k, w := range tt.want {
				if !equalValue(body[k], w) {
					t.Errorf("%s = %#v, want %#v", k, body[k], w)
				}
			}
		})
	}
}

func equalValue(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && bytes.Equal(ab, bb)
	}
	return a == b
}

func TestBuilderRefusals(t *testing.T) {
	okHash, _ := ShadowHashWithSalt(NewSecret("pw"), make([]byte, SaltSize), MinIterations)
	tests := []struct {
		name  string
		build func() (Command, error)
		field string
	}{
		{"empty uuid", func() (Command, error) { return NewClearPasscode("") }, "CommandUUID"},
		{"control in uuid", func() (Command, error) { return NewDisableLostMode("a\x00b") }, "CommandUUID"},
		{"lost mode without message or phone", func() (Command, error) { return NewEnableLostMode(testUUID, LostMode{Footnote: "x"}) }, "Message"},
		{"NUL in message", func() (Command, error) { return NewDeviceLock(testUUID, Lock{Message: "a\x00"}) }, "Message"},
		{"invalid UTF-8", func() (Command, error) { return NewEnableLostMode(testUUID, LostMode{Message: "\xff"}) }, "Message"},
		{"FFFE in footnote", func() (Command, error) {
			return NewEnableLostMode(testUUID, LostMode{Message: "m", Footnote: "\uFFFE"})
		}, "Footnote"},
		{"long phone", func() (Command, error) {
			return NewDeviceLock(testUUID, Lock{PhoneNumber: strings.Repeat("1", maxText+1)})
		}, "PhoneNumber"},
		{"clear with no current", func() (Command, error) { return NewSetRecoveryLock(testUUID, RecoveryLock{Clear: true}) }, "NewPassword"},
		{"no GUID", func() (Command, error) { return NewSetAutoAdminPassword(testUUID, "", okHash) }, "GUID"},
		{"short entropy", func() (Command, error) {
			h := okHash
			h.Entropy = h.Entropy[:64]
			return NewSetAutoAdminPassword(testUUID, "g", h)
		}, "passwordHash"},
		{"few iterations", func() (Command, error) {
			h := okHash
			h.Iterations = 1000
			return NewSetAutoAdminPassword(testUUID, "g", h)
		}, "passwordHash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.build()
			var e *Error
			if !errors.As(err, &e) || e.Field != tt.field {
				t.Fatalf("err = %v, want an *Error on %s", err, tt.field)
			}
		})
	}
}

func TestFillRefusals(t *testing.T) {
	lock, _ := NewDeviceLock(testUUID, Lock{PIN: true})
	rot, _ := NewSetRecoveryLock(testUUID, RecoveryLock{HasCurrent: true})
	plain, _ := NewDisableLostMode(testUUID)
	const secretMark = "S3cr3t-marker"
	tests := []struct {
		name     string
		template []byte
		s        Secrets
		field    string
	}{
		{"missing PIN", lock.Template, Secrets{}, "PIN"},
		{"PIN too short", lock.Template, Secrets{PIN: NewSecret("12345")}, "PIN"},
		{"PIN not digits", lock.Template, Secrets{PIN: NewSecret("12345a")}, "PIN"},
		{"PIN full-width digits", lock.Template, Secrets{PIN: NewSecret("１２３４５６")}, "PIN"},
		{"secret for another command", plain.Template, Secrets{PIN: NewSecret("123456")}, "PIN"},
		{"token for a lock", lock.Template, Secrets{PIN: NewSecret("123456"), UnlockToken: NewUnlockToken([]byte{1})}, "UnlockToken"},
		{"missing current", rot.Template, Secrets{NewPassword: NewSecret("n")}, "CurrentPassword"},
		{"control char in password", rot.Template, Secrets{CurrentPassword: NewSecret("a\n" + secretMark), NewPassword: NewSecret("n")}, "CurrentPassword"},
		{"long password", rot.Template, Secrets{CurrentPassword: NewSecret("c"), NewPassword: NewSecret(strings.Repeat("x", 65) + secretMark)}, "NewPassword"},
		{"placeholder twice", append(append([]byte{}, lock.Template...), lock.Template...), Secrets{PIN: NewSecret("123456")}, "PIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Fill(tt.template, tt.s)
			var e *Error
			if !errors.As(err, &e) || e.Field != tt.field || out != nil {
				t.Fatalf("Fill = %q, %v; want an *Error on %s", out, err, tt.field)
			}
			if strings.Contains(err.Error(), secretMark) {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
	// A command with nothing to fill comes back as it was, in a copy.
	out, err := Fill(plain.Template, Secrets{})
	if err != nil || !bytes.Equal(out, plain.Template) {
		t.Errorf("Fill(no placeholders) = %q, %v", out, err)
	}
	if out, err := Fill(nil, Secrets{}); err != nil || len(out) != 0 {
		t.Errorf("Fill(nil) = %q, %v", out, err)
	}
}

func TestNewCommandUUID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		u, err := NewCommandUUID(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(u) != 36 || u[14] != '4' || !strings.ContainsAny(u[19:20], "89AB") || strings.ToUpper(u) != u || seen[u] {
			t.Fatalf("bad or repeated UUID %q", u)
		}
		seen[u] = true
	}
	if _, err := NewCommandUUID(bytes.NewReader(make([]byte, 3))); err == nil {
		t.Error("short reader: no error")
	}
	u, _ := NewCommandUUID(bytes.NewReader(make([]byte, 16)))
	if u != "00000000-0000-4000-8000-000000000000" {
		t.Errorf("zero reader gave %q", u)
	}
}

func TestFieldsString(t *testing.T) {
	for f, want := range map[Fields]string{0: "none", FillPIN: "PIN", FillCurrentPassword | FillNewPassword: "CurrentPassword|NewPassword", 0x30 | FillUnlockToken: "UnlockToken|0x30"} {
		if f.String() != want {
			t.Errorf("%d: %q, want %q", uint8(f), f.String(), want)
		}
	}
}

// FuzzBuilders: any text either is refused with an *Error or travels
// through the plist unchanged, and never adds a key or a placeholder.
func FuzzBuilders(f *testing.F) {
	for _, s := range []string{"", "hi", `]]></string><key>PIN</key><string>1`, "<&>\"'", "a\x00", "\xff", "mdmcred-fill:PIN", "\r\n\t", "\uFFFD\U0010FFFF"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, msg, phone string) {
		c, err := NewEnableLostMode(testUUID, LostMode{Message: msg, PhoneNumber: phone, Footnote: msg})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if Placeholders(c.Template) != 0 {
			t.Fatal("text produced a placeholder")
		}
		body, _ := commandBody(t, c.Template)
		if msg != "" && (body["Message"] != msg || body["Footnote"] != msg) {
			t.Fatalf("Message %q came back as %q", msg, body["Message"])
		}
		if phone != "" && body["PhoneNumber"] != phone {
			t.Fatalf("PhoneNumber %q came back as %q", phone, body["PhoneNumber"])
		}
		for k := range body {
			switch k {
			case "RequestType", "Message", "PhoneNumber", "Footnote":
			default:
				t.Fatalf("unexpected key %q", k)
			}
		}
	})
}

// FuzzFill: any template and secrets give filled bytes or an *Error; a
// filled password reads back as itself.
func FuzzFill(f *testing.F) {
	rot, _ := NewSetRecoveryLock(testUUID, RecoveryLock{HasCurrent: true})
	lock, _ := NewDeviceLock(testUUID, Lock{PIN: true})
	f.Add(rot.Template, "", "old", "new")
	f.Add(lock.Template, "123456", "", "")
	f.Add([]byte("<string>mdmcred-fill:PIN</string>"), "12345x", "", "")
	f.Add([]byte{}, "", "", "")
	f.Fuzz(func(t *testing.T, tmpl []byte, pin, cur, nw string) {
		out, err := Fill(tmpl, Secrets{PIN: NewSecret(pin), CurrentPassword: NewSecret(cur), NewPassword: NewSecret(nw)})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if bytes.Equal(tmpl, rot.Template) {
			body, _ := commandBody(t, out)
			if body["CurrentPassword"] != cur || body["NewPassword"] != nw {
				t.Fatalf("passwords came back as %q, %q", body["CurrentPassword"], body["NewPassword"])
			}
		}
	})
}
