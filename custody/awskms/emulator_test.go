package awskms_test

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/nsmithuk/local-kms/src/cmk"
	"github.com/nsmithuk/local-kms/src/config"
	"github.com/nsmithuk/local-kms/src/data"
	"github.com/nsmithuk/local-kms/src/handler"
	"github.com/sirupsen/logrus"
	"gopkg.in/yaml.v2"
)

// emulator is nsmithuk/local-kms run in process, served on loopback by
// httptest, with a database of its own.
type emulator struct {
	db     *data.Database
	client *kms.Client
	url    string
}

var configOnce sync.Once

// startKMS starts an emulator for t; it stops when t ends.
func startKMS(t testing.TB) *emulator {
	t.Helper()
	e, stop, err := newEmulator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return e
}

// newEmulator starts an emulator; stop ends it and removes its database.
func newEmulator() (*emulator, func(), error) {
	configOnce.Do(func() {
		// local-kms keeps its region and account in package variables.
		config.AWSRegion = "eu-west-2"
		config.AWSAccountId = "111122223333"
	})
	dir, err := os.MkdirTemp("", "local-kms")
	if err != nil {
		return nil, nil, err
	}
	db := data.NewDatabase(filepath.Join(dir, "db"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveKMS(w, r, db)
	}))
	stop := func() {
		srv.Close()
		db.Close()
		os.RemoveAll(dir)
	}
	return &emulator{db: db, client: kmsClient(srv.URL), url: srv.URL}, stop, nil
}

// kmsClient is the SDK client a host would build, pointed at url, with
// static test credentials.
func kmsClient(url string) *kms.Client {
	return kms.New(kms.Options{
		Region:       "eu-west-2",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "test-secret"}, nil
		}),
	})
}

// seedHMAC puts an HMAC_256 key with the given material into the
// emulator and returns its key ID; see seed.
func (e *emulator) seedHMAC(t testing.TB, keyID string, material []byte) string {
	t.Helper()
	if err := e.seed(keyID, material); err != nil {
		t.Fatal(err)
	}
	return keyID
}

// seed puts an HMAC_256 key with the given material into the emulator the
// way its seeding file does: local-kms's documented Keys.Symmetric.Hmac
// format, read by the same YAML decoder into the same type, saved to the
// same database. (local-kms cannot import HMAC material through the API.)
func (e *emulator) seed(keyID string, material []byte) error {
	doc := fmt.Sprintf(`Keys:
  Symmetric:
    Hmac:
      - Metadata:
          KeyId: %s
          KeyUsage: GENERATE_VERIFY_MAC
          KeySpec: HMAC_256
          Description: mdmcred test key
        BackingKeys:
          - %s
`, keyID, hex.EncodeToString(material))
	var seed struct {
		Keys struct {
			Symmetric struct {
				Hmac []cmk.HmacKey `yaml:"Hmac"`
			} `yaml:"Symmetric"`
		} `yaml:"Keys"`
	}
	if err := yaml.Unmarshal([]byte(doc), &seed); err != nil {
		return err
	}
	for i := range seed.Keys.Symmetric.Hmac {
		if err := e.db.SaveKey(&seed.Keys.Symmetric.Hmac[i]); err != nil {
			return err
		}
	}
	return nil
}

// exampleSeed seeds the PRK of the vectors' master key 1 for the
// examples, which have no testing.TB: HKDF-Extract(salt
// "mdmcred/servicepass/v1/device-key", master key 1 of
// servicepass/testdata/vectors.json).
func exampleSeed(e *emulator) string {
	const id = "7d4e1f0a-0000-4000-8000-000000000001"
	master, _ := hex.DecodeString("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20")
	prk, _ := hkdf.Extract(sha256.New, master, []byte("mdmcred/servicepass/v1/device-key"))
	if err := e.seed(id, prk); err != nil {
		panic(err)
	}
	return id
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
