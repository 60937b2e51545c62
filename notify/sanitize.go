package notify

import (
	"strings"
	"unicode"
)

// maxField is the number of characters kept of a host-supplied name (device,
// site, user, source) before it is cut with an ellipsis.
const maxField = 120

// isControl reports whether r is a C0/C1 control character or a Unicode
// bidirectional control, none of which belongs in a name shown to a person:
// line breaks forge header or body lines, bidi overrides make text read
// differently from what it is.
func isControl(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == '\u061c', r == '\u200e', r == '\u200f',
		r >= '\u202a' && r <= '\u202e',
		r >= '\u2066' && r <= '\u2069',
		r == '\u2028', r == '\u2029', r == '\ufeff':
		return true
	}
	return false
}

// clean turns a host-supplied value into one safe line of text: invalid
// UTF-8 becomes U+FFFD, control and bidi characters become spaces, runs of
// spaces collapse, and the result is cut to maxField characters. HTML
// escaping is html/template's job; clean only keeps the value on one line
// and reading as what it is.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\ufffd")
	var b strings.Builder
	b.Grow(len(s))
	n := 0
	space := false
	for _, r := range s {
		if isControl(r) || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			if n+1 >= maxField {
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		if n >= maxField {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
