package awskms

import (
	"context"
	"fmt"
	"log/slog"
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/mdmcred/mdmcred/custody"
)

// Wrapper wraps data keys with a symmetric KMS key (Encrypt and Decrypt):
// a [custody.Wrapper]. It holds the key's ID, not key material.
type Wrapper struct {
	api   API
	keyID string
	ec    map[string]string
	log   *slog.Logger
}

var _ custody.Wrapper = (*Wrapper)(nil)

// NewWrapper returns the [custody.Wrapper] for the symmetric key
// cfg.KeyID, binding cfg.EncryptionContext to every wrapped key. It makes
// no call.
func NewWrapper(cfg Config) (*Wrapper, error) {
	log, err := cfg.check("open")
	if err != nil {
		return nil, err
	}
	return &Wrapper{api: cfg.Client, keyID: cfg.KeyID, ec: maps.Clone(cfg.EncryptionContext), log: log}, nil
}

// Wrap encrypts plaintext (1 to 4096 bytes) under the key with KMS
// Encrypt; the result is KMS's ciphertext blob.
func (w *Wrapper) Wrap(ctx context.Context, plaintext []byte) ([]byte, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(w.log, "wrap", err)
	}
	if len(plaintext) == 0 || len(plaintext) > maxMessage {
		return nil, fail(w.log, "wrap", fmt.Errorf("awskms: plaintext has %d bytes, Encrypt takes 1 to %d", len(plaintext), maxMessage))
	}
	out, err := w.api.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(w.keyID), Plaintext: plaintext, EncryptionContext: w.ec})
	if err != nil {
		return nil, fail(w.log, "wrap", err)
	}
	return out.CiphertextBlob, nil
}

// Unwrap decrypts what Wrap returned with KMS Decrypt, pinned to the key
// (KMS refuses a blob made under another key).
func (w *Wrapper) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(w.log, "unwrap", err)
	}
	if len(wrapped) == 0 {
		return nil, fail(w.log, "unwrap", fmt.Errorf("awskms: empty ciphertext"))
	}
	out, err := w.api.Decrypt(ctx, &kms.DecryptInput{KeyId: aws.String(w.keyID), CiphertextBlob: wrapped, EncryptionContext: w.ec})
	if err != nil {
		return nil, fail(w.log, "unwrap", err)
	}
	return out.Plaintext, nil
}

// String names the wrapper's key; a Wrapper holds no key material.
func (w *Wrapper) String() string { return fmt.Sprintf("awskms.Wrapper(%q)", w.keyID) }

// Format prints the wrapper as String does under every verb.
func (w *Wrapper) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(w.String())) }
