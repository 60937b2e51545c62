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

// hidden holds secrets where fmt calls none of their methods: in unexported
// fields, and below a pointer printed under a verb pointers do not take
// (%s, %q), which fmt prints as %!s(...) with every method off.
type hidden struct {
	s  String
	k  Keys
	b  Bytes
	ps *String
	pk *Keys
	pb *Bytes
	w  *wrapper
}

func TestRedactedWhereFmtCallsNoMethod(t *testing.T) {
	s := New(value)
	k := NewKeys(map[uint8][]byte{1: []byte(value), 7: []byte(value)})
	b := NewBytes([]byte(value))
	w := wrapper{Code: s, Ptr: &s}
	h := hidden{s: s, k: k, b: b, ps: &s, pk: &k, pb: &b, w: &w}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s"} {
		for _, arg := range []any{h, &h, struct{ h hidden }{h}, []hidden{h}, map[int]hidden{1: h}} {
			out := fmt.Sprintf(verb, arg)
			if strings.Contains(out, value) || strings.Contains(out, fmt.Sprint([]byte(value))[1:20]) ||
				strings.Contains(out, fmt.Sprintf("%x", value)) || strings.Contains(out, fmt.Sprintf("%X", value)) {
				t.Errorf("Sprintf(%q, %T) leaked the secret: %s", verb, arg, out)
			}
		}
	}
}

func TestKeys(t *testing.T) {
	m := map[uint8][]byte{2: []byte(value), 1: []byte("other key")}
	k := NewKeys(m)
	m[2][0] = 'X' // NewKeys copied the bytes
	got := k.Reveal()
	if k.IsZero() || k.Len() != 2 || string(got[2]) != value || string(got[1]) != "other key" {
		t.Fatalf("Reveal = %q, Len %d", got, k.Len())
	}
	got[1][0] = 'Y' // and Reveal hands out a copy
	if string(k.Reveal()[1]) != "other key" {
		t.Fatal("Reveal shares memory with the Keys")
	}
	for verb, want := range map[string]string{
		"%v": "map[1:[REDACTED] 2:[REDACTED]]", "%s": "map[1:[REDACTED] 2:[REDACTED]]",
		"%#v": "secret.Keys(map[1:[REDACTED] 2:[REDACTED]])", "%q": `"map[1:[REDACTED] 2:[REDACTED]]"`,
		"%x": "map[1:[REDACTED] 2:[REDACTED]]", "%d": "map[1:[REDACTED] 2:[REDACTED]]",
	} {
		if out := fmt.Sprintf(verb, k); out != want {
			t.Errorf("Sprintf(%q) = %q, want %q", verb, out, want)
		}
	}
	b, err := json.Marshal(struct{ K Keys }{k})
	if err != nil || string(b) != `{"K":{"1":"[REDACTED]","2":"[REDACTED]"}}` {
		t.Fatalf("json = %s, %v", b, err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "k", k)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "k", k, "p", &k)
	if strings.Contains(buf.String(), value) || !strings.Contains(buf.String(), Redacted) {
		t.Fatalf("slog: %s", buf.String())
	}
	var zero Keys
	if !zero.IsZero() || zero.Len() != 0 || zero.Reveal() != nil || !NewKeys(nil).IsZero() || NewKeys(map[uint8][]byte{}).IsZero() {
		t.Fatal("zero Keys")
	}
	if fmt.Sprint(zero) != "map[]" {
		t.Fatalf("zero Keys prints %q", fmt.Sprint(zero))
	}
}

func TestBytes(t *testing.T) {
	in := []byte(value)
	b := NewBytes(in)
	in[0] = 'X' // NewBytes copied the bytes
	got := b.Reveal()
	if b.IsZero() || b.Len() != len(value) || string(got) != value {
		t.Fatalf("Reveal = %q, Len %d", got, b.Len())
	}
	got[0] = 'Y' // and Reveal hands out a copy
	if string(b.Reveal()) != value {
		t.Fatal("Reveal shares memory with the Bytes")
	}
	want := map[string]string{
		"%v": Redacted, "%+v": Redacted, "%s": Redacted, "%x": Redacted, "%X": Redacted, "%d": Redacted,
		"% x": Redacted, "%10v": Redacted, "%q": `"` + Redacted + `"`,
		"%#v": "secret.Bytes(len=14, [REDACTED])",
	}
	for verb, w := range want {
		if out := fmt.Sprintf(verb, b); out != w {
			t.Errorf("Sprintf(%q) = %q, want %q", verb, out, w)
		}
		if out := fmt.Sprintf(verb, &b); out != w {
			t.Errorf("Sprintf(%q, pointer) = %q, want %q", verb, out, w)
		}
	}
	j, err := json.Marshal(struct {
		B Bytes
		P *Bytes
	}{b, &b})
	if err != nil || string(j) != `{"B":"[REDACTED]","P":"[REDACTED]"}` {
		t.Fatalf("json = %s, %v", j, err)
	}
	if txt, err := b.MarshalText(); err != nil || string(txt) != Redacted {
		t.Fatalf("MarshalText = %q, %v", txt, err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "b", b, "p", &b)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "b", b, "p", &b)
	if strings.Contains(buf.String(), value) || strings.Count(buf.String(), Redacted) != 4 {
		t.Fatalf("slog: %s", buf.String())
	}
	var zero Bytes
	if !zero.IsZero() || zero.Len() != 0 || zero.Reveal() != nil || !NewBytes(nil).IsZero() || !NewBytes([]byte{}).IsZero() {
		t.Fatal("zero Bytes")
	}
	if fmt.Sprintf("%#v", zero) != "secret.Bytes(len=0, [REDACTED])" {
		t.Fatalf("zero Bytes prints %#v", zero)
	}
}

func TestPropertyBytesNeverLeak(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 300
	p := gopter.NewProperties(params)
	p.Property("no verb, handler or JSON prints the bytes, and Reveal gives them back", prop.ForAll(
		func(raw []byte) bool {
			b := NewBytes(raw)
			type host struct{ b Bytes }
			var outs []string
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
				outs = append(outs, fmt.Sprintf(verb, b), fmt.Sprintf(verb, &b), fmt.Sprintf(verb, host{b}),
					fmt.Sprintf(verb, struct{ P *host }{&host{b}}), fmt.Sprintf(verb, struct{ p *Bytes }{&b}))
			}
			j, _ := json.Marshal(struct{ B Bytes }{b})
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "b", b, "h", host{b})
			outs = append(outs, string(j), buf.String())
			all := strings.Join(outs, "\n")
			for _, enc := range []string{fmt.Sprintf("%x", raw), fmt.Sprintf("%X", raw), strings.Trim(fmt.Sprint(raw), "[]"), string(raw)} {
				if strings.Contains(all, enc) {
					return false
				}
			}
			return bytes.Equal(b.Reveal(), raw)
		},
		gen.SliceOfN(24, gen.UInt8()),
	))
	p.TestingRun(t)
}

func TestZeroString(t *testing.T) {
	var z String
	if !z.IsZero() || z.Reveal() != "" || z.Len() != 0 || !z.Equal("") || !New("").IsZero() {
		t.Fatal("zero String")
	}
}

// BenchmarkNew measures wrapping a value: one allocation for the pointer
// that keeps the value out of reflection-walked output.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	var s String
	for b.Loop() {
		s = New(value)
	}
	_ = s.Reveal()
}

func BenchmarkNewKeys(b *testing.B) {
	b.ReportAllocs()
	m := map[uint8][]byte{1: make([]byte, 32), 2: make([]byte, 32)}
	for b.Loop() {
		_ = NewKeys(m)
	}
}

func TestPropertyKeysNeverLeak(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 300
	p := gopter.NewProperties(params)
	p.Property("no verb, handler or JSON prints a key's bytes", prop.ForAll(
		func(key []byte, id uint8) bool {
			k := NewKeys(map[uint8][]byte{id: key})
			type host struct{ k Keys }
			var outs []string
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
				outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, &k), fmt.Sprintf(verb, host{k}), fmt.Sprintf(verb, struct{ P *host }{&host{k}}))
			}
			j, _ := json.Marshal(struct{ K Keys }{k})
			outs = append(outs, string(j))
			all := strings.Join(outs, "\n")
			for _, enc := range []string{fmt.Sprintf("%x", key), fmt.Sprintf("%X", key), strings.Trim(fmt.Sprint(key), "[]"), string(key)} {
				if strings.Contains(all, enc) {
					return false
				}
			}
			return bytes.Equal(k.Reveal()[id], key)
		},
		gen.SliceOfN(32, gen.UInt8()),
		gen.UInt8(),
	))
	p.TestingRun(t)
}
