package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/mdmcred/mdmcred/internal/citest"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// bouncerEnv names the variable that points the tests at PgBouncer in
// transaction pooling mode in front of the server of dsnEnv.
const bouncerEnv = "MDMCRED_PGBOUNCER_DSN"

// A route is a way to reach the server: directly, or through PgBouncer in
// transaction pooling mode. fresh returns a DSN, on this route, of an empty
// namespace that is dropped when tb ends.
type route struct {
	name  string
	fresh func(tb testing.TB) string
}

// direct reaches the server directly, each test in its own schema.
var direct = route{name: "direct", fresh: func(tb testing.TB) string { return newSchema(tb) }}

// bouncer reaches the server through PgBouncer, each test in a database
// of its own while it runs: PgBouncer 1.18 refuses a search_path startup
// parameter, so a schema cannot tell tests apart there.
var bouncer = route{name: "pgbouncer", fresh: newDatabase}

// routes returns the routes the tests run every store through: direct, and
// PgBouncer when bouncerEnv is set (required under CI=true).
func routes(tb testing.TB) []route {
	tb.Helper()
	serverDSN(tb)
	if os.Getenv(bouncerEnv) == "" {
		if citest.On() {
			tb.Fatal(bouncerEnv + " is not set under CI=true: run the tests with scripts/with-postgres.sh, which starts PgBouncer")
		}
		return []route{direct}
	}
	return []route{direct, bouncer}
}

// forRoutes runs f as a subtest per route.
func forRoutes(t *testing.T, f func(t *testing.T, r route)) {
	t.Helper()
	for _, r := range routes(t) {
		t.Run(r.name, func(t *testing.T) { f(t, r) })
	}
}

// databases are the test databases not in use. Creating a database takes
// about a second on a loaded machine, so each is created once per test
// binary, emptied after each test, and reused.
var databases = struct {
	sync.Mutex
	free []testDatabase
}{}

type testDatabase struct {
	name   string
	direct *sql.DB // to the database, not through PgBouncer: to empty it
}

// newDatabase returns a DSN, through PgBouncer, of a database with an
// empty public schema, which tb has to itself until it ends.
func newDatabase(tb testing.TB) string {
	tb.Helper()
	dsn := serverDSN(tb)
	bdsn := os.Getenv(bouncerEnv)
	if bdsn == "" {
		tb.Fatal(bouncerEnv + " is not set")
	}
	databases.Lock()
	var d testDatabase
	if n := len(databases.free); n > 0 {
		d, databases.free = databases.free[n-1], databases.free[:n-1]
	}
	databases.Unlock()
	if d.name == "" {
		db, err := admin()
		if err != nil {
			tb.Fatal(err)
		}
		var b [8]byte
		_, _ = rand.Read(b[:])
		d.name = "mdmcred_test_" + hex.EncodeToString(b[:])
		if _, err := db.Exec(`CREATE DATABASE ` + d.name + ` STRATEGY FILE_COPY`); err != nil {
			tb.Fatalf("create database: %v", err)
		}
		d.direct, err = sql.Open("pgx", withDatabase(tb, dsn, d.name))
		if err != nil {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(func() {
		if _, err := d.direct.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
			tb.Errorf("empty database %s: %v", d.name, err)
			return
		}
		databases.Lock()
		databases.free = append(databases.free, d)
		databases.Unlock()
	})
	return withDatabase(tb, bdsn, d.name)
}

// withDatabase returns the URL dsn with its database set to name.
func withDatabase(tb testing.TB, dsn, name string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("DSN %q is not a URL: %v", dsn, err)
	}
	u.Path = "/" + name
	return u.String()
}

// migratedOn returns a pool on a fresh, migrated namespace reached by r.
func migratedOn(tb testing.TB, r route) *sql.DB {
	tb.Helper()
	db := open(tb, r.fresh(tb))
	if err := postgres.Migrate(context.Background(), db); err != nil {
		tb.Fatalf("Migrate (%s): %v", r.name, err)
	}
	return db
}

// instancesOn returns n pools on one fresh, migrated namespace reached by
// r: n instances of a host sharing a database.
func instancesOn(tb testing.TB, r route, n int) []*sql.DB {
	tb.Helper()
	dsn := r.fresh(tb)
	dbs := make([]*sql.DB, n)
	for i := range dbs {
		dbs[i] = open(tb, dsn)
	}
	if err := postgres.Migrate(context.Background(), dbs[0]); err != nil {
		tb.Fatalf("Migrate (%s): %v", r.name, err)
	}
	return dbs
}

// dropIdleConnections closes the idle connections of the tests' own pools
// (the admin pool and those of the reused databases), which a server
// restart has broken, so that the tests after a restart start on new ones.
func dropIdleConnections() {
	pools := []*sql.DB{}
	if db, err := admin(); err == nil {
		pools = append(pools, db)
	}
	databases.Lock()
	for _, d := range databases.free {
		pools = append(pools, d.direct)
	}
	databases.Unlock()
	for _, db := range pools {
		db.SetMaxIdleConns(0) // closes the idle ones
		db.SetMaxIdleConns(2) // database/sql's default
	}
}
