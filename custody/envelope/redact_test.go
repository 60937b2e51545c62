package envelope

import (
	"errors"
	"strings"
	"testing"
)

var schemeTests = []struct{ in, want string }{
	{"", `""`},
	{"base64key://c2VjcmV0LWtleS1ieXRlcy0zMi1ieXRlcy1sb25nISE=", "base64key://[REDACTED]"},
	{"awskms:///arn:aws:kms:eu-west-1:111122223333:key/abc?region=eu-west-1", "awskms://[REDACTED]"},
	{"hashivault://mykey", "hashivault://[REDACTED]"},
	{"no scheme at all", "[REDACTED]"},
	{"://x", "[REDACTED]"},
	{"user@host/path://x", "[REDACTED]"},
	{"a/b://c", "[REDACTED]"},
}

func TestSchemeOf(t *testing.T) {
	for _, tt := range schemeTests {
		if got := schemeOf(tt.in); got != tt.want {
			t.Errorf("schemeOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// For every string: what schemeOf shows is a fixed word or a scheme
// without the rest of the URL, and redactURL takes every occurrence of the
// URL out of an error that quotes it.
func FuzzRedact(f *testing.F) {
	for _, tt := range schemeTests {
		f.Add(tt.in, "open keeper %s: failed")
	}
	f.Fuzz(func(t *testing.T, u, format string) {
		got := schemeOf(u)
		if scheme, ok := strings.CutSuffix(got, "://[REDACTED]"); ok {
			if !strings.HasPrefix(u, scheme+"://") || strings.ContainsAny(scheme, "/?#@") {
				t.Fatalf("schemeOf(%q) = %q", u, got)
			}
		} else if got != "[REDACTED]" && got != `""` {
			t.Fatalf("schemeOf(%q) = %q", u, got)
		}
		if len(u) < 4 {
			return
		}
		msg := strings.ReplaceAll(format, "%s", u)
		if !strings.Contains(msg, u) {
			msg += " " + u
		}
		if r := redactURL(errors.New(msg), u).Error(); strings.Contains(r, u) {
			t.Fatalf("redactURL left %q in %q", u, r)
		}
	})
}
