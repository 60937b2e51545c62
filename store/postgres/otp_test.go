package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/otp/otptest"
	"github.com/mdmcred/mdmcred/store/postgres"
)

func TestOTPStoreTOTPConformance(t *testing.T) {
	serverDSN(t)
	otptest.RunTOTPStore(t, func(t *testing.T) otp.TOTPStore { return postgres.NewOTPStore(migrated(t)) })
}

// TestOTPStoreWriteRowDeletedWhileLocking is the race CI found in
// PurgeUnderTraffic: a purge deletes the user's row while a conditional
// write waits for its lock. Here a second connection plays the purge: it
// locks the row, waits until the write is blocked behind it, then deletes
// the row and commits. The write then finds no row at the revision it was
// decided on: it changes nothing and returns ErrConflict, so the service
// loads and decides again on the absent row.
func TestOTPStoreWriteRowDeletedWhileLocking(t *testing.T) {
	serverDSN(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, table, key string
		seed             func(s *postgres.OTPStore) (uint64, error)
		write            func(s *postgres.OTPStore, prev uint64) error
		load             func(s *postgres.OTPStore) (uint64, error)
	}{{
		name: "PIN", table: "mdmcred_otp_pin", key: "user_name",
		seed: func(s *postgres.OTPStore) (uint64, error) {
			return 7, s.Write(ctx, otp.PINRecord{User: "alice", Digest: []byte{1}, IssuedAt: at, ExpiresAt: at.Add(time.Hour), Rev: 7}, 0)
		},
		write: func(s *postgres.OTPStore, prev uint64) error {
			return s.Write(ctx, otp.PINRecord{User: "alice", Digest: []byte{2}, Issued: 1, Rev: prev + 1}, prev)
		},
		load: func(s *postgres.OTPStore) (uint64, error) { r, err := s.Load(ctx, "alice"); return r.Rev, err },
	}, {
		name: "TOTP", table: "mdmcred_otp_totp", key: "subject",
		seed: func(s *postgres.OTPStore) (uint64, error) {
			return 7, s.WriteTOTP(ctx, otp.TOTPState{Subject: "alice", NextStep: 7, Rev: 7}, 0)
		},
		write: func(s *postgres.OTPStore, prev uint64) error {
			return s.WriteTOTP(ctx, otp.TOTPState{Subject: "alice", NextStep: 9, Rev: prev + 1}, prev)
		},
		load: func(s *postgres.OTPStore) (uint64, error) { st, err := s.LoadTOTP(ctx, "alice"); return st.Rev, err },
	}} {
		t.Run(tc.name, func(t *testing.T) {
			db := migrated(t)
			s := postgres.NewOTPStore(db)
			rev, err := tc.seed(s)
			if err != nil {
				t.Fatal(err)
			}
			locker, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer locker.Close()
			tx, err := locker.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback() }()
			var pid int
			if err := tx.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, `SELECT 1 FROM `+tc.table+` WHERE `+tc.key+` = 'alice' FOR UPDATE`); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- tc.write(s, rev) }()
			waitBlockedBehind(t, db, pid, done)
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+tc.table+` WHERE `+tc.key+` = 'alice'`); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; !errors.Is(err, otp.ErrConflict) {
				t.Fatalf("write of a row deleted while it waited for the lock: %v, want ErrConflict", err)
			}
			if err := tc.write(s, rev); !errors.Is(err, otp.ErrConflict) {
				t.Fatalf("a second write from revision %d: %v; want ErrConflict", rev, err)
			}
			if got, err := tc.load(s); err != nil || got != 0 {
				t.Fatalf("Load after the delete: revision %d, %v; want 0 (no row)", got, err)
			}
		})
	}
}

// waitBlockedBehind returns once some backend waits for a lock that the
// backend pid holds. It fails t if done delivers first: the operation under
// test ended without waiting for the lock, so the interleaving the test is
// about never happened.
func waitBlockedBehind(t *testing.T, db *sql.DB, pid int, done <-chan error) {
	t.Helper()
	for {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))`, pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the operation ended (%v) without waiting for the lock", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
