package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/escrow"
)

// EscrowStore is an [escrow.Store] in PostgreSQL (tables mdmcred_escrow,
// mdmcred_escrow_ref and mdmcred_escrow_event). Every write is one
// statement: the conditional INSERT ... ON CONFLICT DO NOTHING, UPDATE ...
// WHERE rev = prev or DELETE ... WHERE rev = prev of one row, with its
// record and command IDs and its events written in the same statement only
// if that row was. No transaction spans two
// round trips, and no statement locks more than one escrow row, so
// writers never deadlock and never wait on an idle transaction. Safe for
// concurrent use.
type EscrowStore struct {
	db *sql.DB
}

var _ escrow.Store = (*EscrowStore)(nil)

// NewEscrowStore returns an EscrowStore on db, whose schema [Migrate] has
// set up.
func NewEscrowStore(db *sql.DB) *EscrowStore { return &EscrowStore{db: db} }

// idSep joins the record and command IDs sent as one text parameter and
// split by string_to_array, which every driver can bind. The Service
// refuses control characters in IDs, and the store checks again.
const idSep = "\n"

const escrowColumns = `device_id, kind, rev, data`

// Load implements [escrow.Store.Load].
func (s *EscrowStore) Load(ctx context.Context, k escrow.Key) (escrow.Row, error) {
	if err := checkText("device ID", k.DeviceID, "kind", k.Kind); err != nil {
		return escrow.Row{}, err
	}
	return s.one(ctx, "escrow load", `SELECT `+escrowColumns+` FROM mdmcred_escrow WHERE device_id = $1 AND kind = $2`,
		k.DeviceID, k.Kind)
}

// ByRecord implements [escrow.Store.ByRecord].
func (s *EscrowStore) ByRecord(ctx context.Context, id string) (escrow.Row, error) {
	if err := checkText("record ID", id); err != nil {
		return escrow.Row{}, err
	}
	return s.one(ctx, "escrow by record", byRef, "r"+id)
}

// ByCommand implements [escrow.Store.ByCommand].
func (s *EscrowStore) ByCommand(ctx context.Context, commandID string) (escrow.Row, error) {
	if err := checkText("command ID", commandID); err != nil {
		return escrow.Row{}, err
	}
	return s.one(ctx, "escrow by command", byRef, "c"+commandID)
}

const byRef = `SELECT e.device_id, e.kind, e.rev, e.data FROM mdmcred_escrow_ref r
	JOIN mdmcred_escrow e ON e.device_id = r.device_id AND e.kind = r.kind WHERE r.ref = $1`

func (s *EscrowStore) one(ctx context.Context, what, query string, args ...any) (escrow.Row, error) {
	var r escrow.Row
	var rev int64
	err := s.db.QueryRowContext(ctx, query, args...).Scan(&r.DeviceID, &r.Kind, &rev, &r.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return escrow.Row{}, escrow.ErrNotFound
	}
	if err != nil {
		return escrow.Row{}, fmt.Errorf("postgres: %s: %w", what, err)
	}
	r.Rev = uint64(rev)
	return r, nil
}

// Write implements [escrow.Store.Write] in one statement: the row's
// conditional write in a data-modifying WITH, and the events inserted from
// its RETURNING, so they are written exactly when the row is.
func (s *EscrowStore) Write(ctx context.Context, row escrow.Row, prev uint64, events []escrow.Event) error {
	if row.Rev != prev+1 {
		return errors.New("postgres: escrow write: row.Rev must be prev+1")
	}
	if err := checkText("device ID", row.DeviceID, "kind", row.Kind); err != nil {
		return err
	}
	refs, err := joinRefs(row)
	if err != nil {
		return err
	}
	var write string
	args := []any{row.DeviceID, row.Kind}
	switch {
	case prev == 0 && row.Data == nil:
		return escrow.ErrConflict // nothing to delete
	case prev == 0:
		write = `WITH w AS (INSERT INTO mdmcred_escrow (device_id, kind, rev, data, due_at, closed_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1),
			refs AS (INSERT INTO mdmcred_escrow_ref (ref, device_id, kind)
				SELECT r, $1, $2 FROM w, unnest(string_to_array($7, E'\n')) r ON CONFLICT (ref) DO NOTHING)`
		args = append(args, int64(row.Rev), row.Data, tsArg(row.DueAt), tsArg(row.ClosedAt), refs)
	case row.Data == nil:
		write = `WITH w AS (DELETE FROM mdmcred_escrow WHERE device_id = $1 AND kind = $2 AND rev = $3 RETURNING 1),
			gone AS (DELETE FROM mdmcred_escrow_ref WHERE device_id = $1 AND kind = $2 AND EXISTS (SELECT 1 FROM w))`
		args = append(args, int64(prev))
	default:
		write = `WITH w AS (UPDATE mdmcred_escrow SET rev = $3, data = $4, due_at = $5, closed_at = $6
				WHERE device_id = $1 AND kind = $2 AND rev = $8 RETURNING 1),
			gone AS (DELETE FROM mdmcred_escrow_ref WHERE device_id = $1 AND kind = $2
				AND NOT (ref = ANY (string_to_array($7, E'\n'))) AND EXISTS (SELECT 1 FROM w)),
			refs AS (INSERT INTO mdmcred_escrow_ref (ref, device_id, kind)
				SELECT r, $1, $2 FROM w, unnest(string_to_array($7, E'\n')) r ON CONFLICT (ref) DO NOTHING)`
		args = append(args, int64(row.Rev), row.Data, tsArg(row.DueAt), tsArg(row.ClosedAt), refs, int64(prev))
	}
	query := write
	if len(events) > 0 {
		var values []string
		for i, ev := range events {
			if err := checkText("event record ID", ev.RecordID, "event device ID", ev.DeviceID, "event kind", ev.Kind,
				"event command ID", ev.CommandID, "event actor", ev.Actor, "event reason", ev.Reason); err != nil {
				return err
			}
			n := len(args)
			p := func(k int) string { return "$" + strconv.Itoa(n+k) }
			values = append(values, fmt.Sprintf("(%d, %s::smallint, %s::text, %s::text, %s::text, %s::text, %s::smallint, %s::smallint, %s::timestamptz, %s::text, %s::text, %s::text)",
				i, p(1), p(2), p(3), p(4), p(5), p(6), p(7), p(8), p(9), p(10), p(11)))
			src := ""
			if ev.Source.IsValid() {
				src = ev.Source.String()
			}
			args = append(args, int16(ev.Type), ev.RecordID, ev.DeviceID, ev.Kind, ev.CommandID, int16(ev.From), int16(ev.To),
				tsArg(ev.At), ev.Actor, src, ev.Reason)
		}
		query += `, e AS (INSERT INTO mdmcred_escrow_event
				(type, record_id, device_id, kind, command_id, from_state, to_state, at, actor, source, reason)
			SELECT v.type, v.record_id, v.device_id, v.kind, v.command_id, v.from_state, v.to_state, v.at, v.actor, v.source, v.reason
			FROM w CROSS JOIN (VALUES ` + strings.Join(values, ", ") + `)
				AS v(ord, type, record_id, device_id, kind, command_id, from_state, to_state, at, actor, source, reason)
			ORDER BY v.ord)`
	}
	query += ` SELECT count(*) FROM w`
	var n int64
	if err := s.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		if isUniqueViolation(err) {
			return escrow.ErrConflict
		}
		return fmt.Errorf("postgres: escrow write: %w", err)
	}
	if n == 0 {
		return escrow.ErrConflict
	}
	return nil
}

// joinRefs joins a row's record IDs ('r' || ID) and command IDs ('c' ||
// ID) with idSep for string_to_array, refusing an ID that holds the
// separator or that a text column cannot store.
func joinRefs(row escrow.Row) (string, error) {
	refs := make([]string, 0, len(row.RecordIDs)+len(row.CommandIDs))
	for _, f := range []struct {
		field, prefix string
		ids           []string
	}{{"record ID", "r", row.RecordIDs}, {"command ID", "c", row.CommandIDs}} {
		for _, id := range f.ids {
			if id == "" || strings.Contains(id, idSep) {
				return "", &TextError{Field: f.field}
			}
			if err := checkText(f.field, id); err != nil {
				return "", err
			}
			refs = append(refs, f.prefix+id)
		}
	}
	return strings.Join(refs, idSep), nil
}

// Due implements [escrow.Store.Due].
func (s *EscrowStore) Due(ctx context.Context, now time.Time, limit int) ([]escrow.Key, error) {
	return s.keys(ctx, "escrow due", `SELECT device_id, kind FROM mdmcred_escrow
		WHERE due_at IS NOT NULL AND due_at <= $1 ORDER BY due_at, device_id, kind LIMIT $2`, now, limit)
}

// ClosedBefore implements [escrow.Store.ClosedBefore].
func (s *EscrowStore) ClosedBefore(ctx context.Context, before time.Time, limit int) ([]escrow.Key, error) {
	return s.keys(ctx, "escrow purgeable", `SELECT device_id, kind FROM mdmcred_escrow
		WHERE closed_at IS NOT NULL AND closed_at < $1 ORDER BY closed_at, device_id, kind LIMIT $2`, before, limit)
}

func (s *EscrowStore) keys(ctx context.Context, what, query string, at time.Time, limit int) ([]escrow.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 0 {
		limit = 0
	}
	rows, err := s.db.QueryContext(ctx, query, tsArg(at), int64(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, err)
	}
	defer rows.Close()
	out := []escrow.Key{}
	for rows.Next() {
		var k escrow.Key
		if err := rows.Scan(&k.DeviceID, &k.Kind); err != nil {
			return nil, fmt.Errorf("postgres: %s: %w", what, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, err)
	}
	return out, nil
}

// Rows implements [escrow.Store.Rows]: one keyset page in byte order
// (COLLATE "C"), which the index of migration 0008 answers.
func (s *EscrowStore) Rows(ctx context.Context, after escrow.Key, limit int) ([]escrow.Row, error) {
	if err := checkText("device ID", after.DeviceID, "kind", after.Kind); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := []escrow.Row{}
	if limit < 1 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+escrowColumns+` FROM mdmcred_escrow
		WHERE (device_id COLLATE "C", kind COLLATE "C") > ($1, $2)
		ORDER BY device_id COLLATE "C", kind COLLATE "C" LIMIT $3`, after.DeviceID, after.Kind, int64(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: escrow rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r escrow.Row
		var rev int64
		if err := rows.Scan(&r.DeviceID, &r.Kind, &rev, &r.Data); err != nil {
			return nil, fmt.Errorf("postgres: escrow rows: %w", err)
		}
		r.Rev = uint64(rev)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: escrow rows: %w", err)
	}
	return out, nil
}

// Events implements [escrow.Store.Events].
func (s *EscrowStore) Events(ctx context.Context, q escrow.EventQuery) ([]escrow.Event, error) {
	if err := checkText("record ID", q.RecordID, "device ID", q.DeviceID); err != nil {
		return nil, err
	}
	where, arg := `device_id = $1`, q.DeviceID
	if q.RecordID != "" {
		where, arg = `record_id = $1`, q.RecordID
	}
	rows, err := s.db.QueryContext(ctx, `SELECT type, record_id, device_id, kind, command_id, from_state, to_state, at, actor, source, reason
		FROM mdmcred_escrow_event WHERE `+where+` ORDER BY seq`, arg)
	if err != nil {
		return nil, fmt.Errorf("postgres: escrow events: %w", err)
	}
	defer rows.Close()
	out := []escrow.Event{}
	for rows.Next() {
		var e escrow.Event
		var typ, from, to int16
		var at sql.NullTime
		var src string
		if err := rows.Scan(&typ, &e.RecordID, &e.DeviceID, &e.Kind, &e.CommandID, &from, &to, &at, &e.Actor, &src, &e.Reason); err != nil {
			return nil, fmt.Errorf("postgres: escrow events: %w", err)
		}
		e.Type, e.From, e.To, e.At = escrow.EventType(typ), escrow.State(from), escrow.State(to), ts(at)
		if src != "" {
			if e.Source, err = netip.ParseAddr(src); err != nil {
				return nil, fmt.Errorf("postgres: escrow events: source: %w", err)
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: escrow events: %w", err)
	}
	return out, nil
}

// PurgeEvents implements [escrow.Store.PurgeEvents].
func (s *EscrowStore) PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	return purge(ctx, s.db, "escrow purge events", `
		WITH gone AS (
			DELETE FROM mdmcred_escrow_event WHERE seq = ANY (ARRAY(
				SELECT seq FROM mdmcred_escrow_event WHERE at < $1
				ORDER BY at, seq LIMIT $2 FOR UPDATE SKIP LOCKED))
			RETURNING 1)
		SELECT count(*) FROM gone`, before, limit)
}
