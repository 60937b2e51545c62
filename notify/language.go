package notify

import (
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

// supported lists the catalog's languages; the first is the fallback.
var supported = []language.Tag{
	language.English,
	language.Polish,
	language.German,
	language.French,
	language.Spanish,
	language.Italian,
}

// matcher is immutable after construction and safe for concurrent use.
var matcher = language.NewMatcher(supported)

// maxPreference bounds the input [Negotiate] reads, so a hostile header
// cannot make matching expensive.
const maxPreference = 512

// Languages returns the languages the catalog has messages for, English
// (the fallback) first.
func Languages() []language.Tag {
	return append([]language.Tag(nil), supported...)
}

// Negotiate picks the catalog language that best serves the preferences,
// each a BCP 47 tag ("de-AT") or an Accept-Language list
// ("fr-CH, fr;q=0.9, en;q=0.8"), earlier arguments first. Regional and
// script variants fall to their base language ("de-AT" -> de); anything the
// catalog lacks, including empty or malformed input, falls back to English
// ("pt-BR" -> en). The result is always one of [Languages]. [Resolve] also
// says whether it fell back.
func Negotiate(preferences ...string) language.Tag {
	tag, _ := Resolve(preferences...)
	return tag
}

// Resolve is [Negotiate] that also reports whether it fell back to English
// because nothing the preferences ask for is in [Languages]: fallback is
// true for "pt-BR", "xx", "not a tag" or "en;q=0", and false for "de-AT",
// "ja, it;q=0.5", "*" and "en". Blank preferences ask for nothing: English,
// the documented default, without a fallback.
//
// A program that takes a language from its user (the issuer's -lang, a
// portal's Accept-Language) calls it to tell the user that the email will
// be in English; a [Notifier] logs the same note itself.
func Resolve(preferences ...string) (tag language.Tag, fallback bool) {
	var want []language.Tag
	asked := false
	for _, p := range preferences {
		if strings.TrimSpace(p) != "" {
			asked = true
		}
		want = append(want, parsePreference(p)...)
	}
	if len(want) == 0 {
		return supported[0], asked
	}
	_, i, conf := matcher.Match(want...)
	got := supported[0]
	if conf != language.No && i >= 0 && i < len(supported) {
		got = supported[i]
	}
	base, _ := got.Base()
	for _, w := range want {
		// "*" (mul) accepts any language; otherwise the match must be
		// a language asked for, not the matcher's guess from a script
		// or a neighbouring language ("ay", Aymara, gets Spanish).
		if wb, _ := w.Base(); w == anyLanguage || conf != language.No && wb == base {
			return got, false
		}
	}
	// The matcher guessed (it prefers any language asked for that the
	// catalog has over a guess): English.
	return supported[0], true
}

// anyLanguage is what the Accept-Language wildcard "*" parses to.
var anyLanguage = language.MustParse("mul")

// parsePreference reads one tag or Accept-Language list, dropping what it
// cannot parse rather than failing the whole list.
func parsePreference(p string) []language.Tag {
	p = strings.TrimSpace(p)
	if p == "" {
		return nil
	}
	if len(p) > maxPreference {
		p = p[:maxPreference]
		if i := strings.LastIndexByte(p, ','); i >= 0 {
			p = p[:i]
		}
	}
	if tags, _, err := language.ParseAcceptLanguage(p); err == nil && len(tags) > 0 {
		return tags
	}
	// A list with one bad entry: keep the entries that parse, in order.
	var tags []language.Tag
	for _, part := range strings.Split(p, ",") {
		part, params, _ := strings.Cut(part, ";")
		if _, q, ok := strings.Cut(params, "q="); ok {
			if w, err := strconv.ParseFloat(strings.TrimSpace(q), 32); err != nil || w <= 0 {
				continue
			}
		}
		if t, err := language.Parse(strings.TrimSpace(part)); err == nil {
			tags = append(tags, t)
		}
	}
	return tags
}

// langIndex returns the index of t in supported (t must come from
// Negotiate).
func langIndex(t language.Tag) int {
	for i, s := range supported {
		if s == t {
			return i
		}
	}
	return 0
}
