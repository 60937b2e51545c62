package vault

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/mdmcred/mdmcred/custody"
)

// Key is a Transit key of type "hmac": a [custody.Key]. It holds the key's
// name and the token, which it never prints.
type Key struct {
	c *client
}

var _ custody.Key = (*Key)(nil)

// NewKey returns the [custody.Key] for the Transit hmac key cfg.Key. It
// makes no call: a wrong name or token shows at the first HMAC.
func NewKey(cfg Config) (*Key, error) {
	c, err := newClient(cfg, "open")
	if err != nil {
		return nil, err
	}
	return &Key{c: c}, nil
}

// HMAC returns HMAC-SHA256 of msg under the key, computed by Transit
// (POST <mount>/hmac/<name>/sha2-256). It implements [custody.Key].
func (k *Key) HMAC(ctx context.Context, msg []byte) ([]byte, error) {
	var out struct {
		HMAC string `json:"hmac"`
	}
	in := map[string]string{"input": base64.StdEncoding.EncodeToString(msg)}
	if err := k.c.call(ctx, "hmac", "POST", "hmac/"+k.c.key+"/sha2-256", in, &out); err != nil {
		return nil, err
	}
	payload, err := parseVersioned(out.HMAC)
	if err != nil {
		return nil, k.c.fail("hmac", err)
	}
	mac, err := base64.StdEncoding.DecodeString(payload)
	if err != nil || len(mac) != sha256.Size {
		return nil, k.c.fail("hmac", fmt.Errorf("vault: hmac is not %d bytes of base64", sha256.Size))
	}
	return mac, nil
}

// Name returns the Transit key's name.
func (k *Key) Name() string { return k.c.key }

// String names the key; a Key holds no key material, and the token is
// not shown.
func (k *Key) String() string { return fmt.Sprintf("vault.Key(%q)", k.c.key) }

// Format prints the key as String does under every verb.
func (k *Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// CreateKey creates the Transit key cfg.Key of type "hmac" with a 32-byte
// key Vault draws and, unless exported by a policy change, never reveals.
func CreateKey(ctx context.Context, cfg Config) error {
	c, err := newClient(cfg, "create")
	if err != nil {
		return err
	}
	return c.call(ctx, "create", "POST", "keys/"+c.key, map[string]any{"type": "hmac", "key_size": sha256.Size}, nil)
}

// ImportKey imports prk (the 32-byte PRK of a service-password master key)
// as the new Transit key cfg.Key of type "hmac", not exportable and not
// rotatable, by Transit's bring-your-own-key protocol: prk is wrapped
// (AES-KWP) under a fresh AES-256 key, which is wrapped (RSA-OAEP SHA-256)
// under the mount's wrapping key.
func ImportKey(ctx context.Context, cfg Config, prk []byte) error {
	c, err := newClient(cfg, "import")
	if err != nil {
		return err
	}
	if len(prk) != sha256.Size {
		return c.fail("import", fmt.Errorf("vault: key has %d bytes, want %d", len(prk), sha256.Size))
	}
	var wk struct {
		PublicKey string `json:"public_key"`
	}
	if err := c.call(ctx, "import", "GET", "wrapping_key", nil, &wk); err != nil {
		return err
	}
	ciphertext, err := byokCiphertext(wk.PublicKey, prk)
	if err != nil {
		return c.fail("import", err)
	}
	return c.call(ctx, "import", "POST", "keys/"+c.key+"/import", map[string]any{
		"type":          "hmac",
		"hash_function": "SHA256",
		"ciphertext":    base64.StdEncoding.EncodeToString(ciphertext),
	}, nil)
}

// byokCiphertext is Transit's import ciphertext: RSA-OAEP-SHA256 of an
// ephemeral AES-256 key under the wrapping key (512 bytes for its RSA-4096
// key), then AES-KWP of the key material under the ephemeral key.
func byokCiphertext(wrappingPEM string, material []byte) ([]byte, error) {
	block, _ := pem.Decode([]byte(wrappingPEM))
	if block == nil {
		return nil, errors.New("vault: wrapping key is not PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("vault: wrapping key: %w", err)
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok || rsaPub.Size() != 512 {
		return nil, errors.New("vault: wrapping key is not RSA-4096")
	}
	eph := make([]byte, 32)
	if _, err := rand.Read(eph); err != nil {
		return nil, err
	}
	defer clear(eph)
	wrappedEph, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, rsaPub, eph, nil)
	if err != nil {
		return nil, err
	}
	wrappedKey, err := wrapKWP(eph, material)
	if err != nil {
		return nil, err
	}
	return append(wrappedEph, wrappedKey...), nil
}
