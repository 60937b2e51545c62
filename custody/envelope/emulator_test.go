package envelope_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/nsmithuk/local-kms/src/config"
	"github.com/nsmithuk/local-kms/src/data"
	"github.com/nsmithuk/local-kms/src/handler"
	"github.com/sirupsen/logrus"
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
		serveKMS(w, r, db)
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

// quiet is the emulator's logger: its request lines would fill the test
// output.
var quiet = func() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}()

// serveKMS answers one KMS JSON request with local-kms's handler for the
// operation the X-Amz-Target header names ("TrentService.<Operation>"),
// as local-kms's own server does, with its log discarded.
func serveKMS(w http.ResponseWriter, r *http.Request, db *data.Database) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
	h := handler.NewRequestHandler(r, quiet, db)
	method := reflect.ValueOf(h).MethodByName(op)
	if r.Method != http.MethodPost || !ok || !method.IsValid() {
		w.WriteHeader(http.StatusNotImplemented)
		fmt.Fprintf(w, "operation %q not implemented", op)
		return
	}
	resp := method.Call(nil)[0].Interface().(handler.Response)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(resp.Code)
	fmt.Fprint(w, resp.Body)
}
