package passcode

import "github.com/mdmcred/mdmcred/internal/ident"

// MaxIDLen bounds every identifier the Service takes (device, user, actor,
// viewer and reset IDs, the user's email address), in bytes.
const MaxIDLen = ident.MaxLen

// IdentError says which identifier the Service refused and why, before any
// Store call, so every backend gives the same answer. An identifier must be
// 1 to [MaxIDLen] bytes of valid UTF-8 with no control character (C0, DEL,
// C1), no invisible formatting character (Unicode Cf: zero-width, bidi
// controls, soft hyphen) and no noncharacter. It matches
// [ErrInvalidRequest] and never holds the identifier itself.
type IdentError struct {
	// Field names the identifier: "Device.ID", "Actor", "User",
	// "Viewer.ID", "reset ID" ...
	Field string
	// Reason is why: "empty", "too long: 300 bytes, at most 256", "holds a
	// control character at byte 3" ...
	Reason string
	err    error
}

// Error implements error.
func (e *IdentError) Error() string {
	return ErrInvalidRequest.Error() + ": " + e.Field + ": " + e.Reason
}

// Is reports whether target is [ErrInvalidRequest].
func (e *IdentError) Is(target error) bool { return target == ErrInvalidRequest }

// Unwrap returns the identifier rule's own reason.
func (e *IdentError) Unwrap() error { return e.err }

// checkID applies the SDK's one identifier rule (internal/ident).
func checkID(field, v string) error {
	if err := ident.Check(v, MaxIDLen); err != nil {
		return &IdentError{Field: field, Reason: err.Error(), err: err}
	}
	return nil
}
