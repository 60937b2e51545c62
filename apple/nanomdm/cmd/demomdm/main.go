// Command demomdm is a demo Apple MDM server for the mdmcred console: NanoMDM
// in process on its in-memory storage, behind its own HTTP handlers and
// certauth, with the mdmcred middleware (apple/nanomdm) in front, and three
// simulated devices enrolled in it that answer commands as their model
// would: a supervised iPhone and an unsupervised iPad (both escrowed an
// UnlockToken) and a Mac with Apple silicon.
//
//	cd apple/nanomdm && go run ./cmd/demomdm -addr 127.0.0.1:9400
//	APPLE_MDM_TOKEN=<the token it prints> go run ./examples/console -apple-mdm http://127.0.0.1:9400
//
// Beside the MDM protocol endpoint (/mdm), a small JSON API on the same
// loopback address, behind a bearer token (APPLE_MDM_TOKEN, or one drawn at
// random and printed), is what the console calls:
//
//	GET  /v1/devices           the enrolled devices, with when their UnlockToken was recorded
//	POST /v1/commands          {"enrollment_id", "command": a template built by package apple, "pin"}
//	GET  /v1/results?after=N   the reports the devices made, each with its raw plist
//
// A queued command holds placeholders only; the PIN a DeviceLock waits for
// is sealed into the middleware's escrow at once and filled in when the
// device fetches the command. Enqueueing pushes the device (it polls at
// once), as an APNs push would. The console reads the results with
// apple.ParseResult and moves its own passcode reset lifecycle with
// apple.Apply, as a host with its own MDM server does.
//
// It is a demo: nothing persists across restarts, and the devices are
// simulations, not Apple devices.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/micromdm/nanolib/log/stdlogfmt"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "demomdm:", err)
		os.Exit(1)
	}
}

// tokenEnv names the environment variable with the API's bearer token.
const tokenEnv = "APPLE_MDM_TOKEN"

func run(ctx context.Context, args []string, out, errOut io.Writer) error {
	fl := flag.NewFlagSet("demomdm", flag.ContinueOnError)
	fl.SetOutput(errOut)
	addr := fl.String("addr", "127.0.0.1:9400", "loopback address to listen on (MDM endpoint /mdm and the API /v1/)")
	verbose := fl.Bool("v", false, "log NanoMDM's and the middleware's records (never a secret) to stderr")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr %s: the demo serves loopback only", *addr)
	}
	token, printToken := os.Getenv(tokenEnv), false
	if token == "" {
		var b [20]byte
		_, _ = rand.Read(b[:])
		token, printToken = base32.StdEncoding.EncodeToString(b[:]), true
	}

	logOut := io.Discard
	if *verbose {
		logOut = errOut
	}
	nlog := stdlogfmt.New(stdlogfmt.WithLogger(stdlog.New(logOut, "nanomdm ", stdlog.LstdFlags)))
	slogger := slog.New(slog.NewTextHandler(logOut, nil))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	s, err := newServer(token, nlog, slogger)
	if err != nil {
		ln.Close()
		return err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	if err := s.addDevices(base+"/mdm", client, slogger); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := s.enroll(ctx); err != nil {
		return fmt.Errorf("enrolling the simulated devices: %w", err)
	}

	fmt.Fprintf(out, "demo MDM on %s/\n", base)
	for _, p := range demoDevices {
		fmt.Fprintf(out, "device: %s %s (%s %s)\n", p.UDID, p.Name, p.Model, p.OSVersion)
	}
	if printToken {
		fmt.Fprintf(out, "token: %s=%s\n", tokenEnv, token)
	}
	fmt.Fprintf(out, "console: go run ./examples/console -apple-mdm %s\n", base)

	select {
	case <-ctx.Done():
		return nil
	case err := <-done:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
