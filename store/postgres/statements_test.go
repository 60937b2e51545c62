package postgres_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/internal/citest"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// TestStatementsMatchDoc runs each hot operation through its service on
// the stores and counts, with pg_stat_statements, the statements the server
// ran for it: the counts the package documentation's table gives, and no
// transaction (BEGIN, COMMIT) anywhere, so no connection waits inside one
// between round trips. scripts/with-postgres.sh loads the extension
// (shared_preload_libraries).
func TestStatementsMatchDoc(t *testing.T) {
	ctx := context.Background()
	db := migrated(t)
	if _, err := db.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		citest.Missing(t, "pg_stat_statements is not available: "+err.Error(),
			"run the tests with scripts/with-postgres.sh, which starts the server with shared_preload_libraries=pg_stat_statements")
	}
	if _, err := db.ExecContext(ctx, `SELECT pg_stat_statements_reset()`); err != nil {
		citest.Missing(t, "pg_stat_statements is not loaded: "+err.Error(),
			"run the tests with scripts/with-postgres.sh, which starts the server with shared_preload_libraries=pg_stat_statements")
	}
	db.SetMaxOpenConns(1) // one connection: every statement below is ours

	pepper := bytes.Repeat([]byte{7}, 32)
	es, err := enrollment.New(enrollment.Config{
		Store: postgres.NewEnrollmentStore(db), Alerter: nopAlerter{},
		Peppers: enrollment.NewKeys(map[uint8][]byte{1: pepper}), PepperID: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := es.Generate(ctx, "site", "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	// Two instances of each service, each with its own cache of the
	// records it last read or wrote.
	clock := mdmcredtest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	pinCfg := otp.PINConfig{Store: postgres.NewOTPStore(db), Peppers: otp.NewKeys(map[uint8][]byte{1: pepper}), PepperID: 1, Now: clock.Now}
	pins, err := otp.NewPINService(pinCfg)
	if err != nil {
		t.Fatal(err)
	}
	pins2, err := otp.NewPINService(pinCfg)
	if err != nil {
		t.Fatal(err)
	}
	totpCfg := otp.TOTPConfig{Store: postgres.NewOTPStore(db), Now: clock.Now, Skew: 2}
	totps, err := otp.NewTOTPService(totpCfg)
	if err != nil {
		t.Fatal(err)
	}
	totps2, err := otp.NewTOTPService(totpCfg)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := otp.Generate(otp.GenerateOpts{Issuer: "test", Account: "a@example.com", Params: otp.Params{Algorithm: otp.SHA256}})
	if err != nil {
		t.Fatal(err)
	}
	resets, err := passcode.New(passcode.Config{Store: postgres.NewPasscodeStore(db), SealKeys: passcode.NewKeys(map[uint8][]byte{1: pepper}), SealKeyID: 1})
	if err != nil {
		t.Fatal(err)
	}
	resetIDs := make(map[int]string) // the reset request of operation i
	issued := map[int]string{}
	wrong := typo(pc.Reveal())

	const each = 5
	for _, tt := range []struct {
		name string
		want int // statements per operation, as in doc.go's table
		op   func(i int) error
	}{
		{"enrollment verify, right passcode (Load, Append of its event)", 2, func(int) error { return es.Verify(ctx, "site", pc.Reveal(), "192.0.2.1") }},
		{"enrollment verify, wrong passcode (Load, Write with its event)", 2, func(int) error {
			if err := es.Verify(ctx, "site", wrong, "192.0.2.10"); !errors.Is(err, enrollment.ErrWrongPasscode) {
				return fmt.Errorf("wrong passcode: %v", err)
			}
			return nil
		}},
		{"enrollment verify, wrong then right (Load, Write; Load, Write resetting the count with the used event)", 4, func(int) error {
			if err := es.Verify(ctx, "site", wrong, "192.0.2.11"); !errors.Is(err, enrollment.ErrWrongPasscode) {
				return fmt.Errorf("wrong passcode: %v", err)
			}
			return es.Verify(ctx, "site", pc.Reveal(), "192.0.2.11")
		}},
		{"enrollment generate, new site (Load, Write inserting the record with its event)", 2, func(i int) error {
			_, err := es.Generate(ctx, fmt.Sprint("new-site-", i), "admin@example.com")
			return err
		}},
		{"enrollment disable (Load, Write with its event)", 2, func(i int) error { return es.Disable(ctx, fmt.Sprint("new-site-", i), "admin@example.com") }},
		{"PIN issue, new user (one conditional INSERT)", 1, func(i int) error {
			p, _, err := pins.Issue(ctx, fmt.Sprint("user-", i))
			issued[i] = p.Reveal()
			return err
		}},
		{"PIN verify, record cached (one UPDATE on version)", 1, func(i int) error { return pins.Verify(ctx, fmt.Sprint("user-", i), issued[i]) }},
		{"PIN issue, returning user, cached (one UPDATE on version)", 1, func(i int) error {
			p, _, err := pins.Issue(ctx, fmt.Sprint("user-", i))
			issued[i] = p.Reveal()
			return err
		}},
		{"PIN verify on another instance, which holds no record of the user (SELECT, UPDATE)", 2, func(i int) error {
			return pins2.Verify(ctx, fmt.Sprint("user-", i), issued[i])
		}},
		{"TOTP verify, new subject (one conditional INSERT)", 1, func(i int) error {
			_, err := totps.Verify(ctx, fmt.Sprint("subject-", i), key, string(otp.AppendTOTP(nil, key, clock.Now())))
			return err
		}},
		{"TOTP verify, returning subject, cached (one UPDATE on version)", 1, func(i int) error {
			_, err := totps.Verify(ctx, fmt.Sprint("subject-", i), key, string(otp.AppendTOTP(nil, key, clock.Now().Add(30*time.Second))))
			return err
		}},
		{"TOTP verify, returning subject, not cached (INSERT refused, SELECT, UPDATE)", 3, func(i int) error {
			_, err := totps2.Verify(ctx, fmt.Sprint("subject-", i), key, string(otp.AppendTOTP(nil, key, clock.Now().Add(60*time.Second))))
			return err
		}},
		{"reset request (one INSERT of reset and event, on conflict do nothing)", 1, func(i int) error {
			res, err := resets.Request(ctx, passcode.ResetRequest{
				Device: passcode.Device{ID: fmt.Sprint("dev-", i), Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true, PasscodeSet: true},
				Actor:  "admin@example.com",
			})
			resetIDs[i] = res.Reset.ID
			return err
		}},
		{"reset transition (Load, then one UPDATE on rev with its event)", 2, func(i int) error {
			_, err := resets.Transition(ctx, resetIDs[i], passcode.Pending, "mdm")
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.ExecContext(ctx, `SELECT pg_stat_statements_reset()`); err != nil {
				t.Fatal(err)
			}
			for i := range each {
				if err := tt.op(i); err != nil {
					t.Fatal(err)
				}
			}
			calls, texts := statementCalls(t, db)
			for _, q := range texts {
				if u := strings.ToUpper(strings.TrimSpace(q)); strings.HasPrefix(u, "BEGIN") || strings.HasPrefix(u, "COMMIT") || strings.HasPrefix(u, "START TRANSACTION") {
					t.Errorf("a transaction statement: %s", q)
				}
			}
			if calls != tt.want*each {
				t.Errorf("%d statements for %d operations, want %d each:\n%s", calls, each, tt.want, strings.Join(texts, "\n---\n"))
			}
		})
	}
}

// statementCalls returns the calls pg_stat_statements counted in this
// database since its last reset, leaving out its own queries, and their
// texts.
func statementCalls(t *testing.T, db *sql.DB) (int, []string) {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `
		SELECT calls, query FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND query NOT LIKE '%pg_stat_statements%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	total := 0
	var texts []string
	for rows.Next() {
		var n int
		var q string
		if err := rows.Scan(&n, &q); err != nil {
			t.Fatal(err)
		}
		total += n
		texts = append(texts, fmt.Sprintf("%d x %s", n, q))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return total, texts
}

// typo returns pc with its first character replaced by another of the same
// class: well-formed, but wrong.
func typo(pc string) string {
	w := []byte(pc)
	switch c := w[0]; {
	case c >= '0' && c <= '9':
		w[0] = '0' + (c-'0'+1)%10
	case c >= 'a' && c <= 'z':
		w[0] = 'a' + (c-'a'+1)%26
	default:
		w[0] = 'A' + (c-'A'+1)%26
	}
	return string(w)
}

type nopAlerter struct{}

func (nopAlerter) SendLockAlert(context.Context, enrollment.Alert) error { return nil }
