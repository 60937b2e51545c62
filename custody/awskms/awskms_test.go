package awskms_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/mdmcred/mdmcred/custody"
	"github.com/mdmcred/mdmcred/custody/awskms"
	"github.com/mdmcred/mdmcred/custody/custodytest"
)

var keyIDs atomic.Int64

func newKeyID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", keyIDs.Add(1))
}

// Every device key of servicepass/testdata, derived by the emulator's
// GenerateMac from seeded PRKs, plus the suite's context, error and
// redaction rules.
func TestKeyConformance(t *testing.T) {
	e := startKMS(t)
	custodytest.RunKey(t, "awskms", func(t *testing.T, prk []byte) custody.Key {
		k, err := awskms.NewKey(awskms.Config{Client: e.client, KeyID: e.seedHMAC(t, newKeyID(), prk)})
		if err != nil {
			t.Fatal(err)
		}
		return k
	})
}

func symmetricKey(t *testing.T, e *emulator) string {
	t.Helper()
	out, err := e.client.CreateKey(context.Background(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	return *out.KeyMetadata.KeyId
}

func TestWrapperConformance(t *testing.T) {
	e := startKMS(t)
	w, err := awskms.NewWrapper(awskms.Config{Client: e.client, KeyID: symmetricKey(t, e), EncryptionContext: map[string]string{"purpose": "mdmcred sealing key"}})
	if err != nil {
		t.Fatal(err)
	}
	custodytest.RunWrapper(t, "awskms", w)
}

// A wrapped key opens only under its key and its encryption context.
func TestWrapperBinding(t *testing.T) {
	e := startKMS(t)
	ctx := context.Background()
	keyA, keyB := symmetricKey(t, e), symmetricKey(t, e)
	ec := map[string]string{"purpose": "pepper"}
	wa, _ := awskms.NewWrapper(awskms.Config{Client: e.client, KeyID: keyA, EncryptionContext: ec})
	dk := make([]byte, 32)
	_, _ = rand.Read(dk)
	blob, err := wa.Wrap(ctx, dk)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  awskms.Config
	}{
		{"other key", awskms.Config{Client: e.client, KeyID: keyB, EncryptionContext: ec}},
		{"other context", awskms.Config{Client: e.client, KeyID: keyA, EncryptionContext: map[string]string{"purpose": "sealing"}}},
		{"no context", awskms.Config{Client: e.client, KeyID: keyA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := awskms.NewWrapper(tt.cfg)
			got, err := w.Unwrap(ctx, blob)
			if err == nil {
				t.Fatalf("unwrapped to %x", got)
			}
			custodytest.CheckError(t, err, "awskms", "unwrap", nil)
			custodytest.NoSecret(t, dk, err.Error())
		})
	}
}

// CreateKey makes an HMAC_256 key KMS drew; it derives 32-byte MACs that
// differ from key to key.
func TestCreateKey(t *testing.T) {
	e := startKMS(t)
	ctx := context.Background()
	var macs [][]byte
	for i := 0; i < 2; i++ {
		id, err := awskms.CreateKey(ctx, e.client, "mdmcred test site")
		if err != nil {
			t.Fatal(err)
		}
		desc, err := e.client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if m := desc.KeyMetadata; m.KeySpec != types.KeySpecHmac256 || m.KeyUsage != types.KeyUsageTypeGenerateVerifyMac {
			t.Errorf("created key is %s for %s, want HMAC_256 for GENERATE_VERIFY_MAC", m.KeySpec, m.KeyUsage)
		}
		k, _ := awskms.NewKey(awskms.Config{Client: e.client, KeyID: id})
		mac, err := k.HMAC(ctx, []byte("device-1\x01"))
		if err != nil {
			t.Fatal(err)
		}
		macs = append(macs, mac)
	}
	if bytes.Equal(macs[0], macs[1]) {
		t.Error("two created keys give the same MAC")
	}
}

// ImportKey against the emulator: local-kms refuses to create an HMAC key
// of origin EXTERNAL (real KMS accepts it), and the refusal comes back as
// a typed error. The import protocol itself (wrapping public key, RSA-OAEP
// SHA-256, import token) is tested on a symmetric key by
// TestImportProtocol.
func TestImportKeyEmulatorGap(t *testing.T) {
	e := startKMS(t)
	prk := custodytest.PRK(custodytest.Vectors(t)[0].Master)
	_, err := awskms.ImportKey(context.Background(), e.client, "mdmcred site 1", prk)
	custodytest.CheckError(t, err, "awskms", "import", nil)
	if !strings.Contains(err.Error(), "HMAC_256 is not supported for Origin EXTERNAL") {
		t.Errorf("error %v, want local-kms's refusal of EXTERNAL HMAC keys (if it now accepts them, test the vectors through ImportKey)", err)
	}
	custodytest.NoSecret(t, prk, err.Error())
}

func TestImportErrors(t *testing.T) {
	e := startKMS(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	prk := bytes.Repeat([]byte{0x5a}, 32)
	tests := []struct {
		name  string
		ctx   context.Context
		prk   []byte
		cause error
	}{
		{"short key", context.Background(), prk[:16], nil},
		{"long key", context.Background(), append(prk, 1), nil},
		{"cancelled", cancelled, prk, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := awskms.ImportKey(tt.ctx, e.client, "x", tt.prk)
			custodytest.CheckError(t, err, "awskms", "import", tt.cause)
			custodytest.NoSecret(t, prk, err.Error())
		})
	}
	_, err := awskms.CreateKey(cancelled, e.client, "x")
	custodytest.CheckError(t, err, "awskms", "create", context.Canceled)
}

// Every failing call returns a typed error and logs its operation, and
// neither shows the key.
func TestErrorsAndLogs(t *testing.T) {
	e := startKMS(t)
	ctx := context.Background()
	prk := make([]byte, 32)
	_, _ = rand.Read(prk)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	good, _ := awskms.NewKey(awskms.Config{Client: e.client, KeyID: e.seedHMAC(t, newKeyID(), prk), Logger: logger})
	missing, _ := awskms.NewKey(awskms.Config{Client: e.client, KeyID: newKeyID(), Logger: logger})
	deadline, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	// A server that never answers, for a deadline that ends mid-call.
	hang := make(chan struct{})
	defer close(hang)
	stuck := startStuck(t, hang)
	slow, _ := awskms.NewKey(awskms.Config{Client: kmsClient(stuck), KeyID: newKeyID(), Logger: logger})

	tests := []struct {
		name  string
		key   *awskms.Key
		ctx   context.Context
		msg   []byte
		cause error
	}{
		{"unknown key", missing, ctx, []byte("d\x01"), nil},
		{"empty message", good, ctx, nil, nil},
		{"message too long", good, ctx, make([]byte, 4097), nil},
		{"deadline passed", good, deadline, []byte("d\x01"), context.DeadlineExceeded},
		{"deadline mid-call", slow, nil, []byte("d\x01"), context.DeadlineExceeded}, // ctx set just before the call
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ctx == nil {
				// The deadline must end while the call waits on the server.
				var cancel context.CancelFunc
				tt.ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
			}
			out, err := tt.key.HMAC(tt.ctx, tt.msg)
			if out != nil {
				t.Errorf("failed call returned %x", out)
			}
			custodytest.CheckError(t, err, "awskms", "hmac", tt.cause)
			custodytest.NoSecret(t, prk, err.Error())
		})
	}
	if !strings.Contains(logs.String(), `"op":"hmac"`) {
		t.Errorf("failed calls were not logged: %s", logs.String())
	}
	custodytest.NoSecret(t, prk, logs.String())

	if _, err := awskms.NewKey(awskms.Config{KeyID: "x"}); err == nil {
		t.Error("NewKey without a client succeeded")
	} else {
		custodytest.CheckError(t, err, "awskms", "open", nil)
	}
	if _, err := awskms.NewWrapper(awskms.Config{Client: e.client}); err == nil {
		t.Error("NewWrapper without a key ID succeeded")
	} else {
		custodytest.CheckError(t, err, "awskms", "open", nil)
	}
	var ce *custody.Error
	if _, err := missing.HMAC(ctx, []byte("x")); !errors.As(err, &ce) {
		t.Errorf("%T", err)
	}
}
