// Command console is a small web app over the mdmcred SDK: the admin console
// panels and the user portal pages the SDK exists for, and a device
// simulator that plays the device agent. It is a reference for wiring the
// SDK's stores, mail, keys and sessions, not a product.
//
//	go run ./examples/console                 # memory stores, emails in a dev outbox directory
//	go run ./examples/console -addr 127.0.0.1:9000
//	go run ./examples/console -postgres 'postgres://mdm@localhost/mdm'
//	go run ./examples/console -smtp 'smtp://user:pass@mail.example.com:587?from=mdm@example.com'
//	APPLE_MDM_TOKEN=... go run ./examples/console -apple-mdm http://127.0.0.1:9400   # with apple/nanomdm/cmd/demomdm
//
// It prints its address, the demo admin's password and the demo portal
// users' password, both drawn at random on every start. -tls-cert and
// -tls-key serve HTTPS; -reveal keeps sealed company passcodes that admins
// can show again; -v logs requests (method and path) and the SDK's records.
//
// Screens: the device card's Service password panel (/admin/devices/…), a
// site's Self-service enrollment (/admin/sites/…), a device's Reset passcode
// wizard and Events (/admin/devices/…/reset, …/events), the Lock button of
// an Android Enterprise device, whose commands go to a fake Android
// Management API the console runs on loopback (android.go), the user portal
// (/portal/) and the device simulator with the self-service enrollment page
// (/device/, /device/enroll).
//
// The device card also shows the device's escrowed secrets (the demo Mac's
// lock PIN and Recovery Lock password): Reveal asks for a reason and shows
// the secret once, every view is listed with who, when, from where and why,
// and Rotate runs a new one through the lifecycle; a secret viewed an hour
// ago is rotated the same way (escrow.go, escrowsdk.go).
//
// All SDK calls are in sdk.go; the rest is the web layer: sessions in
// HttpOnly, SameSite=Strict cookies (Secure under TLS), a CSRF token in
// every form, codes and PINs only in the responses to POST requests,
// html/template escaping, and a Content-Security-Policy without inline
// script.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"time"
	_ "time/tzdata" // the devices' zone, on any system

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver, registered as "pgx"

	"github.com/mdmcred/mdmcred/notify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "console:", err)
	}
	stop()
	os.Exit(exitStatus(err))
}

// exitStatus is the process's exit status after run: 0 when it ended
// well or printed the help that -h asked for, 1 after an error.
func exitStatus(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fl := flag.NewFlagSet("console", flag.ContinueOnError)
	addr := fl.String("addr", "127.0.0.1:8080", "address to listen on")
	dsn := fl.String("postgres", "", "PostgreSQL connection string; empty keeps everything in memory")
	smtpURL := fl.String("smtp", "", "SMTP server as smtp://user:pass@host:587?from=addr (STARTTLS), smtps:// (TLS) or smtp+plain:// (no TLS, loopback relays); empty writes emails to -outbox")
	outbox := fl.String("outbox", "", "directory for the dev outbox's .eml files; empty means a new temporary directory (removed at exit if no email was written)")
	zoneName := fl.String("zone", "Europe/Berlin", "time zone of the demo devices and admins")
	reveal := fl.Bool("reveal", false, "keep a sealed copy of each company passcode so that admins can show it again (default: shown once)")
	reauth := fl.Duration("reauth", 0, "portal re-authentication window for a passcode reset; zero means the SDK's default (5 minutes)")
	tlsCert := fl.String("tls-cert", "", "TLS certificate file (PEM); with -tls-key, serve HTTPS (session cookies are then Secure)")
	tlsKey := fl.String("tls-key", "", "TLS private key file (PEM)")
	verbose := fl.Bool("v", false, "log every request (method and path only) and the SDK's records")
	appleMDMURL := fl.String("apple-mdm", "", "base URL of the Apple MDM server's API (apple/nanomdm/cmd/demomdm), its token in $APPLE_MDM_TOKEN; empty: the Apple devices show that no MDM server is configured")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	zone, err := time.LoadLocation(*zoneName)
	if err != nil {
		return err
	}
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}

	var mailer notify.Mailer
	where := ""
	if *smtpURL != "" {
		m, err := smtpMailer(*smtpURL)
		if err != nil {
			return err
		}
		mailer, where = m, "emails go to the SMTP server"
	} else {
		dir := *outbox
		if dir == "" {
			if dir, err = os.MkdirTemp("", "mdmcred-console-outbox-"); err != nil {
				return err
			}
			// A temporary outbox that stays empty (a failed start, a run
			// that sent nothing) is removed at the end; one with emails
			// is kept for reading.
			defer func() { _ = os.Remove(dir) }() // fails, as wanted, when not empty
		}
		ob, err := notify.NewOutbox(notify.OutboxConfig{Dir: dir, From: "mdm@example.com"})
		if err != nil {
			return err
		}
		mailer, where = ob, "emails are written to "+ob.Dir()
	}

	var db *sql.DB
	if *dsn != "" {
		if db, err = sql.Open("pgx", *dsn); err != nil {
			return err
		}
		defer db.Close()
	}
	inv := demoInventory(zone)
	amapiURL, err := startFakeAMAPI(ctx, inv, time.Now, fakeDeviceDelay)
	if err != nil {
		return err
	}
	s, err := newSDK(ctx, sdkConfig{DB: db, Mailer: mailer, Zone: zone, Logger: logger, ReauthWindow: *reauth, RevealPasscodes: *reveal,
		AMAPIEndpoint: amapiURL, DeviceName: inv.deviceName})
	if err != nil {
		return err
	}
	go s.rotateEvery(ctx, time.Minute, logger) // escrowed secrets due for rotation (escrowsdk.go)
	var appleMDM *appleMDM
	if *appleMDMURL != "" {
		if appleMDM, err = newAppleMDM(*appleMDMURL, os.Getenv("APPLE_MDM_TOKEN"), s.resets, nil); err != nil {
			return err
		}
	}
	adminPass, portalPass := randomToken()[:16], randomToken()[:16]
	a, err := newApp(appConfig{SDK: s, Inventory: inv, Zone: zone, Logger: logger,
		AdminPassword: adminPass, PortalPassword: portalPass, AppleMDM: appleMDM})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if *tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(out, "mdmcred console on %s://%s/\n", scheme, ln.Addr())
	fmt.Fprintf(out, "admin:  %s  password %s\n", adminID, adminPass)
	fmt.Fprintf(out, "portal: anna@example.com, ben@example.com  password %s\n", portalPass)
	fmt.Fprintf(out, "device simulator: %s://%s/device/\n", scheme, ln.Addr())
	fmt.Fprintf(out, "fake Android Management API: %s/v1/\n", amapiURL)
	fmt.Fprintln(out, where)

	srv := &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if *tlsCert != "" {
		err = srv.ServeTLS(ln, *tlsCert, *tlsKey)
	} else {
		err = srv.Serve(ln)
	}
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// smtpMailer reads the -smtp URL.
func smtpMailer(raw string) (*notify.SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("-smtp: %w", err)
	}
	cfg := notify.SMTPConfig{Host: u.Hostname(), From: u.Query().Get("from")}
	switch u.Scheme {
	case "smtp":
		cfg.TLS = notify.StartTLSMandatory
	case "smtps":
		cfg.TLS = notify.ImplicitTLS
	case "smtp+plain":
		cfg.TLS = notify.NoTLS
	default:
		return nil, fmt.Errorf("-smtp: scheme %q, want smtp, smtps or smtp+plain", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if cfg.Port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("-smtp: port %q", p)
		}
	}
	if cfg.From == "" {
		cfg.From = "mdm@example.com"
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		pw, _ := u.User.Password()
		cfg.Password = notify.NewSecret(pw)
	}
	return notify.NewSMTP(cfg)
}
