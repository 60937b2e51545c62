package enrollment

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/mdmcred/mdmcred/internal/keyedhash"
)

// Verify checks input against site's passcode, for self-service enrollment.
// source labels where the attempt came from (an IP address; it is cut to
// [MaxSourceLen] bytes) and is recorded with failures and uses.
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
// The attempt that reaches the threshold locks the passcode and sends the
// lock alert, exactly once however many attempts race. If the alert fails,
// the error also matches [ErrAlert]; the lock stands, and the host should
// report the error to its operators and retry with [Service.ResendAlert].
// Counting and alerting use a context the caller cannot cancel, so dropping
// the connection does not skip them.
func (s *Service) Verify(ctx context.Context, site, input, source string) error {
	if err := checkSite(site); err != nil {
		return err
	}
	rec, err := s.store.Get(ctx, site)
	if err != nil {
		return wrapStore("reading passcode", err)
	}
	if rec.Disabled {
		return ErrDisabled
	}
	if rec.Locked {
		return s.fail(ctx, site, source, ErrLocked)
	}
	code, perr := parse(input)
	if perr != nil {
		return s.fail(ctx, site, source, perr)
	}
	ok, _, err := s.hasher.Verify(hashDomain, code, rec.Digest)
	switch {
	case errors.Is(err, keyedhash.ErrUnknownPepper):
		return fmt.Errorf("%w: pepper %d", ErrRetiredPepper, keyedhash.Digest(rec.Digest).PepperID())
	case err != nil:
		return fmt.Errorf("enrollment: stored digest for site: %w", err)
	case !ok:
		return s.fail(ctx, site, source, ErrWrongPasscode)
	}
	// The passcode matched the record read above; confirm atomically that
	// it is still current and usable, so that no attempt succeeds after
	// another one locked it.
	ctx = uncancelable(ctx)
	now := s.now().UTC()
	switch err := s.store.RecordUse(ctx, site, rec.Digest, now); {
	case errors.Is(err, ErrStale):
		// Replaced since it was read: the input is the old passcode, now a
		// wrong one, and counted as such.
		return s.fail(ctx, site, source, ErrWrongPasscode)
	case errors.Is(err, ErrLocked):
		// Locked since it was read: counted and answered like any attempt
		// on a locked passcode, so that it says nothing about the input.
		return s.fail(ctx, site, source, ErrLocked)
	case err != nil:
		return wrapStore("recording use", err)
	}
	if err := s.store.AppendEvent(ctx, Event{Site: site, Kind: EventUsed, At: now, Source: cleanSource(source)}); err != nil {
		s.log.ErrorContext(ctx, "enrollment: recording used event", "site", site, "err", err)
	}
	return nil
}

// fail counts one failed attempt and, for the one that locks, sends the
// alert.
func (s *Service) fail(ctx context.Context, site, source string, reason error) error {
	ctx = uncancelable(ctx)
	now := s.now().UTC()
	source = cleanSource(source)
	res, err := s.store.RecordFailure(ctx, site, now, source, s.threshold)
	if err != nil {
		return wrapStore("recording failure", err)
	}
	if res.Locked && !res.JustLocked && reason == ErrWrongPasscode {
		// Another attempt locked the passcode after this one read it: answer
		// as for any attempt on a locked passcode. A right passcode in the
		// same window gets that answer too (see Verify), so racing guesses
		// cannot tell which of them was right.
		reason = ErrLocked
	}
	aerr := &AttemptError{Reason: reason, Failures: res.Failures, Locked: res.Locked, JustLocked: res.JustLocked}
	if res.Locked && !res.JustLocked {
		// Already locked: counted for monitoring, not logged as an event
		// each time, so an attacker cannot grow the audit log.
		return aerr
	}
	if err := s.store.AppendEvent(ctx, Event{Site: site, Kind: EventFailed, At: now, Source: source, Failures: res.Failures}); err != nil {
		s.log.ErrorContext(ctx, "enrollment: recording failed event", "site", site, "err", err)
	}
	if !res.JustLocked {
		return aerr
	}
	s.log.WarnContext(ctx, "enrollment: passcode locked", "site", site, "failures", res.Failures, "source", source)
	if err := s.store.AppendEvent(ctx, Event{Site: site, Kind: EventLocked, At: now, Source: source, Failures: res.Failures}); err != nil {
		s.log.ErrorContext(ctx, "enrollment: recording locked event", "site", site, "err", err)
	}
	aerr.Alert = s.sendAlert(ctx, Alert{
		Site: site, Failures: res.Failures, Threshold: s.threshold,
		LockedAt: now, LastFailure: now, LastSource: source,
	})
	return aerr
}

// ResendAlert sends the lock alert for a locked passcode again, for a host
// whose first alert failed ([ErrAlert]). It returns [ErrNotLocked] if the
// passcode is not locked.
func (s *Service) ResendAlert(ctx context.Context, site string) error {
	if err := checkSite(site); err != nil {
		return err
	}
	rec, err := s.store.Get(ctx, site)
	if err != nil {
		return wrapStore("reading passcode", err)
	}
	if !rec.Locked {
		return ErrNotLocked
	}
	return s.sendAlert(ctx, Alert{
		Site: site, Failures: rec.Failures, Threshold: s.threshold,
		LockedAt: rec.LockedAt, LastFailure: rec.LastFailure, LastSource: rec.LastSource,
	})
}

func (s *Service) sendAlert(ctx context.Context, a Alert) error {
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
	if eerr := s.store.AppendEvent(ctx, Event{Site: a.Site, Kind: kind, At: s.now().UTC(), Failures: a.Failures}); eerr != nil {
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
		rec, err := s.store.Get(ctx, site)
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
