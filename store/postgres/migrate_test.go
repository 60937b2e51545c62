package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/mdmcred/mdmcred/store/postgres"
)

func versions(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query(`SELECT version FROM mdmcred_schema_version ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func wantAllVersions(t *testing.T, db *sql.DB) {
	t.Helper()
	vs, want := versions(t, db), postgres.MigrationVersions()
	if !slices.Equal(vs, want) || want[len(want)-1] != postgres.SchemaVersion() {
		t.Fatalf("version table = %v, want the migrations %v once each", vs, want)
	}
}

func TestSchemaVersion(t *testing.T) {
	if postgres.SchemaVersion() < 1 {
		t.Fatalf("SchemaVersion = %d: the embedded migrations did not load", postgres.SchemaVersion())
	}
}

func TestMigrateIdempotent(t *testing.T) {
	db := open(t, newSchema(t))
	for range 3 {
		if err := postgres.Migrate(context.Background(), db); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		wantAllVersions(t, db)
	}
}

// Two instances, each with several goroutines, migrate one empty schema at
// once: all succeed and each migration is applied once.
func TestMigrateRace(t *testing.T) {
	forRoutes(t, testMigrateRace)
}

func testMigrateRace(t *testing.T, r route) {
	for range 3 {
		dsn := r.fresh(t)
		dbs := []*sql.DB{open(t, dsn), open(t, dsn)}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- postgres.Migrate(context.Background(), dbs[i%2])
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("racing Migrate: %v", err)
			}
		}
		wantAllVersions(t, dbs[1])
		// The tables are usable from both instances.
		if _, err := postgres.NewEnrollmentStore(dbs[0]).Events(context.Background(), "x"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMigrateSchemaTooNew(t *testing.T) {
	db := migrated(t)
	if _, err := db.Exec(`INSERT INTO mdmcred_schema_version (version, name) VALUES ($1, 'from the future')`, postgres.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Migrate(context.Background(), db); !errors.Is(err, postgres.ErrSchemaTooNew) {
		t.Fatalf("Migrate on a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

func TestMigrateCanceled(t *testing.T) {
	db := open(t, newSchema(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := postgres.Migrate(ctx, db); err == nil {
		t.Fatal("Migrate with a canceled context succeeded")
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'mdmcred_%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("a canceled Migrate left %d tables", n)
	}
}
