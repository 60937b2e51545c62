// Package custodytest is the conformance suite every custody backend runs:
// [RunKey] for a [custody.Key] (every device key of the servicepass test
// vectors derived through it, cancelled and nil contexts, typed errors,
// redaction, concurrent use) and [RunWrapper] for a [custody.Wrapper]
// (round trip for all data keys, tampering, cancelled contexts).
// [NoSecret] is the scan a backend's own tests run over its error strings
// and log output.
//
// Only tests import it. The vectors are read from servicepass/testdata in
// the source tree beside this package, so a nested module that replaces
// github.com/mdmcred/mdmcred with a local checkout finds them.
package custodytest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/custody"
	"github.com/mdmcred/mdmcred/servicepass"
)

// PRK returns HKDF-SHA256's Extract of a service-password master key: the
// key a custodian holds so that HMAC(PRK, deviceID || 0x01) is the device
// key ([servicepass.ExtractPRK]).
func PRK(master []byte) []byte {
	m, err := servicepass.NewMasterKey(1, master)
	if err == nil {
		var prk []byte
		if prk, err = servicepass.ExtractPRK(m); err == nil {
			return prk
		}
	}
	panic(err) // only for unusable or FIPS-refused keys, which the vectors are not
}

// Derivation is one device key of the servicepass test vectors: the master
// key it comes from and the device ID it is derived for.
type Derivation struct {
	MasterKeyID int
	Master      []byte
	DeviceID    string
	DeviceKey   []byte
}

// Vectors returns every device key in servicepass/testdata (the
// derivations of vectors.json and the keyrings of every vector in
// vectors.json and challenge-vectors.json), once each, with the master
// key it derives from.
func Vectors(tb testing.TB) []Derivation {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("custodytest: cannot locate the source tree")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "servicepass", "testdata")
	type key struct {
		ID  int    `json:"id"`
		Hex string `json:"hex"`
	}
	var vf struct {
		MasterKeys  []key `json:"master_keys"`
		Derivations []struct {
			MasterKeyID  int    `json:"master_key_id"`
			DeviceID     string `json:"device_id"`
			DeviceKeyHex string `json:"device_key_hex"`
		} `json:"derivations"`
		Vectors []struct {
			DeviceID string `json:"device_id"`
			Keyring  []key  `json:"keyring"`
		} `json:"vectors"`
	}
	read := func(name string, v any) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			tb.Fatalf("custodytest: %v", err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			tb.Fatalf("custodytest: %s: %v", name, err)
		}
	}
	read("vectors.json", &vf)
	masters := map[int][]byte{}
	for _, m := range vf.MasterKeys {
		masters[m.ID] = mustHex(tb, m.Hex)
	}
	seen := map[string]bool{}
	var out []Derivation
	add := func(id int, dev, keyHex string) {
		k := fmt.Sprint(id, "\x00", dev)
		if seen[k] {
			return
		}
		m, ok := masters[id]
		if !ok {
			tb.Fatalf("custodytest: device key for %q under master key %d, which the vector file does not hold", dev, id)
		}
		seen[k] = true
		out = append(out, Derivation{MasterKeyID: id, Master: m, DeviceID: dev, DeviceKey: mustHex(tb, keyHex)})
	}
	for _, d := range vf.Derivations {
		add(d.MasterKeyID, d.DeviceID, d.DeviceKeyHex)
	}
	for _, v := range vf.Vectors {
		for _, k := range v.Keyring {
			add(k.ID, v.DeviceID, k.Hex)
		}
	}
	var cf struct {
		Vectors []struct {
			DeviceID string `json:"device_id"`
			Keyring  []key  `json:"keyring"`
		} `json:"vectors"`
	}
	read("challenge-vectors.json", &cf)
	for _, v := range cf.Vectors {
		for _, k := range v.Keyring {
			add(k.ID, v.DeviceID, k.Hex)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].MasterKeyID != out[j].MasterKeyID {
			return out[i].MasterKeyID < out[j].MasterKeyID
		}
		return out[i].DeviceID < out[j].DeviceID
	})
	return out
}

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatalf("custodytest: %v", err)
	}
	return b
}

// DeviceKey derives the device key for deviceID through k: HMAC(PRK,
// deviceID || 0x01), HKDF-SHA256's first Expand block.
func DeviceKey(ctx context.Context, k custody.Key, deviceID string) ([]byte, error) {
	return k.HMAC(ctx, append([]byte(deviceID), 0x01))
}

// KeyFactory returns the backend's key holding prk (imported into the
// backend). It is called once per master key of the vectors, and may be
// called again with the same prk.
type KeyFactory func(t *testing.T, prk []byte) custody.Key

// RunKey runs the conformance suite over a backend's [custody.Key]:
// backend is the Backend every [*custody.Error] it returns names.
func RunKey(t *testing.T, backend string, newKey KeyFactory) {
	t.Helper()
	vectors := Vectors(t)
	if len(vectors) < 4 {
		t.Fatalf("custodytest: %d vectors, want at least 4", len(vectors))
	}
	// One key per master key, made up front with t (not a subtest's), so
	// that a factory's cleanups run when the whole suite ends.
	keys := map[int]custody.Key{}
	for _, d := range vectors {
		if _, ok := keys[d.MasterKeyID]; !ok {
			keys[d.MasterKeyID] = newKey(t, PRK(d.Master))
		}
	}
	keyFor := func(_ *testing.T, d Derivation) custody.Key { return keys[d.MasterKeyID] }

	t.Run("Vectors", func(t *testing.T) {
		for _, d := range vectors {
			got, err := DeviceKey(context.Background(), keyFor(t, d), d.DeviceID)
			if err != nil {
				t.Fatalf("master %d, device %q: %v", d.MasterKeyID, d.DeviceID, err)
			}
			if !bytes.Equal(got, d.DeviceKey) {
				t.Errorf("master %d, device %q: device key %x, want %x", d.MasterKeyID, d.DeviceID, got, d.DeviceKey)
			}
		}
		t.Logf("%d device keys of servicepass/testdata derived through %s", len(vectors), backend)
	})

	// The issuer's own path: codes issued under a master key the backend
	// holds are the codes issued under the raw key, bit for bit.
	t.Run("Issuer", func(t *testing.T) {
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		for _, d := range vectors {
			raw, err := servicepass.NewMasterKey(uint8(d.MasterKeyID), d.Master)
			if err != nil {
				t.Fatal(err)
			}
			held, err := servicepass.NewHeldMasterKey(uint8(d.MasterKeyID), keyFor(t, d))
			if err != nil {
				t.Fatal(err)
			}
			var codes [2]string
			for i, m := range []servicepass.MasterKey{raw, held} {
				is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{m},
					Now: func() time.Time { return now }, Rand: bytes.NewReader([]byte{1, 2, 3})})
				if err != nil {
					t.Fatal(err)
				}
				got, err := is.Issue(context.Background(), servicepass.Request{DeviceID: d.DeviceID,
					Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "custodytest"})
				if err != nil {
					t.Fatalf("master %d, device %q: Issue through %s: %v", d.MasterKeyID, d.DeviceID, backend, err)
				}
				codes[i] = got.Code.Reveal()
			}
			if codes[0] != codes[1] {
				t.Errorf("master %d, device %q: code through %s differs from the raw key's", d.MasterKeyID, d.DeviceID, backend)
			}
		}
	})

	t.Run("AgreesWithLocalKey", func(t *testing.T) {
		d := vectors[0]
		k := keyFor(t, d)
		local, err := custody.NewLocalKey(PRK(d.Master))
		if err != nil {
			t.Fatal(err)
		}
		agrees := func(msg []byte) string {
			got, err := k.HMAC(context.Background(), msg)
			if err != nil {
				return fmt.Sprintf("HMAC of %d bytes: %v", len(msg), err)
			}
			want, _ := local.HMAC(context.Background(), msg)
			if !bytes.Equal(got, want) {
				return fmt.Sprintf("HMAC of %d bytes: %x, want %x", len(msg), got, want)
			}
			return ""
		}
		// Messages of 1 to 4096 bytes: what every backend takes (AWS
		// KMS refuses an empty message); a device key's is 2 to 256.
		for _, msg := range [][]byte{{0}, {0x01}, bytes.Repeat([]byte{0xA5}, 256), bytes.Repeat([]byte{0x5A}, 4096), []byte("ünïcode\x00\xff")} {
			if msg := agrees(msg); msg != "" {
				t.Error(msg)
			}
		}
		params := gopter.DefaultTestParameters()
		params.MinSuccessfulTests = 20
		props := gopter.NewProperties(params)
		props.Property("HMAC(msg) equals custody.LocalKey's for all messages", prop.ForAll(
			agrees,
			gen.IntRange(1, 300).FlatMap(func(n any) gopter.Gen {
				return gen.SliceOfN(n.(int), gen.UInt8())
			}, nil),
		))
		props.TestingRun(t)
	})

	t.Run("NilContext", func(t *testing.T) {
		// A nil context never panics: the call either runs as under
		// context.Background or is refused with a typed error.
		d := vectors[0]
		//lint:ignore SA1012 the nil context is what is tested
		got, err := DeviceKey(nil, keyFor(t, d), d.DeviceID) //nolint:staticcheck
		if err != nil {
			CheckError(t, err, backend, "hmac", nil)
			return
		}
		if !bytes.Equal(got, d.DeviceKey) {
			t.Errorf("nil context: %x, want %x", got, d.DeviceKey)
		}
	})

	t.Run("CancelledContext", func(t *testing.T) {
		d := vectors[0]
		k := keyFor(t, d)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		got, err := DeviceKey(ctx, k, d.DeviceID)
		CheckError(t, err, backend, "hmac", context.Canceled)
		if got != nil {
			t.Errorf("cancelled call returned %x", got)
		}
		NoSecret(t, PRK(d.Master), err.Error())
	})

	t.Run("Redacted", func(t *testing.T) {
		d := vectors[0]
		k := keyFor(t, d)
		var texts []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			texts = append(texts, fmt.Sprintf(verb, k))
		}
		NoSecret(t, PRK(d.Master), texts...)
		NoSecret(t, d.Master, texts...)
	})

	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, len(vectors)*4)
		for i := 0; i < 4; i++ {
			for _, d := range vectors {
				wg.Add(1)
				go func(d Derivation) {
					defer wg.Done()
					got, err := DeviceKey(context.Background(), keyFor(t, d), d.DeviceID)
					if err == nil && !bytes.Equal(got, d.DeviceKey) {
						err = fmt.Errorf("device %q: %x, want %x", d.DeviceID, got, d.DeviceKey)
					}
					if err != nil {
						errs <- err
					}
				}(d)
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// CheckError fails t unless err is a [*custody.Error] naming backend and op
// whose cause matches cause (errors.Is; nil: any cause).
func CheckError(t testing.TB, err error, backend, op string, cause error) {
	t.Helper()
	var ce *custody.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a *custody.Error", err, err)
	}
	if ce.Backend != backend || ce.Op != op {
		t.Errorf("error names backend %q op %q, want %q %q (%v)", ce.Backend, ce.Op, backend, op, err)
	}
	if cause != nil && !errors.Is(err, cause) {
		t.Errorf("error %v does not match %v", err, cause)
	}
}

// NoSecret fails t if any text holds secret: raw, in hex (either case) or
// in base64 (standard or URL alphabet, padded or not). Secrets shorter
// than 8 bytes are refused, as they would match by chance.
func NoSecret(t testing.TB, secret []byte, texts ...string) {
	t.Helper()
	if len(secret) < 8 {
		t.Fatalf("custodytest: NoSecret needs a secret of at least 8 bytes")
	}
	forms := []string{
		string(secret),
		hex.EncodeToString(secret),
		strings.ToUpper(hex.EncodeToString(secret)),
		base64.StdEncoding.EncodeToString(secret),
		base64.RawStdEncoding.EncodeToString(secret),
		base64.URLEncoding.EncodeToString(secret),
		base64.RawURLEncoding.EncodeToString(secret),
		fmt.Sprint(secret), // [1 2 3 ...]
		fmt.Sprintf("%q", secret),
	}
	for _, text := range texts {
		for _, f := range forms {
			if strings.Contains(text, f) {
				t.Errorf("key material (%d bytes) appears in %q", len(secret), text)
			}
		}
	}
}

// RunWrapper runs the conformance suite over a backend's
// [custody.Wrapper]: backend is the Backend every [*custody.Error] it
// returns names.
func RunWrapper(t *testing.T, backend string, w custody.Wrapper) {
	t.Helper()
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		params := gopter.DefaultTestParameters()
		params.MinSuccessfulTests = 25
		props := gopter.NewProperties(params)
		props.Property("Unwrap(Wrap(k)) = k, and Wrap(k) does not show k", prop.ForAll(
			func(k []byte) string {
				wrapped, err := w.Wrap(ctx, k)
				if err != nil {
					return "wrap: " + err.Error()
				}
				if len(k) >= 8 && bytes.Contains(wrapped, k) {
					return "wrapped data key shows the plaintext"
				}
				got, err := w.Unwrap(ctx, wrapped)
				if err != nil {
					return "unwrap: " + err.Error()
				}
				if !bytes.Equal(got, k) {
					return fmt.Sprintf("unwrapped %x, want %x", got, k)
				}
				return ""
			},
			gen.IntRange(1, 64).FlatMap(func(n any) gopter.Gen {
				return gen.SliceOfN(n.(int), gen.UInt8())
			}, nil),
		))
		props.TestingRun(t)
	})

	key := make([]byte, 32)
	_, _ = rand.Read(key)
	wrapped, err := w.Wrap(ctx, key)
	if err != nil {
		t.Fatalf("wrap: %v", err)
	}

	t.Run("Tampered", func(t *testing.T) {
		cases := map[string][]byte{
			"empty":     {},
			"truncated": wrapped[:len(wrapped)/2],
			"garbage":   []byte("not a wrapped key at all"),
		}
		// The first byte (a header in every format) and bytes of the
		// ciphertext and tag, which every format ends with. (A byte in
		// the middle may be a header field that a KMS emulator does not
		// authenticate: local-kms reads the key's ARN from there.)
		for _, at := range []int{0, len(wrapped) - 17, len(wrapped) - 1} {
			b := bytes.Clone(wrapped)
			b[at] ^= 0x01
			cases[fmt.Sprintf("bit flipped at %d", at)] = b
		}
		for name, b := range cases {
			got, err := w.Unwrap(ctx, b)
			if err == nil {
				t.Errorf("%s: unwrapped to %d bytes, want an error", name, len(got))
				continue
			}
			CheckError(t, err, backend, "unwrap", nil)
			NoSecret(t, key, err.Error())
		}
	})

	t.Run("CancelledContext", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := w.Wrap(cctx, key)
		CheckError(t, err, backend, "wrap", context.Canceled)
		NoSecret(t, key, err.Error())
		_, err = w.Unwrap(cctx, wrapped)
		CheckError(t, err, backend, "unwrap", context.Canceled)
		NoSecret(t, key, err.Error())
	})

	t.Run("NilContext", func(t *testing.T) {
		// As for RunKey: runs as under context.Background, or a typed error.
		//lint:ignore SA1012 the nil context is what is tested
		got, err := w.Unwrap(nil, wrapped) //nolint:staticcheck
		if err != nil {
			CheckError(t, err, backend, "unwrap", nil)
			return
		}
		if !bytes.Equal(got, key) {
			t.Errorf("nil context: %x, want %x", got, key)
		}
	})
}
