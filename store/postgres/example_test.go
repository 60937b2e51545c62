package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"log"
	"os"

	_ "github.com/jackc/pgx/v5/stdlib" // the host's driver, registered as "pgx"

	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// A host opens the database with its driver, migrates once at start, and
// hands the stores to the services. (No Output: it needs a server.)
func Example() {
	ctx := context.Background()
	db, err := sql.Open("pgx", os.Getenv("MDMCRED_POSTGRES_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := postgres.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}

	pepper := make([]byte, 32) // in production, from the host's secret store
	if _, err := rand.Read(pepper); err != nil {
		log.Fatal(err)
	}
	pins, err := otp.NewPINService(otp.PINConfig{
		Store:    postgres.NewOTPStore(db), // shared by every instance
		Peppers:  otp.NewKeys(map[uint8][]byte{1: pepper}),
		PepperID: 1,
	})
	if err != nil {
		log.Fatal(err)
	}
	pin, _, err := pins.Issue(ctx, "alice@example.com")
	if err != nil {
		log.Fatal(err)
	}
	// Any instance can verify it, and only once.
	if err := pins.Verify(ctx, "alice@example.com", pin.Reveal()); err != nil {
		log.Fatal(err)
	}

	// The other stores are built the same way:
	_ = postgres.NewEnrollmentStore(db)  // enrollment.Config.Store
	_ = postgres.NewPasscodeStore(db)    // passcode.Config.Store
	_ = postgres.NewServicepassStore(db) // servicepass.IssuerConfig.Store
}
