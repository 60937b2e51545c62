package passcode

import (
	"context"
	"time"
)

// Store keeps resets and their events. Every method is one atomic operation;
// an implementation must be safe for concurrent use. Run
// passcodetest.RunStore against a new implementation.
//
// A Store never interprets Reset.Sealed; it stores and returns the bytes,
// and returns every other field as it was created (only State and
// UpdatedAt change): the sealed passcode is bound to them.
// Returned values must not share memory with the store (copy Sealed). A
// method called with a canceled context returns an error and changes
// nothing.
type Store interface {
	// Create saves r, which is in state Requested, together with ev (its
	// creation event), as the open reset of r.DeviceID. If the device
	// already has a reset in an open state it returns ErrResetInProgress
	// and changes nothing; if a reset with r.ID exists, ErrDuplicateID.
	// Of N concurrent Creates for one device, exactly one succeeds.
	Create(ctx context.Context, r Reset, ev Event) error
	// Get returns the reset with that ID, or ErrNotFound.
	Get(ctx context.Context, id string) (Reset, error)
	// Open returns the device's open reset, or ErrNotFound.
	Open(ctx context.Context, deviceID string) (Reset, error)
	// Transition moves reset id from state from to state to, only if it is
	// in state from (a compare-and-swap), sets UpdatedAt to at, and appends
	// ev, all at once. It returns ErrNotFound, ErrStateChanged when the
	// reset is in another state, or an error matching
	// ErrInvalidTransition when CanTransition(from, to) is false. Of N
	// concurrent Transitions from the same state, exactly one succeeds.
	Transition(ctx context.Context, id string, from, to State, at time.Time, ev Event) error
	// Append records an event that does not change state (a view, an
	// email). It returns ErrNotFound if ev.ResetID does not exist.
	Append(ctx context.Context, ev Event) error
	// Events returns events in the order they were recorded: those of one
	// reset when q.ResetID is set, else those of one device. An unknown ID
	// gives an empty list.
	Events(ctx context.Context, q EventQuery) ([]Event, error)
	// Stale returns up to limit open resets whose StaleAt is not after now,
	// oldest StaleAt first.
	Stale(ctx context.Context, now time.Time, limit int) ([]Reset, error)
}

// EventQuery selects events: one reset's when ResetID is set, otherwise one
// device's.
type EventQuery struct {
	ResetID  string
	DeviceID string
}
