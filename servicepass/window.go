package servicepass

import (
	"fmt"
	"time"
)

// WindowStatus is the privileged window as the agent should act on it.
type WindowStatus struct {
	// Active is true until End: until the device time, or the latest
	// device time seen (the clock high-water mark), reaches End.
	Active bool
	// Actions are the actions granted during the window.
	Actions Actions
	Start   time.Time
	End     time.Time
	// Revert, once the window has ended, holds the actions the agent must
	// undo to return the device to its policy-required state (the
	// [Reversible] ones); then it calls [Verifier.ClearWindow].
	Revert Actions
}

// Window reports the privileged window at now. With no window open (or
// after ClearWindow) it returns the zero WindowStatus. While a window is
// recorded, now also moves the clock high-water mark forward, and a window
// ends for good once the device has seen a time past its end: turning the
// clock back does not reopen it.
func (v *Verifier) Window(now time.Time) (WindowStatus, error) {
	var w WindowState
	var latest time.Time
	ran := false
	err := v.store.Update(func(s *DeviceState) bool {
		ran = true
		if s.Damaged {
			// A fresh state, with no window; only Verify records the damage.
			return false
		}
		w, latest = s.Window, s.HighWater
		if w.Actions != 0 && now.After(s.HighWater) {
			s.HighWater = now.UTC()
			return true
		}
		return false
	})
	if !ran {
		return WindowStatus{}, fmt.Errorf("%w: %w", ErrState, err)
	}
	if w.Actions == 0 {
		return WindowStatus{}, nil
	}
	if now.After(latest) {
		latest = now
	}
	st := WindowStatus{Actions: w.Actions, Start: w.Start, End: w.End}
	if latest.Before(w.End) {
		st.Active = true
	} else {
		st.Revert = w.Actions & Reversible
	}
	return st, nil
}

// ClearWindow forgets the privileged window: the agent calls it after it
// has reverted the actions Window reported (or to end a window early, after
// reverting).
func (v *Verifier) ClearWindow() error {
	ran := false
	err := v.store.Update(func(s *DeviceState) bool {
		ran = true
		if s.Window == (WindowState{}) {
			return false
		}
		s.Window = WindowState{}
		return true
	})
	if !ran {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	return err
}
