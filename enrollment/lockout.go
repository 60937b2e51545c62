package enrollment

import (
	"slices"
	"strconv"
	"time"
)

// Rule names the lockout rule that locked a passcode.
type Rule uint8

// Lockout rules; see "Lockout and alert" in the package documentation.
const (
	// RuleConsecutive: Config.Threshold failures in a row at the site,
	// with no success in between.
	RuleConsecutive Rule = iota + 1
	// RuleSource: Config.SourceThreshold failures in a row from one
	// source, with no success from that source in between.
	RuleSource
	// RuleRate: failures at the site in the last Config.RateWindow (a
	// sliding window) reached Config.RateFailures.
	RuleRate
)

var ruleNames = [...]string{RuleConsecutive: "consecutive", RuleSource: "source", RuleRate: "rate"}

// String returns "consecutive", "source" or "rate".
func (r Rule) String() string {
	if int(r) < len(ruleNames) && ruleNames[r] != "" {
		return ruleNames[r]
	}
	return "Rule(" + strconv.Itoa(int(r)) + ")"
}

// MaxSources is how many sources a [Lockout] follows at once for
// [RuleSource]: the most recent ones with a failure since their last
// success. When a new source fails with the list full, the one whose last
// failure is oldest is forgotten; an attacker that spreads over more
// sources than this meets [RuleRate] and [RuleConsecutive] instead.
const MaxSources = 64

// Lockout is a site's failed-attempt state: the monitoring counters the
// admin console shows and what the lockout rules need. The [Service]
// computes it (the rules live in this package, not in any backend); a
// [Store] keeps it as given, in the record [Store.Write] writes.
type Lockout struct {
	// Failures counts failed attempts since the passcode was generated,
	// including those made after it locked (monitoring only: no rule
	// reads it).
	Failures    int
	LastFailure time.Time
	LastSource  string

	// Consecutive counts failures at the site since its last success.
	Consecutive int
	// Sources counts, per source, failures since that source's last
	// success; least recently failed first, at most [MaxSources].
	Sources []SourceFailures
	// RateStart is the start of the current fixed window of the sliding
	// window estimate (a multiple of Config.RateWindow since the zero
	// time); RateCount and RatePrev are the failures in it and in the
	// window before it.
	RateStart time.Time
	RateCount int
	RatePrev  int

	Locked   bool
	LockedAt time.Time
	// Rule is the rule that locked the passcode; zero when not locked.
	Rule Rule
}

// SourceFailures is one entry of [Lockout.Sources].
type SourceFailures struct {
	Source      string
	Consecutive int
}

// clone returns l sharing no memory with it.
func (l Lockout) clone() Lockout {
	l.Sources = slices.Clone(l.Sources)
	return l
}

// rules are the lockout rules with their configured limits. Their two
// transitions, fail and succeed, are pure: the Service loads a record,
// applies one of them and writes the result back with a compare-and-swap
// on the record's version.
type rules struct {
	threshold       int           // consecutive failures at the site
	sourceThreshold int           // consecutive failures from one source
	rateFailures    int           // failures in a sliding window
	rateWindow      time.Duration // whole seconds
}

// fail returns l after a failed attempt from source at time at, and the
// rule that locked it if this failure did (zero otherwise). Failures on a
// locked passcode are counted for monitoring and change nothing else.
func (r rules) fail(l Lockout, at time.Time, source string) (Lockout, Rule) {
	l = l.clone()
	l.Failures++
	l.LastFailure, l.LastSource = at, source
	if l.Locked {
		return l, 0
	}
	l.Consecutive++

	i := slices.IndexFunc(l.Sources, func(s SourceFailures) bool { return s.Source == source })
	e := SourceFailures{Source: source}
	if i >= 0 {
		e = l.Sources[i]
		l.Sources = slices.Delete(l.Sources, i, i+1)
	} else if len(l.Sources) >= MaxSources {
		l.Sources = slices.Delete(l.Sources, 0, len(l.Sources)-MaxSources+1)
	}
	e.Consecutive++
	l.Sources = append(l.Sources, e)

	start := at.Truncate(r.rateWindow)
	switch {
	case !start.After(l.RateStart):
		// The same window, or a clock turned back: count it in the
		// current one.
		l.RateCount++
	case start.Equal(l.RateStart.Add(r.rateWindow)):
		l.RateStart, l.RatePrev, l.RateCount = start, l.RateCount, 1
	default:
		l.RateStart, l.RatePrev, l.RateCount = start, 0, 1
	}

	var rule Rule
	switch {
	case l.Consecutive >= r.threshold:
		rule = RuleConsecutive
	case e.Consecutive >= r.sourceThreshold:
		rule = RuleSource
	case r.rate(l, at) >= float64(r.rateFailures):
		rule = RuleRate
	default:
		return l, 0
	}
	l.Locked, l.LockedAt, l.Rule = true, at, rule
	return l, rule
}

// rate is the sliding-window estimate of the failures in the Window before
// at: the current fixed window's count plus the previous one's weighted by
// the share of it that the sliding window still covers (failures assumed
// evenly spread within a window).
func (r rules) rate(l Lockout, at time.Time) float64 {
	elapsed := at.Sub(l.RateStart)
	if elapsed < 0 {
		elapsed = 0
	}
	share := 1 - float64(elapsed)/float64(r.rateWindow)
	return float64(l.RateCount) + float64(l.RatePrev)*max(share, 0)
}

// succeed returns l after a successful attempt from source, and whether
// that changed anything: a success resets the site's consecutive count and
// the source's. When nothing changes (no failure since the last success,
// which is the common case) the Service writes nothing to the site's
// record, so successes do not queue on it.
func (r rules) succeed(l Lockout, source string) (Lockout, bool) {
	i := slices.IndexFunc(l.Sources, func(s SourceFailures) bool { return s.Source == source })
	if l.Consecutive == 0 && i < 0 {
		return l, false
	}
	l = l.clone()
	l.Consecutive = 0
	if i >= 0 {
		l.Sources = slices.Delete(l.Sources, i, i+1)
	}
	return l, true
}
