package vault_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mdmcred/mdmcred/custody/vault"
)

// fakeTransit is a Transit secrets engine mounted at /v1/transit, on
// loopback, implementing the endpoints this package calls as Vault's API
// documentation specifies them: the JSON bodies, the "vault:v1:" prefix,
// base64 inputs, {"errors": [...]} answers, X-Vault-Token, and the
// bring-your-own-key import (RSA-OAEP SHA-256 of an ephemeral AES-256 key
// under an RSA-4096 wrapping key, then AES-KWP of the key).
type fakeTransit struct {
	token string
	srv   *httptest.Server

	mu     sync.Mutex
	keys   map[string]*fakeKey
	bodies []string // every request body, for the tests to scan
}

type fakeKey struct {
	typ      string // "hmac" or "aes256-gcm96"
	material []byte
	imported bool
}

var (
	wrapOnce sync.Once
	wrapKey  *rsa.PrivateKey
)

func wrappingKey() *rsa.PrivateKey {
	wrapOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 4096)
		if err != nil {
			panic(err)
		}
		wrapKey = k
	})
	return wrapKey
}

// startTransit starts a fake for t, accepting token.
func startTransit(t testing.TB, token string) *fakeTransit {
	f := newTransit(token)
	t.Cleanup(f.srv.Close)
	return f
}

func newTransit(token string) *fakeTransit {
	f := &fakeTransit{token: token, keys: map[string]*fakeKey{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/transit/wrapping_key", f.wrappingKey)
	mux.HandleFunc("POST /v1/transit/keys/{name}", f.create)
	mux.HandleFunc("POST /v1/transit/keys/{name}/import", f.importKey)
	mux.HandleFunc("POST /v1/transit/hmac/{name}/{alg}", f.hmac)
	mux.HandleFunc("POST /v1/transit/encrypt/{name}", f.encrypt)
	mux.HandleFunc("POST /v1/transit/decrypt/{name}", f.decrypt)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		f.mu.Lock()
		f.bodies = append(f.bodies, string(body))
		f.mu.Unlock()
		if r.Header.Get("X-Vault-Token") != f.token {
			vaultError(w, http.StatusForbidden, "permission denied")
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			vaultError(w, http.StatusNotFound)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	return f
}

// config is a Config for key name on the fake.
func (f *fakeTransit) config(name string) vault.Config {
	return vault.Config{Address: f.srv.URL, Token: f.token, Key: name}
}

func (f *fakeTransit) requestBodies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies...)
}

func vaultError(w http.ResponseWriter, status int, msgs ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if msgs == nil {
		msgs = []string{}
	}
	json.NewEncoder(w).Encode(map[string][]string{"errors": msgs})
}

func vaultData(w http.ResponseWriter, data any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"data": data, "lease_id": "", "renewable": false, "lease_duration": 0})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		vaultError(w, http.StatusBadRequest, "failed to parse JSON input: "+err.Error())
		return false
	}
	return true
}

func (f *fakeTransit) wrappingKey(w http.ResponseWriter, r *http.Request) {
	der, _ := x509.MarshalPKIXPublicKey(&wrappingKey().PublicKey)
	vaultData(w, map[string]string{"public_key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))})
}

func (f *fakeTransit) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Type    string `json:"type"`
		KeySize int    `json:"key_size"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Type == "" {
		in.Type = "aes256-gcm96"
	}
	size := 32
	switch in.Type {
	case "aes256-gcm96":
	case "hmac":
		if in.KeySize != 0 {
			size = in.KeySize
		}
		if size < 32 || size > 512 {
			vaultError(w, http.StatusBadRequest, "invalid key_size provided")
			return
		}
	default:
		vaultError(w, http.StatusBadRequest, "unknown key type: "+in.Type)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := r.PathValue("name")
	if _, ok := f.keys[name]; ok {
		w.WriteHeader(http.StatusNoContent) // Vault leaves an existing key as it is
		return
	}
	m := make([]byte, size)
	rand.Read(m)
	f.keys[name] = &fakeKey{typ: in.Type, material: m}
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeTransit) importKey(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Type         string `json:"type"`
		HashFunction string `json:"hash_function"`
		Ciphertext   string `json:"ciphertext"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Type != "hmac" && in.Type != "aes256-gcm96" {
		vaultError(w, http.StatusBadRequest, "unknown key type: "+in.Type)
		return
	}
	if in.HashFunction != "" && strings.ToUpper(in.HashFunction) != "SHA256" {
		vaultError(w, http.StatusBadRequest, "unknown hash function: "+in.HashFunction)
		return
	}
	ct, err := base64.StdEncoding.DecodeString(in.Ciphertext)
	if err != nil || len(ct) <= 512 {
		vaultError(w, http.StatusInternalServerError, "provided ciphertext is too short")
		return
	}
	eph, err := rsa.DecryptOAEP(sha256.New(), nil, wrappingKey(), ct[:512], []byte{})
	if err != nil || len(eph) != 32 {
		vaultError(w, http.StatusInternalServerError, "crypto/rsa: decryption error")
		return
	}
	material, err := vault.UnwrapKWP(eph, ct[512:])
	if err != nil {
		vaultError(w, http.StatusInternalServerError, "error unwrapping key")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := r.PathValue("name")
	if _, ok := f.keys[name]; ok {
		vaultError(w, http.StatusInternalServerError, "the import path cannot be used with an existing key; use import-version to rotate an existing imported key")
		return
	}
	f.keys[name] = &fakeKey{typ: in.Type, material: material, imported: true}
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeTransit) key(w http.ResponseWriter, r *http.Request) *fakeKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[r.PathValue("name")]
	if !ok {
		vaultError(w, http.StatusBadRequest, "encryption key not found")
		return nil
	}
	return k
}

func (f *fakeTransit) hmac(w http.ResponseWriter, r *http.Request) {
	if alg := r.PathValue("alg"); alg != "sha2-256" {
		vaultError(w, http.StatusBadRequest, "unsupported algorithm "+alg)
		return
	}
	var in struct {
		Input string `json:"input"`
	}
	if !decode(w, r, &in) {
		return
	}
	msg, err := base64.StdEncoding.DecodeString(in.Input)
	if err != nil {
		vaultError(w, http.StatusBadRequest, "unable to decode input as base64: "+err.Error())
		return
	}
	k := f.key(w, r)
	if k == nil {
		return
	}
	if k.typ != "hmac" {
		// Vault keeps a separate HMAC key for other types; the fake refuses
		// them, as this package only uses hmac keys for HMAC.
		vaultError(w, http.StatusBadRequest, "fake: HMAC only on hmac keys")
		return
	}
	m := hmac.New(sha256.New, k.material)
	m.Write(msg)
	vaultData(w, map[string]string{"hmac": "vault:v1:" + base64.StdEncoding.EncodeToString(m.Sum(nil))})
}

func (f *fakeTransit) gcm(w http.ResponseWriter, k *fakeKey) cipher.AEAD {
	if k.typ != "aes256-gcm96" {
		vaultError(w, http.StatusBadRequest, "key type does not support encryption")
		return nil
	}
	b, _ := aes.NewCipher(k.material)
	// The nonce is drawn inside and prepended (as FIPS 140-3 mode requires).
	g, _ := cipher.NewGCMWithRandomNonce(b)
	return g
}

func (f *fakeTransit) encrypt(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Plaintext string `json:"plaintext"`
	}
	if !decode(w, r, &in) {
		return
	}
	p, err := base64.StdEncoding.DecodeString(in.Plaintext)
	if err != nil {
		vaultError(w, http.StatusBadRequest, "failed to base64-decode plaintext")
		return
	}
	k := f.key(w, r)
	if k == nil {
		return
	}
	g := f.gcm(w, k)
	if g == nil {
		return
	}
	ct := g.Seal(nil, nil, p, nil)
	vaultData(w, map[string]any{"ciphertext": "vault:v1:" + base64.StdEncoding.EncodeToString(ct), "key_version": 1})
}

func (f *fakeTransit) decrypt(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Ciphertext string `json:"ciphertext"`
	}
	if !decode(w, r, &in) {
		return
	}
	rest, ok := strings.CutPrefix(in.Ciphertext, "vault:v1:")
	if !ok {
		vaultError(w, http.StatusBadRequest, "invalid ciphertext: no prefix")
		return
	}
	ct, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		vaultError(w, http.StatusBadRequest, "invalid ciphertext: could not decode base64")
		return
	}
	k := f.key(w, r)
	if k == nil {
		return
	}
	g := f.gcm(w, k)
	if g == nil {
		return
	}
	p, err := g.Open(nil, nil, ct, nil)
	if err != nil {
		vaultError(w, http.StatusBadRequest, "cipher: message authentication failed")
		return
	}
	vaultData(w, map[string]string{"plaintext": base64.StdEncoding.EncodeToString(p)})
}

// createAES makes an aes256-gcm96 key on the fake, as
// `vault write -f transit/keys/<name>` does.
func (f *fakeTransit) createAES(t testing.TB, name string) {
	t.Helper()
	if err := f.createAESForExample(name); err != nil {
		t.Fatal(err)
	}
}

func (f *fakeTransit) createAESForExample(name string) error {
	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/transit/keys/"+name, strings.NewReader(`{"type":"aes256-gcm96"}`))
	req.Header.Set("X-Vault-Token", f.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return errors.New("creating " + name + ": " + resp.Status)
	}
	return nil
}
