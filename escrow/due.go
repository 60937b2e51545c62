package escrow

import (
	"context"
	"errors"
	"time"
)

// Reasons the Service gives in the events of what [Service.Due] does.
const (
	ReasonAfterView = "rotate after view"
	ReasonScheduled = "scheduled rotation"
	ReasonStale     = "no answer before the stale deadline"
)

// dueBatch is how many rows one Store.Due call returns.
const dueBatch = 100

// Rotation is a rotation [Service.Due] started: a new secret, Generated,
// that replaces the kind's Active one. The host runs it through the same
// lifecycle as any other: [Service.Deliver] when its command goes out,
// [Service.Sent], then [Service.Acknowledge] or [Service.Fail].
type Rotation struct {
	Record   Record // the new secret's record
	Replaces string // the ID of the Active record it replaces
	Reason   string // ReasonAfterView or ReasonScheduled
}

// Due does what has fallen due by now: it expires open secrets past their
// stale deadline, and starts the rotations due (an Active secret of a
// generated kind whose rotate-after-view or scheduled time has come, with
// no other secret of its kind open), and returns those rotations. Call it
// periodically (every minute or few) from any number of workers: each due
// rotation is started, and returned, by exactly one call.
func (s *Service) Due(ctx context.Context, now time.Time) ([]Rotation, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	var out []Rotation
	seen := map[Key]bool{}
	for {
		keys, err := s.store.Due(ctx, now, dueBatch)
		if err != nil {
			return out, err
		}
		fresh := 0
		for _, k := range keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			fresh++
			rot, err := s.due(ctx, k, now)
			if err != nil {
				return out, err
			}
			if rot != nil {
				out = append(out, *rot)
			}
		}
		if len(keys) < dueBatch || fresh == 0 {
			return out, nil
		}
	}
}

// due decides one row.
func (s *Service) due(ctx context.Context, key Key, now time.Time) (*Rotation, error) {
	k, known := s.kinds[key.Kind]
	var sec Secret
	var id string
	if known && k.Generate != nil {
		var err error
		if sec, err = k.Generate(s.rand); err != nil {
			return nil, err
		}
		if id, err = s.newID(); err != nil {
			return nil, err
		}
	}
	var rot *Rotation
	_, err := s.mutate(ctx, s.byKey(key), nil, func(e *entry, _ time.Time) decision {
		rot = nil
		var evs []Event
		if o := e.open(); o != nil && !now.Before(o.StaleAt) {
			ev, err := o.step(Expire, now)
			if err != nil {
				return decision{err: err}
			}
			ev.Actor, ev.Reason = ActorSystem, ReasonStale
			evs = append(evs, ev)
		}
		a := e.active()
		if e.open() == nil && a != nil && !a.RotateAt.IsZero() && !now.Before(a.RotateAt) && id != "" {
			reason := ReasonScheduled
			if !a.FirstViewedAt.IsZero() && a.RotateAt.Equal(a.FirstViewedAt.Add(k.Policy.RotateAfterView)) {
				reason = ReasonAfterView
			}
			r, ev, err := s.newRecord(e, id, key, Generate, sec, ActorSystem, now)
			if err != nil {
				return decision{err: err}
			}
			r.StaleAt = now.Add(s.staleAfter)
			ev.Reason = reason
			e.Records = append(e.Records, r)
			evs = append(evs, ev)
			rot = &Rotation{Record: r, Replaces: a.ID, Reason: reason}
		}
		if evs == nil {
			// Nothing is due (another worker did it): write only if the
			// row would still be listed, so that Due does not return it
			// again.
			d := e.dueAt()
			return decision{write: !d.IsZero() && !now.Before(d) && len(e.Records) > 0 && rotatable(a, known, k)}
		}
		return decision{write: true, events: evs}
	})
	if errors.Is(err, ErrNotFound) {
		return nil, nil // purged meanwhile
	}
	if err != nil {
		return nil, err
	}
	if rot != nil {
		s.log.InfoContext(ctx, "escrow rotation due", "record", rot.Record.ID, "replaces", rot.Replaces,
			"device", key.DeviceID, "kind", key.Kind, "reason", rot.Reason)
	}
	return rot, nil
}

// rotatable is false for an active record whose rotation this Service
// cannot run (its kind is unknown or stored): its row is left alone.
func rotatable(a *Record, known bool, k Kind) bool {
	return a == nil || (known && k.Generate != nil)
}
