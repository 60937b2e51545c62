package enrollment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/internal/cas"
	"github.com/mdmcred/mdmcred/internal/keyedhash"
)

// Verify checks input against site's passcode, for self-service enrollment.
// source labels where the attempt came from (an IP address; it is cut to
// [MaxSourceLen] bytes): failures are counted per source ([RuleSource]),
// and failures and uses record it.
//
// Surrounding white space is trimmed; the passcode is case-sensitive. The
// comparison is an HMAC and a constant-time compare, so its time does not
// depend on how much of the passcode the input gets right.
//
// It returns nil when the passcode matches and is active, [ErrDisabled] for
// a disabled passcode (not counted), [ErrNoPasscode] for a site without
// one, and otherwise an [*AttemptError] after counting the failure
// atomically: it matches [ErrMalformed] for an input that cannot be a
// passcode (wrong length, a character outside [0-9A-Za-z], a missing
// class), [ErrWrongPasscode] for a wrong one, and [ErrLocked] once the
// passcode is locked. Attempts on a locked passcode are counted but never
// compared, so a lock cannot be guessed through.
//
// Verify loads the site's record ([Store.Load]), decides with the lockout
// rules, and writes the new lockout state back with its events in one
// compare-and-swap ([Store.Write]); when another attempt changed the
// record in between it loads and decides again. So the attempt that locks
// the passcode sends the lock alert, exactly once however many attempts
// race, and an attempt overtaken by a lock is answered as an attempt on a
// locked passcode whether it was right or wrong. If the alert fails, the
// error also matches [ErrAlert]; the lock stands, and the host should
// report the error to its operators and retry with [Service.ResendAlert].
// Counting and alerting use a context the caller cannot cancel, so
// dropping the connection does not skip them.
//
// A success writes the site's record only when it follows a failure at the
// site or from its source (to reset the consecutive counts); otherwise it
// only appends its "used" event, conditioned on the record still being at
// the revision it was decided on ([Store.Append]), so successes at one
// site do not wait for each other.
func (s *Service) Verify(ctx context.Context, site, input, source string) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := checkSite(site); err != nil {
		return err
	}
	source = cleanSource(source)
	code, perr := parse(input)
	var compared []byte // the digest input was last compared with
	var match bool
	var stripe *sync.Mutex // held from the first conflict on
	defer func() {
		if stripe != nil {
			stripe.Unlock()
		}
	}()
	var result error
	tries := 0
	err := cas.Loop(ErrConflict, func() (done, lost bool, err error) {
		if tries++; tries > 1 && stripe == nil {
			stripe = s.stripe(site)
			stripe.Lock()
		}
		// From the second conflict on, another instance keeps winning:
		// Loop backs off.
		retry := func() (bool, bool, error) { return false, tries > 1, nil }
		rec, err := s.store.Load(ctx, site)
		if err != nil {
			return false, false, wrapStore("reading passcode", err)
		}
		if rec.Disabled {
			return false, false, ErrDisabled
		}
		ctx = uncancelable(ctx)
		var reason error
		switch {
		case rec.Locked:
			reason = ErrLocked
		case perr != nil:
			reason = perr
		default:
			if compared == nil || !bytes.Equal(compared, rec.Digest) {
				ok, _, err := s.hasher.Verify(hashDomain, code, rec.Digest)
				switch {
				case errors.Is(err, keyedhash.ErrUnknownPepper):
					return false, false, fmt.Errorf("%w: pepper %d", ErrRetiredPepper, keyedhash.Digest(rec.Digest).PepperID())
				case err != nil:
					return false, false, fmt.Errorf("enrollment: stored digest for site: %w", err)
				}
				compared, match = rec.Digest, ok
			}
			if !match {
				reason = ErrWrongPasscode
			}
		}
		if reason == nil {
			switch err := s.succeed(ctx, rec, source); {
			case errors.Is(err, ErrConflict):
				// Changed, replaced or locked since it was read: decide
				// again on the current record.
				return retry()
			case err != nil:
				return false, false, wrapStore("recording use", err)
			}
			return true, false, nil
		}
		now := s.now().UTC()
		l, rule := s.rules.fail(rec.Lockout, now, source)
		next := rec
		next.Lockout, next.Rev = l, rec.Rev+1
		switch err := s.store.Write(ctx, next, rec.Rev, failureEvents(site, source, now, l, rule)); {
		case errors.Is(err, ErrConflict):
			return retry()
		case err != nil:
			return false, false, wrapStore("recording failure", err)
		}
		if stripe != nil {
			// Counted: the events and the alert need no serializing.
			stripe.Unlock()
			stripe = nil
		}
		result = s.report(ctx, site, source, reason, now, l, rule, next.Rev)
		return true, false, nil
	})
	switch {
	case errors.Is(err, ErrConflict): // lost every race, cas.MaxTries times
		return fmt.Errorf("enrollment: recording attempt: %w", err)
	case err != nil:
		return err
	}
	return result
}

// stripe returns the mutex that serializes this Service's conflicting
// writes on site.
func (s *Service) stripe(site string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(site))
	return &s.stripes[h.Sum32()%uint32(len(s.stripes))]
}

// succeed records a success on rec: it resets the consecutive counts if a
// failure preceded it, with the used event, in a compare-and-swap
// ([Store.Write]); otherwise it appends the used event alone, conditioned
// on rec's revision ([Store.Append]). Either fails with [ErrConflict] if
// the passcode was locked, replaced or otherwise changed since rec was
// read.
func (s *Service) succeed(ctx context.Context, rec Record, source string) error {
	used := []Event{{Site: rec.Site, Kind: EventUsed, At: s.now().UTC(), Source: source}}
	if l, changed := s.rules.succeed(rec.Lockout, source); changed {
		next := rec
		next.Lockout, next.Rev = l, rec.Rev+1
		return s.store.Write(ctx, next, rec.Rev, used)
	}
	return s.store.Append(ctx, rec.Site, rec.Rev, used)
}

// failureEvents are the events a counted failure writes with its
// lockout (l, the lockout after it; rule set if it locked the passcode):
// the failed event, and the locked event for the failure that locked. A
// failure on a passcode already locked writes none: it is counted for
// monitoring, not logged each time, so an attacker cannot grow the audit
// log.
func failureEvents(site, source string, now time.Time, l Lockout, rule Rule) []Event {
	if l.Locked && rule == 0 {
		return nil
	}
	evs := []Event{{Site: site, Kind: EventFailed, At: now, Source: source, Failures: l.Failures}}
	if rule != 0 {
		evs = append(evs, Event{Site: site, Kind: EventLocked, At: now, Source: source, Failures: l.Failures})
	}
	return evs
}

// report answers a failure that a Write counted, with its events (l is the
// lockout it wrote, at revision rev; rule is set if this failure locked
// the passcode): for the one that locked, it sends the alert.
func (s *Service) report(ctx context.Context, site, source string, reason error, now time.Time, l Lockout, rule Rule, rev uint64) error {
	just := rule != 0
	aerr := &AttemptError{Reason: reason, Failures: l.Failures, Locked: l.Locked, JustLocked: just, Rule: l.Rule}
	if !just {
		return aerr
	}
	s.log.WarnContext(ctx, "enrollment: passcode locked", "site", site, "rule", rule.String(), "failures", l.Failures, "source", source)
	aerr.Alert = s.sendAlert(ctx, Alert{
		Site: site, Failures: l.Failures, Threshold: s.rules.threshold, Rule: rule,
		LockedAt: now, LastFailure: now, LastSource: source,
	}, rev)
	return aerr
}

// ResendAlert sends the lock alert for a locked passcode again, for a host
// whose first alert failed ([ErrAlert]). It returns [ErrNotLocked] if the
// passcode is not locked.
func (s *Service) ResendAlert(ctx context.Context, site string) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := checkSite(site); err != nil {
		return err
	}
	rec, err := s.store.Load(ctx, site)
	if err != nil {
		return wrapStore("reading passcode", err)
	}
	if !rec.Locked {
		return ErrNotLocked
	}
	return s.sendAlert(ctx, Alert{
		Site: site, Failures: rec.Failures, Threshold: s.rules.threshold, Rule: rec.Rule,
		LockedAt: rec.LockedAt, LastFailure: rec.LastFailure, LastSource: rec.LastSource,
	}, rec.Rev)
}

// sendAlert sends a, and records its outcome as an event appended at
// revision rev of the site's record (or, if the record moved on, at the
// current one).
func (s *Service) sendAlert(ctx context.Context, a Alert, rev uint64) error {
	ctx, cancel := context.WithTimeout(uncancelable(ctx), s.alertTimeout)
	defer cancel()
	var err error
	if s.admins != nil {
		a.Admins, err = s.admins(ctx, a.Site)
		if err != nil {
			err = fmt.Errorf("looking up admins: %w", err)
		}
	}
	if err == nil {
		err = s.alerter.SendLockAlert(ctx, a)
	}
	kind := EventAlertSent
	if err != nil {
		kind = EventAlertFailed
		err = fmt.Errorf("%w: %w", ErrAlert, err)
		s.log.ErrorContext(ctx, "enrollment: lock alert not sent", "site", a.Site, "err", err)
	}
	if eerr := s.appendEvent(ctx, rev, Event{Site: a.Site, Kind: kind, At: s.now().UTC(), Failures: a.Failures}); eerr != nil {
		s.log.ErrorContext(ctx, "enrollment: recording alert event", "site", a.Site, "err", eerr)
	}
	return err
}

// ResolveSite finds the site whose active passcode input is, through the
// keyed-hash index (trying every configured pepper, so it works across a
// rotation). It returns [ErrMalformed] for an input that cannot be a
// passcode and [ErrNotFound] otherwise, including for a locked or disabled
// passcode, so it is no oracle past a lock.
//
// ResolveSite cannot count failures, as it does not know which site is
// meant: hosts must rate-limit it per source. Then call [Service.Verify]
// with the site, which counts, locks and records the use:
//
//	site, err := svc.ResolveSite(ctx, input)
//	if err == nil {
//		err = svc.Verify(ctx, site, input, ip)
//	}
func (s *Service) ResolveSite(ctx context.Context, input string) (string, error) {
	if ctx == nil {
		return "", ErrNilContext
	}
	code, err := parse(input)
	if err != nil {
		return "", err
	}
	for _, id := range s.hasher.IDs() {
		d, _ := s.hasher.SumWith(id, hashDomain, code)
		site, err := s.store.Lookup(ctx, d)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("enrollment: looking up passcode: %w", err)
		}
		rec, err := s.store.Load(ctx, site)
		if errors.Is(err, ErrNoPasscode) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("enrollment: reading passcode: %w", err)
		}
		if rec.Disabled || rec.Locked || !bytes.Equal(rec.Digest, d) {
			continue
		}
		return site, nil
	}
	return "", ErrNotFound
}

// appendEvent appends e to e.Site's log at revision rev of the site's
// record ([Store.Append]); when the record moved on (a failure counted on
// a locked passcode moves it), at the current revision, loaded: an event
// that belongs to no decision on the record, such as an alert's outcome,
// is recorded whatever the record's revision.
func (s *Service) appendEvent(ctx context.Context, rev uint64, e Event) error {
	return cas.Loop(ErrConflict, func() (done, lost bool, err error) {
		loaded := rev == 0
		if loaded {
			rec, err := s.store.Load(ctx, e.Site)
			if err != nil {
				return false, false, err
			}
			rev = rec.Rev
		}
		switch err := s.store.Append(ctx, e.Site, rev, []Event{e}); {
		case errors.Is(err, ErrConflict):
			rev = 0
			return false, loaded, nil
		case err != nil:
			return false, false, err
		}
		return true, false, nil
	})
}

// uncancelable returns ctx's values without its cancellation, so that an
// attacker who drops the connection cannot skip the count or the alert. A
// context that cannot be cancelled is returned as is, saving an allocation
// on the hot path.
func uncancelable(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}
