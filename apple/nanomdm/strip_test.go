package nanomdm

import (
	"bytes"
	"testing"

	"howett.net/plist"
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
