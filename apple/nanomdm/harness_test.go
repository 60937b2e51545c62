package nanomdm_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/micromdm/nanolib/log/stdlogfmt"
	nlkv "github.com/micromdm/nanolib/storage/kv/kvmap"
	"github.com/micromdm/nanolib/storage/kv/kvtxn"
	"github.com/micromdm/nanomdm/cryptoutil"
	httpmdm "github.com/micromdm/nanomdm/http/mdm"
	"github.com/micromdm/nanomdm/service"
	"github.com/micromdm/nanomdm/service/certauth"
	nmservice "github.com/micromdm/nanomdm/service/nanomdm"
	"github.com/micromdm/nanomdm/storage/inmem"
	nmkv "github.com/micromdm/nanomdm/storage/kv"
	"github.com/micromdm/nanomdm/test"
	"github.com/micromdm/nanomdm/test/protocol"
	"howett.net/plist"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/apple/nanomdm"
	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
)

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

// harness is a NanoMDM server, in process, on its in-memory storage and
// behind its own HTTP handlers (as nanomdm's own end-to-end tests set it
// up), with the mdmcred middleware in front; a passcode.Service as the
// lifecycle; every log line of all three captured.
type harness struct {
	t       *testing.T
	srv     *httptest.Server
	store   *inmem.InMem
	buckets []*nlkv.KVMap
	logs    *syncBuffer
	mw      *nanomdm.Service
	source  *nanomdm.MemSource
	resets  *passcode.Service

	// With newEscrowHarness: the escrow.Service the middleware takes its
	// secrets from (its clock and log in the harness), and its source.
	escrow    *escrow.Service
	escrowSrc *nanomdm.EscrowSource
	escrowDB  *escrow.MemStore
	clock     *mdmcredtest.Clock

	mu      sync.Mutex
	resetOf map[string]resetRef // CommandUUID -> reset

	// What restart builds a middleware from, and the handler it serves.
	core    service.CheckinAndCommandService
	src     nanomdm.SecretSource
	tokens  *nanomdm.MemTokenStore
	nlog    *stdlogfmt.Logger
	slog    *slog.Logger
	bare    bool
	handler atomic.Pointer[http.Handler]
}

func newHarness(t *testing.T) *harness { return newServer(t, false, false) }

// newEscrowHarness is the harness with an escrow.Service (on its memory
// store, with a fake clock) as the middleware's SecretSource.
func newEscrowHarness(t *testing.T) *harness { return newServer(t, false, true) }

// newServer builds the harness; bare leaves the middleware out (nanomdm
// alone), for the control test of the secret scan; withEscrow makes an
// EscrowSource the middleware's source instead of the MemSource.
func newServer(t *testing.T, bare, withEscrow bool) *harness {
	t.Helper()
	h := &harness{t: t, logs: &syncBuffer{}, resetOf: map[string]resetRef{}}
	// inmem.New, with the buckets kept so the test can read every byte.
	var b [6]*nlkv.KVMap
	for i := range b {
		b[i] = nlkv.New()
	}
	h.buckets = b[:]
	h.store = &inmem.InMem{KV: nmkv.New(kvtxn.New(b[0]), kvtxn.New(b[1]), kvtxn.New(b[2]), kvtxn.New(b[3]), kvtxn.New(b[4]), kvtxn.New(b[5]))}

	nlog := stdlogfmt.New(stdlogfmt.WithLogger(stdlog.New(h.logs, "nanomdm ", 0)), stdlogfmt.WithDebug())
	slogger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	var err error
	h.resets, err = passcode.New(passcode.Config{
		Store: passcode.NewMemStore(), SealKeys: passcode.NewKeys(map[uint8][]byte{1: key(1)}), SealKeyID: 1, Logger: slogger,
	})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := apple.NewSealer(apple.NewKeys(map[uint8][]byte{1: key(2)}), 1)
	if err != nil {
		t.Fatal(err)
	}
	h.source = nanomdm.NewMemSource(sealer, nil)
	var src nanomdm.SecretSource = h.source
	if withEscrow {
		h.clock = mdmcredtest.NewClock(time.Now().UTC())
		h.escrowDB = escrow.NewMemStore()
		h.escrow, err = escrow.New(escrow.Config{
			Store: h.escrowDB, SealKeys: escrow.NewKeys(map[uint8][]byte{1: key(3)}), SealKeyID: 1,
			Now: h.clock.Now, Logger: slogger,
		})
		if err != nil {
			t.Fatal(err)
		}
		if h.escrowSrc, err = nanomdm.NewEscrowSource(h.escrow); err != nil {
			t.Fatal(err)
		}
		src = h.escrowSrc
	}

	h.core = nmservice.New(h.store, nmservice.WithLogger(nlog))
	h.src, h.tokens, h.nlog, h.slog, h.bare = src, nanomdm.NewMemTokenStore(), nlog, slogger, bare
	h.restart(sealer)
	mux := http.NewServeMux()
	mux.Handle("/mdm", httpmdm.CertExtractMdmSignatureMiddleware(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.handler.Load()).ServeHTTP(w, r) }),
		httpmdm.MdmSignatureVerifierFunc(cryptoutil.VerifyMdmSignature)))
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

// restart puts a new middleware with sealer (a sealing key rotation's new
// configuration) in front of the same NanoMDM, storage and token store,
// as a redeployed host would; the devices keep talking to the same URL.
func (h *harness) restart(sealer *apple.Sealer) {
	h.t.Helper()
	mw, err := nanomdm.New(h.core, nanomdm.Config{
		Source: h.src, Tokens: h.tokens, Sealer: sealer,
		Lifecycle: h.resets, ResetOf: h.reset, Logger: h.slog,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.mw = mw
	// certauth in front, so that the middleware sees only messages whose
	// signing certificate belongs to the enrollment they name.
	var svc service.CheckinAndCommandService = certauth.New(h.mw, h.store, certauth.WithLogger(h.nlog))
	if h.bare {
		svc = certauth.New(h.core, h.store, certauth.WithLogger(h.nlog))
	}
	var handler http.Handler = httpmdm.CheckinAndCommandHandler(svc, h.nlog.With("handler", "mdm"))
	h.handler.Store(&handler)
}

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// resetRef is the host's record of which reset a command serves, on which
// device.
type resetRef struct{ enrollmentID, resetID string }

func (h *harness) reset(_ context.Context, enrollmentID, commandUUID string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ref, ok := h.resetOf[commandUUID]
	if !ok || ref.enrollmentID != enrollmentID {
		return "", false
	}
	return ref.resetID, true
}

// queue queues c for dev, remembering which reset (if any) it serves and
// registering it with the escrow (with its secrets, if any) so that its
// outcomes are recorded.
func (h *harness) queue(dev *device, c apple.Command, resetID string, sec apple.Secrets) {
	h.t.Helper()
	if err := h.source.Put(dev.udid, c.UUID, sec, time.Time{}); err != nil {
		h.t.Fatal(err)
	}
	if resetID != "" {
		h.mu.Lock()
		h.resetOf[c.UUID] = resetRef{dev.udid, resetID}
		h.mu.Unlock()
		if _, err := h.resets.Transition(context.Background(), resetID, passcode.Pending, nanomdm.Actor); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := nanomdm.Enqueue(context.Background(), h.store, c, dev.udid); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) state(resetID string) passcode.State {
	h.t.Helper()
	r, err := h.resets.Get(context.Background(), resetID)
	if err != nil {
		h.t.Fatal(err)
	}
	return r.State
}

// storage returns every key and value nanomdm's storage holds.
func (h *harness) storage() [][]byte {
	ctx := context.Background()
	var all [][]byte
	for _, b := range h.buckets {
		for k := range b.Keys(ctx, nil) {
			v, err := b.Get(ctx, k)
			if err != nil {
				h.t.Fatal(err)
			}
			all = append(all, []byte(k), v)
		}
	}
	return all
}

// device is a simulated Apple device: it signs its messages with its
// identity certificate (the Mdm-Signature header, through nanomdm's test
// transport), checks in, polls for commands and answers them. It decodes
// commands and encodes reports with howett.net/plist, a plist library
// neither mdmcred nor nanomdm wrote.
type device struct {
	t           *testing.T
	udid        string
	unlockToken []byte
	cert        *x509.Certificate
	key         crypto.PrivateKey
	tr          *protocol.Transport
}

func (h *harness) enroll(name string, unlockToken []byte) *device {
	h.t.Helper()
	d := &device{t: h.t, udid: name + "-" + randHex(8), unlockToken: unlockToken}
	var err error
	d.key, d.cert, err = test.SimpleSelfSignedRSAKeypair(d.udid, 2)
	if err != nil {
		h.t.Fatal(err)
	}
	d.tr = protocol.NewTransport(
		protocol.WithSignMessage(),
		protocol.WithIdentityProvider(func(context.Context) (*x509.Certificate, crypto.PrivateKey, error) { return d.cert, d.key, nil }),
		protocol.WithMDMURLs(h.srv.URL+"/mdm", ""),
		protocol.WithClient(h.srv.Client()),
	)
	d.checkin(map[string]any{"MessageType": "Authenticate", "UDID": d.udid, "Topic": "com.apple.mgmt.test", "SerialNumber": "SN" + randHex(4), "BuildVersion": "21E236", "ProductName": name})
	tu := map[string]any{"MessageType": "TokenUpdate", "UDID": d.udid, "Topic": "com.apple.mgmt.test",
		"Token": []byte(randHex(32)), "PushMagic": randHex(16)}
	if unlockToken != nil {
		tu["UnlockToken"] = unlockToken
	}
	d.checkin(tu)
	return d
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := plist.Marshal(v, plist.XMLFormat)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (d *device) checkin(msg map[string]any) {
	d.t.Helper()
	resp, err := d.tr.DoCheckIn(context.Background(), bytes.NewReader(encode(d.t, msg)))
	if err != nil {
		d.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		d.t.Fatalf("%s check-in: HTTP %d %s", msg["MessageType"], resp.StatusCode, body)
	}
}

// command is a command as the device decoded it.
type command struct {
	UUID        string
	RequestType string
	Body        map[string]any
	Raw         []byte
}

// report sends a result (status "Idle" for none) and returns the next
// command the server hands out, or nil.
func (d *device) report(status, commandUUID string, extra map[string]any) *command {
	d.t.Helper()
	msg := map[string]any{"Status": status, "UDID": d.udid}
	if commandUUID != "" {
		msg["CommandUUID"] = commandUUID
	}
	for k, v := range extra {
		msg[k] = v
	}
	resp, err := d.tr.DoReportResultsAndFetchNext(context.Background(), bytes.NewReader(encode(d.t, msg)))
	if err != nil {
		d.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		d.t.Fatalf("report %s: HTTP %d %s", status, resp.StatusCode, body)
	}
	if len(body) == 0 {
		return nil
	}
	var cmd struct {
		CommandUUID string
		Command     map[string]any
	}
	if _, err := plist.Unmarshal(body, &cmd); err != nil {
		d.t.Fatalf("device cannot read the command: %v\n%s", err, body)
	}
	rt, _ := cmd.Command["RequestType"].(string)
	return &command{UUID: cmd.CommandUUID, RequestType: rt, Body: cmd.Command, Raw: body}
}

func (d *device) poll() *command { return d.report("Idle", "", nil) }

// errorChain is an ErrorChain as a device sends it.
func errorChain(code int, domain, desc string) map[string]any {
	return map[string]any{"ErrorChain": []any{map[string]any{
		"ErrorCode": code, "ErrorDomain": domain, "LocalizedDescription": desc, "USEnglishDescription": desc}}}
}

// forms are the ways a secret could be written down: as is, hex, base64
// (both alphabets, padded or not) of the secret alone, and the base64 of the
// secret inside longer data at every alignment (the characters it alone
// decides, when there are at least 8 of them: shorter fragments occur by
// chance in other base64 data).
func forms(secret []byte) [][]byte {
	f := [][]byte{secret, []byte(hex.EncodeToString(secret)), []byte(strings.ToUpper(hex.EncodeToString(secret)))}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		f = append(f, []byte(enc.EncodeToString(secret)))
	}
	for shift := 0; shift < 3; shift++ {
		pre := append(make([]byte, shift), secret...)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			s := enc.EncodeToString(pre)
			// Skip the characters the prefix bytes influence, and the
			// last block's padding.
			start := (shift*8 + 5) / 6
			end := len(strings.TrimRight(s, "=")) - 3
			if end-start >= 8 {
				f = append(f, []byte(s[start:end]))
			}
		}
	}
	return f
}

// hits lists where a form of secret occurs in hay. A secret made of digits
// only (a PIN) counts only where no digit touches it: inside a longer run of
// digits (a microsecond timestamp) it is chance, not a leak.
func hits(hay [][]byte, secret []byte) []string {
	digits := len(secret) > 0 && len(bytes.Trim(secret, "0123456789")) == 0
	isDigit := func(h []byte, i int) bool { return i >= 0 && i < len(h) && h[i] >= '0' && h[i] <= '9' }
	var out []string
	for _, form := range forms(secret) {
		for _, h := range hay {
			for off := 0; ; {
				i := bytes.Index(h[off:], form)
				if i < 0 {
					break
				}
				i += off
				off = i + 1
				if digits && bytes.Equal(form, secret) && (isDigit(h, i-1) || isDigit(h, i+len(form))) {
					continue
				}
				lo, hi := max(0, i-40), min(len(h), i+len(form)+40)
				out = append(out, fmt.Sprintf("%q in %q", form, h[lo:hi]))
				break
			}
		}
	}
	return out
}
