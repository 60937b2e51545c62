package envelope

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"

	"github.com/mdmcred/mdmcred/custody"
)

// backend is custody.Error's Backend for every error of this package.
const backend = "envelope"

// Config says which keeper wraps the keys: exactly one of Keeper and URL.
type Config struct {
	// Keeper is a keeper the host opened. The Wrapper owns it from New
	// on: Wrapper.Close closes it.
	Keeper *secrets.Keeper
	// URL is a keeper URL, opened with secrets.OpenKeeper; the host
	// imports the driver of its scheme. It prints as its scheme only.
	URL string
	// Logger receives a line for each failed call (operation and error
	// code, never key material). Zero discards.
	Logger *slog.Logger
}

// Format prints the configuration with the URL reduced to its scheme,
// under every verb.
func (c Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "envelope.Config{Keeper:%v URL:%s}", c.Keeper != nil, schemeOf(c.URL))
}

func schemeOf(u string) string {
	if s, _, ok := strings.Cut(u, "://"); ok && s != "" && !strings.ContainsAny(s, "/?#@") {
		return s + "://[REDACTED]"
	}
	if u == "" {
		return `""`
	}
	return "[REDACTED]"
}

// Wrapper wraps data keys with a keeper: a [custody.Wrapper]. It is safe
// for concurrent use.
type Wrapper struct {
	k      *secrets.Keeper
	scheme string
	log    *slog.Logger
}

var _ custody.Wrapper = (*Wrapper)(nil)

// New returns the Wrapper over cfg.Keeper, or over the keeper cfg.URL
// opens.
func New(ctx context.Context, cfg Config) (*Wrapper, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Wrapper{k: cfg.Keeper, scheme: "keeper", log: log}
	switch {
	case (cfg.Keeper == nil) == (cfg.URL == ""):
		return nil, w.fail("open", errors.New("envelope: set exactly one of Config.Keeper and Config.URL"))
	case cfg.URL != "":
		if err := ctx.Err(); err != nil {
			return nil, w.fail("open", err)
		}
		w.scheme = schemeOf(cfg.URL)
		k, err := secrets.OpenKeeper(ctx, cfg.URL)
		if err != nil {
			return nil, w.fail("open", redactURL(err, cfg.URL))
		}
		w.k = k
	}
	return w, nil
}

// redactURL replaces err with one whose text holds no part of the URL
// beyond its scheme: a base64key:// URL is the key.
func redactURL(err error, rawURL string) error {
	msg := err.Error()
	parts := []string{rawURL}
	if u, perr := url.Parse(rawURL); perr == nil {
		parts = append(parts, u.Host, u.Path, u.RawQuery, u.Opaque, u.String())
		for _, vs := range u.Query() {
			parts = append(parts, vs...)
		}
	}
	for _, p := range parts {
		if len(p) >= 4 {
			msg = strings.ReplaceAll(msg, p, "[REDACTED]")
		}
	}
	return &openError{msg: msg, code: gcerrors.Code(err)}
}

// openError is a keeper's open error with the URL taken out.
type openError struct {
	msg  string
	code gcerrors.ErrorCode
}

func (e *openError) Error() string { return e.msg }

// Wrap encrypts plaintext (not empty) with the keeper.
func (w *Wrapper) Wrap(ctx context.Context, plaintext []byte) ([]byte, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, w.fail("wrap", err)
	}
	if len(plaintext) == 0 {
		return nil, w.fail("wrap", errors.New("envelope: nothing to wrap"))
	}
	out, err := w.k.Encrypt(ctx, plaintext)
	if err != nil {
		return nil, w.fail("wrap", err)
	}
	return out, nil
}

// Unwrap decrypts what Wrap returned.
func (w *Wrapper) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, w.fail("unwrap", err)
	}
	if len(wrapped) == 0 {
		return nil, w.fail("unwrap", errors.New("envelope: nothing to unwrap"))
	}
	out, err := w.k.Decrypt(ctx, wrapped)
	if err != nil {
		return nil, w.fail("unwrap", err)
	}
	return out, nil
}

// Close closes the keeper.
func (w *Wrapper) Close() error {
	if err := w.k.Close(); err != nil {
		return w.fail("close", err)
	}
	return nil
}

// String names the keeper by its URL scheme; a Wrapper shows no key.
func (w *Wrapper) String() string { return fmt.Sprintf("envelope.Wrapper(%s)", w.scheme) }

// Format prints the wrapper as String does under every verb.
func (w *Wrapper) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(w.String())) }

func (w *Wrapper) fail(op string, err error) error {
	w.log.Warn("custody: envelope call failed", "op", op, "code", gcerrors.Code(err).String())
	return &custody.Error{Backend: backend, Op: op, Err: err}
}
