package postgres_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// TestPasscodeStoreCreateIDPurgedMeanwhile: Create's INSERT ... ON
// CONFLICT DO NOTHING finds a finished reset with the same ID and inserts
// nothing; a purge deletes that reset before Create looks for the reason.
// The device has no open reset, so ErrResetInProgress would be wrong (and
// the ID is free now). A statement-level trigger holds Create between its
// insert and that look, on an advisory lock the test holds, while the test
// plays the purge.
func TestPasscodeStoreCreateIDPurgedMeanwhile(t *testing.T) {
	serverDSN(t)
	ctx := context.Background()
	db := migrated(t)
	s := postgres.NewPasscodeStore(db)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	reset := func(state passcode.State) passcode.Reset {
		return passcode.Reset{ID: "r-1", DeviceID: "dev-1", Platform: passcode.AndroidDeviceOwner, Action: passcode.SetPasscode,
			State: state, RequestedAt: at, UpdatedAt: at, StaleAt: at.Add(time.Hour)}
	}
	ev := passcode.Event{Kind: passcode.EventTransition, ResetID: "r-1", DeviceID: "dev-1", To: passcode.Requested, At: at}
	if err := s.Create(ctx, reset(passcode.Succeeded), ev); err != nil {
		t.Fatal(err)
	}
	const lockKey = 7168365 // the trigger's advisory lock
	for _, q := range []string{
		`CREATE FUNCTION hold_create() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN PERFORM pg_advisory_xact_lock(` + strconv.Itoa(lockKey) + `); RETURN NULL; END $$`,
		`CREATE TRIGGER hold_create AFTER INSERT ON mdmcred_passcode_reset FOR EACH STATEMENT EXECUTE FUNCTION hold_create()`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	holder, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	var pid int
	if err := holder.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockKey); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Create(ctx, reset(passcode.Requested), ev) }()
	waitBlockedBehind(t, db, pid, done)
	if _, err := db.ExecContext(ctx, `DELETE FROM mdmcred_passcode_event WHERE reset_id = 'r-1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM mdmcred_passcode_reset WHERE id = 'r-1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, lockKey); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Create of an ID purged between its insert and its check: %v; want it created", err)
	}
	if r, err := s.Open(ctx, "dev-1"); err != nil || r.ID != "r-1" || r.State != passcode.Requested {
		t.Fatalf("Open = %+v, %v; want reset r-1 requested", r, err)
	}
}
