package envelope_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	lkms "github.com/nsmithuk/local-kms/src"
	"github.com/nsmithuk/local-kms/src/config"
	"github.com/nsmithuk/local-kms/src/data"
)

var configOnce sync.Once

// startKMS runs nsmithuk/local-kms in process, served on loopback by
// httptest with a database of its own, and returns an SDK client for it
// and a symmetric key's ID. It stops when t ends. (The same emulator
// custody/awskms tests against.)
func startKMS(t testing.TB) (*kms.Client, string) {
	t.Helper()
	configOnce.Do(func() {
		config.AWSRegion = "eu-west-2"
		config.AWSAccountId = "111122223333"
	})
	dir := t.TempDir()
	db := data.NewDatabase(filepath.Join(dir, "db"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lkms.HandleRequest(w, r, db)
	}))
	t.Cleanup(func() {
		srv.Close()
		db.Close()
		os.RemoveAll(dir)
	})
	client := kms.New(kms.Options{
		Region:       "eu-west-2",
		BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "test-secret"}, nil
		}),
	})
	out, err := client.CreateKey(context.Background(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	return client, *out.KeyMetadata.KeyId
}
