package servicepass

import (
	"fmt"
	"time"
)

// WindowStatus is the privileged window as the agent should act on it.
type WindowStatus struct {
	// Active is true until End.
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
// after ClearWindow) it returns the zero WindowStatus.
func (v *Verifier) Window(now time.Time) (WindowStatus, error) {
	var w WindowState
	ran := false
	err := v.store.Update(func(s *DeviceState) bool {
		ran = true
		w = s.Window
		return false
	})
	if !ran {
		return WindowStatus{}, fmt.Errorf("%w: %w", ErrState, err)
	}
	if w.Actions == 0 {
		return WindowStatus{}, nil
	}
	st := WindowStatus{Actions: w.Actions, Start: w.Start, End: w.End}
	if now.Before(w.End) {
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
