package pkcs11

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/mdmcred/mdmcred/custody"
	p11 "github.com/miekg/pkcs11"
)

// backend is custody.Error's Backend for every error of this package.
const backend = "pkcs11"

// ErrKeyNotFound is returned (inside a [*custody.Error]) by [Token.FindKey]
// when the token holds no key with the label.
var ErrKeyNotFound = errors.New("pkcs11: no key with that label")

var (
	errClosed     = errors.New("pkcs11: token closed")
	errNoToken    = errors.New("pkcs11: no token with that label")
	errLabelInUse = errors.New("pkcs11: a key with that label exists")
	errLabelTwice = errors.New("pkcs11: more than one key with that label")
)

// Config says which token to open.
type Config struct {
	// Module is the path of the token's PKCS#11 library, such as
	// /usr/lib/softhsm/libsofthsm2.so. Required.
	Module string
	// TokenLabel is the label of the token to use. Required.
	TokenLabel string
	// PIN is the user PIN. It is used once, to log in, and not kept.
	// It prints as redacted.
	PIN string
	// Sessions is how many sessions calls share, which bounds how many
	// run at once. Zero means 4.
	Sessions int
	// Logger receives a line for each failed call (operation and cause,
	// never key material). Zero discards.
	Logger *slog.Logger
}

// Format prints the configuration with the PIN redacted, under every verb.
func (c Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "pkcs11.Config{Module:%q TokenLabel:%q PIN:[REDACTED] Sessions:%d}", c.Module, c.TokenLabel, c.Sessions)
}

// Token is an open, logged-in PKCS#11 token. It is safe for concurrent use.
type Token struct {
	ctx      *p11.Ctx
	module   string
	sessions chan p11.SessionHandle
	n        int
	log      *slog.Logger

	mu     sync.Mutex
	closed bool
	done   chan struct{}
}

// Open loads cfg.Module, finds the token labelled cfg.TokenLabel, opens
// cfg.Sessions read-write sessions and logs in as the user.
func Open(ctx context.Context, cfg Config) (*Token, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	fail := func(err error) error { return &custody.Error{Backend: backend, Op: "open", Err: err} }
	if cfg.Module == "" || cfg.TokenLabel == "" {
		return nil, fail(errors.New("pkcs11: Config.Module and Config.TokenLabel are required"))
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(err)
	}
	n := cfg.Sessions
	if n <= 0 {
		n = 4
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := p11.New(cfg.Module)
	if c == nil {
		return nil, fail(fmt.Errorf("pkcs11: cannot load module %q", cfg.Module))
	}
	if err := initialize(cfg.Module, c); err != nil {
		c.Destroy()
		return nil, fail(err)
	}
	t := &Token{ctx: c, module: cfg.Module, sessions: make(chan p11.SessionHandle, n), n: n, log: log, done: make(chan struct{})}
	slot, err := t.findSlot(cfg.TokenLabel)
	if err == nil {
		err = t.openSessions(slot, n, cfg.PIN)
	}
	if err != nil {
		t.shutdown()
		return nil, fail(err)
	}
	return t, nil
}

func (t *Token) findSlot(label string) (uint, error) {
	slots, err := t.ctx.GetSlotList(true)
	if err != nil {
		return 0, err
	}
	for _, s := range slots {
		info, err := t.ctx.GetTokenInfo(s)
		if err != nil {
			continue
		}
		if strings.TrimRight(info.Label, " \x00") == label {
			return s, nil
		}
	}
	return 0, errNoToken
}

func (t *Token) openSessions(slot uint, n int, pin string) error {
	for i := 0; i < n; i++ {
		sh, err := t.ctx.OpenSession(slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
		if err != nil {
			return err
		}
		t.sessions <- sh
		if i == 0 {
			// Login is per application: one login serves every session.
			if err := t.ctx.Login(sh, p11.CKU_USER, pin); err != nil && !errors.Is(err, p11.Error(p11.CKR_USER_ALREADY_LOGGED_IN)) {
				return err
			}
		}
	}
	return nil
}

// Close waits for calls under way, closes the Token's sessions (the
// token logs out with the last session of the process) and, with the last
// Token on the library, finalizes it. Calls after Close fail.
func (t *Token) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	close(t.done)
	t.mu.Unlock()
	if err := t.shutdown(); err != nil {
		return &custody.Error{Backend: backend, Op: "close", Err: err}
	}
	return nil
}

// shutdown takes back every session (waiting for calls under way), closes
// them and finalizes the library if this was its last Token.
func (t *Token) shutdown() error {
	var first error
	opened := len(t.sessions)
	if t.closed {
		opened = t.n
	}
	// No C_Logout: the login belongs to the whole application, and other
	// Tokens on the same token would lose it. The token logs the
	// application out when its last session closes.
	for i := 0; i < opened; i++ {
		sh := <-t.sessions
		if err := t.ctx.CloseSession(sh); err != nil && first == nil {
			first = err
		}
	}
	if err := finalize(t.module, t.ctx); err != nil && first == nil {
		first = err
	}
	t.ctx.Destroy()
	return first
}

// do runs fn on a free session. It returns when fn does or when ctx ends,
// whichever is first; fn keeps its session until it returns.
func (t *Token) do(ctx context.Context, op string, fn func(p11.SessionHandle) error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return t.fail(op, err)
	}
	var sh p11.SessionHandle
	select {
	case <-t.done:
		return t.fail(op, errClosed)
	default:
	}
	select {
	case sh = <-t.sessions:
	case <-ctx.Done():
		return t.fail(op, ctx.Err())
	case <-t.done:
		return t.fail(op, errClosed)
	}
	res := make(chan error, 1)
	go func() {
		err := fn(sh)
		t.sessions <- sh
		res <- err
	}()
	select {
	case err := <-res:
		if err != nil {
			return t.fail(op, err)
		}
		return nil
	case <-ctx.Done():
		return t.fail(op, ctx.Err())
	}
}

func (t *Token) fail(op string, err error) error {
	t.log.Warn("custody: pkcs11 call failed", "op", op, "err", err.Error())
	return &custody.Error{Backend: backend, Op: op, Err: err}
}

// A PKCS#11 library is initialized once per process (C_Initialize and
// C_Finalize act on the whole process), so Tokens on one library count
// their users: the first Open initializes it, the last Close finalizes it,
// and closing one Token leaves the others' sessions open.
var (
	modulesMu sync.Mutex
	modules   = map[string]int{}
)

func initialize(module string, c *p11.Ctx) error {
	modulesMu.Lock()
	defer modulesMu.Unlock()
	if modules[module] == 0 {
		if err := c.Initialize(); err != nil && !errors.Is(err, p11.Error(p11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
			return err
		}
	}
	modules[module]++
	return nil
}

func finalize(module string, c *p11.Ctx) error {
	modulesMu.Lock()
	defer modulesMu.Unlock()
	modules[module]--
	if modules[module] > 0 {
		return nil
	}
	delete(modules, module)
	return c.Finalize()
}
