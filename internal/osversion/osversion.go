// Package osversion compares the dotted OS versions devices report
// ("11.5", "17.4.1") against the minimum a rule needs. It is the one reading
// of such versions for passcode's platform matrix and apple's capability
// checks.
package osversion

import (
	"strconv"
	"strings"
)

// AtLeast reports whether v is at least major.minor. v must be one to three
// dot-separated decimal numbers without signs or leading zeros (at most 999
// each); anything else is not at least any version, so that an unreadable
// version never passes a minimum.
func AtLeast(v string, major, minor int) bool {
	parts := strings.Split(v, ".")
	if len(parts) > 3 {
		return false
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 || x > 999 || p != strconv.Itoa(x) {
			return false
		}
		n[i] = x
	}
	return n[0] > major || n[0] == major && n[1] >= minor
}
