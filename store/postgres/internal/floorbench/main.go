// Command floorbench measures each hot server-side operation through the
// SDK's services on the PostgreSQL stores beside its floor, the minimal SQL
// doing the same work, in one run: at several concurrencies (default 1, 16
// and 64 callers over a pool of 16 connections), directly and, when
// MDMCRED_PGBOUNCER_DSN is set, through PgBouncer. It prints a Markdown
// table of wall time per operation (all callers together, the median
// over rounds), the ratio to the floor, and p99 latency. Each round
// measures ours and the floor back to back (ours first in even rounds,
// the floor first in odd ones); the ratio is the median over
// rounds of each round's ours / floor, so that a pair shares the host's
// load of the moment (on a shared host the load drifts between rounds,
// and a ratio of medians taken from different rounds carries that drift).
//
// Operations and their floors:
//
//   - enroll: enrollment.Service.Verify with the right passcode at one site
//     (Load, Append); floor: the site row read, one event inserted.
//   - PIN issue + verify: otp.PINService.Issue then Verify for a user of
//     its own; floor: an upsert of the PIN row that also counts the issue
//     in the rate-limit window (issue_window, issued) and refuses a
//     blocked user, and a conditional UPDATE that consumes the PIN
//     (right digest, not expired, not void, user not blocked), resets
//     the user's consecutive-failure count and clears the PIN's times (a
//     used PIN's row is purgeable a day after its issue window, not its
//     expiry: otp.CanPurge; clearing expires_at, which the purge index
//     covers, also makes the update a non-HOT one, as the service's is):
//     the durable effects the service's Issue and Verify have, without a
//     version.
//   - TOTP verify: otp.TOTPService.Verify of the current code for a
//     subject of its own; floor: one upsert that moves the replay mark
//     forward only, records the drift and resets the failure count,
//     refusing a blocked subject.
//   - TOTP verify, new then returning: two Verifies for a subject of its
//     own, of the current code then the next step's (the second on a
//     subject the service has seen); floor: two such upserts.
//   - reset request: passcode.Service.Request for a device of its own;
//     floor: one statement inserting the reset and its event.
//
// Run it with scripts/with-postgres.sh (scripts/bench.sh does, unless
// FLOOR=0):
//
//	scripts/with-postgres.sh go run ./store/postgres/internal/floorbench -n 2000
//
// -ops keeps the operations whose name contains one of its comma-separated
// words; -cpuprofile writes a CPU profile of the whole run (the services,
// the driver's encoding and decoding, the floors' SQL calls) for go tool
// pprof.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/store/postgres"
)

type op struct {
	name  string
	ours  func(ctx context.Context, key string) error
	floor func(ctx context.Context, key string) error
}

type nopAlerter struct{}

func (nopAlerter) SendLockAlert(context.Context, enrollment.Alert) error { return nil }

func main() {
	n := flag.Int("n", 2000, "operations per measurement")
	rounds := flag.Int("rounds", 3, "rounds, each ours and floor back to back (alternating which goes first); medians are reported, the ratio as the median of the rounds' ratios")
	pool := flag.Int("pool", 16, "connections in the pool")
	workersFlag := flag.String("workers", "1,16,64", "concurrent callers, comma-separated")
	opsFlag := flag.String("ops", "", "only the operations whose name contains one of these comma-separated words")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	var workers []int
	for _, w := range strings.Split(*workersFlag, ",") {
		v, err := strconv.Atoi(w)
		if err != nil || v < 1 {
			log.Fatalf("bad -workers %q", *workersFlag)
		}
		workers = append(workers, v)
	}
	routes := []route{{"direct", os.Getenv("MDMCRED_POSTGRES_DSN")}, {"pgbouncer", os.Getenv("MDMCRED_PGBOUNCER_DSN")}}
	if routes[0].dsn == "" {
		log.Fatal("MDMCRED_POSTGRES_DSN is not set: run under scripts/with-postgres.sh")
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			if err := f.Close(); err != nil {
				log.Print(err)
			}
		}()
	}
	var only []string
	if *opsFlag != "" {
		only = strings.Split(*opsFlag, ",")
	}
	if err := run(context.Background(), os.Stdout, routes, *n, *rounds, *pool, workers, only); err != nil {
		log.Print(err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// selected reports whether the operation name is kept by -ops (all are
// when it is empty).
func selected(name string, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, w := range only {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

type route struct{ name, dsn string }

// run measures every operation beside its floor on each route with a DSN,
// and writes the Markdown table to out.
func run(ctx context.Context, out io.Writer, routes []route, n, rounds, pool int, workers []int, only []string) error {
	fmt.Fprintf(out, "| operation | route | callers | ours µs/op | floor µs/op | ours / floor | p99 ours / floor ms |\n|---|---|---|---|---|---|---|\n")
	for _, r := range routes {
		if r.dsn == "" {
			continue
		}
		db, err := sql.Open("pgx", r.dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		db.SetMaxOpenConns(pool)
		db.SetMaxIdleConns(pool)
		if err := postgres.Migrate(ctx, db); err != nil {
			return err
		}
		all, err := ops(ctx, db, r.name)
		if err != nil {
			return err
		}
		for _, o := range all {
			if !selected(o.name, only) {
				continue
			}
			for _, w := range workers {
				var ours, floor, ratios []float64
				var p99o, p99f []time.Duration
				for round := range rounds {
					tag := fmt.Sprintf("%s-%d-%d-%d-", r.name, time.Now().UnixNano(), w, round)
					a, pa, b, pb, err := pair(o, tag, n, w, round%2 == 1)
					if err != nil {
						return err
					}
					ours, floor, p99o, p99f = append(ours, a), append(floor, b), append(p99o, pa), append(p99f, pb)
					ratios = append(ratios, a/b)
				}
				mo, mf := median(ours), median(floor)
				fmt.Fprintf(out, "| %s | %s | %d | %.0f | %.0f | %.2f | %.1f / %.1f |\n", o.name, r.name, w, mo, mf, median(ratios),
					ms(medianD(p99o)), ms(medianD(p99f)))
			}
		}
	}
	return nil
}

// pair measures ours and the floor back to back, the floor first when
// floorFirst (rounds alternate the order, so that neither side always
// runs on what the other left: dead rows, a checkpoint, a warm cache).
func pair(o op, tag string, n, w int, floorFirst bool) (a float64, pa time.Duration, b float64, pb time.Duration, err error) {
	if floorFirst {
		if b, pb, err = measure(o.floor, "f"+tag, n, w); err != nil {
			return 0, 0, 0, 0, fmt.Errorf("%s floor: %w", o.name, err)
		}
	}
	if a, pa, err = measure(o.ours, "o"+tag, n, w); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("%s: %w", o.name, err)
	}
	if !floorFirst {
		if b, pb, err = measure(o.floor, "f"+tag, n, w); err != nil {
			return 0, 0, 0, 0, fmt.Errorf("%s floor: %w", o.name, err)
		}
	}
	return a, pa, b, pb, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// measure runs n calls of f over w callers, each with its own key, and
// returns the wall time per call in µs and the p99 latency.
func measure(f func(context.Context, string) error, tag string, n, w int) (float64, time.Duration, error) {
	ctx := context.Background()
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	start := time.Now()
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				if err := f(ctx, tag+strconv.Itoa(i)); err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if failed != nil {
		return 0, 0, failed
	}
	slices.Sort(lat)
	return float64(wall.Microseconds()) / float64(n), lat[n*99/100], nil
}

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

func medianD(v []time.Duration) time.Duration {
	slices.Sort(v)
	return v[len(v)/2]
}

func ops(ctx context.Context, db *sql.DB, route string) ([]op, error) {
	pepper := bytes.Repeat([]byte{7}, 32)

	// Enrollment: one site, every caller typing the right passcode.
	es, err := enrollment.New(enrollment.Config{
		Store: postgres.NewEnrollmentStore(db), Alerter: nopAlerter{},
		Peppers: enrollment.NewKeys(map[uint8][]byte{1: pepper}), PepperID: 1,
	})
	if err != nil {
		return nil, err
	}
	site := fmt.Sprintf("floorbench-site-%s-%d", route, time.Now().UnixNano())
	pc, err := es.Generate(ctx, site, "admin@example.com")
	if err != nil {
		return nil, err
	}
	right := pc.Reveal()

	pins, err := otp.NewPINService(otp.PINConfig{Store: postgres.NewOTPStore(db), Peppers: otp.NewKeys(map[uint8][]byte{1: pepper}), PepperID: 1})
	if err != nil {
		return nil, err
	}
	totps, err := otp.NewTOTPService(otp.TOTPConfig{Store: postgres.NewOTPStore(db)})
	if err != nil {
		return nil, err
	}
	key, _, err := otp.Generate(otp.GenerateOpts{Issuer: "floorbench", Account: "a@example.com", Params: otp.Params{Algorithm: otp.SHA256}}) // SHA-256: FIPS 140-3 mode refuses SHA-1
	if err != nil {
		return nil, err
	}
	resets, err := passcode.New(passcode.Config{Store: postgres.NewPasscodeStore(db), SealKeys: passcode.NewKeys(map[uint8][]byte{1: pepper}), SealKeyID: 1})
	if err != nil {
		return nil, err
	}
	digest := bytes.Repeat([]byte{1}, 34)

	return []op{
		{
			name: "enroll (right passcode, one site)",
			ours: func(ctx context.Context, k string) error { return es.Verify(ctx, site, right, "192.0.2.1") },
			floor: func(ctx context.Context, k string) error {
				var d []byte
				if err := db.QueryRowContext(ctx, `SELECT digest FROM mdmcred_enrollment_passcode WHERE site = $1`, site).Scan(&d); err != nil {
					return err
				}
				_, err := db.ExecContext(ctx, `INSERT INTO mdmcred_enrollment_event (site, kind, at, source) VALUES ($1, 9, now(), $2)`, site, "192.0.2.1")
				return err
			},
		},
		{
			name: "PIN issue + verify",
			ours: func(ctx context.Context, k string) error {
				p, _, err := pins.Issue(ctx, "pin-"+k)
				if err != nil {
					return err
				}
				return pins.Verify(ctx, "pin-"+k, p.Reveal())
			},
			floor: func(ctx context.Context, k string) error {
				res, err := db.ExecContext(ctx, `
					INSERT INTO mdmcred_otp_pin AS p (user_name, digest, issued_at, expires_at, issue_window, issued)
					VALUES ($1, $2, now(), now() + interval '1 day', now(), 1)
					ON CONFLICT (user_name) DO UPDATE SET digest = EXCLUDED.digest, issued_at = EXCLUDED.issued_at,
						expires_at = EXCLUDED.expires_at, failures = 0, void = false,
						issue_window = CASE WHEN p.issue_window > now() - interval '1 hour' THEN p.issue_window ELSE now() END,
						issued = CASE WHEN p.issue_window > now() - interval '1 hour' THEN p.issued + 1 ELSE 1 END
					WHERE NOT p.blocked AND (p.issued < 5 OR p.issue_window <= now() - interval '1 hour')`,
					"pinf-"+k, digest)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n != 1 {
					return fmt.Errorf("floor PIN not issued")
				}
				res, err = db.ExecContext(ctx, `
					UPDATE mdmcred_otp_pin SET digest = '', issued_at = NULL, expires_at = NULL, consecutive = 0, last_failure = NULL
					WHERE user_name = $1 AND digest = $2 AND expires_at > now() AND NOT void AND NOT blocked`, "pinf-"+k, digest)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n != 1 {
					return fmt.Errorf("floor PIN not consumed")
				}
				return nil
			},
		},
		{
			name: "TOTP verify",
			ours: func(ctx context.Context, k string) error {
				code := string(otp.AppendTOTP(nil, key, time.Now()))
				_, err := totps.Verify(ctx, "totp-"+k, key, code)
				return err
			},
			floor: func(ctx context.Context, k string) error {
				step := time.Now().Unix() / 30
				_, err := db.ExecContext(ctx, `
					INSERT INTO mdmcred_otp_totp AS t (subject, next_step, drift) VALUES ($1, $2, 0)
					ON CONFLICT (subject) DO UPDATE SET next_step = EXCLUDED.next_step, drift = EXCLUDED.drift, failures = 0, last_failure = NULL
					WHERE t.next_step <= $2 AND NOT t.blocked`,
					"totpf-"+k, step+1)
				return err
			},
		},
		{
			name: "TOTP verify, new then returning",
			ours: func(ctx context.Context, k string) error {
				now := time.Now()
				if _, err := totps.Verify(ctx, "totp2-"+k, key, string(otp.AppendTOTP(nil, key, now))); err != nil {
					return err
				}
				_, err := totps.Verify(ctx, "totp2-"+k, key, string(otp.AppendTOTP(nil, key, now.Add(key.Period()))))
				return err
			},
			floor: func(ctx context.Context, k string) error {
				step := time.Now().Unix() / 30
				for _, next := range []int64{step + 1, step + 2} {
					if _, err := db.ExecContext(ctx, `
						INSERT INTO mdmcred_otp_totp AS t (subject, next_step, drift) VALUES ($1, $2, 0)
						ON CONFLICT (subject) DO UPDATE SET next_step = EXCLUDED.next_step, drift = EXCLUDED.drift, failures = 0, last_failure = NULL
						WHERE t.next_step <= $2 AND NOT t.blocked`,
						"totpf2-"+k, next); err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			name: "reset request",
			ours: func(ctx context.Context, k string) error {
				_, err := resets.Request(ctx, passcode.ResetRequest{
					Device: passcode.Device{ID: "dev-" + k, Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true, PasscodeSet: true},
					Actor:  "admin@example.com",
				})
				return err
			},
			floor: func(ctx context.Context, k string) error {
				_, err := db.ExecContext(ctx, `
					WITH r AS (
						INSERT INTO mdmcred_passcode_reset (id, device_id, platform, action, state, requested_by, requested_at, updated_at, stale_at, sealed, open_device, rev)
						VALUES ($1, $2, 1, 1, 1, 'admin@example.com', now(), now(), now() + interval '1 hour', $3, $2, 1)
						RETURNING id)
					INSERT INTO mdmcred_passcode_event (kind, reset_id, device_id, from_state, to_state, at, actor)
					SELECT 1, id, $2, 0, 1, now(), 'admin@example.com' FROM r`, "rf-"+k, "devf-"+k, digest)
				return err
			},
		},
	}, nil
}
