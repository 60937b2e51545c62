package vault

import (
	"strings"
	"testing"
)

var versionedTests = []struct {
	in, payload string
	ok          bool
}{
	{"vault:v1:AAAA", "AAAA", true},
	{"vault:v12:x:y", "x:y", true},
	{"vault:v1:", "", true},
	{"vault:v:AAAA", "", false},
	{"vault:vx:AAAA", "", false},
	{"vault:v1", "", false},
	{"vault:1:AAAA", "", false},
	{"AAAA", "", false},
	{"", "", false},
	{"Vault:v1:AAAA", "", false},
	{"vault:v-1:AAAA", "", false},
}

func TestParseVersioned(t *testing.T) {
	for _, tt := range versionedTests {
		got, err := parseVersioned(tt.in)
		if (err == nil) != tt.ok || got != tt.payload {
			t.Errorf("parseVersioned(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.payload, tt.ok)
		}
	}
}

// For every input: no panic, and an accepted one is "vault:v<digits>:"
// followed by the payload returned.
func FuzzParseVersioned(f *testing.F) {
	for _, tt := range versionedTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		payload, err := parseVersioned(s)
		if err != nil {
			return
		}
		head, ok := strings.CutSuffix(s, payload)
		if !ok || !strings.HasPrefix(head, "vault:v") || !strings.HasSuffix(head, ":") {
			t.Fatalf("accepted %q with payload %q", s, payload)
		}
		ver := strings.TrimSuffix(strings.TrimPrefix(head, "vault:v"), ":")
		if ver == "" || strings.Trim(ver, "0123456789") != "" {
			t.Fatalf("accepted %q with version %q", s, ver)
		}
	})
}
