package notify_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"image"
	"image/png"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	smtp "github.com/emersion/go-smtp"

	"github.com/mdmcred/mdmcred/notify"
	"github.com/mdmcred/mdmcred/servicepass"
)

// testServer is a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 that keeps what it receives. It stops when the test ends.
type testServer struct {
	addr string
	port int
	mu   sync.Mutex
	got  []received
	// rejectRcpt makes RCPT fail with 550; user/pass make AUTH required.
	rejectRcpt bool
	user, pass string
	authed     []string
}

type received struct {
	from string
	to   []string
	raw  []byte
}

type backend struct{ s *testServer }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s      *testServer
	from   string
	to     []string
	authed bool
}

func (se *session) AuthMechanisms() []string {
	if se.s.user == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != se.s.user || pass != se.s.pass {
			return errors.New("bad credentials")
		}
		se.authed = true
		se.s.mu.Lock()
		se.s.authed = append(se.s.authed, mech)
		se.s.mu.Unlock()
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, errors.New("unsupported mechanism")
}

// loginServer is the server side of the LOGIN mechanism, which go-sasl
// no longer ships.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if resp != nil {
			l.user, l.step = string(resp), 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.user != "" && !se.authed {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if se.s.rejectRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	se.s.got = append(se.s.got, received{from: se.from, to: se.to, raw: b})
	return nil
}

func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }

type serverMode int

const (
	plainServer    serverMode = iota // no TLS at all
	startTLSServer                   // STARTTLS offered
	implicitServer                   // TLS from the first byte
)

func startServer(t *testing.T, mode serverMode, configure func(*testServer)) (*testServer, *x509.CertPool) {
	t.Helper()
	return startServerOn(t, "127.0.0.1:0", mode, configure)
}

// startServerOn is startServer listening on addr.
func startServerOn(t *testing.T, addr string, mode serverMode, configure func(*testServer)) (*testServer, *x509.CertPool) {
	t.Helper()
	ts := &testServer{}
	if configure != nil {
		configure(ts)
	}
	srv := smtp.NewServer(backend{ts})
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = mode == plainServer
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	var pool *x509.CertPool
	if mode != plainServer {
		cert, p := selfSigned(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		pool = p
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if mode == implicitServer {
		l = tls.NewListener(l, srv.TLSConfig)
	}
	ts.addr = l.Addr().String()
	ts.port = l.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = l.Close() // in case Serve had not registered l when Close ran
		<-done
	})
	return ts, pool
}

func (ts *testServer) messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.got...)
}

// selfSigned makes a certificate for 127.0.0.1 and ::1 and the pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		NotBefore:             time.Unix(0, 0),
		NotAfter:              time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

var sendTime = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// polishServicePassword renders the Polish service-password email with an
// inline QR.
func polishServicePassword(t *testing.T, qr []byte) notify.Message {
	t.Helper()
	c, err := notify.NewCatalog(notify.CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.ServicePassword(notify.ServicePassword{
		To: []string{"Jan Kowalski <jan@example.com>"}, Language: "pl-PL",
		DeviceName: "Skaner magazynowy 7", Issued: servicepass.Issued{Actions: servicepass.Unlock,
			ExpiresAt: sendTime.Add(24 * time.Hour), Display: notify.NewSecret("7KQ4-M2XP-9HVR-TD3C-W"), QRPNG: notify.NewSecretBytes(qr)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func qrPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 33, 33))
	for i := range img.Pix {
		img.Pix[i] = byte(i*37) | 0x0f
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func newSMTP(t *testing.T, ts *testServer, cfg notify.SMTPConfig) *notify.SMTP {
	t.Helper()
	cfg.Host, cfg.Port = "127.0.0.1", ts.port
	if cfg.From == "" {
		cfg.From = "MDM <mdm@example.org>"
	}
	cfg.Now = func() time.Time { return sendTime }
	s, err := notify.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestSMTPDelivers sends the Polish service password with its QR through
// every TLS mode and authentication mechanism, then takes the received raw
// message apart.
func TestSMTPDelivers(t *testing.T) {
	cases := []struct {
		name  string
		mode  serverMode
		tls   notify.TLSMode
		auth  notify.AuthMechanism
		creds bool
	}{
		{"no TLS", plainServer, notify.NoTLS, "", false},
		{"no TLS, PLAIN to localhost", plainServer, notify.NoTLS, notify.AuthPlain, true},
		{"opportunistic without STARTTLS", plainServer, notify.StartTLSOpportunistic, "", false},
		{"STARTTLS mandatory", startTLSServer, notify.StartTLSMandatory, "", false},
		{"STARTTLS opportunistic", startTLSServer, notify.StartTLSOpportunistic, "", false},
		{"STARTTLS, PLAIN", startTLSServer, notify.StartTLSMandatory, "", true},
		{"STARTTLS, LOGIN", startTLSServer, notify.StartTLSMandatory, notify.AuthLogin, true},
		{"implicit TLS", implicitServer, notify.ImplicitTLS, "", false},
		{"implicit TLS, PLAIN", implicitServer, notify.ImplicitTLS, notify.AuthPlain, true},
		{"implicit TLS, LOGIN", implicitServer, notify.ImplicitTLS, notify.AuthLogin, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, pool := startServer(t, tc.mode, func(ts *testServer) {
				if tc.creds {
					ts.user, ts.pass = "mdm", "s3cret pass"
				}
			})
			cfg := notify.SMTPConfig{TLS: tc.tls, Auth: tc.auth}
			if pool != nil {
				cfg.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
			}
			if tc.creds {
				cfg.Username, cfg.Password = "mdm", notify.NewSecret("s3cret pass")
			}
			qr := qrPNG(t)
			m := polishServicePassword(t, qr)
			if err := newSMTP(t, ts, cfg).Send(testCtx(t), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := ts.messages()
			if len(got) != 1 {
				t.Fatalf("server received %d messages", len(got))
			}
			if got[0].from != "mdm@example.org" || len(got[0].to) != 1 || got[0].to[0] != "jan@example.com" {
				t.Errorf("envelope from %q to %q", got[0].from, got[0].to)
			}
			if tc.creds {
				want := string(notify.AuthPlain)
				if tc.auth == notify.AuthLogin {
					want = string(notify.AuthLogin)
				}
				if len(ts.authed) != 1 || ts.authed[0] != want {
					t.Errorf("authenticated with %v, want %s", ts.authed, want)
				}
			}
			checkRawMessage(t, got[0].raw, m, qr)
		})
	}
}

// checkRawMessage parses raw with net/mail and mime/multipart: headers, an
// encoded Polish subject, multipart/related around multipart/alternative
// (text, HTML) and the inline QR with its Content-ID.
func checkRawMessage(t *testing.T, raw []byte, want notify.Message, qr []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	h := msg.Header
	rawSubject := h.Get("Subject")
	if !strings.HasPrefix(rawSubject, "=?UTF-8?") || strings.Contains(rawSubject, "ł") {
		t.Errorf("subject not RFC 2047 encoded: %q", rawSubject)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(rawSubject)
	if err != nil || subject != want.Subject || !strings.HasPrefix(subject, "Hasło serwisowe") {
		t.Errorf("subject = %q, %v; want %q", subject, err, want.Subject)
	}
	for name, val := range map[string]string{
		"From":             `"MDM" <mdm@example.org>`,
		"To":               `"Jan Kowalski" <jan@example.com>`,
		"Content-Language": "pl",
		"Auto-Submitted":   "auto-generated",
		"Mime-Version":     "1.0",
	} {
		if got := h.Get(name); got != val {
			t.Errorf("%s = %q, want %q", name, got, val)
		}
	}
	if d, err := h.Date(); err != nil || !d.Equal(sendTime) {
		t.Errorf("Date = %v, %v", d, err)
	}
	if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.org>") {
		t.Errorf("Message-Id = %q", id)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/related" {
		t.Fatalf("top Content-Type = %q, %v", h.Get("Content-Type"), err)
	}
	related := multipart.NewReader(msg.Body, params["boundary"])

	alt, err := related.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	mt, altParams, err := mime.ParseMediaType(alt.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("first related part = %q, %v", alt.Header.Get("Content-Type"), err)
	}
	alternatives := multipart.NewReader(alt, altParams["boundary"])
	for i, wantType := range []string{"text/plain", "text/html"} {
		p, err := alternatives.NextPart()
		if err != nil {
			t.Fatalf("alternative %d: %v", i, err)
		}
		mt, ps, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if mt != wantType || !strings.EqualFold(ps["charset"], "utf-8") {
			t.Errorf("alternative %d is %q", i, p.Header.Get("Content-Type"))
		}
		body, err := io.ReadAll(p) // quoted-printable is decoded by NextPart
		if err != nil {
			t.Fatal(err)
		}
		wantBody := want.Text.Reveal()
		if wantType == "text/html" {
			wantBody = want.HTML.Reveal()
		}
		// SMTP carries lines ending in CRLF.
		if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != wantBody {
			t.Errorf("%s body differs:\n%s\nwant:\n%s", wantType, body, wantBody)
		}
	}
	if _, err := alternatives.NextPart(); err != io.EOF {
		t.Errorf("more than two alternatives: %v", err)
	}
	if !strings.Contains(want.HTML.Reveal(), `src="cid:`+notify.QRContentID+`"`) {
		t.Errorf("HTML does not reference cid:%s", notify.QRContentID)
	}

	img, err := related.NextPart()
	if err != nil {
		t.Fatalf("no inline image: %v", err)
	}
	if got := img.Header.Get("Content-Id"); got != "<"+notify.QRContentID+">" {
		t.Errorf("Content-ID = %q", got)
	}
	if mt, _, _ := mime.ParseMediaType(img.Header.Get("Content-Type")); mt != "image/png" {
		t.Errorf("image Content-Type = %q", img.Header.Get("Content-Type"))
	}
	if d := img.Header.Get("Content-Disposition"); !strings.HasPrefix(d, "inline") {
		t.Errorf("Content-Disposition = %q", d)
	}
	if enc := img.Header.Get("Content-Transfer-Encoding"); !strings.EqualFold(enc, "base64") {
		t.Fatalf("image encoding %q", enc)
	}
	data, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, img))
	if err != nil || !bytes.Equal(data, qr) {
		t.Errorf("inline image differs from the QR PNG (%v)", err)
	}
	if _, err := related.NextPart(); err != io.EOF {
		t.Errorf("unexpected part after the image: %v", err)
	}
}

// TestSMTPErrorsAreReturned: every way the server or the network refuses
// comes back as an error matching ErrSend, never swallowed.
func TestSMTPErrorsAreReturned(t *testing.T) {
	t.Run("recipient rejected", func(t *testing.T) {
		ts, _ := startServer(t, plainServer, func(ts *testServer) { ts.rejectRcpt = true })
		err := newSMTP(t, ts, notify.SMTPConfig{TLS: notify.NoTLS}).Send(testCtx(t), polishServicePassword(t, nil))
		if !errors.Is(err, notify.ErrSend) || !strings.Contains(err.Error(), "550") {
			t.Fatalf("err = %v, want ErrSend with the 550 reply", err)
		}
		if len(ts.messages()) != 0 {
			t.Error("server kept a message")
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		ts, pool := startServer(t, startTLSServer, func(ts *testServer) { ts.user, ts.pass = "mdm", "right" })
		err := newSMTP(t, ts, notify.SMTPConfig{
			TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			Username:  "mdm", Password: notify.NewSecret("wrong-password"),
		}).Send(testCtx(t), polishServicePassword(t, nil))
		if !errors.Is(err, notify.ErrSend) {
			t.Fatalf("err = %v, want ErrSend", err)
		}
		if strings.Contains(err.Error(), "wrong-password") {
			t.Errorf("error leaks the password: %v", err)
		}
	})
	t.Run("STARTTLS required but not offered", func(t *testing.T) {
		ts, _ := startServer(t, plainServer, nil)
		err := newSMTP(t, ts, notify.SMTPConfig{}).Send(testCtx(t), polishServicePassword(t, nil))
		if !errors.Is(err, notify.ErrSend) || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("err = %v, want ErrSend about STARTTLS", err)
		}
		if len(ts.messages()) != 0 {
			t.Error("message sent in clear despite mandatory STARTTLS")
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		ts, _ := startServer(t, implicitServer, nil)
		err := newSMTP(t, ts, notify.SMTPConfig{TLS: notify.ImplicitTLS}).Send(testCtx(t), polishServicePassword(t, nil))
		var uerr x509.UnknownAuthorityError
		if !errors.Is(err, notify.ErrSend) || !errors.As(err, &uerr) {
			t.Fatalf("err = %v, want ErrSend wrapping x509.UnknownAuthorityError", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		s, err := notify.NewSMTP(notify.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: notify.NoTLS, From: "mdm@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(testCtx(t), polishServicePassword(t, nil)); !errors.Is(err, notify.ErrSend) {
			t.Fatalf("err = %v, want ErrSend", err)
		}
	})
	t.Run("invalid message", func(t *testing.T) {
		ts, _ := startServer(t, plainServer, nil)
		m := polishServicePassword(t, nil)
		m.Subject = "x\r\nBcc: evil@example.com"
		err := newSMTP(t, ts, notify.SMTPConfig{TLS: notify.NoTLS}).Send(testCtx(t), m)
		if !errors.Is(err, notify.ErrInvalidMessage) {
			t.Fatalf("err = %v, want ErrInvalidMessage", err)
		}
	})
}

// TestSMTPHonoursDeadline: a server that accepts and never greets holds the
// client only until ctx's deadline; the error says so.
func TestSMTPHonoursDeadline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var conns []net.Conn
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, silent
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	s, err := notify.NewSMTP(notify.SMTPConfig{
		Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, TLS: notify.NoTLS, From: "mdm@example.org",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 300*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			err := s.Send(ctx, polishServicePassword(t, nil))
			if !errors.Is(err, notify.ErrSend) || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want ErrSend and %v", err, tc.want)
			}
		})
	}
	t.Run("already expired", func(t *testing.T) {
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
		defer cancel()
		if err := s.Send(ctx, polishServicePassword(t, nil)); !errors.Is(err, notify.ErrSend) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestNewSMTPConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  notify.SMTPConfig
		ok   bool
	}{
		{"minimal", notify.SMTPConfig{Host: "smtp.example.com", From: "mdm@example.com"}, true},
		{"no host", notify.SMTPConfig{From: "mdm@example.com"}, false},
		{"IPv6 host", notify.SMTPConfig{Host: "2001:db8::25", From: "mdm@example.com"}, true},
		{"bracketed IPv6 host", notify.SMTPConfig{Host: "[2001:db8::25]", From: "mdm@example.com"}, true},
		{"host with port", notify.SMTPConfig{Host: "smtp.example.com:587", From: "mdm@example.com"}, false},
		{"from with a 65-octet local part", notify.SMTPConfig{Host: "h", From: strings.Repeat("a", 65) + "@example.com"}, false},
		{"host with CRLF", notify.SMTPConfig{Host: "a\r\nb", From: "mdm@example.com"}, false},
		{"bad port", notify.SMTPConfig{Host: "h", Port: 70000, From: "mdm@example.com"}, false},
		{"bad TLS mode", notify.SMTPConfig{Host: "h", TLS: notify.TLSMode(9), From: "mdm@example.com"}, false},
		{"no from", notify.SMTPConfig{Host: "h"}, false},
		{"bad from", notify.SMTPConfig{Host: "h", From: "mdm"}, false},
		{"password without user", notify.SMTPConfig{Host: "h", From: "a@b.c", Password: notify.NewSecret("p")}, false},
		{"unknown mechanism", notify.SMTPConfig{Host: "h", From: "a@b.c", Username: "u", Auth: "CRAM-MD5"}, false},
		{"negative timeout", notify.SMTPConfig{Host: "h", From: "a@b.c", Timeout: -1}, false},
	}
	for _, tc := range cases {
		_, err := notify.NewSMTP(tc.cfg)
		var fe *notify.FieldError
		if tc.ok != (err == nil) || err != nil && (!errors.As(err, &fe) || !strings.HasPrefix(fe.Field, "SMTPConfig.")) {
			t.Errorf("%s: NewSMTP = %v", tc.name, err)
		}
	}
	for m, want := range map[notify.TLSMode]string{
		notify.StartTLSMandatory: "starttls", notify.StartTLSOpportunistic: "starttls-opportunistic",
		notify.ImplicitTLS: "tls", notify.NoTLS: "none", notify.TLSMode(7): "TLSMode(7)",
	} {
		if m.String() != want {
			t.Errorf("%d.String() = %q", int(m), m.String())
		}
	}
}

// A context cancelled before Send is reported as cancelled, not as a
// deadline that passed.
func TestSMTPAlreadyCancelled(t *testing.T) {
	s, err := notify.NewSMTP(notify.SMTPConfig{Host: "127.0.0.1", Port: 1, TLS: notify.NoTLS, From: "mdm@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = s.Send(ctx, polishServicePassword(t, nil))
	if !errors.Is(err, notify.ErrSend) || !errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrSend and context.Canceled", err)
	}
}
