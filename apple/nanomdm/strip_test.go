package nanomdm

import (
	"bytes"
	"testing"
	"time"

	"github.com/micromdm/nanomdm/mdm"
	"github.com/micromdm/nanomdm/service"
	"howett.net/plist"

	"github.com/mdmcred/mdmcred/apple"
)

func tokenUpdate(t testing.TB, token []byte) []byte {
	m := map[string]any{"MessageType": "TokenUpdate", "UDID": "U1", "Topic": "com.apple.mgmt", "Token": []byte("push"), "PushMagic": "magic"}
	if token != nil {
		m["UnlockToken"] = token
	}
	b, err := plist.Marshal(m, plist.XMLFormat)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStripUnlockToken(t *testing.T) {
	token := []byte("SECRET-UNLOCK-TOKEN")
	out, err := stripUnlockToken(tokenUpdate(t, token))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if _, err := plist.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["UnlockToken"]; ok || m["UDID"] != "U1" || m["PushMagic"] != "magic" || !bytes.Equal(m["Token"].([]byte), []byte("push")) || len(m) != 5 {
		t.Errorf("stripped message %v", m)
	}
	if _, err := stripUnlockToken([]byte("<plist><array/></plist>")); err == nil {
		t.Error("a non-dictionary accepted")
	}
	if out, err := stripUnlockToken(nil); err != nil || out != nil {
		t.Errorf("empty: %q %v", out, err)
	}
}

// FuzzStripUnlockToken: no body panics, and what comes out never holds an
// UnlockToken key.
func FuzzStripUnlockToken(f *testing.F) {
	f.Add(tokenUpdate(f, []byte("tok")))
	f.Add(tokenUpdate(f, nil))
	f.Add([]byte("<plist><array/></plist>"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := stripUnlockToken(b)
		if err != nil || len(out) == 0 {
			return
		}
		var m map[string]any
		if _, err := plist.Unmarshal(out, &m); err == nil {
			if _, ok := m["UnlockToken"]; ok {
				t.Fatal("UnlockToken kept")
			}
		}
	})
}

// FuzzCommandReport: any report body, through the Service with a next
// service that hands out a command waiting for a PIN, gives a command or an
// error and never panics; a PIN that is not in the escrow is never sent.
func FuzzCommandReport(f *testing.F) {
	f.Add([]byte(`<plist version="1.0"><dict><key>Status</key><string>Acknowledged</string><key>CommandUUID</key><string>C1</string></dict></plist>`), "Acknowledged")
	f.Add([]byte(`<plist version="1.0"><dict><key>Status</key><string>Error</string><key>CommandUUID</key><string>C1</string><key>ErrorChain</key><array><dict><key>ErrorCode</key><integer>12067</integer></dict></array></dict></plist>`), "Error")
	f.Add([]byte("not a plist"), "Idle")
	f.Add([]byte{}, "NotNow")
	sealer, err := apple.NewSealer(apple.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), 1)
	if err != nil {
		f.Fatal(err)
	}
	lock, _ := apple.NewDeviceLock("L1", apple.Lock{PIN: true})
	f.Fuzz(func(t *testing.T, body []byte, status string) {
		src := NewMemSource(sealer, nil)
		_ = src.Put("U1", "C1", apple.Secrets{}, time.Time{})
		s, err := New(&queueOf{raw: lock.Template, uuid: lock.UUID}, Config{Source: src, Tokens: NewMemTokenStore(), Sealer: sealer})
		if err != nil {
			t.Fatal(err)
		}
		cmd, err := s.CommandAndReportResults(nil, &mdm.CommandResults{Enrollment: mdm.Enrollment{UDID: "U1"}, Status: status, Raw: body})
		if err == nil && cmd != nil && apple.Placeholders(cmd.Raw) == 0 && bytes.Contains(cmd.Raw, []byte("<key>PIN</key>")) {
			t.Fatalf("a lock without its PIN was filled: %s", cmd.Raw)
		}
	})
}

// queueOf is a next service that always hands out one command.
type queueOf struct {
	service.NopService
	raw  []byte
	uuid string
}

func (q *queueOf) CommandAndReportResults(*mdm.Request, *mdm.CommandResults) (*mdm.Command, error) {
	c := &mdm.Command{CommandUUID: q.uuid, Raw: q.raw}
	c.Command.RequestType = "DeviceLock"
	return c, nil
}
