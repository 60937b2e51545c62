package servicepasstest_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zone rules do not depend on the machine

	"github.com/leanovate/gopter"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/servicepass/servicepasstest"
)

var (
	now    = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	warsaw = mustLoad("Europe/Warsaw")
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// time/tzdata is linked into the test binary: this cannot happen.
		panic(err)
	}
	return loc
}

func validRequest(m servicepass.Mode) func(any) bool {
	return func(v any) bool {
		r := v.(servicepass.Request)
		return r.Check(now) == nil && (r.Mode == m || m > servicepass.COPE)
	}
}

func breaksRule(v any) bool {
	ir := v.(servicepasstest.InvalidRequest)
	return errors.Is(ir.Request.Check(now), ir.Rule)
}

func requestWith(id string, d time.Duration) servicepass.Request {
	return servicepass.Request{DeviceID: id, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock,
		Admin: servicepasstest.Admin, ExpiresAt: now.Add(d)}
}

func datedRequest(d servicepass.Date) servicepass.Request {
	return servicepass.Request{DeviceID: "d", Mode: servicepass.COPE, Actions: servicepass.SetPassword,
		Admin: servicepasstest.Admin, ExpiryDate: d, Location: warsaw}
}

// contracts pairs each exported generator with what its values promise.
var contracts = []gentest.Contract{
	{"GenActions", servicepasstest.GenActions(), func(any) bool { return true }},
	{"GenValidActions(DeviceOwner)", servicepasstest.GenValidActions(servicepass.DeviceOwner), func(v any) bool {
		return servicepass.CheckRules(servicepass.DeviceOwner, v.(servicepass.Actions)) == nil
	}},
	{"GenValidActions(COPE)", servicepasstest.GenValidActions(servicepass.COPE), func(v any) bool {
		return servicepass.CheckRules(servicepass.COPE, v.(servicepass.Actions)) == nil
	}},
	{"GenMode", servicepasstest.GenMode(), func(v any) bool { return v.(servicepass.Mode).Valid() }},
	{"GenDeviceID", servicepasstest.GenDeviceID(), func(v any) bool {
		r := requestWith(v.(string), time.Hour)
		return r.Check(now) == nil
	}},
	{"GenValidity", servicepasstest.GenValidity(), func(v any) bool {
		r := requestWith("d", v.(time.Duration))
		return r.Check(now) == nil
	}},
	{"GenInvalidValidity", servicepasstest.GenInvalidValidity(), func(v any) bool {
		val := v.(servicepasstest.Validity)
		r := requestWith("d", val.D)
		return errors.Is(r.Check(now), val.Rule)
	}},
	{"GenRequest(DeviceOwner)", servicepasstest.GenRequest(servicepass.DeviceOwner, now, warsaw), validRequest(servicepass.DeviceOwner)},
	{"GenRequest(COPE)", servicepasstest.GenRequest(servicepass.COPE, now, warsaw), validRequest(servicepass.COPE)},
	{"GenAnyRequest", servicepasstest.GenAnyRequest(now, warsaw), validRequest(255)},
	{"GenInvalidRequest", servicepasstest.GenInvalidRequest(now, warsaw), breaksRule},
	{"GenExpiryDate", servicepasstest.GenExpiryDate(now, warsaw), func(v any) bool {
		r := datedRequest(v.(servicepass.Date))
		return r.Check(now) == nil
	}},
	{"GenInvalidExpiryDate", servicepasstest.GenInvalidExpiryDate(now, warsaw), func(v any) bool {
		d := v.(servicepasstest.InvalidDate)
		r := datedRequest(d.Date)
		return errors.Is(r.Check(now), d.Rule)
	}},
}

func TestGeneratorContracts(t *testing.T) { gentest.CheckContracts(t, contracts) }

func TestDatesCoverTheBounds(t *testing.T) {
	// The day before the first date GenExpiryDate makes, and the day after
	// the last, are refused: the generator reaches both bounds.
	first, last := servicepass.Date{Year: 9999}, servicepass.Date{}
	params := gopter.DefaultGenParameters()
	for range 500 {
		d := servicepasstest.GenExpiryDate(now, warsaw)(params).Result.(servicepass.Date)
		if d.String() < first.String() {
			first = d
		}
		if d.String() > last.String() {
			last = d
		}
	}
	before := datedRequest(servicepass.DateOf(time.Date(first.Year, first.Month, first.Day-1, 12, 0, 0, 0, time.UTC)))
	after := datedRequest(servicepass.DateOf(time.Date(last.Year, last.Month, last.Day+1, 12, 0, 0, 0, time.UTC)))
	if err := before.Check(now); !errors.Is(err, servicepass.ErrValidityShort) {
		t.Errorf("day before %v: %v, want ErrValidityShort", first, err)
	}
	if err := after.Check(now); !errors.Is(err, servicepass.ErrValidityLong) {
		t.Errorf("day after %v: %v, want ErrValidityLong", last, err)
	}
}

// An always-false property shrinks each generator's values to its simplest.
func TestShrinkToSimplest(t *testing.T) {
	never := func(any) bool { return false }
	minimal := servicepass.Request{DeviceID: "a", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock,
		Admin: servicepasstest.Admin, ExpiresAt: now.Add(servicepass.MinValidity)}
	minimalCOPE := minimal
	minimalCOPE.Mode = servicepass.COPE
	first, _ := servicepasstest.GenExpiryDate(now, warsaw).Sample()
	for _, c := range []struct {
		name string
		gen  gopter.Gen
		want func(any) bool
	}{
		{"GenActions", servicepasstest.GenActions(), func(v any) bool { return v == servicepass.Actions(0) }},
		{"GenValidActions", servicepasstest.GenValidActions(servicepass.COPE), func(v any) bool { return v == servicepass.Unlock }},
		{"GenMode", servicepasstest.GenMode(), func(v any) bool { return v == servicepass.DeviceOwner }},
		{"GenDeviceID", servicepasstest.GenDeviceID(), func(v any) bool { return v == "a" }},
		{"GenValidity", servicepasstest.GenValidity(), func(v any) bool { return v == servicepass.MinValidity }},
		{"GenInvalidValidity", servicepasstest.GenInvalidValidity(), func(v any) bool {
			return v == servicepasstest.Validity{D: 0, Rule: servicepass.ErrValidityShort} ||
				v == servicepasstest.Validity{D: servicepass.MaxValidity + 1, Rule: servicepass.ErrValidityLong}
		}},
		{"GenRequest(DeviceOwner)", servicepasstest.GenRequest(servicepass.DeviceOwner, now, warsaw), func(v any) bool {
			return v.(servicepass.Request) == minimal
		}},
		{"GenRequest(COPE)", servicepasstest.GenRequest(servicepass.COPE, now, warsaw), func(v any) bool {
			return v.(servicepass.Request) == minimalCOPE
		}},
		{"GenAnyRequest", servicepasstest.GenAnyRequest(now, warsaw), func(v any) bool { return v.(servicepass.Request) == minimal }},
		{"GenInvalidRequest", servicepasstest.GenInvalidRequest(now, warsaw), func(v any) bool {
			ir := v.(servicepasstest.InvalidRequest)
			return breaksRule(v) && len(ir.Request.DeviceID) <= 1 && ir.Request.Actions.Count() <= 2
		}},
		{"GenExpiryDate", servicepasstest.GenExpiryDate(now, warsaw), func(v any) bool {
			d := v.(servicepass.Date)
			return dayBefore(d, first.(servicepass.Date)) || d == dateBefore(datedRequest(d))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, seed := range gentest.Seeds {
				if got := gentest.Counterexample(t, seed, c.gen, never); !c.want(got) {
					t.Errorf("seed %d: shrunk to %+v", seed, got)
				}
			}
		})
	}
}

func dayBefore(a, b servicepass.Date) bool { return a.String() <= b.String() }

// dateBefore returns the request's date if the day before it is refused as
// too short, which makes it the first allowed date.
func dateBefore(r servicepass.Request) servicepass.Date {
	d := r.ExpiryDate
	prev := datedRequest(servicepass.DateOf(time.Date(d.Year, d.Month, d.Day-1, 12, 0, 0, 0, time.UTC)))
	if errors.Is(prev.Check(now), servicepass.ErrValidityShort) {
		return d
	}
	return servicepass.Date{}
}

// Deliberately false properties: the reported counterexample is the
// smallest value that falsifies each.
func TestShrinkToMinimalCounterexample(t *testing.T) {
	for _, seed := range gentest.Seeds {
		if got := gentest.Counterexample(t, seed, servicepasstest.GenDeviceID(), func(id string) bool { return len(id) < 3 }); got != "aaa" {
			t.Errorf("seed %d: device ID gentest.Shorter than 3: shrunk to %q, want aaa", seed, got)
		}
		if got := gentest.Counterexample(t, seed, servicepasstest.GenActions(), func(a servicepass.Actions) bool {
			return !a.Has(servicepass.AllowFactoryReset)
		}); got != servicepass.AllowFactoryReset {
			t.Errorf("seed %d: no set has AllowFactoryReset: shrunk to %v", seed, got)
		}
		if got := gentest.Counterexample(t, seed, servicepasstest.GenValidActions(servicepass.DeviceOwner), func(a servicepass.Actions) bool {
			return a.Count() < 2
		}).(servicepass.Actions); got.Count() != 2 || servicepass.CheckRules(servicepass.DeviceOwner, got) != nil {
			t.Errorf("seed %d: fewer than 2 actions: shrunk to %v", seed, got)
		}
		if got := gentest.Counterexample(t, seed, servicepasstest.GenValidity(), func(d time.Duration) bool { return d < time.Hour }); got != time.Hour {
			t.Errorf("seed %d: validity under an hour: shrunk to %v", seed, got)
		}
		want := servicepass.Request{DeviceID: "a", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock,
			Admin: servicepasstest.Admin, ExpiresAt: now.Add(servicepass.MinValidity)}
		if got := gentest.Counterexample(t, seed, servicepasstest.GenAnyRequest(now, warsaw), func(r servicepass.Request) bool {
			return !r.Actions.Has(servicepass.Unlock)
		}); got != want {
			t.Errorf("seed %d: no request has Unlock: shrunk to %+v", seed, got)
		}
		if got := gentest.Counterexample(t, seed, servicepasstest.GenRequest(servicepass.COPE, now, warsaw), func(r servicepass.Request) bool {
			return r.Actions != servicepass.SetPassword || dayOffset(r) < 3
		}).(servicepass.Request); got.Actions != servicepass.SetPassword || dayOffset(got) != 3 || got.DeviceID != "a" {
			t.Errorf("seed %d: no set password code beyond 2 days: shrunk to %+v", seed, got)
		}
		ir := gentest.Counterexample(t, seed, servicepasstest.GenInvalidRequest(now, warsaw), func(ir servicepasstest.InvalidRequest) bool {
			return ir.Rule != servicepass.ErrValidityLong
		}).(servicepasstest.InvalidRequest)
		if ir.Rule != servicepass.ErrValidityLong || !ir.Request.ExpiresAt.Equal(now.Add(servicepass.MaxValidity+1)) || ir.Request.DeviceID != "d" {
			t.Errorf("seed %d: no validity too long: shrunk to %v", seed, ir)
		}
		ir = gentest.Counterexample(t, seed, servicepasstest.GenInvalidRequest(now, warsaw), func(ir servicepasstest.InvalidRequest) bool {
			return ir.Rule != servicepass.ErrLanguage
		}).(servicepasstest.InvalidRequest)
		if ir.Rule != servicepass.ErrLanguage || len(ir.Request.Language) != 1 {
			t.Errorf("seed %d: no bad language: shrunk to %v", seed, ir)
		}
	}
}

func dayOffset(r servicepass.Request) int {
	today := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	d := r.ExpiryDate
	return int(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Sub(today) / (24 * time.Hour))
}

func TestInvalidRequestString(t *testing.T) {
	ir := servicepasstest.InvalidRequest{Request: requestWith("d", 0), Rule: servicepass.ErrValidityShort}
	if s := ir.String(); !strings.HasPrefix(s, servicepass.ErrValidityShort.Error()) {
		t.Errorf("String() = %q", s)
	}
}

func TestRunStoreMem(t *testing.T) {
	servicepasstest.RunStore(t, func(*testing.T) servicepass.Store { return servicepass.NewMemStore() })
	servicepasstest.RunDeviceStore(t, func(*testing.T) servicepass.DeviceStore { return &servicepass.MemDeviceStore{} })
}

// TestDatesAgreeWithIssuerAcrossMidnightGap: where a DST change skips
// midnight (Santiago, 2026-09-06 00:00 -> 01:00), the end of 2026-09-05 is
// 04:00Z, not 03:00Z; every generated date must still pass Request.Check.
func TestDatesAgreeWithIssuerAcrossMidnightGap(t *testing.T) {
	santiago := mustLoad("America/Santiago")
	at := time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC).Add(-servicepass.MaxValidity - 30*time.Minute)
	params := gopter.DefaultGenParameters()
	for range 300 {
		d := servicepasstest.GenExpiryDate(at, santiago)(params).Result.(servicepass.Date)
		r := servicepass.Request{DeviceID: "d", Mode: servicepass.COPE, Actions: servicepass.SetPassword,
			Admin: servicepasstest.Admin, ExpiryDate: d, Location: santiago}
		if err := r.Check(at); err != nil {
			t.Fatalf("generated %v at %v: %v", d, at, err)
		}
	}
}
