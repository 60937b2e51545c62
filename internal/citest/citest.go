// Package citest is the one rule for a test whose tool or service is
// missing (a PostgreSQL server, PgBouncer, pg_ctl, zbarimg, chromium): under
// CI, where .ci/run installs all of them and exports CI=true, the test
// fails, so that nothing can pass in CI by skipping; on a developer's
// machine it skips and says how to get what is missing.
//
// Only tests import it.
package citest

import (
	"os"
	"testing"
)

// On reports whether the tests run under CI: the environment variable CI
// is "true".
func On() bool { return os.Getenv("CI") == "true" }

// Missing ends tb because what it needs is missing: what says what is
// missing, how says how to get it. Under CI it fails tb (t.Fatal);
// elsewhere it skips tb (t.Skip). Either way it ends the test's goroutine,
// as those do.
func Missing(tb testing.TB, what, how string) {
	tb.Helper()
	if On() {
		tb.Fatalf("%s under CI=true, where a test may not skip: %s", what, how)
		return // only a fake testing.TB gets here
	}
	tb.Skipf("%s: %s (under CI=true this fails instead of skipping)", what, how)
}
