package postgres_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/internal/citest"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// pgCtlEnv names the pg_ctl command line of the test server (set by
// scripts/with-postgres.sh), which the restart test runs.
const pgCtlEnv = "MDMCRED_PG_CTL"

// TestStatementStopsAtTheCallersDeadline: a Write that disables, blocked on a row lock
// gives up at its context's deadline, on the client and on the server: the
// driver sends a cancel request, so the server does not disable the
// passcode later, when the lock is released. Directly only: see open
// for PgBouncer 1.18 and cancel requests.
func TestStatementStopsAtTheCallersDeadline(t *testing.T) {
	{
		r := direct
		db := migratedOn(t, r)
		ctx := context.Background()
		s := postgres.NewEnrollmentStore(db)
		if err := putRecord(ctx, s, enrollment.Record{Site: "s", Digest: []byte("d")}); err != nil {
			t.Fatal(err)
		}
		holder, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = holder.Rollback() }()
		if _, err := holder.ExecContext(ctx, `SELECT 1 FROM mdmcred_enrollment_passcode WHERE site = 's' FOR UPDATE`); err != nil {
			t.Fatal(err)
		}
		const deadline = 300 * time.Millisecond
		cctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		start := time.Now()
		next := enrollment.Record{Site: "s", Digest: []byte("d"), Disabled: true, DisabledAt: time.Now(), DisabledBy: "admin", Rev: 2}
		err = s.Write(cctx, next, 1, nil)
		took := time.Since(start)
		if err == nil {
			t.Fatal("Disable blocked on a row lock succeeded")
		}
		if took > deadline+2*time.Second {
			t.Errorf("Disable returned %v after its deadline", took-deadline)
		}
		// The server gave up too: once the lock is released, nothing
		// changes.
		time.Sleep(200 * time.Millisecond)
		if err := holder.Rollback(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		rec, err := s.Load(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		if rec.Disabled {
			t.Error("the canceled Disable took effect after all")
		}
	}
}

// TestRestartUnderLoad restarts the server (pg_ctl restart -m fast, then
// -m immediate) while 32 workers on two instances run mixed operations.
// Every operation has a 3-second deadline and must return within it (plus
// a grace for the driver's cancel request); work must resume on the same
// pools; and the invariants must hold after: no PIN consumed twice, failure
// counts at least the successful failures (casFailure) and at most those plus
// the failed ones, at most one JustLocked per lock, at most one open reset
// per device. It runs directly and through PgBouncer, which reconnects to
// the restarted server.
func TestRestartUnderLoad(t *testing.T) {
	serverDSN(t)
	pgctl := os.Getenv(pgCtlEnv)
	if pgctl == "" {
		citest.Missing(t, pgCtlEnv+" is not set", "run the tests with scripts/with-postgres.sh to restart a throwaway server")
	}
	forRoutes(t, func(t *testing.T, r route) { testRestartUnderLoad(t, r, pgctl) })
}

func testRestartUnderLoad(t *testing.T, r route, pgctl string) {
	dbs := instancesOn(t, r, 2)
	ctx := context.Background()
	pepper := make([]byte, 32)
	_, _ = rand.Read(pepper)
	pins := make([]*otp.PINService, 2)
	for i, db := range dbs {
		svc, err := otp.NewPINService(otp.PINConfig{Store: postgres.NewOTPStore(db), Peppers: otp.NewKeys(map[uint8][]byte{1: pepper}), PepperID: 1})
		if err != nil {
			t.Fatal(err)
		}
		pins[i] = svc
	}
	const sites, threshold, devices = 4, 20, 16
	for i := range sites {
		if err := putRecord(ctx, postgres.NewEnrollmentStore(dbs[0]), enrollment.Record{Site: fmt.Sprintf("site-%d", i), Digest: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}

	const workers, opTimeout, grace = 32, 3 * time.Second, 2 * time.Second
	var (
		stop                       atomic.Bool
		phase                      atomic.Int32 // 0 before, 1 restarting, 2 after both restarts
		okAfter, errs, hung, total atomic.Int64
		pinMu                      sync.Mutex
		pinUses                    = map[string]int{} // user -> successful Verifies of its one PIN
		failOK, failErr            [sites]atomic.Int64
		justLocked                 [sites]atomic.Int64
	)
	op := func(f func(ctx context.Context) error) error {
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		start := time.Now()
		err := f(octx)
		if d := time.Since(start); d > opTimeout+grace {
			hung.Add(1)
			t.Errorf("an operation took %v (deadline %v): %v", d, opTimeout, err)
		}
		total.Add(1)
		if err != nil {
			errs.Add(1)
		} else if phase.Load() == 2 {
			okAfter.Add(1)
		}
		return err
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := dbs[w%2]
			for i := 0; !stop.Load(); i++ {
				switch i % 4 {
				case 0: // a PIN, verified by two goroutines at once
					user := fmt.Sprintf("u-%d-%d", w, i)
					var pin otp.PIN
					if op(func(ctx context.Context) error {
						p, _, err := pins[w%2].Issue(ctx, user)
						pin = p
						return err
					}) != nil {
						continue
					}
					var vg sync.WaitGroup
					for v := range 2 {
						vg.Add(1)
						go func() {
							defer vg.Done()
							if op(func(ctx context.Context) error { return pins[(w+v)%2].Verify(ctx, user, pin.Reveal()) }) == nil {
								pinMu.Lock()
								pinUses[user]++
								pinMu.Unlock()
							}
						}()
					}
					vg.Wait()
				case 1: // a failed company-passcode attempt
					site := (w + i) % sites
					var just bool
					err := op(func(ctx context.Context) (err error) {
						just, err = casFailure(ctx, postgres.NewEnrollmentStore(db), fmt.Sprintf("site-%d", site), time.Now(), "w", threshold)
						return err
					})
					if err != nil {
						failErr[site].Add(1)
						continue
					}
					failOK[site].Add(1)
					if just {
						justLocked[site].Add(1)
					}
				case 2: // open a reset on a shared device and close it
					device := fmt.Sprintf("dev-%d", (w+i)%devices)
					id := fmt.Sprintf("r-%d-%d", w, i)
					now := time.Now()
					rs := postgres.NewPasscodeStore(db)
					r := passcode.Reset{ID: id, DeviceID: device, Platform: passcode.AndroidDeviceOwner, Action: passcode.SetPasscode,
						State: passcode.Requested, RequestedAt: now, UpdatedAt: now, StaleAt: now.Add(time.Hour), OpenDevice: device, Rev: 1}
					ev := passcode.Event{Kind: passcode.EventTransition, ResetID: id, DeviceID: device, To: passcode.Requested, At: now}
					if op(func(ctx context.Context) error { return rs.Write(ctx, r, 0, []passcode.Event{ev}) }) != nil {
						continue
					}
					ev.From, ev.To = passcode.Requested, passcode.Failed
					closed := r
					closed.State, closed.OpenDevice, closed.Rev = passcode.Failed, "", 2
					_ = op(func(ctx context.Context) error {
						return rs.Write(ctx, closed, 1, []passcode.Event{ev})
					})
				case 3: // an audit event
					_ = op(func(ctx context.Context) error {
						return postgres.NewServicepassStore(db).Record(ctx, servicepass.Event{Type: servicepass.EventIssued, At: time.Now(), DeviceID: "dev", Serial: uint32(i)})
					})
				}
			}
		}()
	}
	restart := func(mode string) {
		t.Helper()
		fields := strings.Fields(pgctl)
		out, err := exec.Command(fields[0], append(fields[1:], "restart", "-m", mode)...).CombinedOutput()
		if err != nil {
			t.Errorf("pg_ctl restart -m %s: %v\n%s", mode, err, out)
		}
	}
	time.Sleep(time.Second)
	phase.Store(1)
	restart("fast")
	time.Sleep(time.Second)
	restart("immediate")
	dropIdleConnections()
	phase.Store(2)
	time.Sleep(3 * time.Second)
	stop.Store(true)
	wg.Wait()

	t.Logf("%d operations, %d failed (during the restarts), %d succeeded after them", total.Load(), errs.Load(), okAfter.Load())
	if hung.Load() != 0 {
		t.Errorf("%d operations outlived their deadline", hung.Load())
	}
	if okAfter.Load() == 0 {
		t.Fatal("no operation succeeded after the restarts: the pools did not recover")
	}
	for user, n := range pinUses {
		if n > 1 {
			t.Errorf("the PIN of %s was consumed %d times", user, n)
		}
	}
	locks := 0
	for i := range sites {
		rec, err := postgres.NewEnrollmentStore(dbs[1]).Load(ctx, fmt.Sprintf("site-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := failOK[i].Load(), failOK[i].Load()+failErr[i].Load()
		if int64(rec.Failures) < lo || int64(rec.Failures) > hi {
			t.Errorf("site-%d: %d failures counted; %d calls succeeded and %d failed", i, rec.Failures, lo, hi-lo)
		}
		// One alert per lock: at most one JustLocked, and none without
		// a lock. (The locking call may be one whose commit was in
		// flight and reported an error: then none saw JustLocked.)
		if n := justLocked[i].Load(); n > 1 || (n == 1 && !rec.Locked) {
			t.Errorf("site-%d: JustLocked %d times (locked %v at %d failures)", i, n, rec.Locked, rec.Failures)
		}
		if rec.Locked {
			locks++
		}
		if rec.Locked != (rec.Failures >= threshold) {
			t.Errorf("site-%d: locked %v at %d failures, threshold %d", i, rec.Locked, rec.Failures, threshold)
		}
	}
	t.Logf("%d of %d sites locked", locks, sites)
	if locks == 0 {
		t.Error("no site reached the threshold: the lock invariant was not exercised")
	}
	var doubled int
	if err := dbs[0].QueryRowContext(ctx, `SELECT count(*) FROM (SELECT device_id FROM mdmcred_passcode_reset
		WHERE state IN (1, 2, 3) GROUP BY device_id HAVING count(*) > 1) d`).Scan(&doubled); err != nil {
		t.Fatal(err)
	}
	if doubled != 0 {
		t.Errorf("%d devices have more than one open reset", doubled)
	}
	// Every kind of operation works again on both pools.
	for i, db := range dbs {
		if _, err := casFailure(ctx, postgres.NewEnrollmentStore(db), "site-0", time.Now(), "after", threshold); err != nil {
			t.Errorf("instance %d: a failure after the restarts: %v", i, err)
		}
		if _, _, err := pins[i].Issue(ctx, "after"); err != nil {
			t.Errorf("instance %d: Issue after the restarts: %v", i, err)
		}
	}
}
