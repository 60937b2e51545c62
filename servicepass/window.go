package servicepass

import (
	"context"
	"errors"
	"time"
)

// ErrStateLost is returned by [Verifier.Window] while the duty to revert
// comes from a device state that was damaged or lost (on a provisioned
// device, missing): what the lost state's window granted is unknown, so every
// reversible action is reported for revert.
var ErrStateLost = errors.New("servicepass: device state lost; revert every reversible action")

// ErrWindowChanged is returned by [Verifier.ClearWindow] when the revert duty
// is no longer the one the agent acted on (a grant or an ending window
// changed it meanwhile): nothing was cleared; poll [Verifier.Window] again.
var ErrWindowChanged = errors.New("servicepass: privileged window changed; poll it again")

// WindowStatus is the privileged window as the agent should act on it.
type WindowStatus struct {
	// Active is true while a window is open: from a grant until the device
	// time reaches End. A window also ends, for good, when the device time
	// is found more than the clock skew before its Start (a clock turned
	// back cannot stretch it).
	Active bool
	// Actions are the actions granted during the active window; the agent
	// (re-)applies them, for example after a restart.
	Actions Actions
	// Start and End bound the active window.
	Start, End time.Time
	// Revert holds the [Reversible] actions of ended windows (or, after a
	// lost state, all of them) that the agent must undo to return the
	// device to its policy-required state, and has not yet acknowledged
	// with ClearWindow. It never holds an action of the active window.
	Revert Actions
	// Ended is the end of the latest window whose actions are in Revert
	// (zero when the duty comes only from a lost state).
	Ended time.Time
	// RevertSeq identifies the revert duty; ClearWindow clears the duty
	// only while it is still this one.
	RevertSeq uint64
}

// openWindow records a grant of actions at now: a window that has ended
// hands its reversible actions to the revert duty, then the grant opens a
// new window or extends the active one. The actions granted leave the revert
// duty: the window that now holds them reverts them when it ends.
func (v *Verifier) openWindow(s *deviceState, actions Actions, now time.Time) {
	v.endWindow(s, now)
	end := now.Add(v.window).UTC()
	if s.Window.Actions == 0 {
		s.Window = windowState{Start: now.UTC(), End: end}
	} else if end.After(s.Window.End) {
		s.Window.End = end
	}
	s.Window.Actions |= actions
	if s.Revert.Actions&actions != 0 {
		s.Revert.Actions &^= actions
		s.Revert.Seq++
	}
}

// endWindow closes the window if it has ended at now (or the clock reads
// before its start), moving its reversible actions to the revert duty. It
// reports whether the state changed.
func (v *Verifier) endWindow(s *deviceState, now time.Time) bool {
	w := s.Window
	if w.Actions == 0 || (now.Before(w.End) && !now.Before(w.Start.Add(-v.skew))) {
		return false
	}
	s.Window = windowState{}
	if r := w.Actions & Reversible; r != 0 {
		s.Revert.Actions |= r
		if w.End.After(s.Revert.Ended) {
			s.Revert.Ended = w.End
		}
		s.Revert.Seq++
	}
	return true
}

func (v *Verifier) status(s *deviceState) WindowStatus {
	st := WindowStatus{Revert: s.Revert.Actions, RevertSeq: s.Revert.Seq}
	if s.Revert.Actions != 0 {
		st.Ended = s.Revert.Ended
	}
	if s.Window.Actions != 0 {
		st.Active, st.Actions, st.Start, st.End = true, s.Window.Actions, s.Window.Start, s.Window.End
	}
	return st
}

// Window reports the privileged window at the device time now: the active
// window, if any, and the revert duty left by ended ones. A window that has
// ended at now is closed for good (persisted), so a clock turned back later
// does not reopen it; now moves nothing else (not the clock mark).
//
// When the device state was found damaged or lost, Window returns, with
// the status, an error matching [ErrStateLost] until the agent acknowledges
// the duty with ClearWindow: Revert then holds every reversible action.
// The agent's start-up routine is: call Window; re-apply Actions if Active;
// revert Revert; call ClearWindow with the status; on [ErrWindowChanged]
// start again. See docs/servicepass-format.md §7.
func (v *Verifier) Window(ctx context.Context, now time.Time) (WindowStatus, error) {
	if ctx == nil {
		return WindowStatus{}, ErrNilContext
	}
	var st WindowStatus
	lost := false
	ran, err := v.update(ctx, func(s *deviceState) bool {
		changed := false
		if v.lost(s) {
			v.recoverDamage(s, now)
			changed = true
		}
		if v.endWindow(s, now) {
			changed = true
		}
		st, lost = v.status(s), s.Revert.Lost
		return changed
	})
	if !ran {
		return WindowStatus{}, err
	}
	if lost {
		return st, errors.Join(ErrStateLost, err)
	}
	return st, err
}

// ClearWindow acknowledges that the agent reverted what st (a status from
// [Verifier.Window]) reported in Revert. It clears the revert duty only if it
// is still exactly that one (compare and clear); otherwise it returns
// [ErrWindowChanged] and clears nothing, so a grant or an ending window the
// agent has not seen is never erased. It never ends an active window. A
// status with nothing to revert is acknowledged trivially.
func (v *Verifier) ClearWindow(ctx context.Context, st WindowStatus) error {
	if ctx == nil {
		return ErrNilContext
	}
	changed := false
	ran, err := v.update(ctx, func(s *deviceState) bool {
		if v.lost(s) || s.Revert.Seq != st.RevertSeq || s.Revert.Actions != st.Revert {
			return false
		}
		if s.Revert == (revertState{Seq: s.Revert.Seq}) {
			changed = true
			return false
		}
		s.Revert = revertState{Seq: s.Revert.Seq + 1}
		changed = true
		return true
	})
	if err != nil {
		return err
	}
	if !ran || !changed {
		return ErrWindowChanged
	}
	return nil
}
