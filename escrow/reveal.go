package escrow

import (
	"context"
	"net/netip"
	"time"
)

// Reveal opens a secret for actor, who asked from source (the client's IP
// address) for reason, and records the view: who, from where, when and
// why; the event never holds the secret. A view that cannot be recorded is
// not shown, and of N concurrent views each is recorded exactly once.
//
// Every view counts, in the console or through an API: the first one
// starts the kind's rotate-after-view timer ([Policy.RotateAfterView],
// one hour by default); later views do not move it. The rotation falls due
// in [Service.Due] once the secret is Active (a secret viewed while still
// being set is rotated that long after the view, or at once if that time
// has passed). Any record may be revealed, in any state, until retention
// purges it: a device that applied a command late uses the secret the
// history holds.
//
// With [Config.Authorize] set, a refusal is recorded as EventViewDenied
// and returned as [ErrNotAllowed].
func (s *Service) Reveal(ctx context.Context, recordID, actor string, source netip.Addr, reason string) (Secret, error) {
	if ctx == nil {
		return Secret{}, ErrNilContext
	}
	if err := checkID("RecordID", recordID); err != nil {
		return Secret{}, err
	}
	if err := checkID("Actor", actor); err != nil {
		return Secret{}, err
	}
	if !source.IsValid() {
		return Secret{}, &Error{Field: "Source", Reason: "no address"}
	}
	if err := checkReason(reason); err != nil {
		return Secret{}, err
	}
	var deny error
	if s.authorize != nil {
		e, err := s.read(ctx, s.byRecord(recordID))
		if err != nil {
			return Secret{}, err
		}
		r := e.find(recordID)
		if r == nil {
			return Secret{}, ErrNotFound
		}
		if err := s.authorize(ctx, actor, *r); err != nil {
			deny = ErrNotAllowed
		}
	}
	var sec Secret
	_, err := s.mutate(ctx, s.byRecord(recordID), nil, func(e *entry, now time.Time) decision {
		r := e.find(recordID)
		if r == nil {
			return decision{err: ErrNotFound}
		}
		ev := Event{Type: EventViewed, RecordID: r.ID, DeviceID: r.DeviceID, Kind: r.Kind, CommandID: r.CommandID,
			From: r.State, To: r.State, At: now, Actor: actor, Source: source.Unmap(), Reason: reason}
		if deny != nil {
			ev.Type = EventViewDenied
			return decision{write: true, events: []Event{ev}, err: deny}
		}
		var err error
		if sec, err = s.open(r, now); err != nil {
			return decision{err: err}
		}
		r.Views++
		if r.FirstViewedAt.IsZero() {
			r.FirstViewedAt = now
			s.scheduleRotation(r)
		}
		return decision{write: true, events: []Event{ev}}
	})
	if deny != nil && err == deny {
		s.log.WarnContext(ctx, "escrow view denied", "record", recordID, "actor", actor, "source", source.String())
		return Secret{}, err
	}
	if err != nil {
		return Secret{}, err
	}
	s.log.InfoContext(ctx, "escrow secret viewed", "record", recordID, "actor", actor, "source", source.String(), "reason", reason)
	return sec, nil
}

func checkReason(reason string) error {
	if reason == "" {
		return &Error{Field: "Reason", Reason: "required: say why the secret is needed"}
	}
	return checkTextLen("Reason", reason, MaxReasonLen)
}

func checkTextLen(field, v string, max int) error {
	if err := checkIdent(v, max); err != nil {
		return &Error{Field: field, Reason: err.Error(), Err: err}
	}
	return nil
}
