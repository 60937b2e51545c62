package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"golang.org/x/text/language"

	"github.com/mdmcred/mdmcred/notify"
)

var negotiateCases = []struct {
	in   []string
	want language.Tag
}{
	{[]string{"en"}, language.English},
	{[]string{"pl"}, language.Polish},
	{[]string{"pl-PL"}, language.Polish},
	{[]string{"de-AT"}, language.German},
	{[]string{"de-CH"}, language.German},
	{[]string{"fr-CA"}, language.French},
	{[]string{"es-419"}, language.Spanish},
	{[]string{"es-MX"}, language.Spanish},
	{[]string{"it-CH"}, language.Italian},
	{[]string{"en-GB"}, language.English},
	{[]string{"pt-BR"}, language.English},
	{[]string{"ja"}, language.English},
	{[]string{""}, language.English},
	{nil, language.English},
	{[]string{"*"}, language.English},
	{[]string{"not a tag"}, language.English},
	{[]string{"fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"}, language.French},
	{[]string{"ja, it;q=0.5"}, language.Italian},
	{[]string{"pl;q=0, de"}, language.German},
	{[]string{"xx-invalid-!!, pl"}, language.Polish},
	{[]string{"en;q=0.1, es;q=0.9"}, language.Spanish},
	{[]string{"", "de"}, language.German},
	{[]string{"pt", "fr"}, language.French},
	{[]string{"DE-at"}, language.German},
	{[]string{"pl;q=abc, it"}, language.Italian},
	{[]string{strings.Repeat("de,", 400) + "pl"}, language.German},
}

func TestNegotiate(t *testing.T) {
	for _, tc := range negotiateCases {
		if got := notify.Negotiate(tc.in...); got != tc.want {
			t.Errorf("Negotiate(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestLanguages(t *testing.T) {
	got := notify.Languages()
	want := []string{"en", "pl", "de", "fr", "es", "it"}
	if len(got) != len(want) {
		t.Fatalf("Languages() = %v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("Languages()[%d] = %v, want %s", i, got[i], want[i])
		}
	}
	got[0] = language.Japanese // the caller's copy only
	if notify.Languages()[0] != language.English {
		t.Error("Languages returned the package's own slice")
	}
}

func isSupported(t language.Tag) bool {
	for _, s := range notify.Languages() {
		if s == t {
			return true
		}
	}
	return false
}

// TestNegotiateProperty: for all inputs, the result is a supported
// language, and a supported base tag, alone or with a region, picks itself.
func TestNegotiateProperty(t *testing.T) {
	properties := gopter.NewProperties(nil)
	properties.Property("always a supported language", prop.ForAll(
		func(s string) bool { return isSupported(notify.Negotiate(s)) },
		gen.AnyString(),
	))
	properties.Property("base or regional tag of a supported language picks it", prop.ForAll(
		func(i int, region string) bool {
			want := notify.Languages()[i]
			return notify.Negotiate(want.String()) == want &&
				notify.Negotiate(want.String()+"-"+region) == want
		},
		gen.IntRange(0, len(notify.Languages())-1),
		gen.OneConstOf("US", "GB", "AT", "CH", "BE", "CA", "MX", "419", "PL"),
	))
	properties.TestingRun(t)
}

// FuzzNegotiate: arbitrary Accept-Language-like input never panics and
// always yields a supported language.
func FuzzNegotiate(f *testing.F) {
	for _, tc := range negotiateCases {
		f.Add(strings.Join(tc.in, ","))
	}
	f.Add("de-AT-u-co-phonebk, en;q=0.5")
	f.Add("x-private, i-klingon, zh-Hant-TW;q=0.8")
	f.Fuzz(func(t *testing.T, s string) {
		if got := notify.Negotiate(s); !isSupported(got) {
			t.Fatalf("Negotiate(%q) = %v, not supported", s, got)
		}
	})
}

var resolveCases = []struct {
	in       []string
	want     language.Tag
	fallback bool
}{
	{nil, language.English, false},
	{[]string{""}, language.English, false},
	{[]string{"  "}, language.English, false},
	{[]string{"en"}, language.English, false},
	{[]string{"en-GB"}, language.English, false},
	{[]string{"de-AT"}, language.German, false},
	{[]string{"ja, it;q=0.5"}, language.Italian, false},
	{[]string{"*"}, language.English, false},
	{[]string{"pt", "fr"}, language.French, false},
	{[]string{"xx-invalid-!!, pl"}, language.Polish, false},
	{[]string{"pt-BR"}, language.English, true},
	{[]string{"xx"}, language.English, true},
	{[]string{"ja"}, language.English, true},
	{[]string{"not a tag"}, language.English, true},
	{[]string{"en;q=0"}, language.English, true},
	{[]string{"i-klingon"}, language.English, true},
	{[]string{"", "zh-Hant"}, language.English, true},
	// The matcher guesses Spanish for Aymara (fuzzing found it): a guess
	// is not a language asked for, so English, unless a preference the
	// catalog has comes with it.
	{[]string{"AY"}, language.English, true},
	{[]string{"ay, fr;q=0.5"}, language.French, false},
	{[]string{"ay", "it"}, language.Italian, false},
}

// TestResolve: the tag is Negotiate's, and fallback says whether English
// was chosen because nothing asked for exists.
func TestResolve(t *testing.T) {
	for _, tc := range resolveCases {
		got, fb := notify.Resolve(tc.in...)
		if got != tc.want || fb != tc.fallback {
			t.Errorf("Resolve(%q) = %v, %v; want %v, %v", tc.in, got, fb, tc.want, tc.fallback)
		}
		if n := notify.Negotiate(tc.in...); n != got {
			t.Errorf("Negotiate(%q) = %v, Resolve says %v", tc.in, n, got)
		}
	}
}

// FuzzResolve: Resolve agrees with Negotiate, and a fallback is always
// English.
func FuzzResolve(f *testing.F) {
	for _, tc := range resolveCases {
		f.Add(strings.Join(tc.in, ","))
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, fb := notify.Resolve(s)
		if got != notify.Negotiate(s) || fb && got != language.English || !isSupported(got) {
			t.Fatalf("Resolve(%q) = %v, %v; Negotiate = %v", s, got, fb, notify.Negotiate(s))
		}
	})
}

// TestNotifierLogsLanguageFallback: a notice in a language the catalog
// lacks is sent in English with one note through the configured logger;
// a supported or blank language logs nothing.
func TestNotifierLogsLanguageFallback(t *testing.T) {
	var buf bytes.Buffer
	rec := &notify.Recorder{}
	n, err := notify.NewNotifier(notify.NotifierConfig{Mailer: rec, Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	send := func(lang string) {
		t.Helper()
		err := n.SendOneTimePIN(context.Background(), notify.OneTimePIN{To: []string{"a@example.com"}, Language: lang,
			User: "u", PIN: notify.NewSecret("99"), ExpiresAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, lang := range []string{"", "de-AT", "en", "*"} {
		send(lang)
	}
	if buf.Len() != 0 {
		t.Fatalf("supported languages logged: %s", buf.String())
	}
	send("pt-BR")
	var rec1 map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec1); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	want := map[string]any{"level": "INFO", "msg": "notify: language not available, sent in English",
		"notice": "one-time PIN", "requested": "pt-BR", "sent": "en"}
	for k, v := range want {
		if rec1[k] != v {
			t.Errorf("log %s = %v, want %v (%s)", k, rec1[k], v, buf.String())
		}
	}
	if m, _ := rec.Last(); m.Language != "en" {
		t.Errorf("sent in %q", m.Language)
	}
	// The requested value is the user's: it is logged sanitized and cut.
	buf.Reset()
	send("xx\u202e" + strings.Repeat("y", 500))
	if strings.Contains(buf.String(), "\u202e") || strings.Contains(buf.String(), `\u202e`) || buf.Len() > 400 {
		t.Errorf("hostile language logged raw: %s", buf.String())
	}
}
