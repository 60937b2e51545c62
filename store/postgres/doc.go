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
// connection string). A migration that adds an index (0002, 0008, 0009) blocks
// writes to that table while the index builds: on large tables, upgrade in
// a quiet hour, or first create the index CONCURRENTLY by hand under the
// name the migration gives it (it creates its indexes IF NOT EXISTS).
//
// Every store follows one idiom, at PostgreSQL's default READ COMMITTED
// isolation and with no transaction held across round trips: the rule
// lives in the domain package, the store reads a versioned row, the
// service decides in Go, and the store writes the row back with one
// statement conditioned on the version it was decided on
// (compare-and-swap), or inserts it if there was none (INSERT ... ON
// CONFLICT DO NOTHING); a write that changed nothing means another caller
// won, and the decision runs again on the row that won. Unique indexes
// keep the rest exactly once:
//
//   - consuming a PIN, verifying a TOTP code: [OTPStore.Load] and
//     [OTPStore.LoadTOTP] read the row; [OTPStore.Write] and
//     [OTPStore.WriteTOTP] are one plain statement each, the conditional
//     INSERT ... ON CONFLICT DO NOTHING or UPDATE ... WHERE version = prev;
//     a write that changed nothing returns otp.ErrConflict, and the
//     service loads the row and decides again. The otp services keep the
//     last row they read or wrote per user and subject (with its version)
//     and decide on it without a read, and guess a user they have not seen
//     to be new: a PIN verify on the instance that issued it and a TOTP
//     verify of a subject this instance saw last are one statement, a new
//     user's or subject's first write one, anything else three (the
//     refused write, the load, the write). A stale cached row costs a statement, never
//     an outcome: the write is conditioned on the cached version (the otp
//     package documentation gives the reasoning);
//   - counting a failed company-passcode attempt and locking: the
//     enrollment.Service decides with its lockout rules and
//     [EnrollmentStore.Write] writes the record on the row's version
//     (compare-and-swap; insert-if-absent for a site's first passcode),
//     with the failure's events in the same statement; the failure whose
//     write locked the passcode is the one that alerts. Generating,
//     regenerating and disabling are such writes too. A success writes no
//     row others wait for: [EnrollmentStore.Append] inserts its event,
//     conditioned on the site's row still being at the version the
//     success was decided on, in the same statement, and takes no row
//     lock. A unique index keeps a digest to one site;
//   - any passcode reset change: [PasscodeStore.Write] is one statement,
//     INSERT for a new reset (a unique violation is its refusal) or
//     UPDATE ... WHERE rev = prev for a move, with its events inserted from its
//     RETURNING; package passcode decides the lifecycle in Go and, on a
//     conflict, loads and decides again. A partial unique index on
//     open_device, which the service sets while a reset is open, allows
//     one open reset per device;
//   - recording a service-password audit event: one INSERT;
//   - any escrow change: [EscrowStore.Write] is one statement, the
//     conditional INSERT ... ON CONFLICT DO NOTHING, UPDATE ... WHERE rev =
//     prev or DELETE ... WHERE rev = prev of the device's row for the kind,
//     with the events inserted from its RETURNING; package escrow decides
//     the change in Go and, on a conflict, loads and decides again.
//
// When a reset request's insert is refused, passcode.Service reads the
// device's open reset ([PasscodeStore.Open]) to say which one holds it,
// and inserts again when none does (it closed, or a purge deleted a
// finished reset with the same ID, in between).
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
// Every operation is one statement at READ COMMITTED, the server default
// (only [Migrate] is a transaction); none needs REPEATABLE READ or
// SERIALIZABLE. Do not raise the pool's default isolation level
// (default_transaction_isolation): the compare-and-swap writes rely on
// READ COMMITTED's re-check of a row another statement changed (a
// conditional UPDATE that waited sees the committed row, and its version).
//
//	operation                               statements (round trips)       row locks held
//	OTPStore.Load, LoadTOTP                 1 SELECT                       none
//	OTPStore.Write, WriteTOTP               1 statement: INSERT ... ON     the row, for the statement
//	                                        CONFLICT DO NOTHING or UPDATE
//	                                        ... WHERE version = prev
//	(PIN issue, verify; TOTP verify)        1 Write on a cached or new     the row, for the statement
//	                                        row; a PIN verify with no
//	                                        cached row 2 (a Load, a
//	                                        Write); otherwise 3 (a
//	                                        refused Write, a Load, a
//	                                        Write)
//	OTPStore.Put                            1 upsert                       the user's row, for the statement
//	EnrollmentStore.Load, Lookup, Events    1 SELECT each                  none
//	EnrollmentStore.Write                   1 statement: INSERT ... ON     the site's row, for the statement
//	                                        CONFLICT DO NOTHING or UPDATE
//	                                        ... WHERE version = prev,
//	                                        with its events INSERT
//	EnrollmentStore.Append                  1 INSERT ... SELECT (events    none on the site's row
//	                                        if the row is at the version)
//	(enrollment generate, disable)          2: a Load, then a Write        the site's row, for the Write
//	PasscodeStore.Write, new reset          1 INSERT with its events       the new rows
//	                                        (WITH ... INSERT); a unique
//	                                        violation is the refusal
//	PasscodeStore.Write, move               1 UPDATE ... WHERE rev = prev  the reset's row, for the statement
//	                                        with its events INSERT
//	(reset request)                         1 Write; after a refusal, an
//	                                        Open (and a Load if no reset
//	                                        is open)
//	(reset transition, expiry)              2: a Load, then a Write; an
//	                                        expiry from Stale's list 1
//	PasscodeStore.Append, Load, Open,       1 statement each               none (Append: the event row)
//	Events, Stale
//	ServicepassStore.Record, Events         1 statement each
//	EscrowStore.Write                       1 statement: the row's         the device and kind's row, for the
//	                                        conditional write and its      statement
//	                                        event INSERT
//	EscrowStore.Load, ByRecord, ByCommand,  1 statement each
//	Due, ClosedBefore, Events
//	purges (retention)                      1 DELETE of <= 1,000           the batch's rows, SKIP LOCKED
//	Migrate                                 1 transaction                  an advisory transaction lock
//
// So a verified company passcode is 2 statements (Load, Append; Load,
// Write when it resets a count after a failure), a failed one 2 (Load,
// Write with its events), a reset request 1, a reset transition 2 (Load,
// Write), and a PIN issue or verify or a TOTP verify 1 when the service's
// cache holds the row or the user or subject is new; otherwise a PIN
// verify 2 (a Load, a Write) and a write on a stale cached row or a TOTP
// subject thought new 3 (the refused write, a Load, a Write). store/postgres/
// internal/floorbench measures each beside its floor (the minimal SQL for
// the same work); statements_test.go checks this table against
// pg_stat_statements.
//
// Pool size: no connection is ever held idle inside a transaction (the
// statement-count test checks that no operation sends BEGIN), so a
// connection is busy only while the server runs one statement, and a
// caller holds one only for that statement's round trip; a pool of
// 2 to 4 connections per CPU core of the database server, shared by every
// instance, serves the load, and beyond that connections only queue
// inside PostgreSQL. With n instances, give each *sql.DB
// SetMaxOpenConns(total/n) and the same SetMaxIdleConns, keep the total
// under the server's max_connections (or PgBouncer's default_pool_size)
// with room for maintenance, and set SetConnMaxLifetime (say 30 minutes)
// so that connections move to a replacement server after a failover. These
// are starting points to measure from. The tests run two pools of 24
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
// # Sizing the server's memory
//
// The hot operations look records and events up by a random key (a
// device, a user, a site, a reset). At a million devices each such lookup
// lands on an index leaf no other recent call touched, so its time stays
// flat only while those indexes stay in shared_buffers; otherwise about
// one leaf per call is read from the operating system (or the disk), and
// the issue audit insert (which also writes the device's leaf) and the
// events pages grow most. At the volumes of issue 16 per million devices
// (6 audit events per device, 1,000,000 PIN users, 100,000 sites and
// 100,000 resets with their events) those indexes are:
//
//	index                                      size at 1,000,000 devices
//	mdmcred_servicepass_event_by_device        127 MB
//	mdmcred_otp_pin_pkey                        52 MB
//	mdmcred_passcode_event_by_reset             43 MB
//	mdmcred_passcode_event_by_device            27 MB
//	mdmcred_enrollment_event_by_site            27 MB
//	mdmcred_passcode_reset_pkey                 21 MB
//	mdmcred_enrollment_passcode_{pkey,digest}   13 MB
//	in all                                     about 310 MB
//
// They grow linearly with the fleet and the audit history kept (the
// servicepass index with events per device: purge by age, see Retention).
// The rest of the 2 GB database at that size is read at its right edge
// (the seq and at indexes, the heaps' newest pages) or by purges, and an
// events page reads its rows' heap page, which the operating system's
// cache serves. Give shared_buffers at least twice the keyed indexes (the
// heaps' newest pages and the catalog need room too): 1 GB for a million
// devices, which is also PostgreSQL's advice of a quarter of the memory of
// a dedicated 4 GB host. PostgreSQL's built-in default, 128 MB, is less
// than half of the keyed indexes at a million devices. Measured with
// store/postgres/internal/fleetbench (benchmarks/RESULTS.md, "PostgreSQL
// at fleet scale"), which prints the keyed indexes' size at each level:
// at 1 GB the worst hot operation's p99 at 1,000,000 devices was within
// 1.5x of its p99 at 1,000 in every session (1.10x to 1.37x) and the audit
// insert read 0.04 blocks per call from outside shared_buffers; at 128 MB
// it read 0.87, and its p99 grew past 1.5x in two sessions of three.
//
// # The server's log
//
// Two refusals are a unique index's, so the server logs them as an ERROR
// with the key in its DETAIL line: a new passcode reset whose ID or
// device already has an open reset (a device ID), and an enrollment
// passcode whose digest another site holds (the keyed digest, not the
// passcode; it cannot be checked without the pepper). The failing
// statement is logged too (log_min_error_statement), without its
// parameters (the sealed passcode among them) as long as
// log_parameter_max_length_on_error stays 0, its default, and the
// connection does not use the simple protocol, which writes the
// parameters into the statement's text: prefer
// default_query_exec_mode=exec to simple_protocol for PgBouncer (below).
// Where policy keeps even digests and device IDs out of logs, set
// log_error_verbosity = terse, which drops DETAIL lines.
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
//   - No session state: every operation here is one statement (Migrate
//     one transaction), and no store uses session-level advisory locks, SET, or
//     temporary tables. PgBouncer 1.18 (Debian 12) refuses a search_path
//     in the connection string ("unsupported startup parameter"; 1.20 adds
//     track_extra_parameters): put mdmcred's schema first in the role's
//     search_path on the server instead (ALTER ROLE ... SET search_path).
//
// [Migrate] is one transaction under a transaction-scoped advisory lock,
// so it also runs through a transaction pooler (tested, with instances
// racing to migrate). Statement pooling allows no transaction of several
// statements: Migrate does not work through it (run it directly); the
// stores send none.
//
// # Retention
//
// Audit and event tables grow with traffic. Every store implements its
// package's optional purge capability, named Purger in each package
// ([servicepass.Purger], [enrollment.Purger], [passcode.Purger],
// [otp.Purger]; the escrow store's purge methods are part of
// [escrow.Store]); run each package's Purge from a periodic job on one
// instance (running it on several is safe, only wasteful):
//
//	servicepass.Purge(ctx, audit, time.Now(), 0) // events older than 400 days
//	enrollment.Purge(ctx, sites, time.Now(), 0)  // events older than 400 days
//	passcode.Purge(ctx, resets, time.Now(), 0)   // finished resets and events older than 400 days
//	pinService.Purge(ctx, 0)                     // PINs expired over a day ago, without failures
//	escrowService.Purge(ctx, time.Now(), 0)      // closed records and events older than 400 days
//
// (PINService.Purge is otp.Purge on the service's store, with an age of
// at least its issue rate-limit window, so a purge never forgets how many
// PINs a user was issued.) Each returns a PurgeResult counting what it
// deleted, per kind of record.
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
// each changed value one conditional UPDATE of the sealed column alone
// (and, for an enrollment row, its version, moved on so that a Write
// decided on the row before fails and decides again), so a re-seal runs
// while the hosts serve requests and loses none of their writes. EscrowStore gives escrow.Service.Reseal its rows a page at a
// time (EscrowStore.Rows: 1,000 rows per query in byte order of device ID
// and kind, through the index of migration 0008), and each re-sealed row
// goes back through the compare-and-swap Write, as every escrow change.
package postgres
