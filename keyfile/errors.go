package keyfile

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with errors.Is through an [*Error].
var (
	// ErrFormat: the file breaks a rule of docs/keyfile-format.md.
	ErrFormat = errors.New("keyfile: malformed key file")
	// ErrKeyID: a key ID used twice in a set, or one the set does not hold.
	ErrKeyID = errors.New("keyfile: key ID used or unknown")
	// ErrUnwrap: a wrapped key that does not unwrap (no wrapper, the
	// custodian refused, or the key belongs to another set or ID), or a
	// held key the host could not resolve.
	ErrUnwrap = errors.New("keyfile: key not unwrapped")
)

// Error says what is wrong and where: the line (for Parse), the set and
// the key ID. It never holds key material. It matches its Err (one of the
// sentinels above, or a custodian's error, which a *custody.Error is).
type Error struct {
	Line   int    // 1-based line of the file, or 0
	Set    string // the key set, or ""
	KeyID  int    // the key ID, or -1 (also when Set is "")
	Reason string
	Err    error
}

// Error implements error.
func (e *Error) Error() string {
	s := "keyfile: "
	if e.Line > 0 {
		s += fmt.Sprintf("line %d: ", e.Line)
	}
	if e.Set != "" {
		s += "set " + e.Set
		if e.KeyID >= 0 {
			s += fmt.Sprintf(" key %d", e.KeyID)
		}
		s += ": "
	}
	s += e.Reason
	if e.Err != nil && !isSentinel(e.Err) {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

func isSentinel(err error) bool { return err == ErrFormat || err == ErrKeyID || err == ErrUnwrap }
