package passcode_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/passcode/passcodetest"
)

var start = time.Date(2025, 6, 2, 8, 30, 0, 0, time.UTC)

type recorder struct {
	mu   sync.Mutex
	sent []passcode.Delivery
	err  error
}

func (r *recorder) SendPasscode(_ context.Context, d passcode.Delivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.sent = append(r.sent, d)
	return nil
}

type fixture struct {
	svc   *passcode.Service
	clock *mdmcredtest.Clock
	store *passcode.MemStore
	mail  *recorder
	log   *bytes.Buffer
}

func newFixture(t *testing.T, edit func(*passcode.Config)) *fixture {
	t.Helper()
	f := &fixture{clock: mdmcredtest.NewClock(start), store: passcode.NewMemStore(), mail: &recorder{}, log: &bytes.Buffer{}}
	cfg := passcode.Config{
		Store:     f.store,
		SealKeys:  passcode.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{0x42}, 32)}),
		SealKeyID: 1,
		Mailer:    f.mail,
		Now:       f.clock.Now,
		Rand:      seeded(42),
		Logger:    slog.New(slog.NewJSONHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&cfg)
	}
	svc, err := passcode.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.svc = svc
	return f
}

func pixel(id string) passcode.Device {
	return passcode.Device{ID: id, Name: "Anna's Pixel", Platform: passcode.AndroidDeviceOwner, APILevel: 34,
		ResetTokenActive: true, PasscodeSet: true, Owner: "anna"}
}

func iphone(id string) passcode.Device {
	return passcode.Device{ID: id, Name: "Ben's iPhone", Platform: passcode.IOS, UnlockTokenEscrowed: true, Owner: "ben"}
}

func (f *fixture) events(t *testing.T, q passcode.EventQuery) []string {
	t.Helper()
	evs, err := f.svc.Events(context.Background(), q)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%s %s->%s by %s", e.Kind, e.From, e.To, e.Actor))
	}
	return out
}

func TestNewConfig(t *testing.T) {
	key := passcode.NewKeys(map[uint8][]byte{1: make([]byte, 32)})
	for _, tc := range []struct {
		cfg   passcode.Config
		field string
	}{
		{passcode.Config{SealKeys: key, SealKeyID: 1}, "Store"},
		{passcode.Config{Store: passcode.NewMemStore(), SealKeys: key, SealKeyID: 2}, "SealKeys"},
		{passcode.Config{Store: passcode.NewMemStore(), SealKeys: passcode.NewKeys(map[uint8][]byte{1: make([]byte, 16)}), SealKeyID: 1}, "SealKeys"},
		{passcode.Config{Store: passcode.NewMemStore(), SealKeys: key, SealKeyID: 1, StaleAfter: 72 * time.Hour, Retention: time.Hour}, "Retention"},
		{passcode.Config{Store: passcode.NewMemStore(), SealKeys: key, SealKeyID: 1, ReauthWindow: -time.Second}, "ReauthWindow"},
		{passcode.Config{Store: passcode.NewMemStore(), SealKeys: key, SealKeyID: 1, StaleAfter: -time.Second}, "StaleAfter"},
	} {
		if _, err := passcode.New(tc.cfg); !isParam(err, tc.field) {
			t.Errorf("New(%+v) = %v, want a ParamError on %s", tc.cfg, err, tc.field)
		}
	}
	// Defaults: a long StaleAfter raises the default retention with it.
	if _, err := passcode.New(passcode.Config{Store: passcode.NewMemStore(), SealKeys: key, SealKeyID: 1, StaleAfter: 72 * time.Hour}); err != nil {
		t.Errorf("New with StaleAfter 72h: %v", err)
	}
	// The bound is inclusive: a retention as long as StaleAfter is accepted.
	if _, err := passcode.New(passcode.Config{Store: passcode.NewMemStore(), SealKeys: key, SealKeyID: 1,
		StaleAfter: 72 * time.Hour, Retention: 72 * time.Hour}); err != nil {
		t.Errorf("New with Retention = StaleAfter: %v", err)
	}
}

func TestAdminReset(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	res, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	r := res.Reset
	if r.State != passcode.Requested || r.Action != passcode.SetPasscode || r.RequestedBy != "admin-1" ||
		!r.RequestedAt.Equal(start) || !r.StaleAt.Equal(start.Add(passcode.DefaultStaleAfter)) ||
		!r.RetainUntil.Equal(start.Add(passcode.DefaultRetention)) || r.SelfService || len(r.ID) != 32 {
		t.Fatalf("reset = %+v", r)
	}
	if err := passcode.Validate(passcode.AndroidPolicy, res.Passcode); err != nil {
		t.Fatalf("passcode breaks the Android policy: %v", err)
	}
	if bytes.Contains(r.Sealed, []byte(res.Passcode.Reveal())) {
		t.Fatal("the passcode is stored in clear")
	}
	got, err := f.svc.Reveal(ctx, r.ID, passcode.Viewer{ID: "admin-1"})
	if err != nil || !got.Equal(res.Passcode.Reveal()) {
		t.Fatalf("Reveal by the acting admin: %v", err)
	}
	if _, err := f.svc.Reveal(ctx, r.ID, passcode.Viewer{ID: "admin-2"}); !errors.Is(err, passcode.ErrNotAllowed) {
		t.Fatalf("Reveal by another admin: %v, want ErrNotAllowed", err)
	}
	if _, err := f.svc.Reveal(ctx, r.ID, passcode.Viewer{}); !errors.Is(err, passcode.ErrNotAllowed) {
		t.Fatalf("Reveal by nobody: %v, want ErrNotAllowed", err)
	}
	// The device's own user cannot read an admin reset in the portal, even
	// freshly signed in: it reaches them only by the email the admin chose.
	if _, err := f.svc.Reveal(ctx, r.ID, passcode.Viewer{ID: "anna", SelfService: true, SignedInAt: start.Add(-time.Minute)}); !errors.Is(err, passcode.ErrNotAllowed) {
		t.Fatalf("Reveal of an admin reset by the device user: %v, want ErrNotAllowed", err)
	}
	if _, err := f.svc.Reveal(ctx, r.ID, passcode.Viewer{ID: "admin-1", SelfService: true, SignedInAt: start}); !errors.Is(err, passcode.ErrNotAllowed) {
		t.Fatalf("Reveal by the admin posing as the user: %v, want ErrNotAllowed", err)
	}
	for _, to := range []passcode.State{passcode.Pending, passcode.Acknowledged, passcode.Succeeded} {
		f.clock.Advance(time.Minute)
		if _, err := f.svc.Transition(ctx, r.ID, to, "mdm"); err != nil {
			t.Fatalf("Transition to %s: %v", to, err)
		}
	}
	if _, err := f.svc.Transition(ctx, r.ID, passcode.Failed, "mdm"); !errors.Is(err, passcode.ErrInvalidTransition) {
		t.Fatalf("Transition out of Succeeded: %v, want ErrInvalidTransition", err)
	}
	want := []string{
		"transition none->requested by admin-1",
		"viewed requested->requested by admin-1",
		"view-denied requested->requested by admin-2",
		"view-denied requested->requested by ",
		"view-denied requested->requested by anna",
		"view-denied requested->requested by admin-1",
		"transition requested->pending by mdm",
		"transition pending->acknowledged by mdm",
		"transition acknowledged->succeeded by mdm",
	}
	if got := f.events(t, passcode.EventQuery{ResetID: r.ID}); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	final, _ := f.svc.Get(ctx, r.ID)
	if final.State != passcode.Succeeded || !final.UpdatedAt.Equal(start.Add(3*time.Minute)) {
		t.Fatalf("final reset %+v", final)
	}
	// The passcode stays viewable until its retention limit, then not.
	f.clock.Set(start.Add(passcode.DefaultRetention + time.Second))
	if _, err := f.svc.Reveal(ctx, r.ID, passcode.Viewer{ID: "admin-1"}); !errors.Is(err, passcode.ErrRetentionPassed) {
		t.Fatalf("Reveal after retention: %v, want ErrRetentionPassed", err)
	}
	if _, err := f.svc.Reveal(ctx, "missing", passcode.Viewer{ID: "admin-1"}); !errors.Is(err, passcode.ErrNotFound) {
		t.Fatalf("Reveal(missing): %v", err)
	}
	assertNoSecret(t, f, res.Passcode.Reveal())
}

// assertNoSecret checks that the log and the events never hold the passcode.
func assertNoSecret(t *testing.T, f *fixture, pc string) {
	t.Helper()
	if strings.Contains(f.log.String(), pc) {
		t.Errorf("log holds the passcode:\n%s", f.log)
	}
	evs, _ := f.store.Events(context.Background(), passcode.EventQuery{DeviceID: "d1"})
	if strings.Contains(fmt.Sprintf("%+v", evs), pc) {
		t.Error("events hold the passcode")
	}
}

func TestOneOpenResetPerDevice(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, func(c *passcode.Config) { c.StaleAfter = time.Hour; c.Retention = 2 * time.Hour })
	first, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(59 * time.Minute)
	_, err = f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-2"})
	var ip *passcode.InProgressError
	if !errors.As(err, &ip) || !errors.Is(err, passcode.ErrResetInProgress) || ip.ResetID != first.Reset.ID ||
		ip.State != passcode.Requested || !ip.Since.Equal(start) {
		t.Fatalf("second request: %v, want InProgressError naming %s", err, first.Reset.ID)
	}
	if _, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d2"), Actor: "admin-2"}); err != nil {
		t.Fatalf("another device: %v", err)
	}
	// Past the stale deadline, the old reset expires and a new one starts.
	f.clock.Advance(time.Minute)
	second, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-2"})
	if err != nil {
		t.Fatalf("request after the stale deadline: %v", err)
	}
	old, _ := f.svc.Get(ctx, first.Reset.ID)
	if old.State != passcode.Expired || second.Reset.ID == first.Reset.ID {
		t.Fatalf("old reset %s, new %s", old.State, second.Reset.ID)
	}
	want := []string{
		"transition none->requested by admin-1",
		"transition requested->expired by system",
		"transition none->requested by admin-2",
	}
	if got := f.events(t, passcode.EventQuery{DeviceID: "d1"}); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("device events %q, want %q", got, want)
	}
	// Once the reset is final, the device may be reset again at once.
	if _, err := f.svc.Transition(ctx, second.Reset.ID, passcode.Failed, "admin-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-2"}); err != nil {
		t.Fatalf("request after Failed: %v", err)
	}
}

func TestConcurrentRequests(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, func(c *passcode.Config) { c.Rand = nil })
	var wg sync.WaitGroup
	errs := make([]error, 32)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: fmt.Sprintf("admin-%d", i)})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, passcode.ErrResetInProgress):
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d requests succeeded, want 1", ok)
	}
}

func TestStaleResetExpiresOnTransition(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	res, _ := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
	if _, err := f.svc.Transition(ctx, res.Reset.ID, passcode.Pending, "mdm"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(passcode.DefaultStaleAfter)
	if _, err := f.svc.Transition(ctx, res.Reset.ID, passcode.Acknowledged, "mdm"); !errors.Is(err, passcode.ErrResetExpired) {
		t.Fatalf("late acknowledgement: %v, want ErrResetExpired", err)
	}
	r, _ := f.svc.Get(ctx, res.Reset.ID)
	if r.State != passcode.Expired {
		t.Fatalf("state %s, want expired", r.State)
	}
	// A device that applies the queued command late still needs the passcode.
	if _, err := f.svc.Reveal(ctx, r.ID, passcode.Viewer{ID: "admin-1"}); err != nil {
		t.Fatalf("Reveal after expiry: %v", err)
	}
	if _, err := f.svc.Transition(ctx, "missing", passcode.Pending, "mdm"); !errors.Is(err, passcode.ErrNotFound) {
		t.Fatalf("Transition(missing): %v", err)
	}
	if _, err := f.svc.Transition(ctx, r.ID, passcode.Pending, ""); !isParam(err, "actor") {
		t.Fatalf("Transition without actor: %v", err)
	}
}

func TestExpireStale(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	for i := range 5 {
		f.clock.Set(start.Add(time.Duration(i) * time.Hour))
		if _, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel(fmt.Sprintf("d%d", i)), Actor: "admin-1"}); err != nil {
			t.Fatal(err)
		}
	}
	done, _ := f.store.Open(ctx, "d4")
	_, _ = f.svc.Transition(ctx, done.ID, passcode.Failed, "mdm")
	f.clock.Set(start.Add(passcode.DefaultStaleAfter + 2*time.Hour))
	n, err := f.svc.ExpireStale(ctx)
	if err != nil || n != 3 {
		t.Fatalf("ExpireStale = %d, %v; want 3 (d0-d2)", n, err)
	}
	if r, _ := f.store.Open(ctx, "d3"); r.State != passcode.Requested {
		t.Fatalf("d3 not yet stale but %s", r.State)
	}
	if n, _ := f.svc.ExpireStale(ctx); n != 0 {
		t.Fatalf("second ExpireStale = %d", n)
	}
}

func TestClearPasscodeAndNotify(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	res, err := f.svc.Request(ctx, passcode.ResetRequest{Device: iphone("d1"), Actor: "admin-1",
		NotifyUser: true, UserEmail: "ben@example.com", Language: "pl"})
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	if res.Reset.Action != passcode.ClearPasscode || !res.Passcode.IsZero() || res.Reset.Sealed != nil {
		t.Fatalf("iOS reset %+v", res.Reset)
	}
	if _, err := f.svc.Reveal(ctx, res.Reset.ID, passcode.Viewer{ID: "admin-1"}); !errors.Is(err, passcode.ErrNoPasscode) {
		t.Fatalf("Reveal of a clear: %v, want ErrNoPasscode", err)
	}
	want := passcode.Delivery{To: "ben@example.com", Language: "pl", DeviceName: "Ben's iPhone", DeviceID: "d1", ResetID: res.Reset.ID,
		Action: passcode.ClearPasscode, Cleared: true, SetNewBy: start.Add(time.Hour), ExpiresAt: start.Add(24 * time.Hour)}
	if len(f.mail.sent) != 1 || f.mail.sent[0] != want {
		t.Fatalf("sent %+v, want %+v", f.mail.sent, want)
	}
	if got := f.events(t, passcode.EventQuery{DeviceID: "d1"}); len(got) != 2 || got[1] != "notified requested->requested by system" {
		t.Fatalf("events %q", got)
	}
}

func TestNotifyPasscodeAndFailures(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	req := passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1", NotifyUser: true, UserEmail: "anna@example.com", Language: "de"}
	res, err := f.svc.Request(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.mail.sent) != 1 || !f.mail.sent[0].Passcode.Equal(res.Passcode.Reveal()) || f.mail.sent[0].Cleared {
		t.Fatalf("sent %+v", f.mail.sent)
	}
	_, _ = f.svc.Transition(ctx, res.Reset.ID, passcode.Failed, "admin-1")

	// The mailer fails: the reset stands, the error says so, the event records it.
	f.mail.err = errors.New("smtp: 451 try later")
	res, err = f.svc.Request(ctx, req)
	var de *passcode.DeliveryError
	if !errors.As(err, &de) || !errors.Is(err, passcode.ErrDelivery) || errors.Unwrap(err) != f.mail.err || res.Reset.ID == "" {
		t.Fatalf("Request with failing mailer = %+v, %v", res.Reset, err)
	}
	if r, err := f.svc.Get(ctx, res.Reset.ID); err != nil || r.State != passcode.Requested {
		t.Fatalf("reset after mail failure: %v", err)
	}
	if got := f.events(t, passcode.EventQuery{ResetID: res.Reset.ID}); got[len(got)-1] != "notify-failed requested->requested by system" {
		t.Fatalf("events %q", got)
	}
	assertNoSecret(t, f, res.Passcode.Reveal())

	for _, tc := range []struct {
		name  string
		edit  func(*passcode.Config)
		req   passcode.ResetRequest
		want  error
		field string // of the *ParamError, when want is ErrParams
	}{
		{"no mailer", func(c *passcode.Config) { c.Mailer = nil }, req, passcode.ErrParams, "Mailer"},
		{"no email", nil, passcode.ResetRequest{Device: pixel("d1"), Actor: "a", NotifyUser: true}, passcode.ErrParams, "UserEmail"},
		{"no actor", nil, passcode.ResetRequest{Device: pixel("d1")}, passcode.ErrParams, "Actor"},
		{"no device ID", nil, passcode.ResetRequest{Device: pixel(""), Actor: "a"}, passcode.ErrParams, "Device.ID"},
		{"unsupported", nil, passcode.ResetRequest{Device: passcode.Device{ID: "d1", Platform: passcode.Windows}, Actor: "a"}, passcode.ErrUnsupported, ""},
	} {
		g := newFixture(t, tc.edit)
		_, err := g.svc.Request(ctx, tc.req)
		if !errors.Is(err, tc.want) || (tc.field != "" && !isParam(err, tc.field)) {
			t.Errorf("%s: %v, want %v %s", tc.name, err, tc.want, tc.field)
		}
		if evs, _ := g.store.Events(ctx, passcode.EventQuery{DeviceID: "d1"}); len(evs) != 0 {
			t.Errorf("%s: a refused request left events", tc.name)
		}
	}
}

func TestSelfService(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	for _, tc := range []struct {
		name     string
		user     string
		signedIn time.Time
		want     error
	}{
		{"another user's device", "ben", start, passcode.ErrNotOwner},
		{"no user", "", start, passcode.ErrNotOwner},
		{"signed in 5 min 1 s ago", "anna", start.Add(-5*time.Minute - time.Second), passcode.ErrReauthRequired},
		{"never signed in", "anna", time.Time{}, passcode.ErrReauthRequired},
		{"sign-in in the future", "anna", start.Add(2 * time.Minute), passcode.ErrReauthRequired},
	} {
		if _, err := f.svc.SelfService(ctx, passcode.SelfServiceRequest{User: tc.user, Device: pixel("d1"), SignedInAt: tc.signedIn}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	res, err := f.svc.SelfService(ctx, passcode.SelfServiceRequest{User: "anna", Device: pixel("d1"), SignedInAt: start.Add(-5 * time.Minute)})
	if err != nil {
		t.Fatalf("SelfService exactly 5 min after sign-in: %v", err)
	}
	if !res.Reset.SelfService || res.Reset.RequestedBy != "anna" {
		t.Fatalf("reset %+v", res.Reset)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.svc.Reveal(ctx, res.Reset.ID, passcode.Viewer{ID: "anna", SelfService: true, SignedInAt: start.Add(-5 * time.Minute)}); !errors.Is(err, passcode.ErrReauthRequired) {
		t.Fatalf("Reveal 6 min after sign-in: %v", err)
	}
	pc, err := f.svc.Reveal(ctx, res.Reset.ID, passcode.Viewer{ID: "anna", SelfService: true, SignedInAt: start})
	if err != nil || !pc.Equal(res.Passcode.Reveal()) {
		t.Fatalf("Reveal by the user: %v", err)
	}
	// An admin cannot read a passcode the user chose to reset.
	if _, err := f.svc.Reveal(ctx, res.Reset.ID, passcode.Viewer{ID: "anna"}); !errors.Is(err, passcode.ErrNotAllowed) {
		t.Fatalf("Reveal outside self-service: %v", err)
	}
	if _, err := f.svc.Events(ctx, passcode.EventQuery{}); !isParam(err, "EventQuery") {
		t.Fatalf("Events with an empty query: %v", err)
	}
}

// swapStore hands out another reset's sealed passcode, as a tampered database
// row would.
type swapStore struct {
	*passcode.MemStore
	sealed []byte
}

func (s *swapStore) Load(ctx context.Context, id string) (passcode.Reset, error) {
	r, err := s.MemStore.Load(ctx, id)
	r.Sealed = s.sealed
	return r, err
}

func TestSealedPasscodeIsBoundToItsReset(t *testing.T) {
	ctx := context.Background()
	sw := &swapStore{MemStore: passcode.NewMemStore()}
	f := newFixture(t, func(c *passcode.Config) { c.Store = sw })
	a, _ := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
	b, _ := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d2"), Actor: "admin-1"})
	sw.sealed = a.Reset.Sealed
	if _, err := f.svc.Reveal(ctx, b.Reset.ID, passcode.Viewer{ID: "admin-1"}); err == nil || errors.Is(err, passcode.ErrRetentionPassed) {
		t.Fatalf("Reveal with another reset's sealed passcode: %v", err)
	}
	if evs, _ := sw.Events(ctx, passcode.EventQuery{ResetID: b.Reset.ID}); len(evs) != 1 {
		t.Fatalf("a failed open was recorded as a view")
	}
}

func TestErrorMessagesHoldNoSecret(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	f.mail.err = errors.New("smtp: 550 mailbox unavailable")
	res, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1", NotifyUser: true, UserEmail: "anna@example.com"})
	if err == nil || err.Error() != "passcode: email delivery failed: smtp: 550 mailbox unavailable" {
		t.Fatalf("delivery error %q", err)
	}
	_, err = f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
	want := "passcode: a reset is already in progress for this device: " + res.Reset.ID + " since 2025-06-02T08:30:00Z (requested)"
	if err == nil || err.Error() != want {
		t.Fatalf("in-progress error %q, want %q", err, want)
	}
	if strings.Contains(err.Error(), res.Passcode.Reveal()) {
		t.Fatal("error holds the passcode")
	}
}

func TestRequestReaderFailure(t *testing.T) {
	for _, after := range []int{0, 16, 40} {
		f := newFixture(t, func(c *passcode.Config) { c.Rand = &failReader{after: after} })
		_, err := f.svc.Request(context.Background(), passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
		if err == nil {
			t.Fatalf("Request with randomness failing after %d bytes succeeded", after)
		}
		if evs, _ := f.store.Events(context.Background(), passcode.EventQuery{DeviceID: "d1"}); len(evs) != 0 {
			t.Fatalf("a failed request was recorded")
		}
	}
}

// Any request either fails with a known reason and leaves nothing behind, or
// opens a reset whose passcode meets the capability's policy and which only
// the acting admin can read.
func TestRequestProperties(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(5)
	params.MinSuccessfulTests = 200
	props := gopter.NewProperties(params)
	props.Property("requests succeed with a valid passcode or fail cleanly", prop.ForAll(
		func(req passcode.ResetRequest) bool {
			ctx := context.Background()
			f := newFixture(t, nil)
			res, err := f.svc.Request(ctx, req)
			if err != nil {
				evs, _ := f.store.Events(ctx, passcode.EventQuery{DeviceID: req.Device.ID})
				return errors.Is(err, passcode.ErrUnsupported) && len(evs) == 0
			}
			if res.Capability.Action == passcode.ClearPasscode {
				return res.Passcode.IsZero() && res.Reset.Sealed == nil
			}
			pc, rerr := f.svc.Reveal(ctx, res.Reset.ID, passcode.Viewer{ID: req.Actor})
			_, other := f.svc.Reveal(ctx, res.Reset.ID, passcode.Viewer{ID: req.Actor + "x"})
			return passcode.Validate(res.Capability.Policy, res.Passcode) == nil && rerr == nil &&
				pc.Equal(res.Passcode.Reveal()) && errors.Is(other, passcode.ErrNotAllowed) &&
				(!req.NotifyUser || len(f.mail.sent) == 1)
		},
		passcodetest.GenResetRequest(),
	))
	props.TestingRun(t)
}

// tamperStore rewrites the fields Reveal decides access on, as a database
// writer without the seal key could.
type tamperStore struct {
	*passcode.MemStore
	edit func(*passcode.Reset)
}

func (s *tamperStore) Load(ctx context.Context, id string) (passcode.Reset, error) {
	r, err := s.MemStore.Load(ctx, id)
	if err == nil && s.edit != nil {
		s.edit(&r)
	}
	return r, err
}

// The sealed passcode is bound to who may see it: rewriting the requester,
// the owner, the self-service flag or the device of a stored reset does not
// let anyone else reveal it.
func TestSealedPasscodeIsBoundToItsViewers(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		edit func(*passcode.Reset)
		v    passcode.Viewer
	}{
		{"requester", func(r *passcode.Reset) { r.RequestedBy = "mallory" }, passcode.Viewer{ID: "mallory"}},
		{"owner", func(r *passcode.Reset) { r.Owner = "mallory" },
			passcode.Viewer{ID: "mallory", SelfService: true, SignedInAt: start}},
		{"self-service flag", func(r *passcode.Reset) { r.SelfService, r.RequestedBy = false, "mallory" },
			passcode.Viewer{ID: "mallory"}},
		{"device", func(r *passcode.Reset) { r.DeviceID = "d9" }, passcode.Viewer{ID: "admin-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := &tamperStore{MemStore: passcode.NewMemStore()}
			f := newFixture(t, func(c *passcode.Config) { c.Store = ts })
			res, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Reveal(ctx, res.Reset.ID, passcode.Viewer{ID: "admin-1"}); err != nil {
				t.Fatalf("untampered Reveal: %v", err)
			}
			ts.edit = tc.edit
			if pc, err := f.svc.Reveal(ctx, res.Reset.ID, tc.v); err == nil || !pc.IsZero() {
				t.Fatalf("Reveal of a tampered reset by %s succeeded", tc.v.ID)
			}
		})
	}
}

// 32 concurrent requests for a device whose open reset is stale: the stale
// reset is expired once, exactly one new reset opens, and every other
// request gets an *InProgressError naming it.
func TestConcurrentRequestsOverStaleReset(t *testing.T) {
	ctx := context.Background()
	for round := range 20 {
		f := newFixture(t, func(c *passcode.Config) { c.Rand = nil })
		old, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-0"})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(passcode.DefaultStaleAfter)
		var wg sync.WaitGroup
		errs := make([]error, passcodetest.Racers)
		ids := make([]string, passcodetest.Racers)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: fmt.Sprintf("admin-%d", i+1)})
				errs[i], ids[i] = err, res.Reset.ID
			}()
		}
		wg.Wait()
		won := ""
		for i, err := range errs {
			var ip *passcode.InProgressError
			switch {
			case err == nil && won == "":
				won = ids[i]
			case err == nil:
				t.Fatalf("round %d: two requests opened a reset", round)
			case !errors.As(err, &ip):
				t.Fatalf("round %d: request %d: %v, want *InProgressError", round, i, err)
			}
		}
		open, err := f.store.Open(ctx, "d1")
		if won == "" || err != nil || open.ID != won {
			t.Fatalf("round %d: winner %q, open %q, %v", round, won, open.ID, err)
		}
		evs := f.events(t, passcode.EventQuery{ResetID: old.Reset.ID})
		if len(evs) != 2 || evs[1] != "transition requested->expired by system" {
			t.Fatalf("round %d: stale reset events %q", round, evs)
		}
	}
}
