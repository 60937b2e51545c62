package passcode

import (
	"context"
	"time"
)

// Store keeps resets and their events. It follows the SDK's one store
// idiom (CONTRIBUTING.md): the [Service] loads a versioned record
// ([Reset], with its Rev), decides in Go (the lifecycle, the stale
// deadline, one open reset per device) and writes it back with one
// conditional [Store.Write] (insert-if-absent for a new reset,
// compare-and-swap on Rev otherwise), loading and deciding again on
// [ErrConflict]. A Store never interprets a reset: it checks no state and
// no transition; it only keeps Rev, the uniqueness of ID and of a
// non-empty OpenDevice, and the order of events. Run
// passcodetest.RunStore against a new implementation.
//
// Every method is one atomic operation; an implementation must be safe for
// concurrent use. A Store never interprets Reset.Sealed; it stores and
// returns the bytes. Returned values must not share memory with the store
// (copy Sealed), nor keep the caller's. A method called with a canceled
// context returns an error and changes nothing.
type Store interface {
	// Load returns the reset with that ID, with its Rev, or ErrNotFound.
	Load(ctx context.Context, id string) (Reset, error)
	// Open returns the reset whose OpenDevice is deviceID (the device's
	// open reset), or ErrNotFound.
	Open(ctx context.Context, deviceID string) (Reset, error)
	// Write stores r and appends events, all at once, if the stored reset
	// r.ID is at revision prev: prev 0 inserts a reset that must not exist
	// (insert-if-absent), otherwise it replaces the reset stored at
	// revision prev (compare-and-swap). r.Rev must be prev+1 (the Service
	// sets it). When the condition fails, or when another reset has the
	// same non-empty OpenDevice, it returns an error matching ErrConflict
	// and changes nothing, appends nothing: of N concurrent Writes from
	// one revision, exactly one succeeds, and of N concurrent inserts of
	// resets with one OpenDevice, exactly one succeeds. The events are
	// r's: an event whose ResetID or DeviceID is not r's is refused with
	// an error that is not ErrConflict, and nothing changes (a backend may
	// store r's ID and device for them, as the PostgreSQL one does).
	Write(ctx context.Context, r Reset, prev uint64, events []Event) error
	// Append records an event that does not change the reset (a view, an
	// email). It returns ErrNotFound if ev.ResetID does not exist.
	Append(ctx context.Context, ev Event) error
	// Events returns events in the order they were recorded: those of one
	// reset when q.ResetID is set, else those of one device. An unknown ID
	// gives an empty list.
	Events(ctx context.Context, q EventQuery) ([]Event, error)
	// Stale returns up to limit resets with a non-empty OpenDevice whose
	// StaleAt is not after now, oldest StaleAt first; a negative limit
	// means no limit.
	Stale(ctx context.Context, now time.Time, limit int) ([]Reset, error)
}

// EventQuery selects events: one reset's when ResetID is set, otherwise one
// device's.
type EventQuery struct {
	ResetID  string
	DeviceID string
}
