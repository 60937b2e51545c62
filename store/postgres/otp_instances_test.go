package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/otp/otptest"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// TestInstancesAcceptTOTPCodeOnce races one code from goroutines of two
// instances (two pools) in each of otptest.TOTPTrials trials: exactly one
// acceptance per trial, directly and through PgBouncer.
func TestInstancesAcceptTOTPCodeOnce(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) { testInstancesAcceptTOTPCodeOnce(t, instancesOn(t, r, 2)) })
}

func testInstancesAcceptTOTPCodeOnce(t *testing.T, dbs []*sql.DB) {
	ctx := context.Background()
	clock := mdmcredtest.NewClock(time.Date(2026, 3, 1, 9, 0, 10, 0, time.UTC))
	key := otptest.TOTPKey()
	code := otp.TOTP(key, clock.Now()).Reveal()
	svcs := map[*sql.DB]*otp.TOTPService{}
	for _, db := range dbs {
		svc, err := otp.NewTOTPService(otp.TOTPConfig{Store: postgres.NewOTPStore(db), Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		svcs[db] = svc
	}
	for trial := range otptest.TOTPTrials {
		subject := fmt.Sprintf("subject-%d", trial)
		var ok, replay atomic.Int32
		raceInstancesN(dbs, otptest.TOTPRacers/2, func(db *sql.DB, _ int) {
			switch _, err := svcs[db].Verify(ctx, subject, key, code); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, otp.ErrReplay):
				replay.Add(1)
			default:
				t.Errorf("Verify: %v", err)
			}
		})
		if ok.Load() != 1 || replay.Load() != otptest.TOTPRacers-1 {
			t.Fatalf("trial %d: %d verifiers on 2 instances: %d accepted, %d replays; want 1 and %d",
				trial, otptest.TOTPRacers, ok.Load(), replay.Load(), otptest.TOTPRacers-1)
		}
	}
}

// TestInstancesPINFailureCapAcrossReissue: wrong PINs from two instances,
// across re-issued PINs, stop at the cap exactly.
func TestInstancesPINFailureCapAcrossReissue(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) { testInstancesPINFailureCapAcrossReissue(t, instancesOn(t, r, 2)) })
}

func testInstancesPINFailureCapAcrossReissue(t *testing.T, dbs []*sql.DB) {
	ctx := context.Background()
	clock := mdmcredtest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	pepper := otp.NewKeys(map[uint8][]byte{1: make([]byte, 32)})
	svcs := map[*sql.DB]*otp.PINService{}
	for _, db := range dbs {
		svc, err := otp.NewPINService(otp.PINConfig{Store: postgres.NewOTPStore(db), Peppers: pepper, PepperID: 1,
			MaxAttempts: otp.MaxPINMaxAttempts, IssueLimit: otp.MaxPINIssueLimit, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		svcs[db] = svc
	}
	var counted, refused atomic.Int32
	for round := range 5 {
		pin, _, err := svcs[dbs[round%2]].Issue(ctx, "alice")
		if errors.Is(err, otp.ErrBlocked) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		wrong := []byte(pin.Reveal())
		wrong[0] = '0' + (wrong[0]-'0'+1)%10
		raceInstances(dbs, func(db *sql.DB, _ int) {
			switch err := svcs[db].Verify(ctx, "alice", string(wrong)); {
			case errors.Is(err, otp.ErrPINInvalid):
				counted.Add(1)
			case errors.Is(err, otp.ErrPINLocked), errors.Is(err, otp.ErrBlocked):
				refused.Add(1)
			default:
				t.Errorf("Verify: %v", err)
			}
		})
	}
	if counted.Load() != otp.MaxConsecutiveFailures {
		t.Fatalf("counted %d wrong PINs across re-issues on 2 instances, want exactly %d", counted.Load(), otp.MaxConsecutiveFailures)
	}
	if _, _, err := svcs[dbs[0]].Issue(ctx, "alice"); !errors.Is(err, otp.ErrBlocked) {
		t.Fatalf("Issue at the cap: %v, want ErrBlocked", err)
	}
}

// raceInstancesN is raceInstances with n goroutines per pool.
func raceInstancesN(dbs []*sql.DB, n int, f func(db *sql.DB, g int)) {
	done := make(chan struct{})
	start := make(chan struct{})
	total := 0
	for i, db := range dbs {
		for g := range n {
			total++
			go func() {
				<-start
				f(db, i*n+g)
				done <- struct{}{}
			}()
		}
	}
	close(start)
	for range total {
		<-done
	}
}
