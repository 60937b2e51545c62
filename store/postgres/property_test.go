package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/store/postgres"
)

func params() *gopter.TestParameters {
	p := gopter.DefaultTestParameters()
	p.MinSuccessfulTests = 80
	p.MinSize = 10
	p.MaxSize = 60
	return p
}

// sentinel names the error class a store returned, so the two stores'
// answers can be compared.
func sentinel(err error, known ...error) string {
	if err == nil {
		return "ok"
	}
	for _, k := range known {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	return "unexpected: " + err.Error()
}

// For every sequence of operations on a few sites sharing a few digests,
// the PostgreSQL store answers exactly as the reference MemStore does.
func TestPropertyEnrollmentStoreMatchesMemStore(t *testing.T) {
	pg := postgres.NewEnrollmentStore(migrated(t))
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	known := []error{enrollment.ErrNoPasscode, enrollment.ErrNotFound, enrollment.ErrDuplicate, enrollment.ErrConflict}
	run, total := 0, 0
	properties := gopter.NewProperties(params())
	properties.Property("same answers as MemStore", prop.ForAll(func(ops []uint32) string {
		run++
		total += len(ops)
		mem := enrollment.NewMemStore()
		site := func(op uint32) string { return fmt.Sprintf("r%d-site-%d", run, op%3) }
		digest := func(op uint32) []byte { return []byte(fmt.Sprintf("r%d-digest-%d", run, op%4)) }
		for i, op := range ops {
			at := t0.Add(time.Duration(i) * time.Second)
			s, d, arg := site(op>>3), digest(op>>5), int(op>>7)
			// Every write and append is decided on the current revision,
			// or on the one before it (a stale decision).
			cur, _ := mem.Load(ctx, s)
			prev := cur.Rev
			if prev > 0 {
				prev -= uint64(arg % 2)
			}
			evs := []enrollment.Event{{Site: s, Kind: enrollment.EventKind(1 + arg%9), At: at, Source: fmt.Sprint("src", arg%3), Failures: i}}
			var a, b string
			switch op % 6 {
			case 0:
				// A new passcode: another digest, everything replaced.
				rec := enrollment.Record{Site: s, Digest: d, Sealed: d[:arg%3], GeneratedAt: at, GeneratedBy: "admin",
					Disabled: arg%5 == 0, DisabledAt: at, DisabledBy: "admin", Lockout: lockoutOf(arg, at, i), Rev: prev + 1}
				a, b = sentinel(mem.Write(ctx, rec, prev, evs), known...), sentinel(pg.Write(ctx, rec, prev, evs), known...)
			case 1:
				// A lockout change on the loaded record.
				rec := cur
				rec.Site, rec.Lockout, rec.Rev = s, lockoutOf(arg, at, i), prev+1
				if rec.Digest == nil { // none stored: digests are unique to the run
					rec.Digest = d
				}
				a, b = sentinel(mem.Write(ctx, rec, prev, evs), known...), sentinel(pg.Write(ctx, rec, prev, evs), known...)
			case 2:
				a, b = sentinel(mem.Append(ctx, s, prev, evs), known...), sentinel(pg.Append(ctx, s, prev, evs), known...)
			case 3:
				ms, merr := mem.Lookup(ctx, d)
				ps, perr := pg.Lookup(ctx, d)
				a, b = ms+sentinel(merr, known...), ps+sentinel(perr, known...)
			case 4:
				mr, merr := mem.Load(ctx, s)
				pr, perr := pg.Load(ctx, s)
				a, b = sentinel(merr, known...), sentinel(perr, known...)
				if merr == nil && perr == nil && !sameRecord(mr, pr) {
					return fmt.Sprintf("op %d Load: pg %+v, mem %+v", i, pr, mr)
				}
			case 5:
				me, _ := mem.Events(ctx, s)
				pe, _ := pg.Events(ctx, s)
				a, b = fmt.Sprint(len(me)), fmt.Sprint(len(pe))
			}
			if a != b {
				return fmt.Sprintf("op %d (%d): pg %s, mem %s", i, op%6, b, a)
			}
		}
		return ""
	}, gen.SliceOf(gen.UInt32())))
	properties.TestingRun(t)
	t.Logf("%d runs, %d operations", run, total)
}

// lockoutOf is a lockout with every field drawn from arg.
func lockoutOf(arg int, at time.Time, i int) enrollment.Lockout {
	l := enrollment.Lockout{
		Failures: arg % 5, LastFailure: at, LastSource: fmt.Sprint("src", i), Consecutive: arg % 4,
		RateStart: at.Truncate(time.Minute), RateCount: arg % 6, RatePrev: arg % 9,
		Locked: arg%7 == 0, Rule: enrollment.Rule(arg % 4),
	}
	for k := range arg % 3 {
		l.Sources = append(l.Sources, enrollment.SourceFailures{Source: fmt.Sprint("src", k), Consecutive: k + 1})
	}
	if l.Locked {
		l.LockedAt = at
	}
	return l
}

func sameRecord(a, b enrollment.Record) bool {
	return a.Site == b.Site && bytes.Equal(a.Digest, b.Digest) && bytes.Equal(a.Sealed, b.Sealed) &&
		a.GeneratedAt.Equal(b.GeneratedAt) && a.GeneratedBy == b.GeneratedBy &&
		a.Disabled == b.Disabled && a.DisabledAt.Equal(b.DisabledAt) && a.DisabledBy == b.DisabledBy &&
		a.Failures == b.Failures && a.LastFailure.Equal(b.LastFailure) && a.LastSource == b.LastSource &&
		a.Consecutive == b.Consecutive && slices.Equal(a.Sources, b.Sources) &&
		a.RateStart.Equal(b.RateStart) && a.RateCount == b.RateCount && a.RatePrev == b.RatePrev &&
		a.Locked == b.Locked && a.LockedAt.Equal(b.LockedAt) && a.Rule == b.Rule && a.Rev == b.Rev
}

// For every sequence of inserts and compare-and-swap writes (on the current
// revision, a stale one or a missing reset, opening, keeping or closing
// the device's open slot) on a few devices, the
// PostgreSQL store answers as the reference MemStore does, and its open
// resets, stale list and events agree.
func TestPropertyPasscodeStoreMatchesMemStore(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	known := []error{passcode.ErrNotFound, passcode.ErrConflict}
	run, total := 0, 0
	properties := gopter.NewProperties(params())
	properties.Property("same answers as MemStore", prop.ForAll(func(ops []uint32) string {
		run++
		total += len(ops)
		mem := passcode.NewMemStore()
		pg := postgres.NewPasscodeStore(migrated(t)) // Stale sees the whole table
		for i, op := range ops {
			at := t0.Add(time.Duration(i) * time.Minute)
			device := fmt.Sprintf("r%d-d%d", run, (op>>3)%3)
			id := fmt.Sprintf("r%d-id%d", run, (op>>5)%6)
			var a, b string
			switch op % 4 {
			case 0:
				r := passcode.Reset{ID: id, DeviceID: device, Platform: passcode.AndroidDeviceOwner, Action: passcode.SetPasscode,
					State: passcode.Requested, RequestedAt: at, UpdatedAt: at, StaleAt: at.Add(time.Duration((op>>8)%90) * time.Minute),
					Sealed: []byte(id), Rev: 1}
				if op&(1<<14) == 0 {
					r.OpenDevice = device
				}
				ev := passcode.Event{Kind: passcode.EventTransition, ResetID: id, DeviceID: device, To: passcode.Requested, At: at}
				a, b = sentinel(mem.Write(ctx, r, 0, []passcode.Event{ev}), known...), sentinel(pg.Write(ctx, r, 0, []passcode.Event{ev}), known...)
			case 1:
				// Decided on the reference's record: its revision, one
				// before (stale), or a reset that is not there.
				r, _ := mem.Load(ctx, id)
				r.ID, r.DeviceID = id, device
				prev := r.Rev - uint64((op>>8)%2)
				if r.Rev == 0 || prev == 0 {
					prev = 1 + uint64((op>>9)%3)
				}
				to := passcode.State(1 + (op>>11)%6)
				r.State, r.UpdatedAt, r.Rev, r.OpenDevice = to, at, prev+1, ""
				if op&(1<<14) == 0 {
					r.OpenDevice = device
				}
				var evs []passcode.Event
				for k := range (op >> 15) % 3 {
					evs = append(evs, passcode.Event{Kind: passcode.EventTransition, ResetID: id, DeviceID: device, From: passcode.State(k), To: to, At: at})
				}
				a, b = sentinel(mem.Write(ctx, r, prev, evs), known...), sentinel(pg.Write(ctx, r, prev, evs), known...)
			case 2:
				mr, merr := mem.Open(ctx, device)
				pr, perr := pg.Open(ctx, device)
				ml, mlerr := mem.Load(ctx, id)
				pl, plerr := pg.Load(ctx, id)
				a = fmt.Sprint(mr.ID, mr.State, mr.Rev, sentinel(merr, known...), ml.State, ml.Rev, ml.OpenDevice, sentinel(mlerr, known...))
				b = fmt.Sprint(pr.ID, pr.State, pr.Rev, sentinel(perr, known...), pl.State, pl.Rev, pl.OpenDevice, sentinel(plerr, known...))
			case 3:
				ms, merr := mem.Stale(ctx, at, int((op>>8)%4))
				ps, perr := pg.Stale(ctx, at, int((op>>8)%4))
				// Both order by StaleAt; ties may come in either
				// order, so compare the instants.
				a, b = sentinel(merr, known...)+staleKey(ms), sentinel(perr, known...)+staleKey(ps)
			}
			if a != b {
				return fmt.Sprintf("op %d (%d): pg %s, mem %s", i, op%4, b, a)
			}
		}
		for d := range 3 {
			q := passcode.EventQuery{DeviceID: fmt.Sprintf("r%d-d%d", run, d)}
			me, _ := mem.Events(ctx, q)
			pe, err := pg.Events(ctx, q)
			if err != nil || fmt.Sprint(me) != fmt.Sprint(pe) {
				return fmt.Sprintf("events of device %d: pg %v (%v), mem %v", d, pe, err, me)
			}
		}
		return ""
	}, gen.SliceOf(gen.UInt32())))
	properties.TestingRun(t)
	t.Logf("%d runs, %d operations", run, total)
}

func staleKey(rs []passcode.Reset) string {
	s := ""
	for _, r := range rs {
		s += " " + r.StaleAt.Format(time.RFC3339)
	}
	return s
}
