package postgres_test

import (
	"context"
	"database/sql"
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

// TestOTPStoreUpdateRowDeletedWhileLocking is the race CI found in
// PurgeUnderTraffic: a purge deletes the user's row while Update works on
// it. Here a second connection plays the purge: it locks the row, waits
// until Update's conditional write is blocked behind it, then deletes the
// row and commits. Update read the row before the purge, so fn decided on
// it once; the write then finds no row at the version it read, and Update
// reads again and goes on as for a user without a row: fn's last call
// sees an empty record, and what it saves is stored.
func TestOTPStoreUpdateRowDeletedWhileLocking(t *testing.T) {
	serverDSN(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, table, key string
		seed             func(s *postgres.OTPStore) error
		update           func(s *postgres.OTPStore, calls *int) error
		check            func(s *postgres.OTPStore) error
	}{{
		name: "PIN", table: "mdmcred_otp_pin", key: "user_name",
		seed: func(s *postgres.OTPStore) error {
			return s.Put(ctx, otp.PINRecord{User: "alice", Digest: []byte{1}, IssuedAt: at, ExpiresAt: at.Add(time.Hour)})
		},
		update: func(s *postgres.OTPStore, calls *int) error {
			return s.Update(ctx, "alice", func(r *otp.PINRecord) bool {
				*calls++
				if *calls > 1 && (r.Digest != nil || r.Issued != 0) {
					t.Errorf("fn saw %+v again; want the empty record of a deleted row", *r)
				}
				r.Digest, r.Issued = []byte{2}, 1
				return true
			})
		},
		check: func(s *postgres.OTPStore) error {
			return s.Update(ctx, "alice", func(r *otp.PINRecord) bool {
				if len(r.Digest) != 1 || r.Digest[0] != 2 || r.Issued != 1 {
					t.Errorf("after Update: %+v; want digest [2], issued 1", *r)
				}
				return false
			})
		},
	}, {
		name: "TOTP", table: "mdmcred_otp_totp", key: "subject",
		seed: func(s *postgres.OTPStore) error {
			return s.UpdateTOTP(ctx, "alice", func(st *otp.TOTPState) bool { st.NextStep = 7; return true })
		},
		update: func(s *postgres.OTPStore, calls *int) error {
			return s.UpdateTOTP(ctx, "alice", func(st *otp.TOTPState) bool {
				*calls++
				if *calls > 1 && st.NextStep != 0 {
					t.Errorf("fn saw next step %d again; want 0, the state of a deleted row", st.NextStep)
				}
				st.NextStep = 9
				return true
			})
		},
		check: func(s *postgres.OTPStore) error {
			return s.UpdateTOTP(ctx, "alice", func(st *otp.TOTPState) bool {
				if st.NextStep != 9 {
					t.Errorf("after UpdateTOTP: next step %d; want 9", st.NextStep)
				}
				return false
			})
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			db := migrated(t)
			s := postgres.NewOTPStore(db)
			if err := tc.seed(s); err != nil {
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
			calls := 0
			done := make(chan error, 1)
			go func() { done <- tc.update(s, &calls) }()
			waitBlockedBehind(t, db, pid, done)
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+tc.table+` WHERE `+tc.key+` = 'alice'`); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatalf("update of a row deleted while it waited for the lock: %v", err)
			}
			if calls != 2 {
				t.Fatalf("fn called %d times; want 2 (on the row, then on its absence)", calls)
			}
			if err := tc.check(s); err != nil {
				t.Fatal(err)
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
