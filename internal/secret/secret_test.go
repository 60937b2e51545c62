package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

const value = "Hunter2-S3cr3t"

type wrapper struct {
	Name string
	Code String
	Ptr  *String
}

func TestRedactedUnderEveryVerb(t *testing.T) {
	s := New(value)
	w := wrapper{Name: "n", Code: s, Ptr: &s}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10s", "%-10v", "%d", "%T"}
	for _, verb := range verbs {
		for _, arg := range []any{s, &s, w, &w, []String{s}, map[string]String{"k": s}} {
			out := fmt.Sprintf(verb, arg)
			if strings.Contains(out, value) {
				t.Errorf("Sprintf(%q, %T) leaked the secret: %s", verb, arg, out)
			}
		}
	}
	if got := fmt.Sprint(s); got != Redacted {
		t.Errorf("Sprint = %q, want %q", got, Redacted)
	}
	if got := fmt.Sprintf("%q", s); got != `"`+Redacted+`"` {
		t.Errorf("%%q = %q", got)
	}
	if got := fmt.Sprintf("%#v", s); got != "secret.String("+Redacted+")" {
		t.Errorf("%%#v = %q", got)
	}
}

func TestRedactedInSlogAndJSON(t *testing.T) {
	s := New(value)
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("issued", "code", s, "wrapped", wrapper{Code: s}, slog.Any("ptr", &s))
	}
	if strings.Contains(buf.String(), value) {
		t.Fatalf("slog leaked the secret: %s", buf.String())
	}
	b, err := json.Marshal(wrapper{Code: s, Ptr: &s})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), value) {
		t.Fatalf("json leaked the secret: %s", b)
	}
}

func TestRevealAndEqual(t *testing.T) {
	s := New(value)
	if s.Reveal() != value || s.Len() != len(value) || s.IsZero() {
		t.Fatal("Reveal/Len/IsZero wrong")
	}
	if !s.Equal(value) || s.Equal(value+"x") || s.Equal("") {
		t.Fatal("Equal wrong")
	}
	if !(String{}).IsZero() {
		t.Fatal("zero value not empty")
	}
}

func TestPropertyNeverLeaks(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 500
	p := gopter.NewProperties(params)
	p.Property("no verb prints a secret of 6+ chars", prop.ForAll(
		func(v string) bool {
			s := New(v)
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
				if strings.Contains(fmt.Sprintf(verb, s), v) {
					return false
				}
			}
			return s.Reveal() == v
		},
		gen.RegexMatch(`[a-z0-9]{6,20}`).SuchThat(func(v string) bool {
			return !strings.Contains(Redacted, v) && !strings.Contains("secret.String", v)
		}),
	))
	p.TestingRun(t)
}

func BenchmarkFormat(b *testing.B) {
	s := New(value)
	for b.Loop() {
		_ = fmt.Sprintf("%v", s)
	}
}
