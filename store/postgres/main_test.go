package postgres_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mdmcred/mdmcred/internal/citest"
)

// skipped counts the tests that serverDSN skipped.
var skipped atomic.Int32

// noServerMessage says what happened when there is no server to test
// against.
const noServerMessage = "store/postgres: " + dsnEnv + " is not set, so %d tests that need a PostgreSQL server " +
	"were SKIPPED (only the pure ones ran). Run scripts/with-postgres.sh go test ./store/postgres/... " +
	"(or make test), which starts a throwaway server and PgBouncer, or set " + dsnEnv + "."

// TestMain makes a run without a server visible. go test shows a passing
// package's output only with -v, so the message also goes to the
// terminal (/dev/tty) when there is one. Under CI=true a missing server
// fails every test that needs it instead (serverDSN).
func TestMain(m *testing.M) {
	if os.Getenv(dsnEnv) != "" {
		os.Exit(m.Run())
	}
	if citest.On() {
		// serverDSN fails every test that needs the server; a run that
		// selects none (go test -run Allocs) still passes.
		fmt.Fprintln(os.Stderr, "store/postgres: "+dsnEnv+" is not set and CI=true: failing instead of skipping every test that needs a PostgreSQL server.")
		os.Exit(m.Run())
	}
	code := m.Run()
	if n := skipped.Load(); n > 0 {
		msg := fmt.Sprintf(noServerMessage, n)
		fmt.Fprintln(os.Stderr, msg)
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			fmt.Fprintln(tty, msg)
			_ = tty.Close()
		}
	}
	os.Exit(code)
}

// TestNoServerIsVisible runs this test binary again without a server: the
// skip is announced, and under CI=true the run fails.
func TestNoServerIsVisible(t *testing.T) {
	for _, tc := range []struct {
		ci       string
		wantFail bool
		want     string
	}{
		{"", false, "1 tests that need a PostgreSQL server were SKIPPED"},
		{"true", true, "CI=true: failing instead of skipping"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestCanceledContext$", "-test.count", "1")
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, dsnEnv+"=") && !strings.HasPrefix(kv, bouncerEnv+"=") && !strings.HasPrefix(kv, "CI=") {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "CI="+tc.ci)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != tc.wantFail {
			t.Errorf("CI=%q: run failed = %v (%v), want %v\n%s", tc.ci, failed, err, tc.wantFail, out)
		}
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("CI=%q: output does not say %q:\n%s", tc.ci, tc.want, out)
		}
	}
}
