package servicepass

import (
	"context"
	"slices"
	"sync"
	"time"
)

// EventType names an audit event.
type EventType string

// The audit events the issuer records.
const (
	// EventIssued: a code was made. It is recorded before the code leaves
	// the issuer (returned, put in a QR code or mailed).
	EventIssued EventType = "issued"
	// EventMailFailed: the code was issued but the email was not sent.
	EventMailFailed EventType = "mail_failed"
)

// Event is one audit record. It never holds the code, its MAC or a key:
// the serial identifies the code.
type Event struct {
	Type     EventType
	At       time.Time // UTC
	Admin    string    // the acting administrator
	DeviceID string
	Mode     Mode
	Actions  Actions
	KeyID    uint8
	Serial   uint32
	// ExpiresAt is when the code stops verifying (for a day-valid code, the
	// end of its date in the request's location).
	ExpiresAt time.Time
	DayValid  bool
	QR        bool
	// EmailTo is the recipient when the code was sent by email.
	EmailTo  string
	Language string
	// Detail says why, for EventMailFailed; it holds no secret.
	Detail string
}

// Store is the issuer's audit log.
//
// Record appends e; records are kept in the order Record calls complete.
// Events returns the events for deviceID (every event when deviceID is
// empty) in that order, as a slice the caller owns; no events is an empty
// result, not an error. Both are safe for concurrent use.
type Store interface {
	Record(ctx context.Context, e Event) error
	Events(ctx context.Context, deviceID string) ([]Event, error)
}

// MemStore is a Store in memory. The zero value is ready to use.
type MemStore struct {
	mu     sync.Mutex
	events []Event
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{} }

// Record implements Store.
func (m *MemStore) Record(ctx context.Context, e Event) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	m.events = append(m.events, e)
	m.mu.Unlock()
	return nil
}

// Events implements Store.
func (m *MemStore) Events(ctx context.Context, deviceID string) ([]Event, error) {
	if ctx == nil {
		return nil, ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if deviceID == "" {
		return slices.Clone(m.events), nil
	}
	var out []Event
	for _, e := range m.events {
		if e.DeviceID == deviceID {
			out = append(out, e)
		}
	}
	return out, nil
}
