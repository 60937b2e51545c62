package main

import (
	"fmt"
	"strings"
	"time"
)

// humanDuration says d in words for people, in its two largest units,
// rounded to the second: "5 minutes", "1 minute 30 seconds", "30 days 1
// hour" (never time.Duration's "721h59m21s"). Negative is "0 seconds".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		d = 0
	}
	units := []struct {
		n    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}}
	var parts []string
	for _, u := range units {
		if len(parts) == 2 {
			break
		}
		k := d / u.n
		d -= k * u.n
		if k == 0 {
			if len(parts) > 0 {
				break // "1 day 1 minute" would hide the hours
			}
			continue
		}
		s := fmt.Sprintf("%d %s", k, u.name)
		if k != 1 {
			s += "s"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "0 seconds"
	}
	return strings.Join(parts, " ")
}

// countdownText is the privileged window's time left as the page's
// script shows it while it counts down: "59 min 05 s".
func countdownText(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 0 {
		s = 0
	}
	return fmt.Sprintf("%d min %02d s", s/60, s%60)
}
