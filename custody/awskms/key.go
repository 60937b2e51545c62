package awskms

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/mdmcred/mdmcred/custody"
)

// backend is custody.Error's Backend for every error of this package.
const backend = "awskms"

// maxMessage is GenerateMac's and Encrypt's limit on a message.
const maxMessage = 4096

// API is the part of *kms.Client this package calls; pass a *kms.Client.
type API interface {
	GenerateMac(ctx context.Context, in *kms.GenerateMacInput, opts ...func(*kms.Options)) (*kms.GenerateMacOutput, error)
	Encrypt(ctx context.Context, in *kms.EncryptInput, opts ...func(*kms.Options)) (*kms.EncryptOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
	CreateKey(ctx context.Context, in *kms.CreateKeyInput, opts ...func(*kms.Options)) (*kms.CreateKeyOutput, error)
	GetParametersForImport(ctx context.Context, in *kms.GetParametersForImportInput, opts ...func(*kms.Options)) (*kms.GetParametersForImportOutput, error)
	ImportKeyMaterial(ctx context.Context, in *kms.ImportKeyMaterialInput, opts ...func(*kms.Options)) (*kms.ImportKeyMaterialOutput, error)
}

var _ API = (*kms.Client)(nil)

// Config names a KMS key and the client to reach it.
type Config struct {
	// Client calls KMS: a *kms.Client, whose options (region,
	// credentials, retryer, HTTP client) are the host's. Required.
	Client API
	// KeyID is the key's ID, ARN, alias name ("alias/...") or alias ARN.
	// Required.
	KeyID string
	// EncryptionContext, for a Wrapper only, is bound to every wrapped
	// key (KMS's additional authenticated data): unwrapping needs the
	// same map. Zero: none.
	EncryptionContext map[string]string
	// Logger receives a line for each failed call (operation and cause,
	// never key material). Zero discards.
	Logger *slog.Logger
}

func (c Config) check(op string) (*slog.Logger, error) {
	if c.Client == nil || c.KeyID == "" {
		return nil, &custody.Error{Backend: backend, Op: op, Err: errors.New("awskms: Config.Client and Config.KeyID are required")}
	}
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler), nil
	}
	return c.Logger, nil
}

// Key is an HMAC_256 KMS key: a [custody.Key]. It holds the key's ID, not
// key material, and prints as its ID.
type Key struct {
	api   API
	keyID string
	log   *slog.Logger
}

var _ custody.Key = (*Key)(nil)

// NewKey returns the [custody.Key] for the HMAC_256 key cfg.KeyID. It
// makes no call: a wrong key ID shows at the first HMAC.
func NewKey(cfg Config) (*Key, error) {
	log, err := cfg.check("open")
	if err != nil {
		return nil, err
	}
	return &Key{api: cfg.Client, keyID: cfg.KeyID, log: log}, nil
}

// HMAC returns HMAC-SHA256 of msg (1 to 4096 bytes) under the key,
// computed by KMS GenerateMac. It implements [custody.Key].
func (k *Key) HMAC(ctx context.Context, msg []byte) ([]byte, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(k.log, "hmac", err)
	}
	if len(msg) == 0 || len(msg) > maxMessage {
		return nil, fail(k.log, "hmac", fmt.Errorf("awskms: message has %d bytes, GenerateMac takes 1 to %d", len(msg), maxMessage))
	}
	out, err := k.api.GenerateMac(ctx, &kms.GenerateMacInput{
		KeyId:        aws.String(k.keyID),
		Message:      msg,
		MacAlgorithm: types.MacAlgorithmSpecHmacSha256,
	})
	if err != nil {
		return nil, fail(k.log, "hmac", err)
	}
	if len(out.Mac) != sha256.Size {
		return nil, fail(k.log, "hmac", fmt.Errorf("awskms: GenerateMac returned %d bytes, want %d", len(out.Mac), sha256.Size))
	}
	return out.Mac, nil
}

// KeyID returns the key's ID, ARN or alias, as configured.
func (k *Key) KeyID() string { return k.keyID }

// String names the key by its ID; a Key holds no key material.
func (k *Key) String() string { return fmt.Sprintf("awskms.Key(%q)", k.keyID) }

// Format prints the key as String does under every verb.
func (k *Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// CreateKey creates an HMAC_256 key (usage GENERATE_VERIFY_MAC) whose
// material KMS draws and never reveals, and returns its key ID.
func CreateKey(ctx context.Context, client API, description string) (string, error) {
	return createKey(ctx, client, "create", description, types.OriginTypeAwsKms)
}

// ImportKey creates an HMAC_256 key of origin EXTERNAL and imports prk
// (the 32-byte PRK of a service-password master key) as its material, never
// to expire, and returns its key ID. prk travels wrapped under the RSA
// public key KMS hands out for the import (RSAES_OAEP_SHA_256).
func ImportKey(ctx context.Context, client API, description string, prk []byte) (string, error) {
	if len(prk) != sha256.Size {
		return "", &custody.Error{Backend: backend, Op: "import", Err: fmt.Errorf("awskms: key has %d bytes, an HMAC_256 key takes %d", len(prk), sha256.Size)}
	}
	id, err := createKey(ctx, client, "import", description, types.OriginTypeExternal)
	if err != nil {
		return "", err
	}
	if err := importMaterial(ctx, client, id, prk); err != nil {
		return "", err
	}
	return id, nil
}

func createKey(ctx context.Context, client API, op, description string, origin types.OriginType) (string, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if client == nil {
		return "", &custody.Error{Backend: backend, Op: op, Err: errors.New("awskms: no client")}
	}
	if err := ctx.Err(); err != nil {
		return "", &custody.Error{Backend: backend, Op: op, Err: err}
	}
	out, err := client.CreateKey(ctx, &kms.CreateKeyInput{
		KeySpec:     types.KeySpecHmac256,
		KeyUsage:    types.KeyUsageTypeGenerateVerifyMac,
		Origin:      origin,
		Description: aws.String(description),
	})
	if err != nil {
		return "", &custody.Error{Backend: backend, Op: op, Err: err}
	}
	if out.KeyMetadata == nil || out.KeyMetadata.KeyId == nil {
		return "", &custody.Error{Backend: backend, Op: op, Err: errors.New("awskms: CreateKey returned no key ID")}
	}
	return *out.KeyMetadata.KeyId, nil
}

// importMaterial runs KMS's import protocol for keyID, a key of origin
// EXTERNAL pending import: it fetches a wrapping public key and an import
// token, wraps material under the public key with RSAES-OAEP-SHA256 and
// imports it.
func importMaterial(ctx context.Context, client API, keyID string, material []byte) error {
	fail := func(err error) error { return &custody.Error{Backend: backend, Op: "import", Err: err} }
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	params, err := client.GetParametersForImport(ctx, &kms.GetParametersForImportInput{
		KeyId:             aws.String(keyID),
		WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256,
		WrappingKeySpec:   types.WrappingKeySpecRsa2048,
	})
	if err != nil {
		return fail(err)
	}
	pub, err := x509.ParsePKIXPublicKey(params.PublicKey)
	if err != nil {
		return fail(fmt.Errorf("awskms: wrapping public key: %w", err))
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return fail(fmt.Errorf("awskms: wrapping public key is %T, want RSA", pub))
	}
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, rsaPub, material, nil)
	if err != nil {
		return fail(err)
	}
	_, err = client.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{
		KeyId:                aws.String(keyID),
		ImportToken:          params.ImportToken,
		EncryptedKeyMaterial: wrapped,
		ExpirationModel:      types.ExpirationModelTypeKeyMaterialDoesNotExpire,
	})
	if err != nil {
		return fail(err)
	}
	return nil
}

func fail(log *slog.Logger, op string, err error) error {
	log.Warn("custody: awskms call failed", "op", op, "err", err.Error())
	return &custody.Error{Backend: backend, Op: op, Err: err}
}
