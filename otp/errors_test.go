package otp_test

import (
	"errors"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/internal/ident"
	"github.com/mdmcred/mdmcred/otp"
)

// isParam reports whether err is a *otp.ParamError on field that matches
// otp.ErrParams.
func isParam(err error, field string) bool {
	var pe *otp.ParamError
	return errors.As(err, &pe) && pe.Field == field && errors.Is(err, otp.ErrParams)
}

// TestErrorMessages pins every error type's message and what it matches:
// the field and the rule, never a value.
func TestErrorMessages(t *testing.T) {
	until := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	for _, tt := range []struct {
		err     error
		msg     string
		matches []error
		not     []error
	}{
		{&otp.ParamError{Field: "Digits", Reason: "must be 6 to 10, got 4"},
			"otp: invalid parameters: Digits: must be 6 to 10, got 4", []error{otp.ErrParams}, []error{otp.ErrFIPS, otp.ErrURI}},
		{&otp.ParamError{Field: "Algorithm", Reason: "no SHA1", Err: otp.ErrFIPS},
			"otp: invalid parameters: Algorithm: no SHA1", []error{otp.ErrParams, otp.ErrFIPS}, []error{otp.ErrSecret}},
		{&otp.ParamError{Field: "user", Reason: ident.ErrEmpty.Error(), Err: ident.ErrEmpty},
			"otp: invalid parameters: user: " + ident.ErrEmpty.Error(), []error{otp.ErrParams, ident.ErrEmpty}, []error{otp.ErrFIPS}},
		{&otp.SecretError{Offset: -1, Reason: "too short"},
			"otp: invalid secret: too short", []error{otp.ErrSecret}, []error{otp.ErrParams}},
		{&otp.SecretError{Offset: 0, Reason: "not Base32"},
			"otp: invalid secret: not Base32 at offset 0", []error{otp.ErrSecret}, nil},
		{&otp.URIError{Field: "scheme", Reason: "not otpauth"},
			"otp: invalid key URI: scheme: not otpauth", []error{otp.ErrURI}, []error{otp.ErrSecret, otp.ErrParams}},
		{&otp.URIError{Field: "secret", Reason: "bad", Err: &otp.SecretError{Offset: 3, Reason: "not Base32"}},
			"otp: invalid key URI: secret: bad: not Base32 at offset 3", []error{otp.ErrURI, otp.ErrSecret}, []error{otp.ErrParams}},
		{&otp.URIError{Field: "secret", Reason: "bad", Err: &otp.SecretError{Offset: 0, Reason: "not Base32"}},
			"otp: invalid key URI: secret: bad: not Base32 at offset 0", []error{otp.ErrURI, otp.ErrSecret}, nil},
		{&otp.URIError{Field: "secret", Reason: "bad", Err: &otp.SecretError{Offset: -1, Reason: "too short"}},
			"otp: invalid key URI: secret: bad: too short", []error{otp.ErrURI, otp.ErrSecret}, nil},
		{&otp.URIError{Field: "digits", Reason: "bad", Err: &otp.ParamError{Field: "Digits", Reason: "must be 6 to 10"}},
			"otp: invalid key URI: digits: bad: Digits: must be 6 to 10", []error{otp.ErrURI, otp.ErrParams}, []error{otp.ErrSecret}},
		{&otp.URIError{Field: "x", Reason: "bad", Err: errors.New("other")},
			"otp: invalid key URI: x: bad: other", []error{otp.ErrURI}, nil},
		{&otp.PINAttemptError{Remaining: 2},
			"otp: wrong PIN: 2 attempts remain", []error{otp.ErrPINInvalid}, []error{otp.ErrPINLocked}},
		{&otp.BlockedError{Failures: 5},
			"otp: blocked after 5 consecutive failures until an administrator resets it", []error{otp.ErrBlocked}, []error{otp.ErrRateLimited}},
		{&otp.BlockedError{Failures: 7, Until: until},
			"otp: blocked after 7 consecutive failures until 2026-01-02T02:04:05Z or an administrator resets it", []error{otp.ErrBlocked}, nil},
		{&otp.IneligibleError{Missing: otp.NeedRole | otp.NeedLicense},
			"otp: one-time PIN not available: missing role|license", []error{otp.ErrIneligible}, []error{otp.ErrParams}},
		{&otp.RateLimitError{Limit: 3, Until: until},
			"otp: too many PINs issued: 3 per window, next at 2026-01-02T02:04:05Z", []error{otp.ErrRateLimited}, []error{otp.ErrBlocked}},
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
