package awskms_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/mdmcred/mdmcred/custody/awskms"
	"github.com/mdmcred/mdmcred/custody/custodytest"
)

// The import protocol ImportKey runs, on a key local-kms can import into
// (SYMMETRIC_DEFAULT, origin EXTERNAL): the key becomes usable, the same
// material imports again, and different material is refused, so the
// emulator received exactly the bytes sent.
func TestImportProtocol(t *testing.T) {
	e := startKMS(t)
	ctx := context.Background()
	out, err := e.client.CreateKey(ctx, &kms.CreateKeyInput{Origin: types.OriginTypeExternal})
	if err != nil {
		t.Fatal(err)
	}
	id := *out.KeyMetadata.KeyId
	material := make([]byte, 32)
	_, _ = rand.Read(material)
	if err := awskms.ImportMaterial(ctx, e.client, id, material); err != nil {
		t.Fatal(err)
	}
	desc, err := e.client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if desc.KeyMetadata.KeyState != types.KeyStateEnabled {
		t.Errorf("key state %s after import, want Enabled", desc.KeyMetadata.KeyState)
	}
	w, _ := awskms.NewWrapper(awskms.Config{Client: e.client, KeyID: id})
	blob, err := w.Wrap(ctx, []byte("data key"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := w.Unwrap(ctx, blob); err != nil || string(got) != "data key" {
		t.Fatalf("round trip under the imported key: %q, %v", got, err)
	}
	if err := awskms.ImportMaterial(ctx, e.client, id, material); err != nil {
		t.Errorf("importing the same material again: %v", err)
	}
	other := bytes.Clone(material)
	other[0] ^= 1
	err = awskms.ImportMaterial(ctx, e.client, id, other)
	custodytest.CheckError(t, err, "awskms", "import", nil)
	custodytest.NoSecret(t, material, err.Error())
	custodytest.NoSecret(t, other, err.Error())
}

// A wrapping key that is not RSA, or not a key at all, is refused before
// any material is sent.
func TestImportBadWrappingKey(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), "GetParametersForImport") {
			t.Errorf("unexpected call %s", r.Header.Get("X-Amz-Target"))
			w.WriteHeader(500)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write([]byte(`{"KeyId":"k","ImportToken":"AAAA","PublicKey":"bm90IGEga2V5","ParametersValidTo":4102444800}`))
	}))
	defer srv.Close()
	material := bytes.Repeat([]byte{7}, 32)
	err := awskms.ImportMaterial(context.Background(), kmsClient(srv.URL), "k", material)
	custodytest.CheckError(t, err, "awskms", "import", nil)
	custodytest.NoSecret(t, material, err.Error())
}

// startStuck serves KMS requests that never get an answer until hang is
// closed.
func startStuck(t *testing.T, hang chan struct{}) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so that the server sees the client go
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
