package notify_test

import (
	"strings"
	"testing"

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
