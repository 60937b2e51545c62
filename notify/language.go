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
// ("pt-BR" -> en). The result is always one of [Languages].
func Negotiate(preferences ...string) language.Tag {
	var want []language.Tag
	for _, p := range preferences {
		want = append(want, parsePreference(p)...)
	}
	if len(want) == 0 {
		return supported[0]
	}
	_, i, conf := matcher.Match(want...)
	if conf == language.No || i < 0 || i >= len(supported) {
		return supported[0]
	}
	return supported[i]
}

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
