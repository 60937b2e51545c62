package enrollment_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
)

func TestNewConfigErrors(t *testing.T) {
	good := func() enrollment.Config {
		return enrollment.Config{Store: enrollment.NewMemStore(), Alerter: &recorder{}, Peppers: enrollment.NewKeys(map[uint8][]byte{1: pepper(1)}), PepperID: 1}
	}
	tests := []struct {
		name  string
		mod   func(*enrollment.Config)
		field string
	}{
		{"no store", func(c *enrollment.Config) { c.Store = nil }, "Store"},
		{"no alerter", func(c *enrollment.Config) { c.Alerter = nil }, "Alerter"},
		{"no peppers", func(c *enrollment.Config) { c.Peppers = enrollment.Keys{} }, "Peppers"},
		{"current pepper missing", func(c *enrollment.Config) { c.PepperID = 2 }, "Peppers"},
		{"short pepper", func(c *enrollment.Config) { c.Peppers = enrollment.NewKeys(map[uint8][]byte{1: make([]byte, 31)}) }, "Peppers"},
		{"negative threshold", func(c *enrollment.Config) { c.Threshold = -1 }, "Threshold"},
		{"threshold above the NIST bound", func(c *enrollment.Config) { c.Threshold = enrollment.MaxThreshold + 1 }, "Threshold"},
		{"threshold of a million", func(c *enrollment.Config) { c.Threshold = 1_000_000 }, "Threshold"},
		{"negative source threshold", func(c *enrollment.Config) { c.SourceThreshold = -1 }, "SourceThreshold"},
		{"source threshold above the NIST bound", func(c *enrollment.Config) { c.SourceThreshold = enrollment.MaxThreshold + 1 }, "SourceThreshold"},
		{"negative rate failures", func(c *enrollment.Config) { c.RateFailures = -1 }, "RateFailures"},
		{"negative rate window", func(c *enrollment.Config) { c.RateWindow = -time.Minute }, "RateWindow"},
		{"rate window under a minute", func(c *enrollment.Config) { c.RateWindow = enrollment.MinRateWindow - time.Second }, "RateWindow"},
		{"negative alert timeout", func(c *enrollment.Config) { c.AlertTimeout = -time.Second }, "AlertTimeout"},
		{"negative retention", func(c *enrollment.Config) { c.RevealFor = -time.Second }, "RevealFor"},
		{"bad seal key", func(c *enrollment.Config) { c.SealKeys = enrollment.NewKeys(map[uint8][]byte{0: make([]byte, 16)}) }, "SealKeys"},
		{"current seal key missing", func(c *enrollment.Config) { c.SealKeys = enrollment.NewKeys(map[uint8][]byte{1: make([]byte, 32)}) }, "SealKeys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good()
			tt.mod(&cfg)
			_, err := enrollment.New(cfg)
			if !isParam(err, tt.field) {
				t.Fatalf("New = %v, want a *ParamError on %s", err, tt.field)
			}
		})
	}
	for _, th := range []int{1, enrollment.MaxThreshold} {
		cfg := good()
		cfg.Threshold = th
		if svc, err := enrollment.New(cfg); err != nil || svc.Threshold() != th {
			t.Fatalf("Threshold %d: %v", th, err)
		}
	}
	// Every bound is inclusive: the values at it are accepted.
	for name, mod := range map[string]func(*enrollment.Config){
		"source threshold at the NIST bound": func(c *enrollment.Config) { c.SourceThreshold = enrollment.MaxThreshold },
		"source threshold 1":                 func(c *enrollment.Config) { c.SourceThreshold = 1 },
		"rate window at its minimum":         func(c *enrollment.Config) { c.RateWindow = enrollment.MinRateWindow },
		"one rate failure":                   func(c *enrollment.Config) { c.RateFailures = 1 },
		"alert timeout 1 ns":                 func(c *enrollment.Config) { c.AlertTimeout = time.Nanosecond },
		"reveal for 1 ns":                    func(c *enrollment.Config) { c.RevealFor = time.Nanosecond },
	} {
		cfg := good()
		mod(&cfg)
		if _, err := enrollment.New(cfg); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	svc, err := enrollment.New(good())
	if err != nil || svc.Threshold() != enrollment.DefaultThreshold {
		t.Fatalf("defaults: %v, threshold %d", err, svc.Threshold())
	}
}

func TestArgumentChecks(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.generate(t, "site")
	// The old rule let through invisible formatting characters; ident refuses them.
	sites := []string{"", strings.Repeat("s", enrollment.MaxSiteLen+1), "a\x00b", "a\nb", "\xff", "a\u0085b",
		"site\u202etxt.exe", "a\u200bb", "\ufeffsite", "a\u00adb", "a\U000E0041b", "a\uffffb"}
	for _, site := range sites {
		if _, err := f.svc.Generate(ctx, site, "a@example.com"); !isParam(err, "site") {
			t.Errorf("Generate(%q): %v", site, err)
		}
		if err := f.svc.Verify(ctx, site, "aB3dE5gH7jK9", ""); !isParam(err, "site") {
			t.Errorf("Verify(%q): %v", site, err)
		}
		if _, err := f.svc.Status(ctx, site); !isParam(err, "site") {
			t.Errorf("Status(%q): %v", site, err)
		}
	}
	for _, who := range []string{"", "admin", "Admin <admin@example.com>", "a@b@c", strings.Repeat("a", 320) + "@example.com"} {
		if _, err := f.svc.Generate(ctx, "site", who); !isParam(err, "actor") {
			t.Errorf("Generate by %q: %v", who, err)
		}
		if err := f.svc.Disable(ctx, "site", who); !isParam(err, "actor") {
			t.Errorf("Disable by %q: %v", who, err)
		}
	}
}

func TestGenerateAndStatus(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if _, err := f.svc.Status(ctx, "site"); !errors.Is(err, enrollment.ErrNoPasscode) {
		t.Fatalf("Status before Generate: %v", err)
	}
	code := f.generate(t, "site")
	if !enrollmenttest.ValidShape(code) {
		t.Fatalf("generated %d chars of bad shape", len(code))
	}
	st, err := f.svc.Status(ctx, "site")
	if err != nil {
		t.Fatal(err)
	}
	want := enrollment.Status{Site: "site", State: enrollment.StateActive, GeneratedAt: t0, GeneratedBy: "admin@example.com"}
	if st != want {
		t.Fatalf("Status = %+v, want %+v", st, want)
	}
	rec, _ := f.store.Load(ctx, "site")
	if bytes.Contains(rec.Digest, []byte(code)) || rec.Sealed != nil {
		t.Fatal("the store holds the passcode or a sealed copy without opting in")
	}

	// A second Generate replaces the first.
	f.clock.Advance(time.Hour)
	code2 := f.generate(t, "site")
	if code2 == code {
		t.Fatal("the same passcode twice")
	}
	if err := f.svc.Verify(ctx, "site", code, "ip"); !errors.Is(err, enrollment.ErrWrongPasscode) {
		t.Fatalf("old passcode: %v", err)
	}
	if err := f.svc.Verify(ctx, "site", code2, "ip"); err != nil {
		t.Fatalf("new passcode: %v", err)
	}
	st, _ = f.svc.Status(ctx, "site")
	if !st.GeneratedAt.Equal(t0.Add(time.Hour)) || st.FailedAttempts != 1 || st.LastSource != "ip" || st.State != enrollment.StateActive {
		t.Fatalf("Status = %+v", st)
	}
	got := kinds(t, f.store, "site")
	wantKinds := []enrollment.EventKind{enrollment.EventGenerated, enrollment.EventGenerated, enrollment.EventFailed, enrollment.EventUsed}
	if !equalKinds(got, wantKinds) {
		t.Fatalf("events %v, want %v", got, wantKinds)
	}
}

func equalKinds(a, b []enrollment.EventKind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestVerifyTable(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f fixture) // after Generate
		input   func(code string) string
		want    error // nil for success
		counted bool
	}{
		{"correct", nil, func(c string) string { return c }, nil, false},
		{"surrounding space", nil, func(c string) string { return " \t" + c + "\r\n" }, nil, false},
		{"wrong case", nil, func(c string) string { return swapCase(c) }, enrollment.ErrWrongPasscode, true},
		{"wrong", nil, wrong, enrollment.ErrWrongPasscode, true},
		{"short", nil, func(c string) string { return c[:11] }, enrollment.ErrMalformed, true},
		{"long", nil, func(c string) string { return c + "x" }, enrollment.ErrMalformed, true},
		{"inner space", nil, func(c string) string { return c[:6] + " " + c[6:11] }, enrollment.ErrMalformed, true},
		{"bad char", nil, func(c string) string { return c[:11] + "!" }, enrollment.ErrMalformed, true},
		{"empty", nil, func(string) string { return "" }, enrollment.ErrMalformed, true},
		{"disabled", func(f fixture) {
			if err := f.svc.Disable(context.Background(), "site", "a@example.com"); err != nil {
				panic(err)
			}
		}, func(c string) string { return c }, enrollment.ErrDisabled, false},
		{"locked", func(f fixture) {
			for range enrollment.DefaultThreshold {
				_ = f.svc.Verify(context.Background(), "site", "", "")
			}
		}, func(c string) string { return c }, enrollment.ErrLocked, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			code := f.generate(t, "site")
			if tt.setup != nil {
				tt.setup(f)
			}
			before, _ := f.svc.Status(context.Background(), "site")
			err := f.svc.Verify(context.Background(), "site", tt.input(code), "10.1.2.3")
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), code) {
				t.Fatal("the error holds the passcode")
			}
			after, _ := f.svc.Status(context.Background(), "site")
			if counted := after.FailedAttempts == before.FailedAttempts+1; counted != tt.counted {
				t.Fatalf("failures %d -> %d, counted want %v", before.FailedAttempts, after.FailedAttempts, tt.counted)
			}
			if tt.counted {
				var ae *enrollment.AttemptError
				if !errors.As(err, &ae) || ae.Failures != after.FailedAttempts {
					t.Fatalf("error %v is not an AttemptError with the count", err)
				}
				if after.LastSource != "10.1.2.3" || !after.LastFailure.Equal(t0) {
					t.Fatalf("last failure %v from %q", after.LastFailure, after.LastSource)
				}
			}
		})
	}
	f := newFixture(t, nil)
	if err := f.svc.Verify(context.Background(), "nosite", "aB3dE5gH7jK9", ""); !errors.Is(err, enrollment.ErrNoPasscode) {
		t.Fatalf("Verify without a passcode: %v", err)
	}
}

func swapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 32
		case c >= 'A' && c <= 'Z':
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestLockoutAlertAndRegenerate(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	code := f.generate(t, "site")
	for i := 1; i < enrollment.DefaultThreshold; i++ {
		err := f.svc.Verify(ctx, "site", wrong(code), "src")
		if errors.Is(err, enrollment.ErrLocked) || !errors.Is(err, enrollment.ErrWrongPasscode) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if len(f.alert.sent()) != 0 {
		t.Fatal("alert before the threshold")
	}
	f.clock.Advance(time.Minute)
	err := f.svc.Verify(ctx, "site", "x", "evil")
	var ae *enrollment.AttemptError
	if !errors.As(err, &ae) || !ae.JustLocked || !errors.Is(err, enrollment.ErrLocked) || !errors.Is(err, enrollment.ErrMalformed) || ae.Failures != enrollment.DefaultThreshold {
		t.Fatalf("locking failure: %v (%+v)", err, ae)
	}
	sent := f.alert.sent()
	want := enrollment.Alert{
		Site: "site", Admins: []string{"admin@site.example"}, Failures: enrollment.DefaultThreshold,
		Threshold: enrollment.DefaultThreshold, LockedAt: t0.Add(time.Minute), LastFailure: t0.Add(time.Minute), LastSource: "evil",
	}
	if len(sent) != 1 || sent[0].Site != want.Site || len(sent[0].Admins) != 1 || sent[0].Admins[0] != want.Admins[0] ||
		sent[0].Failures != want.Failures || sent[0].Threshold != want.Threshold || !sent[0].LockedAt.Equal(want.LockedAt) ||
		sent[0].LastSource != want.LastSource {
		t.Fatalf("alerts %+v, want one %+v", sent, want)
	}
	// The right passcode no longer works, and is not even compared.
	if err := f.svc.Verify(ctx, "site", code, "src"); !errors.Is(err, enrollment.ErrLocked) {
		t.Fatalf("correct passcode on a locked site: %v", err)
	}
	st, _ := f.svc.Status(ctx, "site")
	if st.State != enrollment.StateLocked || st.FailedAttempts != enrollment.DefaultThreshold+1 || !st.LockedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("Status = %+v", st)
	}
	if len(f.alert.sent()) != 1 {
		t.Fatal("a second alert")
	}
	if err := f.svc.ResendAlert(ctx, "site"); err != nil || len(f.alert.sent()) != 2 {
		t.Fatalf("ResendAlert: %v", err)
	}
	// Regenerate re-enables and resets.
	code2, err := f.svc.Regenerate(ctx, "site", "boss@example.com")
	if err != nil {
		t.Fatal(err)
	}
	st, _ = f.svc.Status(ctx, "site")
	if st.State != enrollment.StateActive || st.FailedAttempts != 0 || !st.LastFailure.IsZero() || st.GeneratedBy != "boss@example.com" {
		t.Fatalf("after Regenerate: %+v", st)
	}
	if err := f.svc.Verify(ctx, "site", code2.Reveal(), "src"); err != nil {
		t.Fatalf("regenerated passcode: %v", err)
	}
	if err := f.svc.ResendAlert(ctx, "site"); !errors.Is(err, enrollment.ErrNotLocked) {
		t.Fatalf("ResendAlert unlocked: %v", err)
	}
	ev := kinds(t, f.store, "site")
	tail := []enrollment.EventKind{enrollment.EventFailed, enrollment.EventLocked, enrollment.EventAlertSent, enrollment.EventAlertSent, enrollment.EventRegenerated, enrollment.EventUsed}
	if !equalKinds(ev[len(ev)-len(tail):], tail) || len(ev) != 1+enrollment.DefaultThreshold+len(tail)-1 {
		t.Fatalf("events %v", ev)
	}
}

func TestAlertFailureKeepsLock(t *testing.T) {
	for _, tt := range []struct {
		name   string
		admins func(context.Context, string) ([]string, error)
		send   error
	}{
		{"alerter fails", nil, errBoom},
		{"admin lookup fails", func(context.Context, string) ([]string, error) { return nil, errBoom }, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *enrollment.Config) {
				c.Threshold = 2
				if tt.admins != nil {
					c.Admins = tt.admins
				}
			})
			f.alert.err = tt.send
			ctx := context.Background()
			code := f.generate(t, "site")
			_ = f.svc.Verify(ctx, "site", wrong(code), "")
			err := f.svc.Verify(ctx, "site", wrong(code), "")
			if !errors.Is(err, enrollment.ErrAlert) || !errors.Is(err, errBoom) || !errors.Is(err, enrollment.ErrLocked) || !errors.Is(err, enrollment.ErrWrongPasscode) {
				t.Fatalf("Verify = %v", err)
			}
			if st, _ := f.svc.Status(ctx, "site"); st.State != enrollment.StateLocked {
				t.Fatalf("not locked after a failed alert: %v", st.State)
			}
			if ev := kinds(t, f.store, "site"); ev[len(ev)-1] != enrollment.EventAlertFailed {
				t.Fatalf("events %v", ev)
			}
			if err := f.svc.ResendAlert(ctx, "site"); !errors.Is(err, enrollment.ErrAlert) {
				t.Fatalf("ResendAlert while failing: %v", err)
			}
		})
	}
}

func TestCancelledCallerStillCountedAndAlerted(t *testing.T) {
	f := newFixture(t, func(c *enrollment.Config) { c.Threshold = 1 })
	code := f.generate(t, "site")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := f.svc.Verify(ctx, "site", wrong(code), "")
	if !errors.Is(err, enrollment.ErrLocked) || errors.Is(err, enrollment.ErrAlert) {
		t.Fatalf("Verify = %v", err)
	}
	if len(f.alert.sent()) != 1 || f.alert.ctxErr[0] != nil {
		t.Fatalf("alert %v with context error %v", f.alert.sent(), f.alert.ctxErr)
	}
}

// TestRaceVerifyAlertsOnce: 64 goroutines x 100 wrong attempts through
// Verify against the largest threshold (100) count exactly 6,400 and send
// exactly one alert.
func TestRaceVerifyAlertsOnce(t *testing.T) {
	f := newFixture(t, func(c *enrollment.Config) {
		c.Threshold, c.SourceThreshold = enrollment.MaxThreshold, enrollment.MaxThreshold
	})
	code := f.generate(t, "site")
	bad := wrong(code)
	var just, other atomic.Int64
	var wg sync.WaitGroup
	for range enrollmenttest.Goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range enrollmenttest.PerGoroutine {
				input := bad
				if i%2 == 1 {
					input = "short"
				}
				err := f.svc.Verify(context.Background(), "site", input, "")
				var ae *enrollment.AttemptError
				switch {
				case !errors.As(err, &ae):
					other.Add(1)
				case ae.JustLocked:
					just.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	st, _ := f.svc.Status(context.Background(), "site")
	n := enrollmenttest.Goroutines * enrollmenttest.PerGoroutine
	if other.Load() != 0 || just.Load() != 1 || len(f.alert.sent()) != 1 || st.FailedAttempts != n || st.State != enrollment.StateLocked {
		t.Fatalf("JustLocked %d, alerts %d, count %d (want 1, 1, %d), non-attempt errors %d, state %v",
			just.Load(), len(f.alert.sent()), st.FailedAttempts, n, other.Load(), st.State)
	}
	if a := f.alert.sent()[0]; a.Failures != enrollment.MaxThreshold {
		t.Fatalf("alert at %d failures", a.Failures)
	}
	// Failures after the lock are counted, not logged one by one.
	locked := 0
	for _, k := range kinds(t, f.store, "site") {
		if k == enrollment.EventLocked {
			locked++
		}
	}
	if locked != 1 {
		t.Fatalf("%d locked events", locked)
	}
}

func TestRaceSuccessAgainstLock(t *testing.T) {
	// Once the locking attempt has returned, no Verify may succeed. The
	// successes keep resetting the site's consecutive count; the
	// attacker's source locks it.
	f := newFixture(t, func(c *enrollment.Config) { c.Threshold = 100 })
	code := f.generate(t, "site")
	var locked atomic.Bool
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40 {
				if g%2 == 0 {
					var ae *enrollment.AttemptError
					if err := f.svc.Verify(context.Background(), "site", wrong(code), "10.6.6.6"); errors.As(err, &ae) && ae.JustLocked {
						locked.Store(true)
					}
					continue
				}
				was := locked.Load()
				if err := f.svc.Verify(context.Background(), "site", code, "10.0.0.1"); was && err == nil {
					t.Error("the correct passcode worked after the lock")
				}
			}
		}()
	}
	wg.Wait()
	if !locked.Load() {
		t.Fatal("never locked")
	}
}

func TestRevealSealedCopy(t *testing.T) {
	sealKeys := enrollment.NewKeys(map[uint8][]byte{3: pepper(9)})
	f := newFixture(t, func(c *enrollment.Config) { c.SealKeys, c.SealKeyID, c.RevealFor = sealKeys, 3, 24*time.Hour })
	ctx := context.Background()
	code := f.generate(t, "site")
	if st, _ := f.svc.Status(ctx, "site"); !st.Revealable {
		t.Fatal("not revealable")
	}
	got, err := f.svc.Reveal(ctx, "site", "viewer@example.com")
	if err != nil || got.Reveal() != code {
		t.Fatalf("Reveal: %v", err)
	}
	ev, _ := f.store.Events(ctx, "site")
	if last := ev[len(ev)-1]; last.Kind != enrollment.EventViewed || last.Actor != "viewer@example.com" {
		t.Fatalf("last event %+v", last)
	}
	if _, err := f.svc.Reveal(ctx, "site", "not an email"); !isParam(err, "actor") {
		t.Fatalf("Reveal by a non-address: %v", err)
	}
	// A sealed copy moved to another site's record does not open.
	f.generate(t, "other")
	recA, _ := f.store.Load(ctx, "site")
	recB, _ := f.store.Load(ctx, "other")
	recB.Sealed = recA.Sealed
	if err := overwrite(ctx, f.store, recB); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Reveal(ctx, "other", "viewer@example.com"); !errors.Is(err, enrollment.ErrNoReveal) {
		t.Fatalf("moved sealed copy: %v", err)
	}
	// Retention.
	f.clock.Advance(24*time.Hour + time.Second)
	if _, err := f.svc.Reveal(ctx, "site", "viewer@example.com"); !errors.Is(err, enrollment.ErrNoReveal) {
		t.Fatalf("after retention: %v", err)
	}
	// Locked and disabled passcodes are not shown.
	f.generate(t, "site")
	if err := f.svc.Disable(ctx, "site", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Reveal(ctx, "site", "viewer@example.com"); !errors.Is(err, enrollment.ErrDisabled) {
		t.Fatalf("disabled: %v", err)
	}
	// Without sealing.
	g := newFixture(t, nil)
	g.generate(t, "site")
	if _, err := g.svc.Reveal(ctx, "site", "viewer@example.com"); !errors.Is(err, enrollment.ErrNoReveal) {
		t.Fatalf("no sealing: %v", err)
	}
	// Sealing turned on later: older passcodes have no sealed copy.
	h := newFixture(t, func(c *enrollment.Config) { c.Store = g.store; c.SealKeys, c.SealKeyID = sealKeys, 3 })
	if _, err := h.svc.Reveal(ctx, "site", "viewer@example.com"); !errors.Is(err, enrollment.ErrNoReveal) {
		t.Fatalf("no sealed copy: %v", err)
	}
}

func TestResolveSite(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	a, b := f.generate(t, "site-a"), f.generate(t, "site-b")
	for in, want := range map[string]string{a: "site-a", " " + b + "\n": "site-b"} {
		if got, err := f.svc.ResolveSite(ctx, in); err != nil || got != want {
			t.Fatalf("ResolveSite = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := f.svc.ResolveSite(ctx, wrong(a)); !errors.Is(err, enrollment.ErrNotFound) {
		t.Fatalf("wrong: %v", err)
	}
	if _, err := f.svc.ResolveSite(ctx, "nope"); !errors.Is(err, enrollment.ErrMalformed) {
		t.Fatalf("malformed: %v", err)
	}
	if err := f.svc.Disable(ctx, "site-a", "x@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ResolveSite(ctx, a); !errors.Is(err, enrollment.ErrNotFound) {
		t.Fatalf("disabled: %v", err)
	}
}

func TestPepperRotation(t *testing.T) {
	store := enrollment.NewMemStore()
	old := newFixture(t, func(c *enrollment.Config) { c.Store = store })
	code := old.generate(t, "site")
	ctx := context.Background()

	rotated := newFixture(t, func(c *enrollment.Config) {
		c.Store, c.Peppers, c.PepperID = store, enrollment.NewKeys(map[uint8][]byte{1: pepper(1), 2: pepper(2)}), 2
	})
	if err := rotated.svc.Verify(ctx, "site", code, ""); err != nil {
		t.Fatalf("Verify under the old pepper: %v", err)
	}
	if site, err := rotated.svc.ResolveSite(ctx, code); err != nil || site != "site" {
		t.Fatalf("ResolveSite under the old pepper: %q, %v", site, err)
	}
	if st, _ := rotated.svc.Status(ctx, "site"); !st.StalePepper {
		t.Fatal("StalePepper not set")
	}
	// Without the old pepper the passcode can never match.
	retired := newFixture(t, func(c *enrollment.Config) {
		c.Store, c.Peppers, c.PepperID = store, enrollment.NewKeys(map[uint8][]byte{2: pepper(2)}), 2
	})
	if err := retired.svc.Verify(ctx, "site", code, ""); !errors.Is(err, enrollment.ErrRetiredPepper) {
		t.Fatalf("Verify with the pepper retired: %v", err)
	}
	code2, err := rotated.svc.Regenerate(ctx, "site", "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := retired.svc.Verify(ctx, "site", code2.Reveal(), ""); err != nil {
		t.Fatalf("regenerated under the new pepper: %v", err)
	}
	if st, _ := retired.svc.Status(ctx, "site"); st.StalePepper {
		t.Fatal("StalePepper after Regenerate")
	}
}

// replayReader replays recorded bytes, then reads from crypto/rand.
type replayReader struct{ r io.Reader }

func (r replayReader) Read(p []byte) (int, error) { return r.r.Read(p) }

func TestGenerateKeepsPasscodesUnique(t *testing.T) {
	var tape bytes.Buffer
	f := newFixture(t, func(c *enrollment.Config) { c.Rand = io.TeeReader(rand.Reader, &tape) })
	a := f.generate(t, "site-a")
	// A second service over the same store draws the same bytes first.
	g := newFixture(t, func(c *enrollment.Config) {
		c.Store = f.store
		c.Rand = replayReader{io.MultiReader(bytes.NewReader(tape.Bytes()), rand.Reader)}
	})
	b := g.generate(t, "site-b")
	if a == b {
		t.Fatal("two sites share a passcode")
	}
	if site, err := g.svc.ResolveSite(context.Background(), a); err != nil || site != "site-a" {
		t.Fatalf("ResolveSite(a) = %q, %v", site, err)
	}
	// Under a rotated pepper the index of the old one is consulted too.
	h := newFixture(t, func(c *enrollment.Config) {
		c.Store, c.Peppers, c.PepperID = f.store, enrollment.NewKeys(map[uint8][]byte{1: pepper(1), 2: pepper(2)}), 2
		c.Rand = replayReader{io.MultiReader(bytes.NewReader(tape.Bytes()), rand.Reader)}
	})
	if c := h.generate(t, "site-c"); c == a {
		t.Fatal("a rotated pepper let two sites share a passcode")
	}
}

func TestSecretsStayOut(t *testing.T) {
	var logs bytes.Buffer
	f := newFixture(t, func(c *enrollment.Config) {
		c.Threshold = 2
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.SealKeys = enrollment.NewKeys(map[uint8][]byte{0: pepper(7)})
	})
	ctx := context.Background()
	code := f.generate(t, "site")
	_, _ = f.svc.Reveal(ctx, "site", "v@example.com")
	_ = f.svc.Verify(ctx, "site", code, "")
	near := code[:11] + string(code[11]^1)
	errs := []error{f.svc.Verify(ctx, "site", near, ""), f.svc.Verify(ctx, "site", near, "")}
	for _, err := range errs {
		if err == nil || strings.Contains(err.Error(), code) || strings.Contains(err.Error(), near) {
			t.Fatalf("error %v", err)
		}
	}
	if strings.Contains(logs.String(), code) || strings.Contains(logs.String(), near) {
		t.Fatal("a passcode in the logs")
	}
	ev, _ := f.store.Events(ctx, "site")
	for _, e := range ev {
		if strings.Contains(e.Actor+e.Source, code) {
			t.Fatalf("a passcode in event %+v", e)
		}
	}
	for _, a := range f.alert.sent() {
		if strings.Contains(a.LastSource+a.Site, code) {
			t.Fatal("a passcode in the alert")
		}
	}
}

func TestSourceIsCut(t *testing.T) {
	f := newFixture(t, nil)
	f.generate(t, "site")
	_ = f.svc.Verify(context.Background(), "site", "x", strings.Repeat("é", 100))
	st, _ := f.svc.Status(context.Background(), "site")
	if len(st.LastSource) > enrollment.MaxSourceLen+2 || !strings.HasPrefix(st.LastSource, "éé") {
		t.Fatalf("LastSource has %d bytes", len(st.LastSource))
	}
}

func TestSourceIsCleaned(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9":                    "203.0.113.9",
		"10.0.0.1\r\nFailed attempts: 0": "10.0.0.1Failed attempts: 0",
		"ip\u202egnp.exe":                "ipgnp.exe",
		"tab\there\x00":                  "tabhere",
		"bad\xffutf8":                    "bad\uFFFDutf8",
	} {
		f := newFixture(t, nil)
		f.generate(t, "site")
		_ = f.svc.Verify(context.Background(), "site", "x", in)
		st, _ := f.svc.Status(context.Background(), "site")
		if st.LastSource != want {
			t.Errorf("source %q stored as %q, want %q", in, st.LastSource, want)
		}
	}
}

func TestEventKindString(t *testing.T) {
	for k, want := range map[enrollment.EventKind]string{
		enrollment.EventGenerated: "generated", enrollment.EventLocked: "locked", enrollment.EventViewed: "viewed",
		enrollment.EventAlertFailed: "alert-failed", enrollment.EventUsed: "used", 0: "EventKind(0)", 200: "EventKind(200)",
		// The first kind past the last: the bound of the name table.
		enrollment.EventUsed + 1: "EventKind(10)",
	} {
		if k.String() != want {
			t.Errorf("%d.String() = %q", k, k.String())
		}
	}
	for s, want := range map[enrollment.State]string{enrollment.StateActive: "active", enrollment.StateDisabled: "disabled", enrollment.StateLocked: "locked", 9: "State(9)"} {
		if s.String() != want {
			t.Errorf("State %d = %q", s, s.String())
		}
	}
}

// neverLocks is a Store that forgets the lockout rules' counts, so that no
// failure reaches a threshold and a fuzz run can go on guessing.
type neverLocks struct{ enrollment.Store }

func (s neverLocks) Write(ctx context.Context, r enrollment.Record, prev uint64, events []enrollment.Event) error {
	r.Consecutive, r.Sources, r.RateCount, r.RatePrev = 0, nil, 0, 0
	return s.Store.Write(ctx, r, prev, events)
}

func FuzzVerify(f *testing.F) {
	fx := newFixture(f, func(c *enrollment.Config) { c.Store = neverLocks{c.Store} })
	code := fx.generate(f, "site")
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	f.Add(code)
	f.Add(" " + code + "\n")
	f.Add(swapCase(code))
	f.Fuzz(func(t *testing.T, in string) {
		err := fx.svc.Verify(context.Background(), "site", in, in)
		trimmed := strings.TrimSpace(in)
		switch {
		case len(in) <= enrollment.MaxInputLen && trimmed == code:
			if err != nil {
				t.Fatalf("the passcode was refused: %v", err)
			}
		case len(in) > enrollment.MaxInputLen || !enrollmenttest.ValidShape(trimmed):
			if !errors.Is(err, enrollment.ErrMalformed) || errors.Is(err, enrollment.ErrWrongPasscode) {
				t.Fatalf("malformed input: %v", err)
			}
		default:
			if !errors.Is(err, enrollment.ErrWrongPasscode) || errors.Is(err, enrollment.ErrMalformed) {
				t.Fatalf("wrong input: %v", err)
			}
		}
		if err != nil && strings.Contains(err.Error(), code) {
			t.Fatal("the passcode in an error")
		}
	})
}

// TestGenerateReadsTheInjectedReader: Config.Rand is the only source of
// randomness: a reader that fails makes Generate fail with its error.
func TestGenerateReadsTheInjectedReader(t *testing.T) {
	dry := errors.New("reader is dry")
	f := newFixture(t, func(c *enrollment.Config) { c.Rand = iotest.ErrReader(dry) })
	if _, err := f.svc.Generate(context.Background(), "site", "admin@example.com"); !errors.Is(err, dry) {
		t.Fatalf("Generate with a failing reader: %v, want its error", err)
	}
}

// TestDisableTwiceKeepsTheFirst: disabling a disabled passcode keeps the
// first admin and time (the Service decides it; the store keeps what it is
// given), records the second request too, and Disable of a site without a
// passcode is ErrNoPasscode.
func TestDisableTwiceKeepsTheFirst(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	f.generate(t, "site")
	first := f.clock.Now().UTC()
	if err := f.svc.Disable(ctx, "site", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	if err := f.svc.Disable(ctx, "site", "b@example.com"); err != nil {
		t.Fatal(err)
	}
	st, err := f.svc.Status(ctx, "site")
	if err != nil || st.State != enrollment.StateDisabled || st.DisabledBy != "a@example.com" || !st.DisabledAt.Equal(first) {
		t.Fatalf("Status after two Disables = %+v, %v; want disabled by a@example.com at %v", st, err, first)
	}
	ev, _ := f.svc.Events(ctx, "site")
	if n := len(ev); n != 3 || ev[1].Kind != enrollment.EventDisabled || ev[2].Kind != enrollment.EventDisabled || ev[2].Actor != "b@example.com" {
		t.Fatalf("events %+v, want generated and two disabled", ev)
	}
	if err := f.svc.Disable(ctx, "nosuch", "a@example.com"); !errors.Is(err, enrollment.ErrNoPasscode) {
		t.Fatalf("Disable without a passcode: %v", err)
	}
}
