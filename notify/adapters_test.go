package notify_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/notify"
	"github.com/mdmcred/mdmcred/servicepass"
)

func TestOutbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	o, err := notify.NewOutbox(notify.OutboxConfig{Dir: dir, From: "MDM <mdm@example.org>", Now: func() time.Time { return sendTime }})
	if err != nil {
		t.Fatal(err)
	}
	qr := qrPNG(t)
	m := polishServicePassword(t, qr)
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := o.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Fatalf("%d files, want %d", len(entries), n)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") || strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("unexpected file %s", e.Name())
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), perm)
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		checkRawMessage(t, raw, m, qr)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("outbox dir mode %v, %v", info.Mode().Perm(), err)
	}
}

func TestOutboxErrors(t *testing.T) {
	dir := t.TempDir()
	o, err := notify.NewOutbox(notify.OutboxConfig{Dir: dir, From: "mdm@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	m := polishServicePassword(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Send(ctx, m); !errors.Is(err, notify.ErrSend) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	bad := m
	bad.To = nil
	if err := o.Send(context.Background(), bad); !errors.Is(err, notify.ErrInvalidMessage) {
		t.Errorf("invalid message: %v", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := o.Send(context.Background(), m); !errors.Is(err, notify.ErrSend) {
		t.Errorf("missing directory: %v", err)
	}
	for _, tc := range []struct {
		cfg   notify.OutboxConfig
		field string
	}{{notify.OutboxConfig{From: "a@b.c"}, "OutboxConfig.Dir"}, {notify.OutboxConfig{Dir: t.TempDir(), From: "nobody"}, "OutboxConfig.From"}} {
		var fe *notify.FieldError
		if _, err := notify.NewOutbox(tc.cfg); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("NewOutbox(%+v) = %v, want a *FieldError for %s", tc.cfg, err, tc.field)
		}
	}
}

func TestWriteMessageFromOverride(t *testing.T) {
	m := polishServicePassword(t, nil)
	m.From = "Helpdesk <help@example.net>"
	var b strings.Builder
	if err := notify.WriteMessage(&b, m, "mdm@example.org", sendTime); err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("From"); got != `"Helpdesk" <help@example.net>` {
		t.Errorf("From = %q", got)
	}
	if mt := msg.Header.Get("Content-Type"); !strings.HasPrefix(mt, "multipart/alternative") {
		t.Errorf("message without inline images is %q, want multipart/alternative", mt)
	}
}

func TestRecorder(t *testing.T) {
	var r notify.Recorder
	m := polishServicePassword(t, qrPNG(t))
	const n = 50
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
			_ = r.Messages()
			_, _ = r.Last()
		}()
	}
	wg.Wait()
	if r.Len() != n {
		t.Fatalf("Len = %d, want %d", r.Len(), n)
	}
	// The records are copies: changing what was sent or returned does not
	// change them.
	got := r.Messages()
	got[0].To[0] = "changed@example.com"
	got[0].Inline[0].Data.Reveal()[0] ^= 0xff // Reveal hands out a copy
	got[0].Inline[0].ContentID = "changed"
	m.To[0] = "changed@example.com"
	last, ok := r.Last()
	if !ok || last.To[0] != "Jan Kowalski <jan@example.com>" || r.Messages()[0].Inline[0].ContentID != "qr@mdmcred" ||
		!bytes.Equal(r.Messages()[0].Inline[0].Data.Reveal(), qrPNG(t)) {
		t.Error("records share memory with callers")
	}

	cause := errors.New("mail relay down")
	r.FailWith(cause)
	if err := r.Send(context.Background(), last); !errors.Is(err, notify.ErrSend) || !errors.Is(err, cause) {
		t.Errorf("FailWith: %v", err)
	}
	if r.Len() != n {
		t.Error("a failed send was recorded")
	}
	r.FailWith(nil)
	r.Reset()
	if _, ok := r.Last(); ok || r.Len() != 0 {
		t.Error("Reset kept messages")
	}
	if err := r.Send(context.Background(), notify.Message{}); !errors.Is(err, notify.ErrInvalidMessage) {
		t.Errorf("invalid message: %v", err)
	}
}

// TestNotifier: a failed send is reported as ErrSend and never hides the
// cause; an invalid notice sends nothing.
func TestNotifier(t *testing.T) {
	var rec notify.Recorder
	n, err := notify.NewNotifier(notify.NotifierConfig{Mailer: &rec})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	exp := sendTime.Add(time.Hour)
	calls := []func() error{
		func() error {
			return n.SendServicePassword(ctx, notify.ServicePassword{To: []string{"a@example.com"}, DeviceName: "d",
				Issued: servicepass.Issued{Actions: servicepass.Unlock, ExpiresAt: exp, Display: notify.NewSecret("C0DE")}})
		},
		func() error {
			return n.SendPasscodeReset(ctx, notify.PasscodeReset{To: []string{"a@example.com"}, DeviceName: "d", NewPasscode: notify.NewSecret("1234")})
		},
		func() error {
			return n.SendCompanyPasscodeAlert(ctx, notify.CompanyPasscodeAlert{To: []string{"a@example.com"}, Site: "s", Attempts: 5})
		},
		func() error {
			return n.SendOneTimePIN(ctx, notify.OneTimePIN{To: []string{"a@example.com"}, User: "u", PIN: notify.NewSecret("99"), ExpiresAt: exp})
		},
	}
	for i, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if rec.Len() != len(calls) {
		t.Fatalf("recorded %d", rec.Len())
	}
	cause := errors.New("relay down")
	rec.FailWith(cause)
	for i, call := range calls {
		if err := call(); !errors.Is(err, notify.ErrSend) || !errors.Is(err, cause) {
			t.Errorf("call %d with failing mailer: %v", i, err)
		}
	}
	// A host Mailer returning a bare error still yields ErrSend.
	bare, err := notify.NewNotifier(notify.NotifierConfig{Mailer: notify.MailerFunc(func(context.Context, notify.Message) error { return cause })})
	if err != nil {
		t.Fatal(err)
	}
	err = bare.SendOneTimePIN(ctx, notify.OneTimePIN{To: []string{"a@example.com"}, User: "u", PIN: notify.NewSecret("99"), ExpiresAt: exp})
	if !errors.Is(err, notify.ErrSend) || !errors.Is(err, cause) {
		t.Errorf("bare error: %v", err)
	}
	rec.FailWith(nil)
	rec.Reset()
	if err := n.SendOneTimePIN(ctx, notify.OneTimePIN{To: []string{"a@example.com"}}); !errors.Is(err, notify.ErrInvalidNotice) || rec.Len() != 0 {
		t.Errorf("invalid notice: %v, %d sent", err, rec.Len())
	}
	var fe *notify.FieldError
	if _, err := notify.NewNotifier(notify.NotifierConfig{}); !errors.As(err, &fe) || fe.Field != "NotifierConfig.Mailer" {
		t.Errorf("no mailer: %v", err)
	}
}

// TestNotifierLoggerDefaultsToDiscard: with no Logger, a Notifier logs
// nothing, like every other package's service (issue 27: it wrote to
// slog.Default).
func TestNotifierLoggerDefaultsToDiscard(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)
	n, err := notify.NewNotifier(notify.NotifierConfig{Mailer: &notify.Recorder{}})
	if err != nil {
		t.Fatal(err)
	}
	// A language the catalog lacks: the Notifier's one log line.
	err = n.SendServicePassword(context.Background(), notify.ServicePassword{To: []string{"a@example.com"}, Language: "pt-BR",
		Issued: servicepass.Issued{DeviceID: "dev-1", Actions: servicepass.Unlock, ExpiresAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
			Display: notify.NewSecret("7KQ4-M2XP-9HVR-TD3C-W")}})
	if err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("logged to slog.Default: %s", buf.String())
	}
}
