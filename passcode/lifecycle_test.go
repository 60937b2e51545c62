package passcode_test

import (
	"errors"
	"testing"

	"github.com/mdmcred/mdmcred/passcode"
)

var allStates = []passcode.State{0, passcode.Requested, passcode.Pending, passcode.Acknowledged,
	passcode.Succeeded, passcode.Failed, passcode.Expired, 7}

// The whole transition table: every pair not listed is refused.
var validTransitions = map[[2]passcode.State]bool{
	{passcode.Requested, passcode.Pending}:      true,
	{passcode.Requested, passcode.Failed}:       true,
	{passcode.Requested, passcode.Expired}:      true,
	{passcode.Pending, passcode.Acknowledged}:   true,
	{passcode.Pending, passcode.Failed}:         true,
	{passcode.Pending, passcode.Expired}:        true,
	{passcode.Acknowledged, passcode.Succeeded}: true,
	{passcode.Acknowledged, passcode.Failed}:    true,
	{passcode.Acknowledged, passcode.Expired}:   true,
}

func TestCanTransition(t *testing.T) {
	for _, from := range allStates {
		for _, to := range allStates {
			want := validTransitions[[2]passcode.State{from, to}]
			if got := passcode.CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
}

func TestStateClasses(t *testing.T) {
	for _, s := range allStates {
		open := s == passcode.Requested || s == passcode.Pending || s == passcode.Acknowledged
		final := s == passcode.Succeeded || s == passcode.Failed || s == passcode.Expired
		if s.Open() != open || s.Final() != final {
			t.Errorf("%s: Open %v Final %v", s, s.Open(), s.Final())
		}
	}
}

func TestTransitionErrors(t *testing.T) {
	err := error(&passcode.TransitionError{From: passcode.Succeeded, To: passcode.Pending})
	if !errors.Is(err, passcode.ErrInvalidTransition) || err.Error() != "passcode: invalid state transition: succeeded -> pending" {
		t.Errorf("TransitionError: %v", err)
	}
	err = &passcode.InProgressError{ResetID: "r1", State: passcode.Pending}
	if !errors.Is(err, passcode.ErrResetInProgress) {
		t.Errorf("InProgressError does not match ErrResetInProgress")
	}
}
