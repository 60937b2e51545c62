// Package servicepasstest is the test kit for servicepass: gopter
// generators for requests, action sets, expiries and device IDs, and the
// conformance suites every [servicepass.DeviceStore] and [servicepass.Store]
// backend must pass ([RunDeviceStore], [RunStore]).
//
// Start with [GenAnyRequest] (or [GenRequest] for one mode): feed its
// requests to your console's issuing path in a gopter property, with a
// [github.com/mdmcred/mdmcred/mdmcredtest.Clock] reading the same now as the service's Now. Use
// [GenInvalidRequest] to check that your console refuses what Issue
// refuses, with the same rule. For challenge-bound codes, [GenChallenge],
// [GenTypedChallenge] and [GenMistypedChallenge] feed a console's challenge
// field, and [GenResponseRequest] and [GenInvalidResponseRequest] its calls
// to [servicepass.Issuer.Respond]. A backend for the audit log or the device
// state calls [RunStore] or [RunDeviceStore] from its own test.
//
// Every generator shrinks: a failing property is reported with a small
// counterexample (few actions, a short device ID, a validity near the
// minimum) that still meets the generator's contract.
//
// Import it only from _test.go files: it pulls in gopter and testing.
package servicepasstest

import (
	"errors"
	"fmt"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/servicepass"
)

// Admin is the acting administrator the request generators put in every
// request.
const Admin = "admin@example.com"

// ValidActionSets returns every action set allowed in m, in ascending order.
func ValidActionSets(m servicepass.Mode) []servicepass.Actions {
	var out []servicepass.Actions
	for a := 0; a < 256; a++ {
		if servicepass.CheckRules(m, servicepass.Actions(a)) == nil {
			out = append(out, servicepass.Actions(a))
		}
	}
	return out
}

// GenActions generates any action set (all 256, allowed or not). It
// shrinks by removing actions one at a time.
func GenActions() gopter.Gen {
	return gen.UInt8().Map(func(v uint8) servicepass.Actions { return servicepass.Actions(v) }).
		WithShrinker(gentest.ShrinkerOf(shrinkActions))
}

// GenValidActions generates action sets allowed in m, uniformly. It shrinks
// by removing actions while the set stays allowed, and a single action to a
// lower one allowed in m (Unlock in the end).
func GenValidActions(m servicepass.Mode) gopter.Gen {
	sets := ValidActionSets(m)
	vals := make([]any, len(sets))
	for i, s := range sets {
		vals[i] = s
	}
	return gen.OneConstOf(vals...).WithShrinker(gentest.ShrinkerOf(func(a servicepass.Actions) []servicepass.Actions {
		return shrinkValidActions(m, a)
	}))
}

// GenMode generates the two activation modes. COPE shrinks to Device Owner.
func GenMode() gopter.Gen {
	return gen.OneConstOf(servicepass.DeviceOwner, servicepass.COPE).
		WithShrinker(gentest.ShrinkerOf(func(m servicepass.Mode) []servicepass.Mode {
			if m == servicepass.DeviceOwner {
				return nil
			}
			return []servicepass.Mode{servicepass.DeviceOwner}
		}))
}

// GenDeviceID generates valid device IDs: identifiers, UUID-shaped strings and
// IDs of the maximum length. They shrink to shorter IDs (never empty) made
// of 'a's.
func GenDeviceID() gopter.Gen {
	return gen.OneGenOf(
		gen.Identifier().SuchThat(func(s string) bool { return s != "" && len(s) <= servicepass.MaxDeviceIDLen }),
		gen.UInt64().Map(func(v uint64) string {
			return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(v>>32), uint16(v>>16), uint16(v)&0xfff, uint16(v>>4)&0xfff, v&0xffffffffffff)
		}),
		gen.AlphaNumChar().Map(func(c rune) string {
			b := make([]byte, servicepass.MaxDeviceIDLen)
			for i := range b {
				b[i] = byte(c)
			}
			return string(b)
		}),
	).WithShrinker(gentest.ShrinkerOf(shrinkDeviceID))
}

// GenValidity generates validity periods that Issue accepts: the exact
// bounds, the default, and values in between. They shrink toward
// MinValidity.
func GenValidity() gopter.Gen {
	return gen.OneGenOf(
		gen.OneConstOf(servicepass.MinValidity, servicepass.MaxValidity, servicepass.DefaultValidity,
			servicepass.MinValidity+time.Minute, servicepass.MaxValidity-time.Minute),
		gen.Int64Range(int64(servicepass.MinValidity), int64(servicepass.MaxValidity)).
			Map(func(v int64) time.Duration { return time.Duration(v) }),
	).WithShrinker(validityShrinker)
}

// GenInvalidValidity generates validity periods just and far outside the
// bounds, labelled with the rule they break. A validity that is too short
// shrinks toward zero, one that is too long toward MaxValidity + 1 ns.
func GenInvalidValidity() gopter.Gen {
	short := gen.OneConstOf(servicepass.MinValidity-time.Nanosecond, servicepass.MinValidity-time.Minute, time.Duration(0), -time.Hour).
		Map(func(d time.Duration) Validity { return Validity{d, servicepass.ErrValidityShort} })
	long := gen.OneConstOf(servicepass.MaxValidity+time.Nanosecond, servicepass.MaxValidity+time.Minute, 2*servicepass.MaxValidity).
		Map(func(d time.Duration) Validity { return Validity{d, servicepass.ErrValidityLong} })
	return gen.OneGenOf(short, long).WithShrinker(invalidValidityShrinker)
}

// Validity is a validity period and the rule it breaks.
type Validity struct {
	D    time.Duration
	Rule error
}

// GenRequest generates valid requests in mode m at now, with day-valid
// requests (COPE SetPassword) dated 1 to 28 days after now's date in loc.
// They ask for neither a QR code nor email. A request shrinks, staying valid
// in m, to fewer actions, a shorter device ID, a validity nearer
// MinValidity and an expiry date nearer tomorrow.
func GenRequest(m servicepass.Mode, now time.Time, loc *time.Location) gopter.Gen {
	return gopter.CombineGens(GenDeviceID(), GenValidActions(m), GenValidity(), gen.IntRange(1, 28)).
		Map(func(v []any) servicepass.Request {
			r := servicepass.Request{
				DeviceID: v[0].(string), Mode: m, Actions: v[1].(servicepass.Actions), Admin: Admin,
			}
			if servicepass.DayValid(m, r.Actions) {
				r.ExpiryDate = servicepass.DateOf(now.In(loc).AddDate(0, 0, v[3].(int)))
				r.Location = loc
			} else {
				r.ExpiresAt = now.Add(v[2].(time.Duration))
			}
			return r
		}).WithShrinker(requestShrinker(now, loc, false))
}

// GenAnyRequest generates valid requests in both modes. It shrinks as
// [GenRequest] does, and a COPE request whose actions Device Owner allows
// to Device Owner.
func GenAnyRequest(now time.Time, loc *time.Location) gopter.Gen {
	return gen.OneGenOf(GenRequest(servicepass.DeviceOwner, now, loc), GenRequest(servicepass.COPE, now, loc)).
		WithShrinker(requestShrinker(now, loc, true))
}

// InvalidRequest is a request that breaks exactly the rule Rule.
type InvalidRequest struct {
	Request servicepass.Request
	Rule    error
}

// String names the broken rule, for gopter's reports.
func (r InvalidRequest) String() string { return fmt.Sprintf("%v: %+v", r.Rule, r.Request) }

func nonZero(mask servicepass.Actions) gopter.Gen {
	return GenActions().SuchThat(func(a servicepass.Actions) bool { return a&mask != 0 }).
		Map(func(a servicepass.Actions) servicepass.Actions { return a & mask })
}

// GenInvalidRequest generates requests at now that each break one rule,
// labelled with the sentinel Issue (and Request.Check) must return. A request
// shrinks while Check still returns its rule, changing only the fields that
// rule is about (and shortening the device ID).
func GenInvalidRequest(now time.Time, loc *time.Location) gopter.Gen {
	base := func(m servicepass.Mode, a servicepass.Actions) servicepass.Request {
		r := servicepass.Request{DeviceID: "device-1", Mode: m, Actions: a, Admin: Admin, ExpiresAt: now.Add(time.Hour)}
		if servicepass.DayValid(m, a) {
			r.ExpiresAt = time.Time{}
			r.ExpiryDate = servicepass.DateOf(now.In(loc).AddDate(0, 0, 2))
			r.Location = loc
		}
		return r
	}
	label := func(rule error, f func(servicepass.Request) servicepass.Request, m servicepass.Mode, a servicepass.Actions) InvalidRequest {
		return InvalidRequest{f(base(m, a)), rule}
	}
	id := func(r servicepass.Request) servicepass.Request { return r }
	others := servicepass.AllActions &^ (servicepass.EmergencyDatabaseReset | servicepass.SetPassword)
	gens := []gopter.Gen{
		gen.UInt8Range(2, 255).Map(func(m uint8) InvalidRequest {
			return label(servicepass.ErrUnknownMode, id, servicepass.Mode(m), servicepass.Unlock)
		}),
		GenMode().Map(func(m servicepass.Mode) InvalidRequest { return label(servicepass.ErrNoActions, id, m, 0) }),
		gopter.CombineGens(GenMode(), nonZero(servicepass.AllActions&^servicepass.EmergencyDatabaseReset)).Map(func(v []any) InvalidRequest {
			return label(servicepass.ErrDatabaseResetCombined, id, v[0].(servicepass.Mode), servicepass.EmergencyDatabaseReset|v[1].(servicepass.Actions))
		}),
		gopter.CombineGens(GenMode(), nonZero(others)).Map(func(v []any) InvalidRequest {
			return label(servicepass.ErrSetPasswordCombined, id, v[0].(servicepass.Mode), servicepass.SetPassword|v[1].(servicepass.Actions))
		}),
		nonZero(others &^ servicepass.DisableKiosk).Map(func(a servicepass.Actions) InvalidRequest {
			return label(servicepass.ErrKioskOnCOPE, id, servicepass.COPE, a|servicepass.DisableKiosk)
		}),
		gen.Const(label(servicepass.ErrSetPasswordNotCOPE, id, servicepass.DeviceOwner, servicepass.SetPassword)),
		gopter.CombineGens(GenMode(), GenInvalidValidity()).Map(func(v []any) InvalidRequest {
			val := v[1].(Validity)
			return label(val.Rule, func(r servicepass.Request) servicepass.Request { r.ExpiresAt = now.Add(val.D); return r },
				v[0].(servicepass.Mode), servicepass.Unlock)
		}),
		gen.OneConstOf("", string(make([]byte, servicepass.MaxDeviceIDLen+1)), "bad\nid").Map(func(s string) InvalidRequest {
			return label(servicepass.ErrDeviceID, func(r servicepass.Request) servicepass.Request { r.DeviceID = s; return r },
				servicepass.DeviceOwner, servicepass.Unlock)
		}),
		gen.Const(label(servicepass.ErrExpiryDate, func(r servicepass.Request) servicepass.Request {
			r.ExpiryDate = servicepass.Date{}
			return r
		}, servicepass.COPE, servicepass.SetPassword)),
		gen.Const(label(servicepass.ErrExpiryDate, func(r servicepass.Request) servicepass.Request {
			r.ExpiryDate = servicepass.DateOf(now.AddDate(0, 0, 2))
			return r
		}, servicepass.DeviceOwner, servicepass.Unlock)),
		gen.Const(label(servicepass.ErrQRNotAllowed, func(r servicepass.Request) servicepass.Request {
			r.WantQR = true
			return r
		}, servicepass.COPE, servicepass.SetPassword)),
		gen.OneConstOf("", "not-an-address", "Name <a@example.com>", "a@").Map(func(s string) InvalidRequest {
			return label(servicepass.ErrEmailAddress, func(r servicepass.Request) servicepass.Request {
				r.SendEmail, r.EmailTo = true, s
				return r
			}, servicepass.DeviceOwner, servicepass.Unlock)
		}),
		gen.OneConstOf("e", "english!", "en_US", "1n").Map(func(s string) InvalidRequest {
			return label(servicepass.ErrLanguage, func(r servicepass.Request) servicepass.Request { r.Language = s; return r },
				servicepass.DeviceOwner, servicepass.Unlock)
		}),
		gen.Const(label(servicepass.ErrAdmin, func(r servicepass.Request) servicepass.Request { r.Admin = ""; return r },
			servicepass.DeviceOwner, servicepass.Unlock)),
	}
	return gen.OneGenOf(gens...).WithShrinker(invalidRequestShrinker(now))
}

// IsRule reports whether err matches rule, for properties over
// [GenInvalidRequest].
func IsRule(err, rule error) bool { return errors.Is(err, rule) }

// dayBounds returns the first and last day offsets from now's date in loc
// whose end (the first instant of the next date, in loc) lies within the
// validity bounds from now: the dates a day-valid request may carry. It asks
// Request.Check, so that it agrees with the issuer also where a DST change
// skips midnight.
func dayBounds(now time.Time, loc *time.Location) (first, last int) {
	first, last = 1<<30, -1<<30
	for k := -2; k <= 40; k++ {
		t := now.In(loc)
		r := servicepass.Request{DeviceID: "bounds", Mode: servicepass.COPE, Actions: servicepass.SetPassword, Admin: Admin,
			ExpiryDate: servicepass.DateOf(time.Date(t.Year(), t.Month(), t.Day()+k, 12, 0, 0, 0, time.UTC)), Location: loc}
		if r.Check(now) == nil {
			first, last = min(first, k), max(last, k)
		}
	}
	return first, last
}

// GenExpiryDate generates the expiry dates a day-valid request (COPE
// SetPassword) at now may carry in loc: the first and the last allowed date,
// their neighbours inside the bounds, and any date between. It shrinks
// toward the first allowed date.
func GenExpiryDate(now time.Time, loc *time.Location) gopter.Gen {
	first, last := dayBounds(now, loc)
	return gen.OneGenOf(gen.OneConstOf(first, last, first+1, last-1), gen.IntRange(first, last)).
		Map(func(k int) servicepass.Date { return dateAt(k, now, loc) }).
		WithShrinker(gentest.ShrinkerOf(func(d servicepass.Date) []servicepass.Date {
			var out []servicepass.Date
			for _, k := range gentest.Toward(int64(dayOffset(d, now, loc)), int64(first)) {
				out = append(out, dateAt(int(k), now, loc))
			}
			return out
		}))
}

// InvalidDate is an expiry date and the rule a day-valid request carrying it
// breaks.
type InvalidDate struct {
	Date servicepass.Date
	Rule error
}

// GenInvalidExpiryDate generates expiry dates a day-valid request at now may
// not carry in loc, labelled with the rule Check returns: a day or more
// before the first allowed date (ErrValidityShort), after the last
// (ErrValidityLong), and dates that are not on the calendar
// (ErrExpiryDate). The first two shrink toward the nearest refused date.
func GenInvalidExpiryDate(now time.Time, loc *time.Location) gopter.Gen {
	first, last := dayBounds(now, loc)
	y := now.In(loc).Year()
	short := gen.OneConstOf(first-1, first-2, first-30).
		Map(func(k int) InvalidDate { return InvalidDate{dateAt(k, now, loc), servicepass.ErrValidityShort} })
	long := gen.OneConstOf(last+1, last+2, last+365).
		Map(func(k int) InvalidDate { return InvalidDate{dateAt(k, now, loc), servicepass.ErrValidityLong} })
	notOnCalendar := gen.OneConstOf(servicepass.Date{Year: y + 1, Month: time.February, Day: 30},
		servicepass.Date{Year: y + 1, Month: time.April, Day: 31}, servicepass.Date{Year: y + 1, Month: 13, Day: 1},
		servicepass.Date{Year: y + 1, Month: time.January, Day: 0}).
		Map(func(d servicepass.Date) InvalidDate { return InvalidDate{d, servicepass.ErrExpiryDate} })
	return gen.OneGenOf(short, long, notOnCalendar).WithShrinker(gentest.ShrinkerOf(func(v InvalidDate) []InvalidDate {
		target := first - 1
		switch v.Rule {
		case servicepass.ErrValidityLong:
			target = last + 1
		case servicepass.ErrValidityShort:
		default:
			return nil
		}
		var out []InvalidDate
		for _, k := range gentest.Toward(int64(dayOffset(v.Date, now, loc)), int64(target)) {
			out = append(out, InvalidDate{dateAt(int(k), now, loc), v.Rule})
		}
		return out
	}))
}
