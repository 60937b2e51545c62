package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/passcode"
)

// PasscodeStore is a [passcode.Store] in PostgreSQL (tables
// mdmcred_passcode_reset and mdmcred_passcode_event). It follows the one
// store idiom: [PasscodeStore.Write] is one conditional statement, an
// INSERT for a new reset (that the primary key or the partial unique
// index on open_device refuses) or an UPDATE
// ... WHERE rev = prev, with the events inserted from its RETURNING, so a
// reset request is one statement and a move one statement after its
// Load. The store checks no state: passcode.Service decides the lifecycle
// and sets open_device (Reset.OpenDevice), whose unique index keeps one
// open reset per device. No connection sits idle inside a transaction.
// Safe for concurrent use.
type PasscodeStore struct {
	db *sql.DB
}

var _ passcode.Store = (*PasscodeStore)(nil)

// NewPasscodeStore returns a PasscodeStore on db, whose schema [Migrate]
// has set up.
func NewPasscodeStore(db *sql.DB) *PasscodeStore { return &PasscodeStore{db: db} }

const resetColumns = `id, device_id, platform, action, state, requested_by, self_service, owner,
	requested_at, updated_at, stale_at, sealed, retain_until, grace_ns, open_device, rev`

// resetValues are the placeholders of resetColumns; open_device is NULL
// for an empty OpenDevice (a closed reset).
const resetValues = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULLIF($15, ''), $16`

// writeHeads are Write's conditional writes of the reset, for prev 0 and
// otherwise; the statement goes on with the events' INSERT from w.
var writeHeads = [2]string{
	`WITH w AS (INSERT INTO mdmcred_passcode_reset (` + resetColumns + `)
		VALUES (` + resetValues + `) RETURNING 1)`,
	`WITH w AS (UPDATE mdmcred_passcode_reset SET device_id = $2, platform = $3, action = $4, state = $5,
			requested_by = $6, self_service = $7, owner = $8, requested_at = $9, updated_at = $10, stale_at = $11,
			sealed = $12, retain_until = $13, grace_ns = $14, open_device = NULLIF($15, ''), rev = $16
		WHERE id = $1 AND rev = $17 RETURNING 1)`,
}

// oneEventWrite is writeQuery(head, 1) for both heads, built once.
var oneEventWrite = [2]string{writeQuery(0, 1), writeQuery(1, 1)}

// writeQuery is Write's statement for head (0: insert, 1: update) with n
// events, whose parameters follow the reset's 16 (and prev's, for an
// update), 5 per event: an event's reset_id and device_id are the reset's
// ($1, $2; Write refuses an event of another reset). It is sent with
// Exec, so that nothing comes back but the command tag: with events, the
// statement is their INSERT from w, which inserts n rows if the reset was
// written and none otherwise; without, a SELECT of w's one row or none.
func writeQuery(head, n int) string {
	query := writeHeads[head]
	first := 16 + head // parameters before the events'
	p := func(i, k int) string { return "$" + strconv.Itoa(first+5*i+k) }
	switch {
	case n == 0:
		return query + ` SELECT 1 FROM w`
	case n == 1:
		return query + fmt.Sprintf(` INSERT INTO mdmcred_passcode_event (kind, reset_id, device_id, from_state, to_state, at, actor)
			SELECT %s::smallint, $1, $2, %s::smallint, %s::smallint, %s::timestamptz, %s FROM w`,
			p(0, 1), p(0, 2), p(0, 3), p(0, 4), p(0, 5))
	}
	rows := make([]string, n)
	for i := range rows {
		rows[i] = fmt.Sprintf("(%d, %s::smallint, %s::smallint, %s::smallint, %s::timestamptz, %s::text)",
			i, p(i, 1), p(i, 2), p(i, 3), p(i, 4), p(i, 5))
	}
	return query + ` INSERT INTO mdmcred_passcode_event (kind, reset_id, device_id, from_state, to_state, at, actor)
		SELECT v.kind, $1, $2, v.from_state, v.to_state, v.at, v.actor
		FROM w CROSS JOIN (VALUES ` + strings.Join(rows, ", ") + `)
			AS v(ord, kind, from_state, to_state, at, actor)
		ORDER BY v.ord`
}

// Write implements [passcode.Store.Write] as one statement: for prev 0, a
// plain INSERT (the reset's ID and its non-empty OpenDevice must both be
// free: a unique violation is the refusal); otherwise UPDATE ... WHERE id
// AND rev = prev, replacing every column (an OpenDevice another reset
// holds fails the unique index). The insert is not ON CONFLICT DO
// NOTHING: that makes every insert a speculative one, checked against
// both unique indexes before and after, where a refusal is rare (a device
// that already has an open reset); the floor benchmark measured the plain
// INSERT at 1.17-1.29x the floor against 1.27-1.34x (benchmarks/RESULTS.md).
// A refused insert leaves the server an ERROR line in its log and a dead
// row for vacuum. The events are inserted from the written row in the
// same statement, so a refused write appends nothing. A refusal is
// [passcode.ErrConflict]; of racing writes from one revision exactly one
// updates the row (READ COMMITTED re-checks rev on the row the winner
// committed).
func (s *PasscodeStore) Write(ctx context.Context, r passcode.Reset, prev uint64, events []passcode.Event) error {
	if r.Rev != prev+1 {
		return errors.New("postgres: passcode write: r.Rev must be prev+1")
	}
	if err := checkText("reset ID", r.ID, "device ID", r.DeviceID, "requested by", r.RequestedBy, "owner", r.Owner,
		"open device", r.OpenDevice); err != nil {
		return err
	}
	args := []any{r.ID, r.DeviceID, int16(r.Platform), int16(r.Action), int16(r.State), r.RequestedBy, r.SelfService, r.Owner,
		tsArg(r.RequestedAt), tsArg(r.UpdatedAt), tsArg(r.StaleAt), r.Sealed, tsArg(r.RetainUntil), int64(r.Grace),
		r.OpenDevice, int64(r.Rev)}
	head := 0
	if prev != 0 {
		head = 1
		args = append(args, int64(prev))
	}
	for _, ev := range events {
		if ev.ResetID != r.ID || ev.DeviceID != r.DeviceID {
			return errors.New("postgres: passcode write: an event's reset ID and device ID must be the reset's")
		}
		if err := checkText("event actor", ev.Actor); err != nil {
			return err
		}
		args = append(args, int16(ev.Kind), int16(ev.From), int16(ev.To), tsArg(ev.At), ev.Actor)
	}
	query := ""
	switch len(events) {
	case 0:
		query = writeQuery(head, 0)
	case 1:
		query = oneEventWrite[head] // the hot path: a request, a move
	default:
		query = writeQuery(head, len(events))
	}
	n, err := execCount(ctx, s.db, query, args...)
	if isUniqueViolation(err) {
		return fmt.Errorf("postgres: passcode write: the reset's ID, or its open device, is taken: %w", passcode.ErrConflict)
	}
	return applied("passcode write", n, err, passcode.ErrConflict)
}

// Load implements [passcode.Store.Load].
func (s *PasscodeStore) Load(ctx context.Context, id string) (passcode.Reset, error) {
	if err := checkText("reset ID", id); err != nil {
		return passcode.Reset{}, err
	}
	return s.one(ctx, `SELECT `+resetColumns+` FROM mdmcred_passcode_reset WHERE id = $1`, id)
}

// Open implements [passcode.Store.Open]: the reset whose open_device is
// deviceID.
func (s *PasscodeStore) Open(ctx context.Context, deviceID string) (passcode.Reset, error) {
	if err := checkText("device ID", deviceID); err != nil {
		return passcode.Reset{}, err
	}
	return s.one(ctx, `SELECT `+resetColumns+` FROM mdmcred_passcode_reset WHERE open_device = $1`, deviceID)
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

// Append implements [passcode.Store.Append]: one INSERT ... SELECT that
// adds the event only if its reset exists.
func (s *PasscodeStore) Append(ctx context.Context, ev passcode.Event) error {
	if err := checkEvent(ev); err != nil {
		return err
	}
	n, err := execCount(ctx, s.db, `
		INSERT INTO mdmcred_passcode_event (kind, reset_id, device_id, from_state, to_state, at, actor)
		SELECT $1, $2, $3, $4, $5, $6, $7
		WHERE EXISTS (SELECT 1 FROM mdmcred_passcode_reset WHERE id = $2)`,
		int16(ev.Kind), ev.ResetID, ev.DeviceID, int16(ev.From), int16(ev.To), tsArg(ev.At), ev.Actor)
	return applied("passcode append", n, err, passcode.ErrNotFound)
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

// Stale implements [passcode.Store.Stale]: resets with an open_device.
func (s *PasscodeStore) Stale(ctx context.Context, now time.Time, limit int) ([]passcode.Reset, error) {
	var lim any // NULL: LIMIT ALL
	if limit >= 0 {
		lim = int64(limit)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+resetColumns+` FROM mdmcred_passcode_reset
		WHERE open_device IS NOT NULL AND (stale_at IS NULL OR stale_at <= $1)
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
	var grace, rev int64
	var open sql.NullString
	if err := row.Scan(&r.ID, &r.DeviceID, &platform, &action, &state, &r.RequestedBy, &r.SelfService, &r.Owner,
		&requested, &updated, &stale, &r.Sealed, &retain, &grace, &open, &rev); err != nil {
		return passcode.Reset{}, err
	}
	r.OpenDevice, r.Rev = open.String, uint64(rev)
	r.Platform, r.Action, r.State = passcode.Platform(platform), passcode.Action(action), passcode.State(state)
	r.RequestedAt, r.UpdatedAt, r.StaleAt, r.RetainUntil = ts(requested), ts(updated), ts(stale), ts(retain)
	r.Grace = time.Duration(grace)
	return r, nil
}
