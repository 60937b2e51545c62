package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/mdmcred/mdmcred/internal/citest"
)

// dsnEnv points the tests at a PostgreSQL server (scripts/with-postgres.sh
// sets it, as make unit does).
const dsnEnv = "MDMCRED_POSTGRES_DSN"

// onPostgres is set while TestScreensOnPostgreSQL runs the screen tests
// again, each console in a schema of its own.
var onPostgres bool

// testDB is nil (memory stores), or a fresh schema on the test server.
func testDB(t testing.TB) *sql.DB {
	if !onPostgres {
		return nil
	}
	admin, err := sql.Open("pgx", os.Getenv(dsnEnv))
	if err != nil {
		t.Fatal(err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "console_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", withSearchPath(os.Getenv(dsnEnv), schema))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		admin.Close()
	})
	return db
}

func withSearchPath(dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

// Every screen test again, with every server-side store in PostgreSQL.
func TestScreensOnPostgreSQL(t *testing.T) {
	if os.Getenv(dsnEnv) == "" {
		citest.Missing(t, dsnEnv+" is not set", "run scripts/with-postgres.sh go test ./examples/console (or make unit)")
	}
	onPostgres = true
	defer func() { onPostgres = false }()
	for name, f := range map[string]func(*testing.T){
		"ServicePasswordRules":  TestServicePasswordRulesAreCheckedByTheServer,
		"ServicePasswordDialog": TestServicePasswordDialog,
		"Simulator":             TestSimulatorGrantsAndOpensTheWindow,
		"SimulatorRefusals":     TestSimulatorRefusalsForTheDeviceUser,
		"SimulatorQR":           TestSimulatorReadsTheQRCode,
		"Enrollment":            TestSelfServiceEnrollment,
		"Reset":                 TestResetPasscodeWizardAndEvents,
		"ResetRefused":          TestResetRefusedWithThePlatformsReason,
		"PortalReset":           TestPortalMyDevicesAndReset,
		"PortalPIN":             TestPortalOneTimePIN,
		"Escaping":              TestHostileDeviceNameIsEscapedEverywhere,
		"EscrowCard":            TestEscrowCardShowsSecretsByKindAndState,
		"EscrowReveal":          TestEscrowRevealNeedsAReasonAndIsRecordedOnce,
		"EscrowRotate":          TestEscrowRotateRunsTheLifecycle,
		"EscrowRotateAfterView": TestEscrowRotatesAnHourAfterTheFirstView,
	} {
		t.Run(name, f)
	}
}
