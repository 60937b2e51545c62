package envelope_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets/awskms"
	"gocloud.dev/secrets/localsecrets"

	"github.com/mdmcred/mdmcred/custody/custodytest"
	"github.com/mdmcred/mdmcred/custody/envelope"
)

func randomKey(t *testing.T) [32]byte {
	k, err := localsecrets.NewRandomKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustNew(t *testing.T, cfg envelope.Config) *envelope.Wrapper {
	t.Helper()
	w, err := envelope.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// The local keeper, built by the host and opened from a base64key:// URL.
func TestLocalKeeper(t *testing.T) {
	key := randomKey(t)
	t.Run("Keeper", func(t *testing.T) {
		custodytest.RunWrapper(t, "envelope", mustNew(t, envelope.Config{Keeper: localsecrets.NewKeeper(key)}))
	})
	t.Run("URL", func(t *testing.T) {
		url := "base64key://" + base64.URLEncoding.EncodeToString(key[:])
		custodytest.RunWrapper(t, "envelope", mustNew(t, envelope.Config{URL: url}))
	})
}

// The AWS KMS keeper against local-kms, with an encryption context: what
// it wraps is a KMS ciphertext blob that KMS Decrypt opens directly (so
// custody/awskms's Wrapper, which calls the same operation with the same
// context, opens it too).
func TestAWSKMSKeeper(t *testing.T) {
	client, keyID := startKMS(t)
	ec := map[string]string{"mdmcred": "pepper"}
	w := mustNew(t, envelope.Config{Keeper: awskms.OpenKeeper(client, keyID, &awskms.KeeperOptions{EncryptionContext: ec})})
	custodytest.RunWrapper(t, "envelope", w)

	ctx := context.Background()
	dk := make([]byte, 32)
	_, _ = rand.Read(dk)
	blob, err := w.Wrap(ctx, dk)
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob, KeyId: aws.String(keyID), EncryptionContext: ec})
	if err != nil || !bytes.Equal(out.Plaintext, dk) {
		t.Fatalf("KMS Decrypt of the wrapped key: %x, %v", out, err)
	}
	other := mustNew(t, envelope.Config{Keeper: awskms.OpenKeeper(client, keyID, &awskms.KeeperOptions{EncryptionContext: map[string]string{"mdmcred": "sealing"}})})
	if got, err := other.Unwrap(ctx, blob); err == nil {
		t.Errorf("unwrapped under another encryption context: %x", got)
	} else {
		custodytest.CheckError(t, err, "envelope", "unwrap", nil)
		custodytest.NoSecret(t, dk, err.Error())
	}
}

// Errors are typed and show neither the data key nor the wrapping key,
// nor does the log, a Config or a Wrapper.
func TestErrorsAndRedaction(t *testing.T) {
	ctx := context.Background()
	key := randomKey(t)
	url := "base64key://" + base64.URLEncoding.EncodeToString(key[:])
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := mustNew(t, envelope.Config{URL: url, Logger: logger})
	dk := make([]byte, 32)
	_, _ = rand.Read(dk)
	blob, err := w.Wrap(ctx, dk)
	if err != nil {
		t.Fatal(err)
	}
	wrongKey := mustNew(t, envelope.Config{Keeper: localsecrets.NewKeeper(randomKey(t)), Logger: logger})
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	// A URL that fails to open with key material in it: a key of the wrong
	// length, which localsecrets refuses.
	badURL := "base64key://" + base64.URLEncoding.EncodeToString(append(key[:], key[:8]...))

	tests := []struct {
		name  string
		call  func() error
		op    string
		cause error
	}{
		{"other key", func() error { _, err := wrongKey.Unwrap(ctx, blob); return err }, "unwrap", nil},
		{"empty wrap", func() error { _, err := w.Wrap(ctx, nil); return err }, "wrap", nil},
		{"empty unwrap", func() error { _, err := w.Unwrap(ctx, nil); return err }, "unwrap", nil},
		{"wrap cancelled", func() error { _, err := w.Wrap(cancelled, dk); return err }, "wrap", context.Canceled},
		{"unwrap cancelled", func() error { _, err := w.Unwrap(cancelled, blob); return err }, "unwrap", context.Canceled},
		{"neither keeper nor URL", func() error { _, err := envelope.New(ctx, envelope.Config{}); return err }, "open", nil},
		{"both keeper and URL", func() error {
			_, err := envelope.New(ctx, envelope.Config{URL: url, Keeper: localsecrets.NewKeeper(key)})
			return err
		}, "open", nil},
		{"bad key in URL", func() error { _, err := envelope.New(ctx, envelope.Config{URL: badURL, Logger: logger}); return err }, "open", nil},
		{"unknown scheme", func() error {
			_, err := envelope.New(ctx, envelope.Config{URL: "nosuchkms://" + base64.URLEncoding.EncodeToString(key[:])})
			return err
		}, "open", nil},
		{"open cancelled", func() error { _, err := envelope.New(cancelled, envelope.Config{URL: url}); return err }, "open", context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			custodytest.CheckError(t, err, "envelope", tt.op, tt.cause)
			custodytest.NoSecret(t, dk, err.Error())
			custodytest.NoSecret(t, key[:], err.Error())
			if strings.Contains(err.Error(), strings.TrimPrefix(badURL, "base64key://")) {
				t.Errorf("error shows the URL: %v", err)
			}
		})
	}
	if _, err := wrongKey.Unwrap(ctx, blob); gcerrors.Code(err) == gcerrors.OK {
		t.Errorf("the keeper's error code is lost: %v", err)
	}
	if !strings.Contains(logs.String(), `"op":"unwrap"`) || !strings.Contains(logs.String(), `"op":"open"`) {
		t.Errorf("failed calls were not logged: %s", logs.String())
	}
	custodytest.NoSecret(t, dk, logs.String())
	custodytest.NoSecret(t, key[:], logs.String())

	cfg := envelope.Config{URL: url}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{cfg, &cfg, w} {
			s := fmt.Sprintf(verb, v)
			custodytest.NoSecret(t, key[:], s)
			if strings.Contains(s, strings.TrimPrefix(url, "base64key://")) {
				t.Errorf("%s shows the URL: %s", verb, s)
			}
		}
	}
}
