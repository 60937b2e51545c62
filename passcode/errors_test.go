package passcode_test

import (
	"errors"
	"testing"

	"github.com/mdmcred/mdmcred/internal/ident"
	"github.com/mdmcred/mdmcred/passcode"
)

// isParam reports whether err is a *passcode.ParamError on field that
// matches passcode.ErrParams.
func isParam(err error, field string) bool {
	var pe *passcode.ParamError
	return errors.As(err, &pe) && pe.Field == field && errors.Is(err, passcode.ErrParams)
}

// TestParamErrorMessage pins the message: the field and the rule, never a
// value; the identifier rule's reason stays reachable.
func TestParamErrorMessage(t *testing.T) {
	for _, tt := range []struct {
		err     *passcode.ParamError
		msg     string
		matches []error
	}{
		{&passcode.ParamError{Field: "MinLength", Reason: "3 is below 4"}, "passcode: invalid parameters: MinLength: 3 is below 4", []error{passcode.ErrParams}},
		{&passcode.ParamError{Field: "Device.ID", Reason: ident.ErrEmpty.Error(), Err: ident.ErrEmpty},
			"passcode: invalid parameters: Device.ID: " + ident.ErrEmpty.Error(), []error{passcode.ErrParams, ident.ErrEmpty}},
	} {
		if got := tt.err.Error(); got != tt.msg {
			t.Errorf("Error() = %q, want %q", got, tt.msg)
		}
		for _, m := range tt.matches {
			if !errors.Is(tt.err, m) {
				t.Errorf("%q does not match %v", tt.msg, m)
			}
		}
		if errors.Is(tt.err, passcode.ErrViolation) || errors.Is(tt.err, passcode.ErrNotFound) {
			t.Errorf("%q matches another sentinel", tt.msg)
		}
	}
}
