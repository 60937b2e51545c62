package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLSMode says how the [SMTP] adapter protects the connection.
type TLSMode int

const (
	// StartTLSMandatory upgrades the connection with STARTTLS and refuses to
	// send when the server does not offer it. It is the zero value: the
	// default, and the right choice for a submission port (587).
	StartTLSMandatory TLSMode = iota
	// StartTLSOpportunistic upgrades with STARTTLS when the server offers it
	// and otherwise sends in clear. Credentials are still never sent in clear
	// to anything but localhost.
	StartTLSOpportunistic
	// ImplicitTLS speaks TLS from the first byte ("SMTPS", port 465).
	ImplicitTLS
	// NoTLS sends in clear: for a relay on localhost or a test server only.
	NoTLS
)

// String returns the mode's name.
func (m TLSMode) String() string {
	switch m {
	case StartTLSMandatory:
		return "starttls"
	case StartTLSOpportunistic:
		return "starttls-opportunistic"
	case ImplicitTLS:
		return "tls"
	case NoTLS:
		return "none"
	}
	return fmt.Sprintf("TLSMode(%d)", int(m))
}

// AuthMechanism is the SASL mechanism the [SMTP] adapter authenticates with.
type AuthMechanism string

const (
	// AuthPlain is SASL PLAIN (RFC 4616), the default.
	AuthPlain AuthMechanism = "PLAIN"
	// AuthLogin is the LOGIN mechanism some servers (Exchange, Office 365)
	// still require.
	AuthLogin AuthMechanism = "LOGIN"
)

// SMTPConfig configures an [SMTP] adapter.
type SMTPConfig struct {
	// Host is the server's host name or IP address; an IPv6 address may
	// be given with or without brackets ("[2001:db8::25]" or
	// "2001:db8::25"). Not a port: set Port. Required.
	Host string
	// Port is the server's TCP port. Zero: 465 with ImplicitTLS, else 587.
	Port int
	// TLS is how the connection is protected. Zero: StartTLSMandatory.
	TLS TLSMode
	// TLSConfig verifies the server. Zero: the system roots, ServerName =
	// Host, TLS 1.2 or later. A given config is cloned; its ServerName
	// defaults to Host.
	TLSConfig *tls.Config
	// Username and Password are the credentials. Zero Username: no
	// authentication. Credentials are sent only over TLS or to localhost.
	Username string
	// Password is the account's password (redacted when printed).
	Password Secret
	// Auth is the mechanism used when Username is set. Zero: AuthPlain.
	Auth AuthMechanism
	// HELO is the name sent in EHLO/HELO: a domain or an address literal
	// ("[192.0.2.1]"), printable ASCII without spaces. Zero: "localhost".
	HELO string
	// From is the sender address for messages whose From is empty. Required.
	From string
	// Timeout bounds one Send when ctx carries no earlier deadline. Zero:
	// 30 s.
	Timeout time.Duration
	// Now returns the time put in the Date header. Zero: time.Now.
	Now func() time.Time
}

// SMTP is a [Mailer] that submits each message to an SMTP server over a new
// connection, through github.com/wneessen/go-mail. It is safe for
// concurrent use.
type SMTP struct {
	cfg SMTPConfig
	tls *tls.Config
}

var _ Mailer = (*SMTP)(nil)

// smtpHost checks SMTPConfig.Host and returns it as the adapter uses it: a
// host name, an IPv4 address, or an IPv6 address without brackets
// ("[2001:db8::25]" and "2001:db8::25" are the same server), so that the
// dialer can add the port with net.JoinHostPort, the TLS server name is
// the bare address its certificate names, and "::1" counts as localhost
// for sending credentials without TLS.
func smtpHost(h string) (string, error) {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		inner := h[1 : len(h)-1]
		if a, err := netip.ParseAddr(inner); err != nil || !a.Is6() || a.Is4In6() && strings.Contains(inner, ".") {
			return "", configError("SMTPConfig.Host", "brackets hold no IPv6 address")
		}
		h = inner
	}
	switch {
	case h == "":
		return "", configError("SMTPConfig.Host", "required")
	case strings.ContainsFunc(h, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("/\\[]@?#", r) }):
		return "", configError("SMTPConfig.Host", "not a host name or IP address")
	case strings.Contains(h, ":"):
		if a, err := netip.ParseAddr(h); err == nil && a.Is6() {
			// The canonical form: "0:0:0:0:0:0:0:1" is "::1" to the
			// localhost rule too.
			return a.String(), nil
		}
		return "", configError("SMTPConfig.Host", "holds a port or is not an IPv6 address (set Port for the port)")
	}
	return h, nil
}

// NewSMTP checks cfg and returns the adapter. It does not connect. A field
// it refuses is named by a [*FieldError] ("SMTPConfig.Host"), never with
// its value.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	host, err := smtpHost(cfg.Host)
	if err != nil {
		return nil, err
	}
	cfg.Host = host
	switch {
	case cfg.Port < 0 || cfg.Port > 65535:
		return nil, configError("SMTPConfig.Port", "out of range 0-65535")
	case cfg.TLS < StartTLSMandatory || cfg.TLS > NoTLS:
		return nil, configError("SMTPConfig.TLS", "unknown mode")
	case cfg.Timeout < 0:
		return nil, configError("SMTPConfig.Timeout", "negative")
	case cfg.Username == "" && !cfg.Password.IsZero():
		return nil, configError("SMTPConfig.Password", "set without Username")
	case strings.ContainsFunc(cfg.HELO, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
		// RFC 5321 section 4.1.1.1: a domain or an address literal. A line
		// break would end the command; the SMTP client refuses one only
		// when it sends, long after the host was configured.
		return nil, configError("SMTPConfig.HELO", "holds a space, a control or a non-ASCII character (RFC 5321: a domain or address literal)")
	}
	if rule := checkAddress(cfg.From); rule != "" {
		return nil, configError("SMTPConfig.From", rule)
	}
	switch cfg.Auth {
	case "":
		cfg.Auth = AuthPlain
	case AuthPlain, AuthLogin:
	default:
		return nil, configError("SMTPConfig.Auth", "unknown mechanism (PLAIN or LOGIN)")
	}
	if cfg.Port == 0 {
		cfg.Port = 587
		if cfg.TLS == ImplicitTLS {
			cfg.Port = 465
		}
	}
	if cfg.HELO == "" {
		cfg.HELO = "localhost"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		t = cfg.TLSConfig.Clone()
	}
	if t.ServerName == "" {
		t.ServerName = cfg.Host
	}
	return &SMTP{cfg: cfg, tls: t}, nil
}

// Send submits m. It validates m first (an error matching
// [ErrInvalidMessage], nothing sent); any failure after that (dial, TLS,
// authentication, a server reply, ctx's deadline or cancellation) is
// returned as a [*SendError] that matches [ErrSend] and wraps the cause. The
// whole exchange, not just the dial, ends by ctx's deadline (or Timeout).
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if ctx == nil {
		return ErrNilContext
	}
	if m.From == "" {
		m.From = s.cfg.From
	}
	if err := m.Validate(); err != nil {
		return err
	}
	msg, err := encode(m, s.cfg.From, s.cfg.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	remaining := time.Until(deadline)
	if err := ctx.Err(); err != nil {
		return &SendError{Via: "smtp", Err: err}
	}
	if remaining <= 0 {
		return &SendError{Via: "smtp", Err: context.DeadlineExceeded}
	}

	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithHELO(s.cfg.HELO),
		gomail.WithTimeout(remaining),
		gomail.WithTLSConfig(s.tls),
		gomail.WithDialContextFunc(s.dialer(ctx)),
	}
	switch s.cfg.TLS {
	case StartTLSMandatory:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case StartTLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default: // ImplicitTLS is done by the dialer; NoTLS needs nothing.
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		mech := gomail.SMTPAuthPlain
		if s.cfg.Auth == AuthLogin {
			mech = gomail.SMTPAuthLogin
		}
		opts = append(opts, gomail.WithSMTPAuth(mech),
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password.Reveal()))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return &SendError{Via: "smtp", Err: err}
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		// The connection's deadline may fire a moment before ctx's timer.
		cerr := ctx.Err()
		if cerr == nil && !time.Now().Before(deadline) {
			cerr = context.DeadlineExceeded
		}
		if cerr != nil {
			err = fmt.Errorf("%w: %w", cerr, err)
		}
		return &SendError{Via: "smtp", Err: err}
	}
	return nil
}

// dialer returns the dial function go-mail uses: a TCP connection whose
// deadlines never pass ctx's and which is cut when ctx is cancelled, wrapped
// in TLS from the start for ImplicitTLS (so go-mail sees a *tls.Conn and
// treats the session as encrypted).
func (s *SMTP) dialer(ctx context.Context) gomail.DialContextFunc {
	return func(dctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		// go-mail joins host and port as "%s:%d", which no dialer
		// accepts for an IPv6 address: join them here instead.
		port := addr[strings.LastIndexByte(addr, ':')+1:]
		raw, err := d.DialContext(dctx, network, net.JoinHostPort(s.cfg.Host, port))
		if err != nil {
			return nil, err
		}
		c := &ctxConn{Conn: raw, ctx: ctx}
		c.stop = context.AfterFunc(ctx, func() { _ = raw.SetDeadline(longAgo) })
		if err := c.SetDeadline(time.Time{}); err != nil {
			_ = c.Close()
			return nil, err
		}
		if s.cfg.TLS != ImplicitTLS {
			return c, nil
		}
		tc := tls.Client(c, s.tls)
		if err := tc.HandshakeContext(dctx); err != nil {
			_ = c.Close()
			return nil, err
		}
		return tc, nil
	}
}

// longAgo is a deadline that has passed: setting it fails pending I/O.
var longAgo = time.Unix(1, 0)

// ctxConn is a net.Conn bound to a context: every deadline set on it is
// clamped to the context's deadline, and once the context is done every
// deadline is in the past.
type ctxConn struct {
	net.Conn
	ctx  context.Context
	stop func() bool
	once sync.Once
}

func (c *ctxConn) clamp(t time.Time) time.Time {
	if d, ok := c.ctx.Deadline(); ok && (t.IsZero() || d.Before(t)) {
		t = d
	}
	if c.ctx.Err() != nil {
		t = longAgo
	}
	return t
}

// after re-applies the past deadline if ctx ended while a deadline was
// being set, so a late SetDeadline cannot undo the cancellation.
func (c *ctxConn) after(err error) error {
	if c.ctx.Err() != nil {
		_ = c.Conn.SetDeadline(longAgo)
	}
	return err
}

func (c *ctxConn) SetDeadline(t time.Time) error {
	return c.after(c.Conn.SetDeadline(c.clamp(t)))
}

func (c *ctxConn) SetReadDeadline(t time.Time) error {
	return c.after(c.Conn.SetReadDeadline(c.clamp(t)))
}

func (c *ctxConn) SetWriteDeadline(t time.Time) error {
	return c.after(c.Conn.SetWriteDeadline(c.clamp(t)))
}

func (c *ctxConn) Close() error {
	c.once.Do(func() { c.stop() })
	return c.Conn.Close()
}

func (c SMTPConfig) describe(name string) description {
	return description{name: name, fields: []slog.Attr{
		slog.String("Host", c.Host),
		slog.Int("Port", c.Port),
		slog.String("TLS", c.TLS.String()),
		slog.Bool("TLSConfig", c.TLSConfig != nil),
		slog.String("Username", c.Username),
		slog.String("Password", redacted(!c.Password.IsZero())),
		slog.String("Auth", string(c.Auth)),
		slog.String("HELO", c.HELO),
		slog.String("From", c.From),
		slog.String("Timeout", c.Timeout.String()),
	}}
}

// String describes c with its Password redacted.
func (c SMTPConfig) String() string { return c.describe("notify.SMTPConfig").String() }

// Format implements fmt.Formatter: every verb prints [SMTPConfig.String].
func (c SMTPConfig) Format(f fmt.State, verb rune) { c.describe("notify.SMTPConfig").format(f, verb) }

// LogValue implements slog.LogValuer with the Password redacted.
func (c SMTPConfig) LogValue() slog.Value { return c.describe("").logValue() }

// MarshalJSON implements json.Marshaler with the Password redacted (TLSConfig
// and Now are reported as whether they are set, or left out).
func (c SMTPConfig) MarshalJSON() ([]byte, error) { return c.describe("").marshalJSON() }

// String describes the adapter's configuration, its password redacted.
func (s SMTP) String() string { return s.cfg.describe("notify.SMTP").String() }

// Format implements fmt.Formatter: every verb prints [SMTP.String], so the
// password never reaches a log through a printed adapter.
func (s SMTP) Format(f fmt.State, verb rune) { s.cfg.describe("notify.SMTP").format(f, verb) }

// LogValue implements slog.LogValuer with the password redacted.
func (s SMTP) LogValue() slog.Value { return s.cfg.describe("").logValue() }

// MarshalJSON implements json.Marshaler with the password redacted.
func (s SMTP) MarshalJSON() ([]byte, error) { return s.cfg.describe("").marshalJSON() }
