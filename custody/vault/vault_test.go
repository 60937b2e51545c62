package vault_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/custody"
	"github.com/mdmcred/mdmcred/custody/custodytest"
	"github.com/mdmcred/mdmcred/custody/vault"
)

const token = "hvs.test-Mq7Zx-token-4Kp9"

var names atomic.Int64

func newName(prefix string) string { return fmt.Sprintf("%s-%d", prefix, names.Add(1)) }

// Every device key of servicepass/testdata, derived by the fake Transit
// from PRKs imported through the BYOK protocol, plus the suite's context,
// error and redaction rules.
func TestKeyConformance(t *testing.T) {
	f := startTransit(t, token)
	custodytest.RunKey(t, "vault", func(t *testing.T, prk []byte) custody.Key {
		cfg := f.config(newName("site"))
		if err := vault.ImportKey(context.Background(), cfg, prk); err != nil {
			t.Fatal(err)
		}
		k, err := vault.NewKey(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return k
	})
	// The PRKs crossed the wire only wrapped.
	for _, d := range custodytest.Vectors(t) {
		custodytest.NoSecret(t, custodytest.PRK(d.Master), f.requestBodies()...)
		custodytest.NoSecret(t, d.Master, f.requestBodies()...)
	}
}

func TestWrapperConformance(t *testing.T) {
	f := startTransit(t, token)
	f.createAES(t, "sealing")
	w, err := vault.NewWrapper(f.config("sealing"))
	if err != nil {
		t.Fatal(err)
	}
	custodytest.RunWrapper(t, "vault", w)
}

func TestCreateKey(t *testing.T) {
	f := startTransit(t, token)
	ctx := context.Background()
	var macs [][]byte
	for i := 0; i < 2; i++ {
		cfg := f.config(newName("new"))
		if err := vault.CreateKey(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		k, _ := vault.NewKey(cfg)
		mac, err := k.HMAC(ctx, []byte("device-1\x01"))
		if err != nil {
			t.Fatal(err)
		}
		macs = append(macs, mac)
	}
	if bytes.Equal(macs[0], macs[1]) {
		t.Error("two created keys give the same HMAC")
	}
}

// answer serves one canned answer to every request.
func answer(t *testing.T, status int, body string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Every failing call is a *custody.Error naming vault and the operation,
// and neither it nor the log shows the key or the token.
func TestErrors(t *testing.T) {
	f := startTransit(t, token)
	ctx := context.Background()
	prk := make([]byte, 32)
	_, _ = rand.Read(prk)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	withLog := func(c vault.Config) vault.Config { c.Logger = logger; return c }

	imported := withLog(f.config(newName("imported")))
	if err := vault.ImportKey(ctx, imported, prk); err != nil {
		t.Fatal(err)
	}
	wrongToken := imported
	wrongToken.Token = "hvs.wrong-token-123456"
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	hang := make(chan struct{})
	defer close(hang)
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so that the server sees the client go
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer stuck.Close()
	at := func(url string) vault.Config { return withLog(vault.Config{Address: url, Token: token, Key: "k"}) }
	hmacOf := func(cfg vault.Config, ctx context.Context) func() error {
		return func() error {
			k, err := vault.NewKey(cfg)
			if err != nil {
				return err
			}
			out, err := k.HMAC(ctx, []byte("device\x01"))
			if out != nil {
				t.Errorf("failed call returned %x", out)
			}
			return err
		}
	}
	apiStatus := func(status int) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			var ae *vault.APIError
			if !errors.As(err, &ae) || ae.Status != status {
				t.Errorf("error %v, want an *APIError with status %d", err, status)
			}
		}
	}
	tests := []struct {
		name  string
		call  func() error
		op    string
		cause error
		check func(*testing.T, error)
	}{
		{"wrong token", hmacOf(wrongToken, ctx), "hmac", nil, apiStatus(403)},
		{"unknown key", hmacOf(withLog(f.config("nope")), ctx), "hmac", nil, apiStatus(400)},
		{"cancelled", hmacOf(imported, cancelled), "hmac", context.Canceled, nil},
		{"deadline mid-call", func() error {
			short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			return hmacOf(at(stuck.URL), short)()
		}, "hmac", context.DeadlineExceeded, nil},
		{"server down", hmacOf(at("http://127.0.0.1:1"), ctx), "hmac", nil, nil},
		{"no data", hmacOf(at(answer(t, 200, `{}`)), ctx), "hmac", nil, nil},
		{"not JSON", hmacOf(at(answer(t, 200, `<html>`)), ctx), "hmac", nil, nil},
		{"no prefix", hmacOf(at(answer(t, 200, `{"data":{"hmac":"AAAA"}}`)), ctx), "hmac", nil, nil},
		{"bad version", hmacOf(at(answer(t, 200, `{"data":{"hmac":"vault:vx:AAAA"}}`)), ctx), "hmac", nil, nil},
		{"short hmac", hmacOf(at(answer(t, 200, `{"data":{"hmac":"vault:v1:AAAA"}}`)), ctx), "hmac", nil, nil},
		{"error list", hmacOf(at(answer(t, 500, `{"errors":["internal error"]}`)), ctx), "hmac", nil, func(t *testing.T, err error) {
			if !strings.Contains(err.Error(), "HTTP 500: internal error") {
				t.Errorf("error %v does not carry Vault's message", err)
			}
		}},
		{"no address", func() error { _, err := vault.NewKey(vault.Config{Token: token, Key: "k"}); return err }, "open", nil, nil},
		{"bad scheme", func() error {
			_, err := vault.NewKey(vault.Config{Address: "ftp://x", Token: token, Key: "k"})
			return err
		}, "open", nil, nil},
		{"key with a slash", func() error {
			_, err := vault.NewWrapper(vault.Config{Address: f.srv.URL, Token: token, Key: "a/../b"})
			return err
		}, "open", nil, nil},
		{"import twice", func() error { return vault.ImportKey(ctx, imported, prk) }, "import", nil, apiStatus(500)},
		{"import short key", func() error { return vault.ImportKey(ctx, withLog(f.config(newName("s"))), prk[:16]) }, "import", nil, nil},
		{"import cancelled", func() error { return vault.ImportKey(cancelled, withLog(f.config(newName("c"))), prk) }, "import", context.Canceled, nil},
		{"import to a non-RSA-4096 wrapping key", func() error {
			return vault.ImportKey(ctx, at(answer(t, 200, `{"data":{"public_key":"not pem"}}`)), prk)
		}, "import", nil, nil},
		{"create cancelled", func() error { return vault.CreateKey(cancelled, withLog(f.config(newName("c")))) }, "create", context.Canceled, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			custodytest.CheckError(t, err, "vault", tt.op, tt.cause)
			if tt.check != nil {
				tt.check(t, err)
			}
			custodytest.NoSecret(t, prk, err.Error())
			custodytest.NoSecret(t, []byte(token), err.Error())
		})
	}
	if !strings.Contains(logs.String(), `"op":"hmac"`) || !strings.Contains(logs.String(), `"op":"import"`) {
		t.Errorf("failed calls were not logged: %s", logs.String())
	}
	custodytest.NoSecret(t, prk, logs.String())
	custodytest.NoSecret(t, []byte(token), logs.String())
}

// The token prints nowhere.
func TestRedaction(t *testing.T) {
	f := startTransit(t, token)
	cfg := f.config("k")
	k, _ := vault.NewKey(cfg)
	w, _ := vault.NewWrapper(cfg)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{cfg, &cfg, k, w} {
			custodytest.NoSecret(t, []byte(token), fmt.Sprintf(verb, v))
		}
	}
}
