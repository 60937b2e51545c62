// Command fleetbench measures the PostgreSQL stores at fleet scale: it
// bulk-loads (COPY) the volumes of issue 16 at each level, into a schema of
// its own — at full size
// 1,000,000 devices' service-password audit records, 100,000 sites'
// enrollment records with their events, 1,000,000 users' PIN records,
// 100,000 devices' passcode resets with their events, 10,000,000 audit
// events in all — and reports p50 and p99 of every hot operation at each
// level. scripts/bench.sh runs it; make test runs only TestRunSmall,
// the two smallest levels with few calls, so that it cannot rot.
//
// Usage (against a server where it may create a schema):
//
//	MDMCRED_POSTGRES_DSN=... go run ./store/postgres/internal/fleetbench [-levels 0.001,0.1,1] [-n 2000] [-rounds 5] [-runs 3] [-keep] [-reuse]
//
// A level is a fraction of the full volumes: 0.001 is 1,000 devices and
// users (the "1,000 rows" point), 0.1 is 100,000, 1 is full size.
//
// After each load it runs VACUUM ANALYZE, after the last a CHECKPOINT, so
// that the loads' own write-back does not land in the measurement. Each
// measurement starts with a warm-up
// round of n/4 calls of every operation that is not measured (new
// connections, the server's catalog caches). It then measures in rounds:
// each round makes n calls of every operation in turn; a level's p50 is
// over all its calls, its p99 is the median of the rounds' p99s, so that
// one stall of the machine (another process, an autovacuum) moves one
// round and not the figure.
//
// A level is loaded once and measured -runs times (default 3): three
// independent measurements of the same rows, each with its own warm-up,
// rounds and fresh keys. Each run measures every level in turn (1,000
// devices, then 1,000,000, then 1,000 again...), so that a change in the
// host's load between runs falls on every level alike rather than on the
// one measured last. The report's ratio for an operation is the median
// over the runs of p99(last level, run r) / p99(first level, run r), and it
// names the worst operation: the one with the largest ratio, the figure the
// README reports.
//
// Beside the times, where the server has pg_stat_statements loaded (as
// scripts/with-postgres.sh starts it; fleetbench creates the extension in
// its schema), each operation's blocks read from outside shared_buffers
// and blocks dirtied per call: figures a busy host's scheduler does not
// move, which show whether a statement's work grows with the table.
//
// With -keep the loaded schemas stay (mdmcred_fleetbench_<devices>); a
// later run with -reuse measures a level's schema again without reloading
// it, after [postgres.Migrate] has brought it to the current schema: a way
// to measure a new migration on a full-size table, as a deployment would
// apply it.
package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// Full volumes, and events per key (so that an events page is the same
// size at every level).
const (
	fullDevices      = 1_000_000 // service-password devices
	fullSites        = 100_000
	fullUsers        = 1_000_000
	fullResetDevices = 100_000
	spEventsPer      = 6  // per device: 6,000,000
	enEventsPer      = 20 // per site:   2,000,000
	resetsPer        = 4  // per reset device: 400,000 resets
	pcEventsPer      = 5  // per reset:  2,000,000 (10,000,000 events in all)
)

func main() {
	levelsFlag := flag.String("levels", "0.001,0.1,1", "comma-separated fractions of the full volumes, ascending")
	n := flag.Int("n", 2000, "calls of each operation per round")
	rounds := flag.Int("rounds", 5, "rounds of measurement per level (p99 is the median of the rounds' p99s)")
	runs := flag.Int("runs", 3, "independent measurements of each level's load (the ratio is their median)")
	keep := flag.Bool("keep", false, "keep the schemas (mdmcred_fleetbench_<devices>) afterwards")
	reuse := flag.Bool("reuse", false, "measure a level's kept schema instead of reloading it (implies -keep)")
	flag.Parse()
	dsn := os.Getenv("MDMCRED_POSTGRES_DSN")
	if dsn == "" {
		fmt.Fprintln(os.Stderr, "fleetbench: MDMCRED_POSTGRES_DSN is not set (run it under scripts/with-postgres.sh)")
		os.Exit(2)
	}
	var levels []float64
	for _, f := range strings.Split(*levelsFlag, ",") {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || v < minLevel || v > 1 || (len(levels) > 0 && v <= levels[len(levels)-1]) {
			fmt.Fprintf(os.Stderr, "fleetbench: bad level %q (want ascending fractions from %g to 1)\n", f, minLevel)
			os.Exit(2)
		}
		levels = append(levels, v)
	}
	if *n < 100 || *rounds < 1 || *runs < 1 {
		fmt.Fprintln(os.Stderr, "fleetbench: -n must be at least 100, -rounds and -runs at least 1")
		os.Exit(2)
	}
	if err := run(context.Background(), os.Stdout, dsn, "mdmcred_fleetbench", levels, *n, *rounds, *runs, *keep, *reuse); err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench:", err)
		os.Exit(1)
	}
}

type result struct {
	level    float64
	rows     int64
	loadTime time.Duration
	reused   bool                          // the rows were loaded by an earlier run (-reuse)
	size     string                        // the schema's size on disk after the load
	keyed    string                        // the size of keyedIndexes after the load
	p        []map[string][2]time.Duration // per run: op -> p50, p99
	blocks   []map[string][2]float64       // per run: op -> blocks read, dirtied per call (none without pg_stat_statements)
	load     []string                      // per run: the host's load average after it
}

// keyedIndexes are the indexes the hot operations look up by a random key
// (a device, user, site or reset): at a million devices each lookup lands
// on a leaf no other recent call touched, so the operations stay flat only
// while these stay in shared_buffers (store/postgres/doc.go, "Sizing").
// The other indexes are walked at their right edge (seq, at) or by the
// purges.
var keyedIndexes = []string{"mdmcred_servicepass_event_by_device", "mdmcred_otp_pin_pkey",
	"mdmcred_passcode_event_by_reset", "mdmcred_passcode_event_by_device", "mdmcred_enrollment_event_by_site",
	"mdmcred_passcode_reset_pkey", "mdmcred_passcode_reset_open_device", "mdmcred_enrollment_passcode_pkey",
	"mdmcred_enrollment_passcode_digest_key"}

var ops = []string{"issue audit", "enrollment verify", "enrollment failure", "PIN issue", "PIN consume",
	"reset request", "reset transition", "events page (servicepass)", "events page (enrollment)", "events page (passcode)"}

// minLevel is the smallest level: one passcode-reset device (the scarcest
// key) at least.
const minLevel = 1.0 / fullResetDevices

// run loads each level into a schema of its own (schema_<devices>, dropped
// first unless reuse finds it holding that level, and afterwards unless
// keep or reuse), then measures the levels in turn, runs times, and writes
// the report to out after each run.
func run(ctx context.Context, out io.Writer, dsn, schema string, levels []float64, n, rounds, runs int, keep, reuse bool) error {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer admin.Close()
	var results []result
	var dbs []*sql.DB
	for _, lv := range levels {
		s := schema + "_" + levelName(lv)
		if !keep && !reuse {
			defer admin.ExecContext(context.Background(), `DROP SCHEMA IF EXISTS `+s+` CASCADE`)
		}
		db, res, err := prepare(ctx, admin, dsn, s, lv, reuse)
		if err != nil {
			return err
		}
		defer db.Close()
		dbs, results = append(dbs, db), append(results, res)
	}
	if _, err := dbs[0].ExecContext(ctx, `CHECKPOINT`); err != nil {
		// CHECKPOINT needs superuser or pg_checkpoint; measure anyway.
		fmt.Fprintln(os.Stderr, "fleetbench: CHECKPOINT:", err)
	}
	var version, buffers string
	_ = dbs[0].QueryRowContext(ctx, `SHOW server_version`).Scan(&version)
	_ = dbs[0].QueryRowContext(ctx, `SHOW shared_buffers`).Scan(&buffers)
	version += ", shared_buffers " + buffers
	blocks := blockCounter(ctx, dbs[0])

	// Each run measures every level in turn, so that a change in the
	// host's load between runs falls on every level alike.
	for r := range runs {
		for i, lv := range levels {
			p, b := map[string][2]time.Duration{}, map[string][2]float64{}
			if err := measure(ctx, dbs[i], lv, r, n, rounds, blocks, p, b); err != nil {
				return fmt.Errorf("measure at %g: %w", lv, err)
			}
			res := &results[i]
			res.p = append(res.p, p)
			if blocks != nil {
				res.blocks = append(res.blocks, b)
			}
			res.load = append(res.load, loadAverage())
			fmt.Fprintf(os.Stderr, "fleetbench: run %d of %d: level %g measured (load average %s)\n", r+1, runs, lv, res.load[r])
		}
		// The table so far, so that an interrupted run keeps its figures.
		report(out, results, version, n, rounds, r+1)
	}
	return nil
}

// prepare returns a pool on schema s holding level lv: with reuse, the
// schema as an earlier run left it if it holds lv (recorded in its table
// fleetbench_loaded), brought up to date by [postgres.Migrate]; otherwise
// a new schema, migrated and loaded. Either way it is vacuumed and
// analyzed.
func prepare(ctx context.Context, admin *sql.DB, dsn, s string, lv float64, reuse bool) (*sql.DB, result, error) {
	res := result{level: lv}
	start := time.Now()
	if reuse {
		var held float64
		err := admin.QueryRowContext(ctx, `SELECT level FROM `+s+`.fleetbench_loaded`).Scan(&held)
		res.reused = err == nil && held == lv
	}
	if !res.reused {
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+s+` CASCADE; CREATE SCHEMA `+s+`;
			CREATE TABLE `+s+`.fleetbench_loaded (level float8 NOT NULL)`); err != nil {
			return nil, res, err
		}
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, res, err
	}
	cfg.RuntimeParams["search_path"] = s
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(4)
	fail := func(err error) (*sql.DB, result, error) {
		db.Close()
		return nil, res, err
	}
	if err := postgres.Migrate(ctx, db); err != nil {
		return fail(err)
	}
	if !res.reused {
		if err := load(ctx, db, 0, lv); err != nil {
			return fail(fmt.Errorf("load %g: %w", lv, err))
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO fleetbench_loaded VALUES ($1)`, lv); err != nil {
			return fail(err)
		}
	}
	if _, err := db.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		return fail(err)
	}
	res.loadTime = time.Since(start)
	_ = db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM mdmcred_servicepass_event) + (SELECT count(*) FROM mdmcred_enrollment_passcode) +
		(SELECT count(*) FROM mdmcred_enrollment_event) + (SELECT count(*) FROM mdmcred_otp_pin) +
		(SELECT count(*) FROM mdmcred_passcode_reset) + (SELECT count(*) FROM mdmcred_passcode_event)`).Scan(&res.rows)
	_ = db.QueryRowContext(ctx, `SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid)))
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r'`).Scan(&res.size)
	var found int
	if err := db.QueryRowContext(ctx, `SELECT count(*), pg_size_pretty(sum(pg_relation_size(c.oid)))
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'i' AND c.relname = ANY($1)`, keyedIndexes).Scan(&found, &res.keyed); err != nil {
		return fail(err)
	}
	if found != len(keyedIndexes) { // a migration renamed or dropped one: the figure would shrink unseen
		return fail(fmt.Errorf("%d of the %d keyed indexes found: update keyedIndexes", found, len(keyedIndexes)))
	}
	fmt.Fprintf(os.Stderr, "fleetbench: level %g: %d rows, loaded in %v\n", lv, res.rows, res.loadTime.Round(time.Second))
	return db, res, nil
}

func report(out io.Writer, results []result, version string, n, rounds, runs int) {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	fmt.Fprintf(out, "Machine: %d CPUs, %s, %s/%s, %s; PostgreSQL %s; %d runs of %d rounds of %d calls per operation per level, one caller; "+
		"p99 is the median of the rounds' p99s, and a level's figure the median of its runs.\n\n",
		runtime.NumCPU(), cpu, runtime.GOOS, runtime.GOARCH, runtime.Version(), version, runs, rounds, n)
	fmt.Fprint(out, "| operation |")
	for _, r := range results {
		fmt.Fprintf(out, " p50 @ %s | p99 @ %s |", levelName(r.level), levelName(r.level))
		if r.blocks != nil {
			fmt.Fprintf(out, " blocks read / dirtied per call @ %s |", levelName(r.level))
		}
	}
	fmt.Fprintln(out, " p99 last / p99 first, per run | median |")
	fmt.Fprint(out, "|---|")
	for _, r := range results {
		fmt.Fprint(out, "---:|---:|")
		if r.blocks != nil {
			fmt.Fprint(out, "---:|")
		}
	}
	fmt.Fprintln(out, "---:|---:|")
	worst, worstRatio := "", 0.0
	for _, op := range ops {
		fmt.Fprintf(out, "| %s |", op)
		for _, r := range results {
			fmt.Fprintf(out, " %s | %s |", ms(median(r.p, op, 0)), ms(median(r.p, op, 1)))
			if r.blocks != nil {
				rd, dd := make([]float64, len(r.blocks)), make([]float64, len(r.blocks))
				for i, b := range r.blocks {
					rd[i], dd[i] = b[op][0], b[op][1]
				}
				fmt.Fprintf(out, " %.2f / %.2f |", medianOf(rd), medianOf(dd))
			}
		}
		rs := ratios(results[0], results[len(results)-1], op)
		strs := make([]string, len(rs))
		for i, x := range rs {
			strs[i] = fmt.Sprintf("%.2f", x)
		}
		m := medianOf(rs)
		fmt.Fprintf(out, " %s | %.2f |\n", strings.Join(strs, ", "), m)
		if worst == "" || m > worstRatio {
			worst, worstRatio = op, m
		}
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "Worst: %s, p99 at %s %.2fx its p99 at %s (median of %d runs).\n", worst,
		levelName(results[len(results)-1].level), worstRatio, levelName(results[0].level), runs)
	for _, r := range results {
		how := "loaded (COPY) and analyzed"
		if r.reused {
			how = "loaded by an earlier run, analyzed"
		}
		fmt.Fprintf(out, "Level %s: %d rows in all (%s with indexes, %s of them in the indexes looked up by key), %s in %v; load average after each run: %s.\n",
			levelName(r.level), r.rows, r.size, r.keyed, how, r.loadTime.Round(time.Second), strings.Join(r.load, "; "))
	}
}

// ratios returns, for each run, op's p99 at last over its p99 at first in
// the same run.
func ratios(first, last result, op string) []float64 {
	var out []float64
	for i := range min(len(first.p), len(last.p)) {
		out = append(out, float64(last.p[i][op][1])/float64(first.p[i][op][1]))
	}
	return out
}

// median returns the median over the runs of op's p50 (k 0) or p99 (k 1).
func median(runs []map[string][2]time.Duration, op string, k int) time.Duration {
	ds := make([]float64, len(runs))
	for i, p := range runs {
		ds[i] = float64(p[op][k])
	}
	return time.Duration(medianOf(ds))
}

// medianOf returns the median of xs (the mean of the middle two when their
// number is even).
func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// loadAverage returns the host's 1, 5 and 15 minute load averages, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

func levelName(lv float64) string {
	return fmt.Sprintf("%d", int(lv*fullDevices))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// load adds the rows between level from and level to.
func load(ctx context.Context, db *sql.DB, from, to float64) error {
	span := func(full int) (int, int) { return int(from * float64(full)), int(to * float64(full)) }
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		copyRows := func(table string, cols []string, lo, hi, per int, row func(i, j int) []any) error {
			i, j := lo, 0
			_, err := c.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
				if i >= hi {
					return nil, nil
				}
				r := row(i, j)
				if j++; j == per {
					i, j = i+1, 0
				}
				return r, nil
			}))
			return err
		}
		lo, hi := span(fullDevices)
		if err := copyRows("mdmcred_servicepass_event", []string{"type", "at", "admin", "device_id", "mode", "actions", "key_id", "serial", "expires_at"},
			lo, hi, spEventsPer, func(i, j int) []any {
				t := at.Add(time.Duration(i*spEventsPer+j) * time.Second)
				return []any{"issued", t, "admin@example.com", "dev-" + strconv.Itoa(i), int16(1), int16(1), int16(1), int64(i*spEventsPer + j), t.Add(24 * time.Hour)}
			}); err != nil {
			return err
		}
		lo, hi = span(fullSites)
		if err := copyRows("mdmcred_enrollment_passcode", []string{"site", "digest", "generated_at", "generated_by"}, lo, hi, 1, func(i, _ int) []any {
			return []any{"site-" + strconv.Itoa(i), siteDigest(i), at, "admin@example.com"}
		}); err != nil {
			return err
		}
		if err := copyRows("mdmcred_enrollment_event", []string{"site", "kind", "at", "source", "failures"}, lo, hi, enEventsPer, func(i, j int) []any {
			return []any{"site-" + strconv.Itoa(i), int16(enrollment.EventFailed), at.Add(time.Duration(i*enEventsPer+j) * time.Second), "192.0.2.1", int64(j)}
		}); err != nil {
			return err
		}
		lo, hi = span(fullUsers)
		if err := copyRows("mdmcred_otp_pin", []string{"user_name", "digest", "issued_at", "expires_at"}, lo, hi, 1, func(i, _ int) []any {
			d := sha256.Sum256([]byte("user-" + strconv.Itoa(i)))
			return []any{"user-" + strconv.Itoa(i), d[:], at, at.Add(time.Duration(i%48) * time.Hour)}
		}); err != nil {
			return err
		}
		lo, hi = span(fullResetDevices)
		if err := copyRows("mdmcred_passcode_reset", []string{"id", "device_id", "platform", "action", "state", "requested_by", "requested_at", "updated_at", "stale_at", "open_device", "rev"},
			lo, hi, resetsPer, func(i, j int) []any {
				state := int16(passcode.Succeeded) + int16(j%3) // succeeded, failed, expired
				var open any                                    // NULL: closed
				if j == resetsPer-1 && i%10 == 0 {
					state = int16(passcode.Pending) // 10% of devices have an open reset
					open = "rdev-" + strconv.Itoa(i)
				}
				t := at.Add(time.Duration(i*resetsPer+j) * time.Minute)
				return []any{fmt.Sprintf("r-%d-%d", i, j), "rdev-" + strconv.Itoa(i), int16(passcode.AndroidDeviceOwner), int16(passcode.SetPasscode),
					state, "admin@example.com", t, t, t.Add(24 * time.Hour), open, int64(2)}
			}); err != nil {
			return err
		}
		return copyRows("mdmcred_passcode_event", []string{"kind", "reset_id", "device_id", "from_state", "to_state", "at", "actor"},
			lo*resetsPer, hi*resetsPer, pcEventsPer, func(k, j int) []any {
				i := k / resetsPer
				return []any{int16(passcode.EventTransition), fmt.Sprintf("r-%d-%d", i, k%resetsPer), "rdev-" + strconv.Itoa(i),
					int16(j % 3), int16(j%3 + 1), at.Add(time.Duration(k*pcEventsPer+j) * time.Second), "mdm"}
			})
	})
}

func siteDigest(i int) []byte {
	d := sha256.Sum256([]byte("site-" + strconv.Itoa(i)))
	return d[:]
}

// blockCounter returns a function that reads the blocks the database's
// statements have read from outside shared_buffers and dirtied so far, or
// nil where pg_stat_statements is not loaded.
func blockCounter(ctx context.Context, db *sql.DB) func() (read, dirtied int64, err error) {
	var schema string
	if _, err := db.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench: no block counts:", err)
		return nil
	}
	if err := db.QueryRowContext(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname = 'pg_stat_statements'`).Scan(&schema); err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench: no block counts:", err)
		return nil
	}
	q := `SELECT coalesce(sum(shared_blks_read), 0)::bigint, coalesce(sum(shared_blks_dirtied), 0)::bigint
		FROM ` + pgx.Identifier{schema, "pg_stat_statements"}.Sanitize() + `
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`
	f := func() (read, dirtied int64, err error) {
		err = db.QueryRowContext(ctx, q).Scan(&read, &dirtied)
		return read, dirtied, err
	}
	if _, _, err := f(); err != nil {
		// The extension exists but its library is not preloaded.
		fmt.Fprintln(os.Stderr, "fleetbench: no block counts:", err)
		return nil
	}
	return f
}

// measure (the run-th time at this level) runs rounds of n calls of every
// hot operation on random existing keys and records p50 (over all calls)
// and p99 (the median of the rounds' p99s) in out, and, with a blocks
// counter, the blocks read and dirtied per call in blk.
func measure(ctx context.Context, db *sql.DB, lv float64, run, n, rounds int, blocks func() (int64, int64, error),
	out map[string][2]time.Duration, blk map[string][2]float64) error {
	devices, sites, rdevices := int(lv*fullDevices), int(lv*fullSites), int(lv*fullResetDevices)
	sites, rdevices = max(sites, 1), max(rdevices, 1)
	sp, en, pins, pc := postgres.NewServicepassStore(db), postgres.NewEnrollmentStore(db), postgres.NewOTPStore(db), postgres.NewPasscodeStore(db)
	rng := rand.New(rand.NewPCG(uint64(run+1), uint64(lv*1e6)))
	now := time.Now().UTC()
	// Keys of their own for this level and run, and this invocation (a
	// -reuse run measures rows an earlier one added to).
	tag := strconv.Itoa(int(lv*1e6)) + "-" + strconv.Itoa(run) + "-" + strconv.FormatInt(now.UnixNano(), 36)
	all := map[string][]time.Duration{}
	p99s := map[string][]time.Duration{}
	// The operations that append events (issue audit, enrollment verify
	// and failure) write to odd keys and the events pages read even ones, so that a
	// page is the same size at every level: at 1,000 devices a run's
	// 10,500 appends would otherwise add about 10 events to every device's
	// page and 105 to every site's, and none at a million.
	odd := func(n int) int {
		if n < 2 {
			return 0
		}
		return 2*rng.IntN(n/2) + 1
	}
	even := func(n int) int {
		if n < 2 {
			return 0
		}
		return 2 * rng.IntN((n+1)/2)
	}
	// timeIt makes count calls, numbered from base so that every call of
	// every round has keys of its own, and records them unless this is the
	// warm-up.
	counts := map[string][2]int64{}
	timeIt := func(op string, base, count int, warmUp bool, f func(i int) error) error {
		var r0, d0 int64
		if blocks != nil && !warmUp {
			var err error
			if r0, d0, err = blocks(); err != nil {
				return err
			}
		}
		ds := make([]time.Duration, count)
		for i := range count {
			start := time.Now()
			if err := f(base + i); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			ds[i] = time.Since(start)
		}
		if warmUp {
			return nil
		}
		if blocks != nil {
			r1, d1, err := blocks()
			if err != nil {
				return err
			}
			c := counts[op]
			counts[op] = [2]int64{c[0] + r1 - r0, c[1] + d1 - d0}
		}
		all[op] = append(all[op], ds...)
		slices.Sort(ds)
		p99s[op] = append(p99s[op], ds[count*99/100])
		return nil
	}
	steps := []struct {
		op string
		f  func(i int) error
	}{
		{"issue audit", func(i int) error {
			return sp.Record(ctx, servicepass.Event{Type: servicepass.EventIssued, At: now, Admin: "admin@example.com",
				DeviceID: "dev-" + strconv.Itoa(odd(devices)), Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, KeyID: 1, Serial: uint32(i)})
		}},
		{"enrollment verify", func(int) error {
			// ResolveSite's index lookup, then what Verify sends for a
			// success: read the record, append the used event at its
			// revision.
			s := odd(sites)
			site, err := en.Lookup(ctx, siteDigest(s))
			if err != nil {
				return err
			}
			r, err := en.Load(ctx, site)
			if err != nil {
				return err
			}
			return en.Append(ctx, site, r.Rev, []enrollment.Event{{Site: site, Kind: enrollment.EventUsed, At: now, Source: "192.0.2.8"}})
		}},
		{"enrollment failure", func(int) error {
			// What Verify sends for a failure: read the record, write
			// it back with its failed event, compare-and-swap on its
			// revision.
			site := "site-" + strconv.Itoa(odd(sites))
			r, err := en.Load(ctx, site)
			if err != nil {
				return err
			}
			next := r
			next.Failures++
			next.LastFailure, next.LastSource, next.Rev = now, "192.0.2.7", r.Rev+1
			return en.Write(ctx, next, r.Rev, []enrollment.Event{{Site: site, Kind: enrollment.EventFailed, At: now, Source: "192.0.2.7", Failures: next.Failures}})
		}},
		// A PIN is issued to, then consumed by, a user of its own, in a
		// table of lv*fullUsers others.
		{"PIN issue", func(i int) error {
			return pins.Put(ctx, otp.PINRecord{User: "puser-" + tag + "-" + strconv.Itoa(i), Digest: []byte("digest"), IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour)})
		}},
		{"PIN consume", func(i int) error {
			r, err := pins.Load(ctx, "puser-"+tag+"-"+strconv.Itoa(i))
			if err != nil {
				return err
			}
			r.Digest, r.Rev = nil, r.Rev+1
			return pins.Write(ctx, r, r.Rev-1)
		}},
		{"reset request", func(i int) error {
			id, dev := "b-"+tag+"-"+strconv.Itoa(i), "bdev-"+tag+"-"+strconv.Itoa(i)
			return pc.Write(ctx, passcode.Reset{ID: id, DeviceID: dev, Platform: passcode.AndroidDeviceOwner, Action: passcode.SetPasscode,
				State: passcode.Requested, RequestedAt: now, UpdatedAt: now, StaleAt: now.Add(time.Hour), OpenDevice: dev, Rev: 1}, 0,
				[]passcode.Event{{Kind: passcode.EventTransition, ResetID: id, DeviceID: dev, To: passcode.Requested, At: now}})
		}},
		{"reset transition", func(i int) error {
			id, dev := "b-"+tag+"-"+strconv.Itoa(i), "bdev-"+tag+"-"+strconv.Itoa(i)
			// The compare-and-swap on the revision the request wrote (the
			// Load the service sends before it, a SELECT by primary key,
			// is not timed here).
			return pc.Write(ctx, passcode.Reset{ID: id, DeviceID: dev, Platform: passcode.AndroidDeviceOwner, Action: passcode.SetPasscode,
				State: passcode.Pending, RequestedAt: now, UpdatedAt: now, StaleAt: now.Add(time.Hour), OpenDevice: dev, Rev: 2}, 1,
				[]passcode.Event{{Kind: passcode.EventTransition, ResetID: id, DeviceID: dev, From: passcode.Requested, To: passcode.Pending, At: now}})
		}},
		{"events page (servicepass)", func(int) error {
			_, err := sp.Events(ctx, "dev-"+strconv.Itoa(even(devices)))
			return err
		}},
		{"events page (enrollment)", func(int) error {
			_, err := en.Events(ctx, "site-"+strconv.Itoa(even(sites)))
			return err
		}},
		{"events page (passcode)", func(int) error {
			_, err := pc.Events(ctx, passcode.EventQuery{DeviceID: "rdev-" + strconv.Itoa(rng.IntN(rdevices))})
			return err
		}},
	}
	for _, s := range steps {
		if err := timeIt(s.op, rounds*n, n/4, true, s.f); err != nil {
			return err
		}
	}
	for r := range rounds {
		for _, s := range steps {
			if err := timeIt(s.op, r*n, n, false, s.f); err != nil {
				return err
			}
		}
	}
	for op, ds := range all {
		slices.Sort(ds)
		slices.Sort(p99s[op])
		out[op] = [2]time.Duration{ds[len(ds)/2], p99s[op][len(p99s[op])/2]}
		if blocks != nil {
			blk[op] = [2]float64{float64(counts[op][0]) / float64(len(ds)), float64(counts[op][1]) / float64(len(ds))}
		}
	}
	return nil
}
