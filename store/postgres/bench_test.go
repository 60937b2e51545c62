package postgres_test

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// Throughput of the two hot must-happen-once operations against the real
// server, with 1, 8 and 32 concurrent callers. ns/op is wall time per
// operation over all callers (throughput = 1e9 / ns/op per second).
//
// The floor, measured here too at the same concurrency, is what any store
// pays per operation on this server: BenchmarkFloor/statement is one
// round trip (SELECT 1, what RecordFailure costs at least) and
// BenchmarkFloor/transaction is BEGIN, one statement, a second statement
// and COMMIT (four round trips, what a locking Update costs at least).

var callerCounts = []int{1, 8, 32}

// fanOut runs b.N calls of f spread over callers goroutines.
func fanOut(b *testing.B, callers int, f func(caller, i int) error) {
	b.Helper()
	b.ReportAllocs()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := f(c, int(i)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func benchDB(b *testing.B, callers int) *sql.DB {
	b.Helper()
	db := migrated(b)
	db.SetMaxOpenConns(callers)
	db.SetMaxIdleConns(callers)
	return db
}

func BenchmarkFloor(b *testing.B) {
	ctx := context.Background()
	for _, n := range callerCounts {
		b.Run(fmt.Sprintf("statement/callers=%d", n), func(b *testing.B) {
			db := benchDB(b, n)
			fanOut(b, n, func(int, int) error {
				_, err := db.ExecContext(ctx, `SELECT 1`)
				return err
			})
		})
		b.Run(fmt.Sprintf("transaction/callers=%d", n), func(b *testing.B) {
			db := benchDB(b, n)
			fanOut(b, n, func(int, int) error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer func() { _ = tx.Rollback() }()
				if _, err := tx.ExecContext(ctx, `SELECT 1`); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `SELECT 2`); err != nil {
					return err
				}
				return tx.Commit()
			})
		})
	}
}

// BenchmarkRecordFailure counts failed company-passcode attempts as the
// Service does (Load, then Write's compare-and-swap, again on a
// conflict): on one site (every caller contends for one row, as in a
// brute-force attack on one passcode) and on a site per caller.
func BenchmarkRecordFailure(b *testing.B) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, spread := range []string{"one-site", "site-per-caller"} {
		for _, n := range callerCounts {
			b.Run(fmt.Sprintf("%s/callers=%d", spread, n), func(b *testing.B) {
				s := postgres.NewEnrollmentStore(benchDB(b, n))
				sites := make([]string, n)
				for c := range sites {
					sites[c] = "site-0"
					if spread == "site-per-caller" {
						sites[c] = fmt.Sprintf("site-%d", c)
					}
					_ = putRecord(ctx, s, enrollment.Record{Site: sites[c], Digest: []byte(sites[c]), GeneratedAt: t0})
				}
				fanOut(b, n, func(c, i int) error {
					for {
						r, err := s.Load(ctx, sites[c])
						if err != nil {
							return err
						}
						l := r.Lockout
						l.Failures++
						l.LastFailure, l.LastSource = t0.Add(time.Duration(i)*time.Millisecond), "10.0.0.1"
						if err := writeLockout(ctx, s, r, l); !errors.Is(err, enrollment.ErrConflict) {
							return err
						}
					}
				})
			})
		}
	}
}

// BenchmarkConsumePIN consumes one-time PINs: each operation is the
// store's locking Update that checks the digest in constant time and
// removes the record. The b.N records are put in bulk before the timer
// starts.
func BenchmarkConsumePIN(b *testing.B) {
	ctx := context.Background()
	digest := make([]byte, 34)
	for _, n := range callerCounts {
		b.Run(fmt.Sprintf("callers=%d", n), func(b *testing.B) {
			db := benchDB(b, n)
			if _, err := db.ExecContext(ctx, `
				INSERT INTO mdmcred_otp_pin (user_name, digest, issued_at, expires_at)
				SELECT 'user-' || g, $2, now(), now() + interval '1 hour' FROM generate_series(0, $1 - 1) g`,
				b.N, digest); err != nil {
				b.Fatal(err)
			}
			s := postgres.NewOTPStore(db)
			fanOut(b, n, func(_, i int) error {
				r, err := s.Load(ctx, fmt.Sprintf("user-%d", i))
				if err != nil {
					return err
				}
				if subtle.ConstantTimeCompare(r.Digest, digest) != 1 {
					return fmt.Errorf("user-%d: PIN not consumed", i)
				}
				r.Digest, r.Rev = nil, r.Rev+1
				return s.Write(ctx, r, r.Rev-1)
			})
		})
	}
}
