package vault

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/mdmcred/mdmcred/custody"
)

// Wrapper wraps data keys with a Transit encryption key (type
// "aes256-gcm96"): a [custody.Wrapper]. A wrapped key is Transit's
// ciphertext string, "vault:v<N>:<base64>", as bytes.
type Wrapper struct {
	c *client
}

var _ custody.Wrapper = (*Wrapper)(nil)

// NewWrapper returns the [custody.Wrapper] for the Transit key cfg.Key.
// It makes no call.
func NewWrapper(cfg Config) (*Wrapper, error) {
	c, err := newClient(cfg, "open")
	if err != nil {
		return nil, err
	}
	return &Wrapper{c: c}, nil
}

// Wrap encrypts plaintext with POST <mount>/encrypt/<name>.
func (w *Wrapper) Wrap(ctx context.Context, plaintext []byte) ([]byte, error) {
	if len(plaintext) == 0 {
		return nil, w.c.fail("wrap", errors.New("vault: empty plaintext"))
	}
	var out struct {
		Ciphertext string `json:"ciphertext"`
	}
	in := map[string]string{"plaintext": base64.StdEncoding.EncodeToString(plaintext)}
	if err := w.c.call(ctx, "wrap", "POST", "encrypt/"+w.c.key, in, &out); err != nil {
		return nil, err
	}
	if _, err := parseVersioned(out.Ciphertext); err != nil {
		return nil, w.c.fail("wrap", err)
	}
	return []byte(out.Ciphertext), nil
}

// Unwrap decrypts what Wrap returned with POST <mount>/decrypt/<name>.
func (w *Wrapper) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	if _, err := parseVersioned(string(wrapped)); err != nil {
		return nil, w.c.fail("unwrap", err)
	}
	var out struct {
		Plaintext string `json:"plaintext"`
	}
	if err := w.c.call(ctx, "unwrap", "POST", "decrypt/"+w.c.key, map[string]string{"ciphertext": string(wrapped)}, &out); err != nil {
		return nil, err
	}
	p, err := base64.StdEncoding.DecodeString(out.Plaintext)
	if err != nil {
		return nil, w.c.fail("unwrap", errors.New("vault: plaintext is not base64"))
	}
	return p, nil
}

// String names the wrapper's key; the token is not shown.
func (w *Wrapper) String() string { return fmt.Sprintf("vault.Wrapper(%q)", w.c.key) }

// Format prints the wrapper as String does under every verb.
func (w *Wrapper) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(w.String())) }
