package enrollment_test

import (
	"errors"
	"testing"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/internal/ident"
)

// isParam reports whether err is a *enrollment.ParamError on field that
// matches enrollment.ErrParams.
func isParam(err error, field string) bool {
	var pe *enrollment.ParamError
	return errors.As(err, &pe) && pe.Field == field && errors.Is(err, enrollment.ErrParams)
}

// TestErrorMessages pins every error type's message and what it matches,
// never an input.
func TestErrorMessages(t *testing.T) {
	alertErr := errors.New("smtp down")
	for _, tt := range []struct {
		err     error
		msg     string
		matches []error
		not     []error
	}{
		{&enrollment.ParamError{Field: "Threshold", Reason: "101 is outside 0 to 100"},
			"enrollment: invalid parameters: Threshold: 101 is outside 0 to 100", []error{enrollment.ErrParams}, []error{enrollment.ErrMalformed}},
		{&enrollment.ParamError{Field: "site", Reason: ident.ErrEmpty.Error(), Err: ident.ErrEmpty},
			"enrollment: invalid parameters: site: " + ident.ErrEmpty.Error(), []error{enrollment.ErrParams, ident.ErrEmpty}, nil},
		{&enrollment.MalformedError{Reason: "no digit"},
			"enrollment: malformed passcode: no digit", []error{enrollment.ErrMalformed}, []error{enrollment.ErrParams, enrollment.ErrLocked}},
		{&enrollment.AttemptError{Reason: enrollment.ErrWrongPasscode, Failures: 3},
			"enrollment: wrong passcode (failure 3)", []error{enrollment.ErrWrongPasscode}, []error{enrollment.ErrLocked, enrollment.ErrAlert}},
		{&enrollment.AttemptError{Reason: enrollment.ErrWrongPasscode, Failures: 10, Locked: true, JustLocked: true},
			"enrollment: wrong passcode (failure 10); passcode locked", []error{enrollment.ErrWrongPasscode, enrollment.ErrLocked}, []error{enrollment.ErrAlert}},
		{&enrollment.AttemptError{Reason: enrollment.ErrLocked, Failures: 11, Locked: true},
			"enrollment: passcode locked (failure 11)", []error{enrollment.ErrLocked}, []error{enrollment.ErrWrongPasscode}},
		{&enrollment.AttemptError{Reason: &enrollment.MalformedError{Reason: "no digit"}, Failures: 10, Locked: true, JustLocked: true, Alert: alertErr},
			"enrollment: malformed passcode: no digit (failure 10); passcode locked; smtp down",
			[]error{enrollment.ErrMalformed, enrollment.ErrLocked, alertErr}, []error{enrollment.ErrWrongPasscode}},
	} {
		if got := tt.err.Error(); got != tt.msg {
			t.Errorf("Error() = %q, want %q", got, tt.msg)
		}
		for _, m := range tt.matches {
			if !errors.Is(tt.err, m) {
				t.Errorf("%q does not match %v", tt.msg, m)
			}
		}
		for _, m := range tt.not {
			if errors.Is(tt.err, m) {
				t.Errorf("%q matches %v", tt.msg, m)
			}
		}
	}
}
