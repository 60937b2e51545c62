package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/mdmcred/mdmcred/servicepass"
)

// ServicepassStore is the service-password issuer's audit log,
// a [servicepass.Store], in PostgreSQL (table mdmcred_servicepass_event).
// An event holds the code's serial, never the code, its MAC or a key. Each
// Record is one INSERT; events are returned in the order of a sequence
// drawn as they are inserted. Safe for concurrent use.
type ServicepassStore struct {
	db *sql.DB
}

var _ servicepass.Store = (*ServicepassStore)(nil)

// NewServicepassStore returns a ServicepassStore on db, whose schema
// [Migrate] has set up.
func NewServicepassStore(db *sql.DB) *ServicepassStore { return &ServicepassStore{db: db} }

// Record implements [servicepass.Store].
func (s *ServicepassStore) Record(ctx context.Context, e servicepass.Event) error {
	if err := checkText("type", string(e.Type), "admin", e.Admin, "device ID", e.DeviceID,
		"email to", e.EmailTo, "language", e.Language, "detail", e.Detail); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO mdmcred_servicepass_event (type, at, admin, device_id, mode, actions, key_id, serial,
			expires_at, day_valid, qr, email_to, language, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		string(e.Type), tsArg(e.At), e.Admin, e.DeviceID, int16(e.Mode), int16(e.Actions), int16(e.KeyID), int64(e.Serial),
		tsArg(e.ExpiresAt), e.DayValid, e.QR, e.EmailTo, e.Language, e.Detail)
	if err != nil {
		return fmt.Errorf("postgres: servicepass record: %w", err)
	}
	return nil
}

// Events implements [servicepass.Store]: the device's events (every event
// when deviceID is empty), oldest first.
func (s *ServicepassStore) Events(ctx context.Context, deviceID string) ([]servicepass.Event, error) {
	if err := checkText("device ID", deviceID); err != nil {
		return nil, err
	}
	const cols = `SELECT type, at, admin, device_id, mode, actions, key_id, serial, expires_at, day_valid, qr,
		email_to, language, detail FROM mdmcred_servicepass_event`
	var rows *sql.Rows
	var err error
	if deviceID == "" {
		rows, err = s.db.QueryContext(ctx, cols+` ORDER BY seq`)
	} else {
		rows, err = s.db.QueryContext(ctx, cols+` WHERE device_id = $1 ORDER BY seq`, deviceID)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: servicepass events: %w", err)
	}
	defer rows.Close()
	out := []servicepass.Event{}
	for rows.Next() {
		var e servicepass.Event
		var typ string
		var at, expires sql.NullTime
		var mode, actions, keyID int16
		var serial int64
		if err := rows.Scan(&typ, &at, &e.Admin, &e.DeviceID, &mode, &actions, &keyID, &serial, &expires,
			&e.DayValid, &e.QR, &e.EmailTo, &e.Language, &e.Detail); err != nil {
			return nil, fmt.Errorf("postgres: servicepass events: %w", err)
		}
		e.Type, e.At, e.ExpiresAt = servicepass.EventType(typ), ts(at), ts(expires)
		e.Mode, e.Actions, e.KeyID, e.Serial = servicepass.Mode(mode), servicepass.Actions(actions), uint8(keyID), uint32(serial)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: servicepass events: %w", err)
	}
	return out, nil
}
