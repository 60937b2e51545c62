// Package nilctx is the one rule every mdmcred package applies to a nil
// context.Context: the function refuses it with an error before any work,
// never panics and never substitutes context.Background. A security SDK
// should not quietly drop what a caller meant to pass (a deadline, a
// cancellation, a request-scoped logger value): a nil context is a bug in
// the caller, and an error says so where a panic would take the process down.
//
// Each public package exports its own sentinel, built with [New] and named
// ErrNilContext, so that the message names the package; every one of them
// matches every other with errors.Is, so a host can test for any of them.
package nilctx

// New returns the sentinel a package returns for a nil context; its message
// is "<pkg>: nil context".
func New(pkg string) error { return &nilContextError{pkg: pkg} }

type nilContextError struct{ pkg string }

func (e *nilContextError) Error() string { return e.pkg + ": nil context" }

// Is makes the sentinels of all packages match each other.
func (e *nilContextError) Is(target error) bool {
	_, ok := target.(*nilContextError)
	return ok
}
