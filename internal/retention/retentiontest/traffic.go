// Package retentiontest is the shared part of the purge conformance
// suites (servicepasstest, enrollmenttest, passcodetest, otptest): a purge
// racing the traffic that writes new rows. Only test kits import it.
package retentiontest

import (
	"sync"
	"sync/atomic"
	"testing"
)

// UnderTraffic runs writers goroutines, goroutine w calling write(w) once,
// alongside two purgers that each call purge until a call deletes
// nothing, and returns how many rows the purgers deleted in all. It waits
// for every goroutine, then fails t on the first error any of them
// returned. The caller checks what is left.
func UnderTraffic(t testing.TB, writers int, write func(w int) error, purge func() (int, error)) int64 {
	t.Helper()
	var deleted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers+2)
	for w := range writers {
		wg.Go(func() {
			if err := write(w); err != nil {
				errs <- err
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for {
				n, err := purge()
				if err != nil {
					errs <- err
					return
				}
				deleted.Add(int64(n))
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return deleted.Load()
}
