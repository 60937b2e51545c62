package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// Two *sql.DB pools on one schema stand for two instances of a host; each
// test races goroutines of both on the same rows.

const perInstance = 16

// raceInstances runs f in perInstance goroutines for each pool, released
// together.
func raceInstances(dbs []*sql.DB, f func(db *sql.DB, g int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, db := range dbs {
		for g := range perInstance {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				f(db, i*perInstance+g)
			}()
		}
	}
	close(start)
	wg.Wait()
}

func TestInstancesConsumePINOnce(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		dbs := instancesOn(t, r, 2)
		ctx := context.Background()
		pepper := make([]byte, 32)
		_, _ = rand.Read(pepper)
		svcs := map[*sql.DB]*otp.PINService{}
		for _, db := range dbs {
			svc, err := otp.NewPINService(otp.PINConfig{Store: postgres.NewOTPStore(db), Peppers: otp.NewKeys(map[uint8][]byte{1: pepper}), PepperID: 1})
			if err != nil {
				t.Fatal(err)
			}
			svcs[db] = svc
		}
		for round := range 5 {
			user := fmt.Sprintf("user-%d", round)
			pin, _, err := svcs[dbs[round%2]].Issue(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			var ok, gone, other atomic.Int32
			raceInstances(dbs, func(db *sql.DB, _ int) {
				switch err := svcs[db].Verify(ctx, user, pin.Reveal()); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, otp.ErrPINNotFound):
					gone.Add(1)
				default:
					other.Add(1)
					t.Errorf("Verify: %v", err)
				}
			})
			if ok.Load() != 1 || gone.Load() != 2*perInstance-1 {
				t.Fatalf("round %d: %d verifiers on 2 instances: %d consumed the PIN, %d found it gone; want 1 and %d",
					round, 2*perInstance, ok.Load(), gone.Load(), 2*perInstance-1)
			}
		}
	})
}

// lockAlerts counts lock alerts.
type lockAlerts struct{ n atomic.Int32 }

func (a *lockAlerts) SendLockAlert(context.Context, enrollment.Alert) error {
	a.n.Add(1)
	return nil
}

// TestInstancesCountFailuresLockOnce: two instances (a Service on each
// pool) race wrong attempts on one site; every failure counts once
// (load, compare-and-swap, again on conflict) and one attempt of one
// instance locks and alerts.
func TestInstancesCountFailuresLockOnce(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		dbs := instancesOn(t, r, 2)
		ctx := context.Background()
		const each = 25
		t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		alerts := &lockAlerts{}
		svcs := make(map[*sql.DB]*enrollment.Service)
		for _, db := range dbs {
			svc, err := enrollment.New(enrollment.Config{
				Store: postgres.NewEnrollmentStore(db), Alerter: alerts,
				Peppers: enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{7}, 32)}), PepperID: 1,
				Threshold: enrollment.MaxThreshold, SourceThreshold: enrollment.MaxThreshold, RateFailures: 1 << 30,
				Now: func() time.Time { return t0 },
			})
			if err != nil {
				t.Fatal(err)
			}
			svcs[db] = svc
		}
		pc, err := svcs[dbs[0]].Generate(ctx, "site-a", "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		wrong := []byte(pc.Reveal())
		wrong[11] ^= 1 // still a letter or digit of the same class: a typo
		var just, errs atomic.Int32
		raceInstances(dbs, func(db *sql.DB, g int) {
			for range each {
				err := svcs[db].Verify(ctx, "site-a", string(wrong), fmt.Sprintf("g%d", g))
				var ae *enrollment.AttemptError
				if !errors.As(err, &ae) {
					errs.Add(1)
					t.Error(err)
					continue
				}
				if ae.JustLocked {
					just.Add(1)
					if ae.Failures != enrollment.MaxThreshold || ae.Rule != enrollment.RuleConsecutive {
						t.Errorf("locked at count %d by %v, want %d by consecutive", ae.Failures, ae.Rule, enrollment.MaxThreshold)
					}
				}
			}
		})
		got, err := postgres.NewEnrollmentStore(dbs[1]).Load(ctx, "site-a")
		if err != nil {
			t.Fatal(err)
		}
		if errs.Load() != 0 || just.Load() != 1 || alerts.n.Load() != 1 || got.Failures != 2*perInstance*each || !got.Locked || !got.LockedAt.Equal(t0) {
			t.Fatalf("%d errors, JustLocked %d times, %d alerts, count %d, locked %v at %v; want 0, 1, 1, %d, true at %v",
				errs.Load(), just.Load(), alerts.n.Load(), got.Failures, got.Locked, got.LockedAt, 2*perInstance*each, t0)
		}
	})
}

func TestInstancesPutDigestOnce(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		dbs := instancesOn(t, r, 2)
		ctx := context.Background()
		var ok, dup atomic.Int32
		raceInstances(dbs, func(db *sql.DB, g int) {
			switch err := putRecord(ctx, postgres.NewEnrollmentStore(db), enrollment.Record{Site: fmt.Sprintf("site-%d", g), Digest: []byte("same")}); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, enrollment.ErrDuplicate):
				dup.Add(1)
			default:
				t.Errorf("Put: %v", err)
			}
		})
		if ok.Load() != 1 || dup.Load() != 2*perInstance-1 {
			t.Fatalf("%d Puts of one digest: %d stored, %d refused; want 1 and %d", 2*perInstance, ok.Load(), dup.Load(), 2*perInstance-1)
		}
	})
}

func TestInstancesOneOpenResetPerDevice(t *testing.T) {
	forRoutes(t, func(t *testing.T, r route) {
		dbs := instancesOn(t, r, 2)
		ctx := context.Background()
		t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
		services := make(map[*sql.DB]*passcode.Service)
		for _, db := range dbs {
			svc, err := passcode.New(passcode.Config{Store: postgres.NewPasscodeStore(db), SealKeyID: 1,
				SealKeys: passcode.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{7}, 32)}), Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			services[db] = svc
		}
		for round := range 3 {
			device := fmt.Sprintf("device-%d", round)
			var won atomic.Value
			var wins, busy atomic.Int32
			raceInstances(dbs, func(db *sql.DB, g int) {
				res, err := services[db].Request(ctx, passcode.ResetRequest{Actor: "admin",
					Device: passcode.Device{ID: device, Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true}})
				switch {
				case err == nil:
					wins.Add(1)
					won.Store(res.Reset)
				case errors.Is(err, passcode.ErrResetInProgress):
					busy.Add(1)
				default:
					t.Errorf("Request: %v", err)
				}
			})
			if wins.Load() != 1 || busy.Load() != 2*perInstance-1 {
				t.Fatalf("%d Creates for one device: %d opened a reset, %d refused; want 1 and %d", 2*perInstance, wins.Load(), busy.Load(), 2*perInstance-1)
			}
			opened := won.Load().(passcode.Reset)
			id := opened.ID
			// Both instances race to write it on from its first revision;
			// exactly one wins, and then the device is free for a new reset.
			var moved, changed atomic.Int32
			raceInstances(dbs, func(db *sql.DB, g int) {
				to := []passcode.State{passcode.Pending, passcode.Failed, passcode.Expired}[g%3]
				next := opened
				next.State, next.Rev = to, 2
				if !to.Open() {
					next.OpenDevice = ""
				}
				ev := passcode.Event{Kind: passcode.EventTransition, ResetID: id, DeviceID: device, From: passcode.Requested, To: to, At: t0}
				switch err := postgres.NewPasscodeStore(db).Write(ctx, next, 1, []passcode.Event{ev}); {
				case err == nil:
					moved.Add(1)
				case errors.Is(err, passcode.ErrConflict):
					changed.Add(1)
				default:
					t.Errorf("Write: %v", err)
				}
			})
			if moved.Load() != 1 || changed.Load() != 2*perInstance-1 {
				t.Fatalf("%d transitions from Requested: %d won; want 1", 2*perInstance, moved.Load())
			}
			s := postgres.NewPasscodeStore(dbs[round%2])
			if r, err := services[dbs[round%2]].Get(ctx, id); err == nil && r.State.Open() {
				// Moved to Pending: close it so the next round's device
				// check starts clean.
				if _, err := services[dbs[round%2]].Transition(ctx, id, passcode.Failed, "mdm"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Open(ctx, device); !errors.Is(err, passcode.ErrNotFound) {
				t.Fatalf("Open after close: %v, want ErrNotFound", err)
			}
			evs, err := s.Events(ctx, passcode.EventQuery{ResetID: id})
			if err != nil || len(evs) < 2 || len(evs) > 3 || !bytes.Equal([]byte(evs[0].ResetID), []byte(id)) {
				t.Fatalf("events of %s: %d, %v", id, len(evs), err)
			}
		}
	})
}
