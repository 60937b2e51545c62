package notify

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mdmcred/mdmcred/internal/ident"
)

// Limits, in characters (runes), on a name that a user or device controls
// (a device name or ID, a site, a user name, an attempt's source) where a
// message shows it. A longer name is cut and ends with "…", which counts
// towards the limit.
const (
	// MaxName is the limit in message bodies.
	MaxName = 120
	// MaxSubjectName is the limit in subject lines, which mail clients show
	// in a narrow column: a long name must not push the rest of the subject
	// out of view.
	MaxSubjectName = 40
)

// sanitize is the one mechanism through which text that a user or device
// controls reaches a message, its subject and both bodies alike. It returns
// s as one line of at most max visible characters that a mail client shows
// as what it is:
//
//   - invalid UTF-8 becomes U+FFFD;
//   - white space of any kind (tab, CR, LF, NEL, U+2028, U+2029, NBSP, ...)
//     becomes one ASCII space, and runs of it collapse;
//   - characters that do not show as themselves are removed (see [hidden]):
//     C0 and C1 controls, Unicode format characters (zero-width space and
//     joiners, soft hyphen, BOM, tag characters, bidi controls),
//     noncharacters and invisible fillers;
//   - every "=?" becomes "= ?", so no RFC 2047 encoded-word survives for a
//     mail client to decode into characters the steps above removed;
//   - URLs and host names are defanged (see [defang]), so no client turns
//     them into links;
//   - the result is cut to max characters, the last one "…".
//
// The order matters: removal comes first, so a zero-width character cannot
// hide a "=?" or a "://" from the later steps. HTML escaping is left to
// html/template.
func sanitize(s string, max int) string {
	s = strings.ToValidUTF8(s, "\ufffd")
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
		case hidden(r):
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return truncate(defang(breakEncodedWords(b.String())), max)
}

// hidden reports whether r does not show as itself in a mail client: a C0
// or C1 control (line breaks included), a line or paragraph separator, or
// anything the identifier rule refuses as invisible formatting (Unicode
// category Cf, bidi controls, noncharacters), or a default-ignorable filler
// such as U+3164 HANGUL FILLER or U+034F COMBINING GRAPHEME JOINER. The
// same predicate guards sanitized names and the headers [Message.Validate]
// accepts.
func hidden(r rune) bool {
	switch {
	case r >= 0x20 && r < 0x7f:
		return false
	case r < 0x20 || (r >= 0x7f && r <= 0x9f), r == '\u2028', r == '\u2029':
		return true
	case unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
		return true
	}
	var buf [utf8.UTFMax]byte
	return ident.Check(string(buf[:utf8.EncodeRune(buf[:], r)]), 0) != nil
}

// breakEncodedWords turns every "=?" into "= ?". An RFC 2047 encoded-word
// starts with "=?" and nothing else, so no mail client decodes what is
// left, while a reader still sees the text.
func breakEncodedWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	return strings.ReplaceAll(s, "=?", "= ?")
}

// defang rewrites what mail clients would turn into a link: a scheme's
// "://" becomes "[:]//" (and http, https and ftp become hxxp, hxxps and
// fxp), and a dot (or an ideographic or fullwidth dot, which IDNA reads as
// one) between a letter or digit and a letter becomes "[.]":
// "https://example.com/x" reads "hxxps[:]//example[.]com/x", "www.example.org"
// reads "www[.]example[.]org". Version numbers and IP addresses ("v1.2",
// "203.0.113.7") have a digit after the dot and stay as they are.
func defang(s string) string {
	if !strings.Contains(s, "://") && !strings.ContainsAny(s, ".\u3002\uff0e\uff61") {
		return s
	}
	rs := []rune(s)
	out := make([]rune, 0, len(rs)+16)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ':' && i+2 < len(rs) && rs[i+1] == '/' && rs[i+2] == '/':
			defangScheme(out)
			out = append(out, '[', ':', ']', '/', '/')
			i += 2
		case isDot(r) && i > 0 && i+1 < len(rs) &&
			(unicode.IsLetter(rs[i-1]) || unicode.IsDigit(rs[i-1])) && unicode.IsLetter(rs[i+1]):
			out = append(out, '[', '.', ']')
		default:
			out = append(out, r)
		}
	}
	return string(out)
}

func isDot(r rune) bool { return r == '.' || r == '\u3002' || r == '\uff0e' || r == '\uff61' }

// defangScheme rewrites the scheme that ends out, in place: http and https
// become hxxp and hxxps, ftp becomes fxp, keeping the letters' case.
func defangScheme(out []rune) {
	j := len(out)
	for j > 0 && (out[j-1] >= 'a' && out[j-1] <= 'z' || out[j-1] >= 'A' && out[j-1] <= 'Z') {
		j--
	}
	x := func(k int) {
		if out[k] >= 'a' {
			out[k] = 'x'
		} else {
			out[k] = 'X'
		}
	}
	switch strings.ToLower(string(out[j:])) {
	case "http", "https":
		x(j + 1)
		x(j + 2)
	case "ftp":
		x(j + 1)
	}
}

// truncate cuts s to at most max characters, the last of them "…".
func truncate(s string, max int) string {
	if max < 1 || utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return strings.TrimRight(s[:i], " ") + "…"
		}
		n++
	}
	return s
}
