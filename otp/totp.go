package otp

import (
	"crypto/subtle"
	"time"

	"github.com/mdmcred/mdmcred/internal/secret"
)

// Step returns the RFC 6238 time step of t: whole periods since the Unix
// epoch (T0 = 0). Instants before the epoch, and every instant for a zero
// Key, are step 0.
func (k *Key) Step(t time.Time) uint64 {
	s := t.Unix()
	if s < 0 || k == nil || k.period <= 0 {
		return 0
	}
	return uint64(s / k.period)
}

// StepStart returns the instant step begins; the code for step is valid
// until StepStart(step+1) plus any future skew the verifier allows.
func (k *Key) StepStart(step uint64) time.Time {
	return time.Unix(int64(step*uint64(k.period)), 0).UTC()
}

// TOTP returns the RFC 6238 code at t, Digits long with leading zeros.
func TOTP(k *Key, t time.Time) Code {
	var buf [MaxDigits]byte
	return secret.New(string(AppendTOTP(buf[:0], k, t)))
}

// AppendTOTP appends the RFC 6238 code at t to dst and returns the
// extended slice. It does not allocate when dst has room for Digits bytes.
func AppendTOTP(dst []byte, k *Key, t time.Time) []byte {
	if !k.usable() {
		return dst
	}
	return appendCode(dst, k.value(k.Step(t)), k.digits)
}

// ValidateOpts are the tolerances of [ValidateTOTP]. The zero value accepts
// only the current step and never refuses a replay: set MinStep.
type ValidateOpts struct {
	// Past is the number of steps before the current one still accepted,
	// for a slow user or a device clock behind; RFC 6238 §5.2 recommends
	// at most 1. Zero means none. At most MaxWindow.
	Past int
	// Future is the number of steps after the current one accepted, for a
	// device clock ahead. Zero means none. At most MaxWindow.
	Future int
	// Skew is a symmetric shorthand: that many steps before and after the
	// current one are accepted, as pquerna/otp's Skew. It cannot be
	// combined with Past or Future (a [*ParamError]). Zero means unset. At
	// most MaxWindow.
	Skew int
	// MinStep is the lowest step that may still be used: pass the step the
	// last successful validation for this key returned, plus one (the
	// caller or a store persists it). A code that matches only earlier
	// steps fails with ErrReplay. Zero refuses nothing.
	MinStep uint64
}

// ValidateTOTP checks code against the steps from Past before to Future
// after now's step and returns the step that matched. Persist the result
// and pass it plus one as ValidateOpts.MinStep next time, so the code
// cannot be used twice.
//
// Every step in the window is computed and compared in constant time,
// whether or not an earlier one matched. If several steps at or after
// MinStep match (possible for short codes), the latest wins, so the next
// MinStep is as high as it can be.
//
// Errors: [ErrFormat] (not Digits digits; spaces are ignored) before any MAC
// work, [ErrReplay], [ErrInvalid], and [*ParamError] for a skew outside 0 to
// MaxWindow or Skew combined with Past or Future.
//
// ValidateTOTP is stateless: replay protection needs the caller to persist
// the step. [TOTPService] does that (and failure limiting and clock-drift
// tracking) through a store; prefer it unless you already keep that state.
func ValidateTOTP(k *Key, code string, now time.Time, opts ValidateOpts) (uint64, error) {
	if opts.Skew != 0 {
		if opts.Skew < 0 || opts.Skew > MaxWindow {
			return 0, &ParamError{Field: "Skew", Reason: "must be 0 to 100"}
		}
		if opts.Past != 0 || opts.Future != 0 {
			return 0, &ParamError{Field: "Skew", Reason: "cannot be combined with Past or Future"}
		}
		opts.Past, opts.Future = opts.Skew, opts.Skew
	}
	if opts.Past < 0 || opts.Past > MaxWindow {
		return 0, &ParamError{Field: "Past", Reason: "must be 0 to 100"}
	}
	if opts.Future < 0 || opts.Future > MaxWindow {
		return 0, &ParamError{Field: "Future", Reason: "must be 0 to 100"}
	}
	if !k.usable() {
		return 0, errZeroKey
	}
	want, ok := parseCode(code, k.digits)
	if !ok {
		return 0, ErrFormat
	}
	cur := k.Step(now)
	lo := cur - uint64(opts.Past)
	if cur < uint64(opts.Past) {
		lo = 0
	}
	hi := cur + uint64(opts.Future) // cannot overflow: cur < 2^63
	var matched uint64
	found, replay := 0, 0
	for c := lo; c <= hi; c++ {
		eq := subtle.ConstantTimeEq(int32(k.value(c)), int32(want))
		fresh := 0
		if c >= opts.MinStep { // public values: branching is fine
			fresh = 1
		}
		hit := eq & fresh
		mask := -uint64(hit)
		matched = matched&^mask | c&mask
		found |= hit
		replay |= eq &^ fresh
	}
	switch {
	case found == 1:
		return matched, nil
	case replay == 1:
		return 0, ErrReplay
	}
	return 0, ErrInvalid
}
