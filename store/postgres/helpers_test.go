package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/internal/citest"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// dsnEnv names the variable that points the tests at a PostgreSQL server.
const dsnEnv = "MDMCRED_POSTGRES_DSN"

// serverDSN returns the test server's DSN, or skips tb: these tests need a
// real server, and this is the only reason a test here may skip. Under
// CI=true it fails tb instead.
func serverDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		skipped.Add(1)
		citest.Missing(tb, dsnEnv+" is not set, so there is no PostgreSQL server to test against",
			"run scripts/with-postgres.sh go test ./store/postgres/... (or make unit), which starts a throwaway "+
				"server, or set "+dsnEnv+" to a server where the tests may create and drop schemas")
	}
	return dsn
}

var admin = sync.OnceValues(func() (*sql.DB, error) {
	return sql.Open("pgx", os.Getenv(dsnEnv))
})

// withSearchPath returns dsn with search_path (and any extra runtime
// parameters) set, in URL or keyword/value form.
func withSearchPath(dsn, schema string, extra ...string) string {
	params := append([]string{"search_path", schema}, extra...)
	if strings.Contains(dsn, "://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			for i := 0; i+1 < len(params); i += 2 {
				q.Set(params[i], params[i+1])
			}
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	for i := 0; i+1 < len(params); i += 2 {
		dsn += " " + params[i] + "=" + params[i+1]
	}
	return dsn
}

// newSchema creates an empty schema for tb, dropped when tb ends, and
// returns a DSN whose search_path is that schema. extra are more runtime
// parameters (name, value, ...).
func newSchema(tb testing.TB, extra ...string) string {
	tb.Helper()
	dsn := serverDSN(tb)
	db, err := admin()
	if err != nil {
		tb.Fatal(err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "mdmcred_test_" + hex.EncodeToString(b[:])
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	return withSearchPath(dsn, schema, extra...)
}

// open opens a pool ("an instance") on dsn, closed when tb ends, set up as
// the package documentation advises: a canceled or expired context makes
// pgx send the server a cancel request, so that the statement stops there
// too, and closes the connection a second later if the server does not
// answer.
func open(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	if !viaBouncer(dsn) {
		// Not through PgBouncer 1.18: it crashes (FATAL "bad client
		// state" in disconnect_client) when a cancel request's client
		// hangs up early, as pgx's does. There pgx's default applies:
		// the connection is closed at the deadline.
		cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
			return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: time.Second}
		}
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(24)
	db.SetMaxIdleConns(24)
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// viaBouncer reports whether dsn reaches the server through the PgBouncer
// of bouncerEnv.
func viaBouncer(dsn string) bool {
	b, err1 := url.Parse(os.Getenv(bouncerEnv))
	d, err2 := url.Parse(dsn)
	return err1 == nil && err2 == nil && b.Host != "" && b.Host == d.Host
}

// migrated returns a pool on a fresh, migrated schema.
func migrated(tb testing.TB) *sql.DB {
	tb.Helper()
	db := open(tb, newSchema(tb))
	if err := postgres.Migrate(context.Background(), db); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return db
}

// casFailure counts one failure on site the way enrollment.Service does:
// load the record, decide (count; lock at threshold), compare-and-swap on
// its version, again on a conflict. It reports whether this failure
// locked the record.
func casFailure(ctx context.Context, s enrollment.Store, site string, at time.Time, source string, threshold int) (bool, error) {
	for try := 0; ; try++ {
		if try > 0 {
			time.Sleep(mrand.N(50 * time.Microsecond << min(try, 7)))
		}
		r, err := s.Load(ctx, site)
		if err != nil {
			return false, err
		}
		l := r.Lockout
		l.Failures++
		l.LastFailure, l.LastSource = at, source
		just := !l.Locked && l.Failures >= threshold
		if just {
			l.Locked, l.LockedAt, l.Rule = true, at, enrollment.RuleConsecutive
		}
		if err := writeLockout(ctx, s, r, l); !errors.Is(err, enrollment.ErrConflict) {
			return just && err == nil, err
		}
	}
}

// writeLockout writes l as r's lockout, compare-and-swap on r's revision,
// as enrollment.Service does.
func writeLockout(ctx context.Context, s enrollment.Store, r enrollment.Record, l enrollment.Lockout, events ...enrollment.Event) error {
	next := r
	next.Lockout, next.Rev = l, r.Rev+1
	return s.Write(ctx, next, r.Rev, events)
}

// putRecord stores rec as its site's record, inserting it or replacing the
// one stored (at its current revision), as a Generate does.
func putRecord(ctx context.Context, s enrollment.Store, rec enrollment.Record) error {
	cur, err := s.Load(ctx, rec.Site)
	if err != nil && !errors.Is(err, enrollment.ErrNoPasscode) {
		return err
	}
	rec.Rev = cur.Rev + 1
	return s.Write(ctx, rec, cur.Rev, nil)
}
