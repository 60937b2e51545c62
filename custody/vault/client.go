package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/mdmcred/mdmcred/custody"
)

// backend is custody.Error's Backend for every error of this package.
const backend = "vault"

// maxResponse bounds what is read of a response body.
const maxResponse = 1 << 20

// Config says which Vault, which Transit mount and which key.
type Config struct {
	// Address is Vault's base URL, such as https://vault.example:8200.
	// Required.
	Address string
	// Token is the Vault token sent as X-Vault-Token. It prints as
	// redacted. Required.
	Token string
	// Namespace, for Vault Enterprise and HCP, is sent as
	// X-Vault-Namespace. Zero: none.
	Namespace string
	// Mount is the Transit mount path. Zero means "transit".
	Mount string
	// Key is the name of the Transit key. Required.
	Key string
	// HTTPClient sends the requests. Zero means http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives a line for each failed call (operation and cause,
	// never key material or the token). Zero discards.
	Logger *slog.Logger
}

// Format prints the configuration with the token redacted, under every
// verb.
func (c Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "vault.Config{Address:%q Namespace:%q Mount:%q Key:%q Token:[REDACTED]}", c.Address, c.Namespace, c.Mount, c.Key)
}

// APIError is an error answer from Vault: its HTTP status and its
// "errors" list.
type APIError struct {
	Status int
	Errors []string
}

// Error implements error.
func (e *APIError) Error() string {
	if len(e.Errors) == 0 {
		return fmt.Sprintf("vault: HTTP %d", e.Status)
	}
	return fmt.Sprintf("vault: HTTP %d: %s", e.Status, strings.Join(e.Errors, "; "))
}

// client is a checked Config.
type client struct {
	base      string // Address + "/v1/" + Mount
	token     string
	namespace string
	key       string
	http      *http.Client
	log       *slog.Logger
}

func newClient(cfg Config, op string) (*client, error) {
	fail := func(err error) error { return &custody.Error{Backend: backend, Op: op, Err: err} }
	if cfg.Address == "" || cfg.Token == "" || cfg.Key == "" {
		return nil, fail(errors.New("vault: Config.Address, Config.Token and Config.Key are required"))
	}
	u, err := url.Parse(cfg.Address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fail(fmt.Errorf("vault: Config.Address %q is not an http or https URL", cfg.Address))
	}
	mount := strings.Trim(cfg.Mount, "/")
	if mount == "" {
		mount = "transit"
	}
	if strings.ContainsAny(cfg.Key, "/?#%") || strings.Contains(mount, "..") {
		return nil, fail(fmt.Errorf("vault: key name %q or mount %q has a character a path cannot hold", cfg.Key, mount))
	}
	c := &client{
		base:      strings.TrimRight(cfg.Address, "/") + "/v1/" + mount,
		token:     cfg.Token,
		namespace: cfg.Namespace,
		key:       cfg.Key,
		http:      cfg.HTTPClient,
		log:       cfg.Logger,
	}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// call sends a request to path under the mount with body (JSON, or none
// when nil) and decodes the response's "data" into out (unless nil).
func (c *client) call(ctx context.Context, op, method, path string, body, out any) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return c.fail(op, err)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return c.fail(op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/"+path, rd)
	if err != nil {
		return c.fail(op, err)
	}
	req.Header.Set("X-Vault-Token", c.token)
	if c.namespace != "" {
		req.Header.Set("X-Vault-Namespace", c.namespace)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error holds the URL (no token or key material) and the cause.
		return c.fail(op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return c.fail(op, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Errors []string `json:"errors"`
		}
		_ = json.Unmarshal(raw, &e)
		return c.fail(op, &APIError{Status: resp.StatusCode, Errors: e.Errors})
	}
	if out == nil {
		return nil
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Data) == 0 {
		return c.fail(op, fmt.Errorf("vault: HTTP %d answer has no data", resp.StatusCode))
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return c.fail(op, fmt.Errorf("vault: HTTP %d answer: %v", resp.StatusCode, err))
	}
	return nil
}

func (c *client) fail(op string, err error) error {
	c.log.Warn("custody: vault call failed", "op", op, "key", c.key, "err", err.Error())
	return &custody.Error{Backend: backend, Op: op, Err: err}
}

// parseVersioned splits Transit's "vault:v<N>:<base64>" into its payload.
func parseVersioned(s string) (string, error) {
	rest, ok := strings.CutPrefix(s, "vault:v")
	if !ok {
		return "", errors.New(`vault: answer does not start with "vault:v"`)
	}
	ver, payload, ok := strings.Cut(rest, ":")
	if !ok || ver == "" || strings.Trim(ver, "0123456789") != "" {
		return "", errors.New(`vault: answer is not "vault:v<version>:<data>"`)
	}
	return payload, nil
}
