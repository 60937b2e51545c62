package android

import (
	"strconv"
	"strings"
	"time"
)

// DefaultDuration is how long AMAPI keeps a command valid when the request
// names no duration: ten minutes. A command the device has not executed by
// then expires.
const DefaultDuration = 10 * time.Minute

// formatDuration writes d as a google.protobuf.Duration in its JSON form:
// seconds with an "s" suffix and up to nine fractional digits ("600s",
// "1.5s").
func formatDuration(d time.Duration) string {
	s := strconv.FormatInt(int64(d/time.Second), 10)
	if ns := int64(d % time.Second); ns != 0 {
		frac := strings.TrimRight(strconv.FormatInt(ns+1e9, 10)[1:], "0")
		s += "." + frac
	}
	return s + "s"
}

// parseDuration reads a google.protobuf.Duration in its JSON form. It
// accepts what formatDuration writes, and a negative sign, which callers
// refuse where it makes no sense.
func parseDuration(s string) (time.Duration, bool) {
	num, ok := strings.CutSuffix(s, "s")
	if !ok || num == "" {
		return 0, false
	}
	neg := false
	if num[0] == '-' {
		neg, num = true, num[1:]
	}
	whole, frac, hasFrac := strings.Cut(num, ".")
	if whole == "" || len(whole) > 12 || !digits(whole) || (hasFrac && (frac == "" || len(frac) > 9 || !digits(frac))) {
		return 0, false
	}
	secs, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || secs > int64(time.Duration(1<<63-1)/time.Second)-1 {
		return 0, false
	}
	d := time.Duration(secs) * time.Second
	if hasFrac {
		ns, _ := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		d += time.Duration(ns)
	}
	if neg {
		d = -d
	}
	return d, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
