package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mdmcred/mdmcred/passcode"
)

// openStates is the SQL list of the open states (Requested, Pending,
// Acknowledged); the partial unique index mdmcred_passcode_reset_one_open
// is declared over the same list. A test checks it against
// [passcode.State.Open].
const openStates = "(1, 2, 3)"

// PasscodeStore is a [passcode.Store] in PostgreSQL (tables
// mdmcred_passcode_reset and mdmcred_passcode_event). A partial unique index
// on the device of open resets guarantees one open reset per device, and
// transitions are conditional updates (WHERE state = from). Every method
// is one statement (a create or a transition inserts its event in the
// same statement), so no connection sits idle inside a transaction. Safe
// for concurrent use.
type PasscodeStore struct {
	db *sql.DB
}

var _ passcode.Store = (*PasscodeStore)(nil)

// NewPasscodeStore returns a PasscodeStore on db, whose schema [Migrate]
// has set up.
func NewPasscodeStore(db *sql.DB) *PasscodeStore { return &PasscodeStore{db: db} }

const resetColumns = `id, device_id, platform, action, state, requested_by, self_service, owner,
	requested_at, updated_at, stale_at, sealed, retain_until, grace_ns`

// createTries bounds how often Create runs again because the row that
// refused its insert was not visible to the statement.
const createTries = 3

// Create implements [passcode.Store.Create] as one statement, so no
// connection waits inside a transaction: the reset row (INSERT ... ON
// CONFLICT DO NOTHING, which the primary key and the one-open-per-device
// index both arbitrate) and its event, inserted from the row the first
// insert returned. When the insert changes nothing, a second statement
// says which row refused it: the ID's ([passcode.ErrDuplicateID]) or the
// device's open reset ([passcode.ErrResetInProgress]). If neither is there
// any more (a purge deleted a finished reset with this ID in between), the
// insert runs again.
func (s *PasscodeStore) Create(ctx context.Context, r passcode.Reset, ev passcode.Event) error {
	if err := checkText("reset ID", r.ID, "device ID", r.DeviceID, "requested by", r.RequestedBy, "owner", r.Owner); err != nil {
		return err
	}
	if err := checkEvent(ev); err != nil {
		return err
	}
	for try := 1; ; try++ {
		var inserted bool
		err := s.db.QueryRowContext(ctx, `
			WITH r AS (
				INSERT INTO mdmcred_passcode_reset (`+resetColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
				ON CONFLICT DO NOTHING
				RETURNING id),
			e AS (
				INSERT INTO mdmcred_passcode_event (kind, reset_id, device_id, from_state, to_state, at, actor)
				SELECT $15, $16, $17, $18, $19, $20, $21 FROM r
				RETURNING 1)
			SELECT EXISTS (SELECT 1 FROM r)`,
			r.ID, r.DeviceID, int16(r.Platform), int16(r.Action), int16(r.State), r.RequestedBy, r.SelfService, r.Owner,
			tsArg(r.RequestedAt), tsArg(r.UpdatedAt), tsArg(r.StaleAt), r.Sealed, tsArg(r.RetainUntil), int64(r.Grace),
			int16(ev.Kind), ev.ResetID, ev.DeviceID, int16(ev.From), int16(ev.To), tsArg(ev.At), ev.Actor).Scan(&inserted)
		if err != nil {
			return fmt.Errorf("postgres: passcode create: %w", err)
		}
		if inserted {
			return nil
		}
		// Refused: a second statement, with a snapshot of its own, says
		// by which row (the insert's snapshot may predate a purge).
		var sameID, open bool
		if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM mdmcred_passcode_reset WHERE id = $1),
			EXISTS (SELECT 1 FROM mdmcred_passcode_reset WHERE device_id = $2 AND state IN `+openStates+`)`,
			r.ID, r.DeviceID).Scan(&sameID, &open); err != nil {
			return fmt.Errorf("postgres: passcode create: %w", err)
		}
		switch {
		case sameID:
			return passcode.ErrDuplicateID
		case open:
			return passcode.ErrResetInProgress
		case try == createTries:
			return fmt.Errorf("postgres: passcode create: the conflicting reset was deleted before it could be read, %d times", try)
		}
	}
}

// Get implements [passcode.Store.Get].
func (s *PasscodeStore) Get(ctx context.Context, id string) (passcode.Reset, error) {
	if err := checkText("reset ID", id); err != nil {
		return passcode.Reset{}, err
	}
	return s.one(ctx, `SELECT `+resetColumns+` FROM mdmcred_passcode_reset WHERE id = $1`, id)
}

// Open implements [passcode.Store.Open].
func (s *PasscodeStore) Open(ctx context.Context, deviceID string) (passcode.Reset, error) {
	if err := checkText("device ID", deviceID); err != nil {
		return passcode.Reset{}, err
	}
	return s.one(ctx, `SELECT `+resetColumns+` FROM mdmcred_passcode_reset WHERE device_id = $1 AND state IN `+openStates, deviceID)
}

func (s *PasscodeStore) one(ctx context.Context, query string, arg string) (passcode.Reset, error) {
	r, err := scanReset(s.db.QueryRowContext(ctx, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return passcode.Reset{}, passcode.ErrNotFound
	}
	if err != nil {
		return passcode.Reset{}, fmt.Errorf("postgres: passcode get: %w", err)
	}
	return r, nil
}

// Transition implements [passcode.Store.Transition] as one statement: a
// conditional UPDATE (WHERE id = id AND state = from), the event inserted
// from the row it returned, and whether the reset exists, to tell
// [passcode.ErrStateChanged] from [passcode.ErrNotFound]. Of racing
// transitions from one state exactly one updates the row; the others find
// it in another state.
func (s *PasscodeStore) Transition(ctx context.Context, id string, from, to passcode.State, at time.Time, ev passcode.Event) error {
	if !passcode.CanTransition(from, to) {
		return &passcode.TransitionError{From: from, To: to}
	}
	if err := checkText("reset ID", id); err != nil {
		return err
	}
	if err := checkEvent(ev); err != nil {
		return err
	}
	var updated, exists bool
	err := s.db.QueryRowContext(ctx, `
		WITH u AS (
			UPDATE mdmcred_passcode_reset SET state = $3, updated_at = $4 WHERE id = $1 AND state = $2
			RETURNING id),
		e AS (
			INSERT INTO mdmcred_passcode_event (kind, reset_id, device_id, from_state, to_state, at, actor)
			SELECT $5, $6, $7, $8, $9, $10, $11 FROM u
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM mdmcred_passcode_reset WHERE id = $1)`,
		id, int16(from), int16(to), tsArg(at),
		int16(ev.Kind), ev.ResetID, ev.DeviceID, int16(ev.From), int16(ev.To), tsArg(ev.At), ev.Actor).Scan(&updated, &exists)
	switch {
	case err != nil:
		return fmt.Errorf("postgres: passcode transition: %w", err)
	case updated:
		return nil
	case exists:
		return passcode.ErrStateChanged
	}
	return passcode.ErrNotFound
}

// Append implements [passcode.Store.Append]: one INSERT ... SELECT that
// adds the event only if its reset exists.
func (s *PasscodeStore) Append(ctx context.Context, ev passcode.Event) error {
	if err := checkEvent(ev); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO mdmcred_passcode_event (kind, reset_id, device_id, from_state, to_state, at, actor)
		SELECT $1, $2, $3, $4, $5, $6, $7
		WHERE EXISTS (SELECT 1 FROM mdmcred_passcode_reset WHERE id = $2)`,
		int16(ev.Kind), ev.ResetID, ev.DeviceID, int16(ev.From), int16(ev.To), tsArg(ev.At), ev.Actor)
	if err != nil {
		return fmt.Errorf("postgres: passcode append: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("postgres: passcode append: %w", err)
	} else if n == 0 {
		return passcode.ErrNotFound
	}
	return nil
}

// Events implements [passcode.Store.Events].
func (s *PasscodeStore) Events(ctx context.Context, q passcode.EventQuery) ([]passcode.Event, error) {
	if err := checkText("reset ID", q.ResetID, "device ID", q.DeviceID); err != nil {
		return nil, err
	}
	query, arg := `WHERE device_id = $1`, q.DeviceID
	if q.ResetID != "" {
		query, arg = `WHERE reset_id = $1`, q.ResetID
	}
	rows, err := s.db.QueryContext(ctx, `SELECT kind, reset_id, device_id, from_state, to_state, at, actor
		FROM mdmcred_passcode_event `+query+` ORDER BY seq`, arg)
	if err != nil {
		return nil, fmt.Errorf("postgres: passcode events: %w", err)
	}
	defer rows.Close()
	out := []passcode.Event{}
	for rows.Next() {
		var e passcode.Event
		var kind, from, to int16
		var at sql.NullTime
		if err := rows.Scan(&kind, &e.ResetID, &e.DeviceID, &from, &to, &at, &e.Actor); err != nil {
			return nil, fmt.Errorf("postgres: passcode events: %w", err)
		}
		e.Kind, e.From, e.To, e.At = passcode.EventKind(kind), passcode.State(from), passcode.State(to), ts(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: passcode events: %w", err)
	}
	return out, nil
}

// Stale implements [passcode.Store.Stale]. A negative limit means no limit.
func (s *PasscodeStore) Stale(ctx context.Context, now time.Time, limit int) ([]passcode.Reset, error) {
	var lim any // NULL: LIMIT ALL
	if limit >= 0 {
		lim = int64(limit)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+resetColumns+` FROM mdmcred_passcode_reset
		WHERE state IN `+openStates+` AND (stale_at IS NULL OR stale_at <= $1)
		ORDER BY stale_at NULLS FIRST, id LIMIT $2`, tsArg(now), lim)
	if err != nil {
		return nil, fmt.Errorf("postgres: passcode stale: %w", err)
	}
	defer rows.Close()
	var out []passcode.Reset
	for rows.Next() {
		r, err := scanReset(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: passcode stale: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: passcode stale: %w", err)
	}
	return out, nil
}

func checkEvent(ev passcode.Event) error {
	return checkText("event reset ID", ev.ResetID, "event device ID", ev.DeviceID, "event actor", ev.Actor)
}

type scanner interface{ Scan(dest ...any) error }

func scanReset(row scanner) (passcode.Reset, error) {
	var r passcode.Reset
	var platform, action, state int16
	var requested, updated, stale, retain sql.NullTime
	var grace int64
	if err := row.Scan(&r.ID, &r.DeviceID, &platform, &action, &state, &r.RequestedBy, &r.SelfService, &r.Owner,
		&requested, &updated, &stale, &r.Sealed, &retain, &grace); err != nil {
		return passcode.Reset{}, err
	}
	r.Platform, r.Action, r.State = passcode.Platform(platform), passcode.Action(action), passcode.State(state)
	r.RequestedAt, r.UpdatedAt, r.StaleAt, r.RetainUntil = ts(requested), ts(updated), ts(stale), ts(retain)
	r.Grace = time.Duration(grace)
	return r, nil
}
