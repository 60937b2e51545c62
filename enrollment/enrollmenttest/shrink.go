package enrollmenttest

import (
	"slices"
	"strings"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/internal/gentest"
)

// shrinkPasscode replaces characters with the first digit, upper- and
// lower-case letter of the alphabet ('0', 'A', 'a') when that comes earlier
// in enrollment.Alphabet, keeping the passcode well-formed.
func shrinkPasscode(s string) []string {
	var out []string
	for i := range len(s) {
		for _, c := range []byte("0Aa") {
			if strings.IndexByte(enrollment.Alphabet, c) < strings.IndexByte(enrollment.Alphabet, s[i]) {
				if x := s[:i] + string(c) + s[i+1:]; ValidShape(x) {
					out = append(out, x)
				}
			}
		}
	}
	return out
}

// shrinkPadded drops white space around the passcode, then shrinks the
// passcode itself.
func shrinkPadded(s string) []string {
	core := strings.TrimSpace(s)
	i := strings.Index(s, core)
	left, right := s[:i], s[i+len(core):]
	var out []string
	for _, l := range gentest.Shorter([]byte(left), 0) {
		out = append(out, string(l)+core+right)
	}
	for _, r := range gentest.Shorter([]byte(right), 0) {
		out = append(out, left+core+string(r))
	}
	for _, c := range shrinkPasscode(core) {
		out = append(out, left+c+right)
	}
	return out
}

// shrinkMalformed shortens the input and replaces bytes with '0' while it
// stays malformed.
func shrinkMalformed(s string) []string {
	var cands []string
	for _, c := range gentest.Shorter([]byte(s), 0) {
		cands = append(cands, string(c))
	}
	for i := range len(s) {
		if s[i] != '0' {
			cands = append(cands, s[:i]+"0"+s[i+1:])
		}
	}
	var out []string
	for _, c := range cands {
		if !ValidShape(strings.TrimSpace(c)) {
			out = append(out, c)
		}
	}
	return out
}

// shrinkIdentifier shortens an identifier and replaces its characters with
// 'a', keeping a lower-case letter first and letters and digits only.
func shrinkIdentifier(s string) []string {
	ok := func(c []byte) bool {
		if len(c) == 0 || c[0] < 'a' || c[0] > 'z' {
			return false
		}
		for _, b := range c {
			if (b < '0' || b > '9') && (b < 'a' || b > 'z') && (b < 'A' || b > 'Z') {
				return false
			}
		}
		return true
	}
	b := []byte(s)
	var out []string
	for _, c := range gentest.Shorter(b, 1) {
		if ok(c) {
			out = append(out, string(c))
		}
	}
	for i, c := range b {
		if c != 'a' {
			x := slices.Clone(b)
			x[i] = 'a'
			if ok(x) {
				out = append(out, string(x))
			}
		}
	}
	return out
}

// shrinkAdmin shrinks the local part as an identifier and moves the domain
// to example.com.
func shrinkAdmin(s string) []string {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return nil
	}
	local, domain := s[:at], s[at+1:]
	var out []string
	if domain != "example.com" {
		out = append(out, local+"@example.com")
	}
	for _, l := range shrinkIdentifier(local) {
		out = append(out, l+"@"+domain)
	}
	return out
}
