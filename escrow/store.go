package escrow

import (
	"context"
	"time"
)

// Key names one [Row]: a device and a kind.
type Key struct {
	DeviceID string
	Kind     string
}

// Row is what a [Store] keeps for one device and kind: opaque, versioned
// bytes (every record of the kind, encoded by this package) and the few
// columns the Store indexes. The Store never reads Data; the rules (one
// open record, the lifecycle, rotation) are decided by the [Service] in
// Go, so every backend enforces the same ones.
type Row struct {
	DeviceID string
	Kind     string
	// Rev is the row's revision: 1 when first written, then one more at
	// every write. A write names the revision it was decided on.
	Rev uint64
	// Data is the encoded records; nil in a write deletes the row.
	Data []byte
	// RecordIDs and CommandIDs index the row for [Store.ByRecord] and
	// [Store.ByCommand].
	RecordIDs  []string
	CommandIDs []string
	// DueAt is when [Store.Due] returns the row (zero: never).
	DueAt time.Time
	// ClosedAt is the oldest last change of a closed record in the row
	// (zero: none), which [Store.ClosedBefore] compares.
	ClosedAt time.Time
}

// Store keeps escrow rows and the audit trail. It is the SDK's one store
// idiom: load a versioned row, decide in Go, write it back with one
// conditional operation, and on [ErrConflict] load again. Every method is
// one atomic operation and safe for concurrent use; a method called with a
// canceled context returns an error and changes nothing. Returned values
// share no memory with the store. Run escrowtest.RunStore against a new
// implementation.
type Store interface {
	// Load returns the row of a device and kind (its DeviceID, Kind, Rev
	// and Data; the index fields need not be filled), or ErrNotFound.
	Load(ctx context.Context, k Key) (Row, error)
	// ByRecord returns the row whose RecordIDs hold id, or ErrNotFound.
	// Record and command IDs name one row each (record IDs are random,
	// and the Service refuses a command ID another record carries); a
	// store may answer either row for an ID two rows were given.
	ByRecord(ctx context.Context, id string) (Row, error)
	// ByCommand returns the row whose CommandIDs hold id, or ErrNotFound.
	ByCommand(ctx context.Context, commandID string) (Row, error)
	// Write stores row and appends events, at once, if the stored row of
	// (row.DeviceID, row.Kind) is at revision prev: prev 0 inserts a row
	// that must not exist (insert-if-absent), otherwise it replaces (or,
	// with nil Data, deletes) the row at revision prev (compare-and-swap).
	// row.Rev is prev+1. When the condition fails it returns ErrConflict
	// and changes nothing: of N concurrent writes from one revision,
	// exactly one succeeds.
	Write(ctx context.Context, row Row, prev uint64, events []Event) error
	// Due returns the keys of up to limit rows whose DueAt is set and not
	// after now, earliest DueAt first.
	Due(ctx context.Context, now time.Time, limit int) ([]Key, error)
	// Events returns events in the order they were written: those of one
	// record when q.RecordID is set, else those of one device. An
	// unknown ID gives an empty list.
	Events(ctx context.Context, q EventQuery) ([]Event, error)
	// ClosedBefore returns the keys of up to limit rows whose ClosedAt is set
	// and before before.
	ClosedBefore(ctx context.Context, before time.Time, limit int) ([]Key, error)
	// PurgeEvents deletes at most limit events whose At is before before
	// and returns how many it deleted; a limit below one deletes nothing.
	PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error)
	// Rows returns up to limit rows (their DeviceID, Kind, Rev and Data)
	// whose key sorts after after, in key order: by DeviceID, then by
	// Kind, each compared byte by byte (the zero Key sorts before every
	// row); a limit below one returns none. [Service.Reseal] walks the
	// rows with it, a batch at a time, and writes back what it changes
	// with Write.
	Rows(ctx context.Context, after Key, limit int) ([]Row, error)
}
