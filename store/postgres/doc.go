// Package postgres keeps the state of every mdmcred server-side store in
// PostgreSQL, so that several MDM server instances can share it: one-time
// PINs and the TOTP verifier's per-subject state ([OTPStore], an otp.Store
// and an otp.TOTPStore), company enrollment passcodes
// ([EnrollmentStore], an enrollment.Store), passcode resets
// ([PasscodeStore], a passcode.Store), escrowed device-administration
// secrets ([EscrowStore], an escrow.Store) and the service-password
// issuer's audit log ([ServicepassStore], a servicepass.Store).
//
// It uses database/sql only: the host brings its own driver. With pgx:
//
//	import _ "github.com/jackc/pgx/v5/stdlib"
//
//	db, err := sql.Open("pgx", "postgres://mdm@db.internal/mdm?sslmode=verify-full")
//	...
//	if err := postgres.Migrate(ctx, db); err != nil { ... } // once, at start
//	pins := postgres.NewOTPStore(db)                      // otp.PINConfig.Store and otp.TOTPConfig.Store
//	sites := postgres.NewEnrollmentStore(db)              // enrollment.Config.Store
//	resets := postgres.NewPasscodeStore(db)               // passcode.Config.Store
//	audit := postgres.NewServicepassStore(db)             // servicepass.IssuerConfig.Store
//	escrowed := postgres.NewEscrowStore(db)               // escrow.Config.Store
//
// Call [Migrate] first, once per process start: it creates or upgrades the
// tables (all named mdmcred_*) in the first schema of the connection's
// search_path, from SQL migrations embedded in the package, and records the
// version in mdmcred_schema_version. Instances that start at once are
// serialized by an advisory lock; the first migrates, the others find
// nothing to do. A database migrated by a newer release gives
// [ErrSchemaTooNew]. To keep mdmcred's tables apart, give its role a schema
// and put it first in search_path (for pgx, a search_path parameter in the
// connection string).
//
// Every operation that must happen once is one statement or one
// transaction at PostgreSQL's default READ COMMITTED isolation, made safe by
// row locks and unique indexes rather than by retrying:
//
//   - consuming a PIN: [OTPStore.Update] locks the user's row (SELECT ...
//     FOR UPDATE), calls the service's callback once, and updates or
//     deletes the row in the same transaction;
//   - counting a failed company-passcode attempt and locking at the
//     threshold: [EnrollmentStore.RecordFailure] is one UPDATE ... RETURNING
//     that computes the lock on the row and reports JustLocked to exactly
//     one caller; a unique index keeps a digest to one site;
//   - opening a passcode reset: a partial unique index allows one open
//     reset per device, and transitions are conditional updates (WHERE
//     state = from) committed with their event;
//   - recording a service-password audit event: one INSERT;
//   - any escrow change: [EscrowStore.Write] is one statement, the
//     conditional INSERT ... ON CONFLICT DO NOTHING, UPDATE ... WHERE rev =
//     prev or DELETE ... WHERE rev = prev of the device's row for the kind,
//     with the events inserted from its RETURNING; package escrow decides
//     the change in Go and, on a conflict, loads and decides again.
//
// Two transactions run a statement again, and only when a purge deleted a
// row between two of their statements: [OTPStore.Update] (and UpdateTOTP)
// when the row its insert-if-missing found was gone before its SELECT ...
// FOR UPDATE could lock it (it inserts the row afresh and locks that), and
// [PasscodeStore.Create] when the finished reset whose ID refused its
// insert was gone before it could say so (it inserts again). Neither calls
// the service's callback more than once.
//
// No secret reaches the database: the domain packages hand the stores keyed
// hashes (digests) and AEAD-sealed blobs only. Instants are stored as
// timestamptz, truncated to the microsecond, the zero time as NULL, and are
// read back in UTC whatever the session's TimeZone. Strings must be valid
// UTF-8 without NUL bytes (a text column cannot hold others); a store
// refuses any other with [ErrText] before reaching the server. Unique
// violations are recognized through the driver error's SQLState method,
// which pgx and lib/pq provide.
//
// # Pools, timeouts and isolation
//
// Every operation is one statement or one short transaction at READ
// COMMITTED, the server default; none needs REPEATABLE READ or
// SERIALIZABLE, and none retries on serialization failures. Do not raise
// the pool's default isolation level (default_transaction_isolation): the
// stores pass nil TxOptions and rely on READ COMMITTED's re-check of a
// locked row (a conditional UPDATE that waited sees the committed row).
//
//	operation                              statements              row locks held
//	OTPStore.Put                           1 upsert                 the user's row, for the statement
//	OTPStore.Update (PIN verify, consume)  1 transaction: SELECT    the user's row, until commit
//	                                       FOR UPDATE, UPDATE or
//	                                       DELETE
//	EnrollmentStore.RecordFailure          1 UPDATE ... RETURNING   the site's row, for the statement
//	EnrollmentStore.Put, RecordUse,        1 statement each         the site's row, for the statement
//	Disable, AppendEvent; Get, Lookup,
//	Events                                 (reads take none)
//	PasscodeStore.Create, Transition       1 transaction: INSERT or the reset's row, until commit
//	                                       UPDATE, event INSERT
//	PasscodeStore.Append, Get, Open,       1 statement each
//	Events, Stale
//	ServicepassStore.Record, Events        1 statement each
//	EscrowStore.Write                      1 statement: the row's   the device and kind's row, for the
//	                                       conditional write and    statement
//	                                       its event INSERT
//	EscrowStore.Load, ByRecord, ByCommand, 1 statement each
//	Due, Purgeable, Events
//	purges (retention)                     1 DELETE of <= 1,000     the batch's rows, SKIP LOCKED
//	Migrate                                1 transaction            an advisory transaction lock
//
// Pool size: each operation holds one connection for one statement or one
// transaction of two or three statements (a few milliseconds on a local
// network), so a pool of 2 to 4 connections per CPU core of the database
// server, shared by every instance, serves the load; beyond that
// connections only queue inside PostgreSQL. With n instances, give each
// *sql.DB SetMaxOpenConns(total/n) and the same SetMaxIdleConns, keep the
// total under the server's max_connections (or PgBouncer's
// default_pool_size) with room for maintenance, and set
// SetConnMaxLifetime (say 30 minutes) so that connections move to a
// replacement server after a failover. These are starting points to
// measure from, not measured optima. The tests run two pools of 24
// connections against one server.
//
// Timeouts follow the caller's context: give every call a deadline (the
// request's). With pgx's default, a context that ends closes the
// connection; the server may still be waiting (on a row lock) and finish
// the statement later. To make the server stop the statement at the
// caller's deadline too, have pgx send a cancel request:
//
//	cfg, _ := pgx.ParseConfig(dsn)
//	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
//		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: time.Second}
//	}
//	db := stdlib.OpenDB(*cfg)
//
// (not through PgBouncer 1.18, which crashes when a cancel request's client
// hangs up early, as the tests observed; there keep pgx's default and set
// PgBouncer's query_timeout as a backstop). As a server-side backstop for
// callers without a deadline, set statement_timeout and
// idle_in_transaction_session_timeout on the role (ALTER ROLE ... SET),
// a few seconds each.
//
// A server restart (pg_ctl restart -m fast or -m immediate, a failover)
// makes the operations in flight fail with the driver's error within
// their deadline; the pool drops the broken connections and the next
// operations reconnect, with no restart of the host. An operation whose
// commit was in flight may have been applied although it reported an
// error: exactly-once holds (a PIN is consumed at most once, a lock alerts
// at most once, a device has at most one open reset) and counts never
// lose a failure that reported success. The tests restart the server
// under 32 workers to check this.
//
// # PgBouncer
//
// The stores work through PgBouncer in transaction pooling mode, the mode
// most deployments put in front of PostgreSQL (the tests run every
// conformance suite and every multi-instance race through it). Two things
// are needed:
//
//   - No named prepared statements: a transaction pooler hands each
//     transaction a different server connection, where a statement
//     prepared on another does not exist. pgx prepares and caches by
//     default; set default_query_exec_mode=exec in the connection string
//     (or simple_protocol). PgBouncer 1.21 and later can track prepared
//     statements itself (max_prepared_statements), which makes this
//     unnecessary there.
//   - No session state: every operation here is one statement or one
//     transaction, and no store uses session-level advisory locks, SET, or
//     temporary tables. PgBouncer 1.18 (Debian 12) refuses a search_path
//     in the connection string ("unsupported startup parameter"; 1.20 adds
//     track_extra_parameters): put mdmcred's schema first in the role's
//     search_path on the server instead (ALTER ROLE ... SET search_path).
//
// [Migrate] is one transaction under a transaction-scoped advisory lock,
// so it also runs through a transaction pooler (tested, with instances
// racing to migrate). Statement pooling allows no transaction of several
// statements: neither Migrate nor the stores work through it.
//
// # Retention
//
// Audit and event tables grow with traffic. Every store implements its
// package's optional purge capability ([servicepass.EventPurger],
// [enrollment.EventPurger], [passcode.Purger], [otp.ExpiredPurger]); run
// the package functions from a periodic job on one instance (running it on
// several is safe, only wasteful):
//
//	servicepass.PurgeEvents(ctx, audit, time.Now(), 0) // events older than 400 days
//	enrollment.PurgeEvents(ctx, sites, time.Now(), 0)  // events older than 400 days
//	passcode.Purge(ctx, resets, time.Now(), 0)         // finished resets and events older than 400 days
//	pinService.Purge(ctx, 0)                           // PINs expired over a day ago, without failures
//
// (PINService.Purge is otp.PurgeExpired on the service's store, with an age
// of at least its issue rate-limit window, so a purge never forgets how
// many PINs a user was issued.)
//
// Each deletes at most 1,000 rows per statement, oldest first through an
// index, with FOR UPDATE SKIP LOCKED: no statement holds locks for longer
// than one small batch, none waits for rows that traffic is using, and the
// purge can run while the hosts serve requests.
//
// # Re-sealing
//
// PasscodeStore and EnrollmentStore implement the re-seal capability
// ([passcode.Resealer], [enrollment.Resealer]) that
// passcode.Service.Reseal and enrollment.Service.Reseal use after a
// sealing key rotation (docs/keys.md): 1,000 rows per query in key order,
// each changed value one conditional UPDATE of the sealed column alone, so
// a re-seal runs while the hosts serve requests and loses none of their
// writes.
package postgres
