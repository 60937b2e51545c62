package servicepasstest

import (
	"errors"
	"slices"
	"time"

	"github.com/leanovate/gopter"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/servicepass"
)

func towardDuration(d, target time.Duration) []time.Duration {
	var out []time.Duration
	for _, v := range gentest.Toward(int64(d), int64(target)) {
		out = append(out, time.Duration(v))
	}
	return out
}

// shrinkActions removes one action at a time.
func shrinkActions(a servicepass.Actions) []servicepass.Actions {
	var out []servicepass.Actions
	for _, b := range a.List() {
		out = append(out, a&^b)
	}
	return out
}

// shrinkValidActions removes one action at a time while the set stays
// allowed in m; a single action shrinks to a lower single action allowed in
// m. The measure is (number of actions, value).
func shrinkValidActions(m servicepass.Mode, a servicepass.Actions) []servicepass.Actions {
	var out []servicepass.Actions
	for _, c := range shrinkActions(a) {
		if servicepass.CheckRules(m, c) == nil {
			out = append(out, c)
		}
	}
	if a.Count() == 1 {
		for b := servicepass.Actions(1); b < a; b <<= 1 {
			if servicepass.CheckRules(m, b) == nil {
				out = append(out, b)
			}
		}
	}
	return out
}

// shrinkDeviceID shortens a device ID (never to empty) and replaces its
// characters with 'a'.
func shrinkDeviceID(id string) []string {
	r := []rune(id)
	var out []string
	for _, s := range gentest.Shorter(r, 1) {
		out = append(out, string(s))
	}
	for i, c := range r {
		if c != 'a' {
			s := slices.Clone(r)
			s[i] = 'a'
			out = append(out, string(s))
		}
	}
	return out
}

// dayOffset returns the number of days from now's date in loc to d.
func dayOffset(d servicepass.Date, now time.Time, loc *time.Location) int {
	t := now.In(loc)
	today := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	day := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return int(day.Sub(today).Round(24*time.Hour) / (24 * time.Hour))
}

// dateAt returns the date k days after now's date in loc.
func dateAt(k int, now time.Time, loc *time.Location) servicepass.Date {
	return servicepass.DateOf(now.In(loc).AddDate(0, 0, k))
}

// requestShrinker shrinks a valid request while keeping it valid: to Device
// Owner (when anyMode), fewer actions, a shorter device ID, a validity nearer
// MinValidity, an expiry date nearer tomorrow.
func requestShrinker(now time.Time, loc *time.Location, anyMode bool) gopter.Shrinker {
	return gentest.ShrinkerOf(func(r servicepass.Request) []servicepass.Request {
		var out []servicepass.Request
		if anyMode && r.Mode != servicepass.DeviceOwner && servicepass.CheckRules(servicepass.DeviceOwner, r.Actions) == nil {
			c := r
			c.Mode = servicepass.DeviceOwner
			out = append(out, c)
		}
		for _, a := range shrinkValidActions(r.Mode, r.Actions) {
			c := r
			c.Actions = a
			if servicepass.DayValid(r.Mode, r.Actions) && !servicepass.DayValid(c.Mode, a) {
				c.ExpiryDate, c.Location, c.ExpiresAt = servicepass.Date{}, nil, now.Add(servicepass.MinValidity)
			}
			if servicepass.DayValid(c.Mode, a) && !servicepass.DayValid(r.Mode, r.Actions) {
				c.ExpiresAt, c.ExpiryDate, c.Location = time.Time{}, dateAt(1, now, loc), loc
			}
			out = append(out, c)
		}
		for _, id := range shrinkDeviceID(r.DeviceID) {
			c := r
			c.DeviceID = id
			out = append(out, c)
		}
		if servicepass.DayValid(r.Mode, r.Actions) {
			for _, k := range gentest.Toward(int64(dayOffset(r.ExpiryDate, now, loc)), 1) {
				c := r
				c.ExpiryDate = dateAt(int(k), now, loc)
				out = append(out, c)
			}
		} else {
			for _, d := range towardDuration(r.ExpiresAt.Sub(now), servicepass.MinValidity) {
				c := r
				c.ExpiresAt = now.Add(d)
				out = append(out, c)
			}
		}
		return out
	})
}

// actionRules are the rules CheckRules decides from the mode and the
// actions alone.
var actionRules = []error{servicepass.ErrUnknownMode, servicepass.ErrNoActions, servicepass.ErrDatabaseResetCombined,
	servicepass.ErrSetPasswordCombined, servicepass.ErrKioskOnCOPE, servicepass.ErrSetPasswordNotCOPE}

// invalidRequestShrinker shrinks an invalid request while Check at now
// still reports its rule, touching only what cannot break another rule:
// a shorter device ID (empty only for ErrDeviceID); for the action rules,
// Device Owner, a known mode nearer 2 and fewer actions; for the validity
// rules, a validity nearer zero (or MaxValidity + 1 ns); a shorter address
// or language for the email rules.
func invalidRequestShrinker(now time.Time) gopter.Shrinker {
	return gentest.ShrinkerOf(func(ir InvalidRequest) []InvalidRequest {
		r, rule := ir.Request, ir.Rule
		var cands []servicepass.Request
		if slices.Contains(actionRules, rule) {
			if r.Mode == servicepass.COPE && !r.Actions.Has(servicepass.SetPassword) {
				c := r
				c.Mode = servicepass.DeviceOwner
				cands = append(cands, c)
			}
			if !r.Mode.Valid() {
				for _, m := range gentest.Toward(int64(r.Mode), 2) {
					c := r
					c.Mode = servicepass.Mode(m)
					cands = append(cands, c)
				}
			}
			for _, a := range shrinkActions(r.Actions) {
				c := r
				c.Actions = a
				cands = append(cands, c)
			}
		}
		minID := 1
		if rule == servicepass.ErrDeviceID {
			minID = 0
		}
		for _, s := range gentest.Shorter([]byte(r.DeviceID), minID) {
			c := r
			c.DeviceID = string(s)
			cands = append(cands, c)
		}
		switch rule {
		case servicepass.ErrEmailAddress:
			for _, s := range gentest.Shorter([]byte(r.EmailTo), 0) {
				c := r
				c.EmailTo = string(s)
				cands = append(cands, c)
			}
		case servicepass.ErrLanguage:
			for _, s := range gentest.Shorter([]byte(r.Language), 0) {
				c := r
				c.Language = string(s)
				cands = append(cands, c)
			}
		case servicepass.ErrValidityShort, servicepass.ErrValidityLong:
			for _, v := range invalidValidityShrinks(Validity{r.ExpiresAt.Sub(now), rule}) {
				c := r
				c.ExpiresAt = now.Add(v.D)
				cands = append(cands, c)
			}
		}
		var out []InvalidRequest
		for _, c := range cands {
			if errors.Is(c.Check(now), rule) {
				out = append(out, InvalidRequest{c, rule})
			}
		}
		return out
	})
}

// validityShrinker shrinks a valid validity toward MinValidity.
var validityShrinker = gentest.ShrinkerOf(func(d time.Duration) []time.Duration {
	return towardDuration(d, servicepass.MinValidity)
})

// invalidValidityShrinker shrinks a validity that is too short toward zero
// and one that is too long toward MaxValidity + 1 ns, keeping the rule.
var invalidValidityShrinker = gentest.ShrinkerOf(invalidValidityShrinks)

func invalidValidityShrinks(v Validity) []Validity {
	target := time.Duration(0)
	if v.Rule == servicepass.ErrValidityLong {
		target = servicepass.MaxValidity + time.Nanosecond
	}
	var out []Validity
	for _, d := range towardDuration(v.D, target) {
		out = append(out, Validity{d, v.Rule})
	}
	return out
}
