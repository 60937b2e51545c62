package main

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var humanDurationCases = []struct {
	d    time.Duration
	want string
}{
	{0, "0 seconds"},
	{time.Second, "1 second"},
	{45 * time.Second, "45 seconds"},
	{5 * time.Minute, "5 minutes"},
	{90 * time.Second, "1 minute 30 seconds"},
	{time.Hour, "1 hour"},
	{24 * time.Hour, "1 day"},
	{30 * 24 * time.Hour, "30 days"},
	{721*time.Hour + 59*time.Minute + 21*time.Second, "30 days 1 hour"},
	{25*time.Hour + 30*time.Minute, "1 day 1 hour"},
	{1500 * time.Millisecond, "2 seconds"},
	{-5 * time.Minute, "0 seconds"},
}

func TestHumanDuration(t *testing.T) {
	for _, tc := range humanDurationCases {
		if got := humanDuration(tc.d); got != tc.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// goDuration matches time.Duration's String form ("5m0s", "721h59m21s"),
// which no page may show (issue 27).
var goDuration = regexp.MustCompile(`\b\d+h\d+m\d+s\b|\b\d+m\d+s\b|\b\d+h0m0s\b`)

// TestNoGoDurationsOnPages: the pages that show a length of time show it
// in words.
func TestNoGoDurationsOnPages(t *testing.T) {
	c := newConsole(t)
	c.signInAdmin()
	now := c.clock.Now().In(c.zone)
	at := func(d time.Duration) string { return now.Add(d).Format(localLayout) }
	p := c.issue("dev-do-1", url.Values{"action": {"Unlock"}, "expires": {at(31 * 24 * time.Hour)}})
	if e := fieldError(p.Body, "expires"); e == "" || goDuration.MatchString(e) || !strings.Contains(e, "30 days") {
		t.Errorf("expiry error %q", e)
	}
	p = c.issue("dev-do-1", url.Values{"action": {"Unlock"}, "expires": {at(2 * time.Minute)}})
	if e := fieldError(p.Body, "expires"); e == "" || goDuration.MatchString(e) || !strings.Contains(e, "5 minutes") {
		t.Errorf("expiry error %q", e)
	}
	c.signInPortal("anna@example.com")
	c.clock.Advance(6 * time.Minute) // past the re-authentication window
	if p := c.post("/portal/", "/portal/devices/dev-do-1/reset", nil); goDuration.MatchString(p.Body) || !strings.Contains(p.Body, "You then have 5 minutes") {
		t.Errorf("portal: %d %q", p.Status, goDuration.FindString(p.Body))
	}
}
