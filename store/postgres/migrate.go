package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockKey is the pg_advisory_xact_lock key that serializes Migrate
// across instances ("mdmcred" in ASCII).
const migrationLockKey = 0x6d646d63726564

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migration %q is not named NNNN_name.sql", e.Name())
		}
		body, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	// Versions increase strictly. A gap is allowed (branches that each add a
	// migration number theirs in advance), a repeated number is not.
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("postgres: two migrations numbered %d: %s and %s", ms[i].version, ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this package's code expects.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// MinServerVersion is the oldest PostgreSQL release [Migrate] accepts, as
// server_version_num: 15, the oldest release the PostgreSQL project still
// supports (14 reached its end of life in November 2026).
const MinServerVersion = 150000

// checkServerVersion returns a *ServerVersionError for a server_version_num
// below MinServerVersion.
func checkServerVersion(num int) error {
	if num < MinServerVersion {
		return &ServerVersionError{Version: num}
	}
	return nil
}

// Migrate brings the schema in the connection's search_path up to
// [SchemaVersion]. It is idempotent, and safe when several instances call it
// at once: each runs in one transaction under a transaction-scoped advisory
// lock, so one applies the migrations and the others then find nothing to do.
//
// It needs no session state beyond that one transaction, so it also runs
// through PgBouncer in transaction pooling mode (with the driver set up as
// the package documentation says). Statement pooling allows no transaction
// of several statements, so Migrate does not work through it (the stores,
// whose operations are single statements, do).
// A server older than [MinServerVersion] gives a [*ServerVersionError]
// (matching [ErrServerTooOld]) before anything is changed.
func Migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var version string
	if err := tx.QueryRowContext(ctx, `SELECT current_setting('server_version_num')`).Scan(&version); err != nil {
		return fmt.Errorf("postgres: migrate: server version: %w", err)
	}
	num, err := strconv.Atoi(version)
	if err != nil {
		return fmt.Errorf("postgres: migrate: server version %q is not a number", version)
	}
	if err := checkServerVersion(num); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLockKey)); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS mdmcred_schema_version (
		version integer PRIMARY KEY,
		name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: migrate: version table: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM mdmcred_schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("postgres: migrate: read version: %w", err)
	}
	if last := ms[len(ms)-1].version; current > last {
		return fmt.Errorf("%w: database has %d, this code knows %d", ErrSchemaTooNew, current, last)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("postgres: migrate: %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO mdmcred_schema_version (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return fmt.Errorf("postgres: migrate: record %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: migrate: commit: %w", err)
	}
	return nil
}
