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
//   - URLs, schemes ("mailto:"), protocol-relative links, UNC paths, IP
//     addresses and host names are defanged (see [defang]), so no client
//     turns them into links;
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

// defang rewrites what mail clients would turn into a link, in the
// brackets analysts use for defanged indicators, so a reader still sees
// what was written:
//
//   - a URI scheme (a letter, then letters, digits, "+", "-" or ".", two
//     characters at least) followed by ":" and something other than a
//     space: "://" becomes "[://]" and a lone ":" becomes "[:]" (so
//     "mailto:", "tel:", "file:" and "javascript:" are neutralized too),
//     and http, https and ftp become hxxp, hxxps and fxp;
//   - any other "//" (a protocol-relative link) becomes "[//]";
//   - "\\" (the start of a UNC path) becomes "[\\]";
//   - a dot (or an ideographic or fullwidth dot, which IDNA reads as one)
//     between a letter or digit and a letter becomes "[.]", and so does
//     every dot of an IPv4 address (four or more digit groups joined by
//     dots).
//
// "https://example.com/x" reads "hxxps[://]example[.]com/x",
// "//203.0.113.7/x" reads "[//]203[.]0[.]113[.]7/x" and "www.example.org"
// reads "www[.]example[.]org". Version numbers ("v1.2"), times ("10:00")
// and a colon followed by a space ("Note: x") stay as they are. Text that
// is already defanged stays as it is, so sanitizing twice changes
// nothing.
func defang(s string) string {
	if !strings.ContainsAny(s, ":/\\.\u3002\uff0e\uff61") {
		return s
	}
	rs := []rune(s)
	ip := ipDots(rs)
	out := make([]rune, 0, len(rs)+16)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if n := defanged(rs[i:]); n > 0 {
			out = append(out, rs[i:i+n]...)
			i += n - 1
			continue
		}
		switch {
		case r == ':' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) && defangScheme(out):
			if i+2 < len(rs) && rs[i+1] == '/' && rs[i+2] == '/' {
				out = append(out, '[', ':', '/', '/', ']')
				i += 2
			} else {
				out = append(out, '[', ':', ']')
			}
		case r == '/' && i+1 < len(rs) && rs[i+1] == '/':
			out = append(out, '[', '/', '/', ']')
			i++
		case r == '\\' && i+1 < len(rs) && rs[i+1] == '\\':
			out = append(out, '[', '\\', '\\', ']')
			i++
		case isDot(r) && (ip[i] || i > 0 && i+1 < len(rs) &&
			(unicode.IsLetter(rs[i-1]) || unicode.IsDigit(rs[i-1])) && unicode.IsLetter(rs[i+1])):
			out = append(out, '[', '.', ']')
		default:
			out = append(out, r)
		}
	}
	return string(out)
}

// defangedMarks are what defang writes; found in its input, they are kept.
var defangedMarks = [][]rune{[]rune("[://]"), []rune("[//]"), []rune("[:]"), []rune("[.]"), []rune("[\\\\]")}

// defanged returns the length of the defanged mark rs starts with, or 0.
func defanged(rs []rune) int {
	if len(rs) < 3 || rs[0] != '[' {
		return 0
	}
	for _, m := range defangedMarks {
		if len(rs) >= len(m) && string(rs[:len(m)]) == string(m) {
			return len(m)
		}
	}
	return 0
}

// ipDots marks the dots of every IPv4 address in rs: a run of four or more
// digit groups joined by single dots.
func ipDots(rs []rune) []bool {
	ip := make([]bool, len(rs))
	for i := 0; i < len(rs); {
		if !isASCIIDigit(rs[i]) {
			i++
			continue
		}
		j, dots := i, 0
		for j < len(rs) && isASCIIDigit(rs[j]) {
			j++
			if j+1 < len(rs) && isDot(rs[j]) && isASCIIDigit(rs[j+1]) {
				dots++
				j++
			}
		}
		if dots >= 3 {
			for k := i; k < j; k++ {
				ip[k] = isDot(rs[k])
			}
		}
		i = j
	}
	return ip
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

func isDot(r rune) bool { return r == '.' || r == '\u3002' || r == '\uff0e' || r == '\uff61' }

// defangScheme reports whether out ends with a URI scheme (a letter, then
// letters, digits, "+", "-" or ".", two characters at least, not preceded
// by one of those) and, if so, rewrites it in place: http and https become
// hxxp and hxxps, ftp becomes fxp, keeping the letters' case.
func defangScheme(out []rune) bool {
	j := len(out)
	for j > 0 && isSchemeRune(out[j-1]) {
		j--
	}
	// The scheme starts at its first letter: "10:00" has none.
	for j < len(out) && !isASCIILetter(out[j]) {
		j++
	}
	if len(out)-j < 2 {
		return false
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
	return true
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func isSchemeRune(r rune) bool {
	return isASCIILetter(r) || isASCIIDigit(r) || r == '+' || r == '-' || r == '.'
}

// truncate cuts s to at most max characters, the last of them "…", never
// in the middle of a defanged mark and never right after a colon.
func truncate(s string, max int) string {
	if max < 1 || utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			// A colon before the ellipsis could read as a scheme's
			// ("mailto:…"): it goes with the spaces.
			return strings.TrimRight(cutMark(s[:i]), " :") + "…"
		}
		n++
	}
	return s
}

// cutMark drops a defanged mark that s ends in the middle of ("x[://"
// becomes "x"), so a cut never leaves half a mark, such as a bare "//".
func cutMark(s string) string {
	i := strings.LastIndexByte(s, '[')
	if i < 0 || strings.IndexByte(s[i:], ']') >= 0 {
		return s
	}
	for _, m := range defangedMarks {
		if strings.HasPrefix(string(m), s[i:]) {
			return s[:i]
		}
	}
	return s
}
