package notify_test

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/internal/citest"
	"github.com/mdmcred/mdmcred/notify"
)

// TestSMTPHostIPv6 sends over IPv6 loopback to a server whose address is
// given bare and bracketed: both dial, both count as localhost for PLAIN
// without TLS, and STARTTLS verifies the certificate's IP address (so the
// TLS server name is the bare address).
func TestSMTPHostIPv6(t *testing.T) {
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		citest.Missing(t, "no IPv6 loopback ("+err.Error()+")", "enable IPv6 on the loopback interface (sysctl net.ipv6.conf.lo.disable_ipv6=0)")
	} else {
		_ = l.Close()
	}
	for _, host := range []string{"::1", "[::1]", "0:0:0:0:0:0:0:1"} {
		for _, mode := range []serverMode{plainServer, startTLSServer} {
			t.Run(host, func(t *testing.T) {
				ts, pool := startServerOn(t, "[::1]:0", mode, func(ts *testServer) { ts.user, ts.pass = "mdm", "pw" })
				cfg := notify.SMTPConfig{Host: host, Port: ts.port, From: "mdm@example.org",
					Username: "mdm", Password: notify.NewSecret("pw"), TLS: notify.NoTLS}
				if pool != nil {
					cfg.TLS = notify.StartTLSMandatory
					cfg.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
				}
				s, err := notify.NewSMTP(cfg)
				if err != nil {
					t.Fatalf("NewSMTP(%q) = %v", host, err)
				}
				if err := s.Send(testCtx(t), polishServicePassword(t, nil)); err != nil {
					t.Fatalf("Send to %q: %v", host, err)
				}
				if n := len(ts.messages()); n != 1 {
					t.Fatalf("server received %d messages", n)
				}
			})
		}
	}
}

// TestSMTPHostRefused: what can never be dialled is refused by NewSMTP with
// a *FieldError naming SMTPConfig.Host.
func TestSMTPHostRefused(t *testing.T) {
	for _, host := range []string{"", "smtp.example.com:587", "[smtp.example.com]", "[203.0.113.7]", "[::1]:25",
		"2001:db8::25:x", "a b", "user@smtp.example.com", "smtp.example.com/x", "[::1", "::1]", "unix:///tmp/s", "a\r\nb"} {
		_, err := notify.NewSMTP(notify.SMTPConfig{Host: host, From: "mdm@example.org"})
		var fe *notify.FieldError
		if !errors.As(err, &fe) || fe.Field != "SMTPConfig.Host" {
			t.Errorf("NewSMTP(Host %q) = %v, want a *FieldError for SMTPConfig.Host", host, err)
		}
		if err != nil && host != "" && strings.Contains(err.Error(), host) {
			t.Errorf("error repeats the host: %v", err)
		}
	}
}
