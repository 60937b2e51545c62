// Command deviceagent is a minimal device-side verifier of service passwords:
// what an MDM agent runs when the user types the code an administrator read
// out to them. It links only the Go standard library and the servicepass
// package (a test checks it), works offline, and keeps its state (used codes,
// the failed-attempt lockout, the clock high-water mark, the privileged
// window) in a crash-safe file (servicepass.FileStore).
//
// Usage:
//
//	deviceagent -keys device.keys -state agent.state [-mode device-owner] [flags] [CODE]
//
// The code is taken from the arguments (joined with spaces, so a code typed
// in groups works) or, without arguments, from the first line of standard
// input. Hyphens, spaces, case and the look-alikes O/I/L do not matter.
//
// The key file is the device's provisioning file, which "issuer devicekey"
// writes (servicepass.Provisioning, specified in docs/servicepass-format.md
// §10): the device ID the keys were derived for, the keyring, the time zone
// the issuer uses for the device and, if recorded, the activation mode.
// -device and -mode, if given, must match it.
//
// Flags:
//
//	-keys FILE    provisioning file (required)
//	-mode MODE    activation mode: device-owner or cope (required unless the file records it)
//	-state FILE   state file (required); created on first use
//	-device ID    device ID, checked against the key file
//	-tz ZONE      device time zone for day-valid codes (default: the provisioning
//	              file's; there is no local default: Go reads UTC as local on Android and iOS)
//	-now TIME     device time as RFC 3339 instead of the system clock (tests, demos)
//	-init         provisioning: create the state file (once, when the key file is
//	              installed); after that a missing state file is damage
//	-status       print the privileged window and the revert duty instead of verifying
//	-clear        with -status: acknowledge the revert duty after reverting it
//	              (refused while only an active window is open: it holds until its end);
//	              with -log: acknowledge the use log entries printed
//	-log          print the use log (key ID, serial or challenge, device time, degraded) to upload
//	-challenge    show a challenge, then read the response to it from standard input
//
// With -challenge the agent prints "CHALLENGE XXXXX-XXXXX", which the user
// reads to the help desk ("issuer respond"), and waits for the response on
// standard input; it then grants or refuses as for a code. The challenge
// lives in this process only (docs/servicepass-format.md §11: its lifetime
// runs on the monotonic clock, which does not survive a restart), so the
// same run takes the response.
//
// The agent runs as a provisioned device: having the provisioning (the key
// file) means provisioned, so a state file that is missing (deleted, or a
// mistyped -state) is damage: the grant is degraded and every reversible
// action is reported for revert. -init is the provisioning step
// (servicepass.InstallProvisioning without a path: the key file is already
// in place) that creates the state the first time.
// Several agents may run at once on one state file: the file store locks it.
//
// On a grant it prints "GRANTED <actions>" and the details (scope, expiry,
// the end of the privileged window, network policies lifted) and exits 0. On a
// refusal it prints "REFUSED <reason>" with an explanation and the error and
// exits 1. A usage or configuration error exits 2. When the state could not
// be saved it prints "STATE NOT SAVED" with the reason after the grant,
// refusal, window status or acknowledgement and exits 3, in every mode
// (-init, -status, -clear, -log, -challenge): what it did is not remembered.
// -status on a lost state prints "WINDOW lost" and exits 4 (3 if that could
// not be saved either). With -challenge a mistyped or malformed response
// asks again; end of input before a response prints "REFUSED no-response"
// and exits 1.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/examples/internal/provision"
	"github.com/mdmcred/mdmcred/servicepass"
)

// Exit statuses.
const (
	exitGranted = 0
	exitRefused = 1
	exitUsage   = 2
	exitUnsaved = 3
	exitLost    = 4
)

// maxInput bounds what is read from standard input: a code is 29 characters.
const maxInput = 1024

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program, with its arguments and streams, returning the
// exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("deviceagent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keysPath := fs.String("keys", "", "provisioning `file` (from \"issuer devicekey\")")
	modeName := fs.String("mode", "", "activation `mode`: device-owner or cope (default: the provisioning file's)")
	statePath := fs.String("state", "", "state `file`, created on first use")
	deviceID := fs.String("device", "", "device `ID`, checked against the key file (default: the key file's)")
	tzName := fs.String("tz", "", "device time `zone` for day-valid codes (default: the provisioning file's)")
	nowText := fs.String("now", "", "device `time` as RFC 3339 instead of the system clock")
	status := fs.Bool("status", false, "print the privileged window instead of verifying")
	clearWin := fs.Bool("clear", false, "with -status: acknowledge the revert duty after reverting; with -log: acknowledge the entries")
	initState := fs.Bool("init", false, "provisioning: create the state file")
	showLog := fs.Bool("log", false, "print the use log")
	challenge := fs.Bool("challenge", false, "show a challenge, then read the response from standard input")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: deviceagent -keys FILE -state FILE [-mode MODE] [flags] [CODE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // the usage was asked for
		}
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "deviceagent: "+format+"\n", a...)
		return exitUsage
	}
	if *keysPath == "" || *statePath == "" {
		fs.Usage()
		return exitUsage
	}
	prov, err := servicepass.ReadProvisioningFile(*keysPath)
	if err != nil {
		return fail("%s: %v", *keysPath, err)
	}
	fileDevice, mode := prov.DeviceID, prov.Mode
	if *modeName != "" {
		if mode, err = provision.ParseMode(*modeName); err != nil {
			return fail("%v", err)
		}
		if prov.HasMode && mode != prov.Mode {
			return fail("the provisioning file is for a %s device, not %s", prov.Mode, mode)
		}
	} else if !prov.HasMode {
		return fail("-mode is required: the provisioning file does not record the mode")
	}
	if *deviceID != "" && *deviceID != fileDevice {
		return fail("the key file is for device %q, not %q", fileDevice, *deviceID)
	}
	loc := prov.Location
	if *tzName != "" {
		if loc, err = time.LoadLocation(*tzName); err != nil {
			return fail("time zone: %v", err)
		}
	} else if loc == nil && mode == servicepass.COPE {
		return fail("-tz is required with -mode cope when the provisioning file records no zone (the zone the issuer uses for this device)")
	}
	now := time.Now()
	if *nowText != "" {
		if now, err = time.Parse(time.RFC3339, *nowText); err != nil {
			return fail("-now: %v", err)
		}
	}
	store, err := servicepass.OpenFileStore(*statePath)
	if err != nil {
		return fail("state: %v", err)
	}
	defer store.Close()
	if *initState {
		if err := servicepass.InstallProvisioning(context.Background(), "", nil, store); err != nil {
			if reportUnsaved(stdout, err, "the device is not marked provisioned") {
				return exitUnsaved
			}
			return fail("initializing the state: %v", err)
		}
		fmt.Fprintln(stdout, "STATE initialized")
		return exitGranted
	}
	// The provisioning, with the mode and zone given on the command line:
	// having it means provisioned, so a missing state file is a lost one.
	prov.Mode, prov.HasMode, prov.Location = mode, true, loc
	v, err := servicepass.NewVerifier(prov, store, nil)
	if err != nil {
		return fail("%v", err)
	}

	if *status && *showLog {
		return fail("-status and -log are separate")
	}
	if *status {
		return printWindow(v, now, *clearWin, stdout, stderr)
	}
	if *showLog {
		return printLog(v, *clearWin, stdout, stderr)
	}
	if *clearWin {
		return fail("-clear goes with -status or -log")
	}
	if *challenge {
		if fs.NArg() > 0 {
			return fail("-challenge reads the response from standard input, not the arguments")
		}
		return answerChallenge(v, now, loc, stdin, stdout, stderr)
	}

	code := strings.Join(fs.Args(), " ")
	if code == "" {
		line, err := bufio.NewReader(io.LimitReader(stdin, maxInput)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fail("reading the code: %v", err)
		}
		code = strings.TrimSpace(line)
	}
	if code == "" {
		return fail("no code: pass it as an argument or on standard input")
	}

	g, err := v.Verify(context.Background(), code, now)
	if err != nil {
		reason, why := explain(err)
		fmt.Fprintf(stdout, "REFUSED %s: %s\n", reason, why)
		fmt.Fprintf(stdout, "  error: %v\n", err)
		if reportUnsaved(stdout, err, "this attempt is not remembered (a failed one does not count toward the lockout)") {
			return exitUnsaved
		}
		return exitRefused
	}
	printGrant(stdout, g, cmpLoc(loc))
	if reportUnsaved(stdout, g.StateError, "this use is not remembered: the same code may be accepted again") {
		return exitUnsaved
	}
	return exitGranted
}

// answerChallenge shows a new challenge and verifies the response read from
// stdin. A mistyped or malformed response (not counted toward the lockout)
// asks again, while the challenge is outstanding; end of input before a
// response is "no response".
func answerChallenge(v *servicepass.Verifier, now time.Time, loc *time.Location, stdin io.Reader, stdout, stderr io.Writer) int {
	c, err := v.NewChallenge(servicepass.ChallengeOptions{})
	if err != nil {
		fmt.Fprintf(stderr, "deviceagent: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "CHALLENGE %s\n", c)
	fmt.Fprintf(stdout, "  read it to the help desk, then type the response (valid %s)\n", servicepass.DefaultChallengeLifetime)
	in := bufio.NewScanner(io.LimitReader(stdin, maxInput*16))
	in.Buffer(make([]byte, 0, maxInput), maxInput)
	for {
		line := ""
		for line == "" {
			if !in.Scan() {
				if err := in.Err(); err != nil {
					fmt.Fprintf(stderr, "deviceagent: reading the response: %v\n", err)
					return exitUsage
				}
				fmt.Fprintln(stdout, "REFUSED no-response: the input ended before a response was typed; show a new challenge")
				return exitRefused
			}
			line = strings.TrimSpace(in.Text())
		}
		g, err := v.VerifyResponse(context.Background(), line, now)
		if err != nil {
			reason, why := explain(err)
			fmt.Fprintf(stdout, "REFUSED %s: %s\n", reason, why)
			fmt.Fprintf(stdout, "  error: %v\n", err)
			if reportUnsaved(stdout, err, "this attempt is not remembered") {
				return exitUnsaved
			}
			if errors.Is(err, servicepass.ErrTypo) || errors.Is(err, servicepass.ErrMalformed) {
				fmt.Fprintln(stdout, "  type the response again")
				continue
			}
			return exitRefused
		}
		printGrant(stdout, g, cmpLoc(loc))
		if reportUnsaved(stdout, g.StateError, "the window this grant opened is not remembered: revert its actions yourself") {
			return exitUnsaved
		}
		return exitGranted
	}
}

// reportUnsaved prints "STATE NOT SAVED" with the reason and what it means
// when err says the device state could not be saved, and reports whether
// it did.
func reportUnsaved(w io.Writer, err error, meaning string) bool {
	var ns *servicepass.NotSavedError
	if !errors.As(err, &ns) {
		return false
	}
	fmt.Fprintf(w, "STATE NOT SAVED: %v\n  %s; fix the state file\n", ns.Err, meaning)
	return true
}

// cmpLoc is the zone times are printed in: the device's, or UTC.
func cmpLoc(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// printGrant prints what the agent does for g.
func printGrant(w io.Writer, g servicepass.Grant, loc *time.Location) {
	fmt.Fprintf(w, "GRANTED %s\n", g.Actions)
	fmt.Fprintf(w, "  scope:        %s\n", g.Scope)
	fmt.Fprintf(w, "  mode:         %s\n", g.Mode)
	if g.Expiry.IsZero() {
		fmt.Fprintf(w, "  response:     key %d, once, for the challenge shown\n", g.KeyID)
	} else if g.DayValid {
		fmt.Fprintf(w, "  code:         key %d, serial %06x\n", g.KeyID, g.Serial)
		fmt.Fprintf(w, "  valid until:  %s (end of its day, once per day)\n", g.Expiry.In(loc).Format(time.RFC3339))
	} else {
		fmt.Fprintf(w, "  code:         key %d, serial %06x\n", g.KeyID, g.Serial)
		fmt.Fprintf(w, "  valid until:  %s\n", g.Expiry.In(loc).Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  window until: %s\n", g.WindowEnd.In(loc).Format(time.RFC3339))
	if r := g.Actions & servicepass.Reversible; r != 0 {
		fmt.Fprintf(w, "  then revert:  %s\n", r)
	}
	if g.Actions.Has(servicepass.RemoveNetworkRestrictions) {
		var ids []string
		for _, p := range servicepass.NetworkPolicies(g.Mode) {
			ids = append(ids, p.ID)
		}
		fmt.Fprintf(w, "  lifted:       %s\n", strings.Join(ids, " "))
	}
	if g.ClockReset {
		fmt.Fprintln(w, "  CLOCK MARK RESET: the clock mark was ahead of the device clock and now follows it")
	}
	if g.Degraded && g.StateError == nil {
		fmt.Fprintln(w, "  DEGRADED: the device state was damaged or lost since this code could have been used, or its use record may be gone; report this use")
	}
}

// printWindow prints the privileged window and the revert duty and, with
// clear, acknowledges the duty (the caller has reverted it).
func printWindow(v *servicepass.Verifier, now time.Time, clear bool, stdout, stderr io.Writer) int {
	st, err := v.Window(context.Background(), now)
	lost := errors.Is(err, servicepass.ErrStateLost)
	var ns *servicepass.NotSavedError
	unsaved := errors.As(err, &ns)
	if err != nil && !lost && !unsaved {
		fmt.Fprintf(stderr, "deviceagent: window: %v\n", err)
		return exitUnsaved
	}
	if st.Active {
		fmt.Fprintf(stdout, "WINDOW active %s until %s\n", st.Actions, st.End.Format(time.RFC3339))
	}
	switch {
	case lost:
		fmt.Fprintf(stdout, "WINDOW lost: the device state was lost; revert %s\n", st.Revert)
	case st.Revert != 0:
		fmt.Fprintf(stdout, "WINDOW ended %s; revert %s\n", st.Ended.Format(time.RFC3339), st.Revert)
	case !st.Active:
		fmt.Fprintln(stdout, "WINDOW none")
	}
	if reportUnsaved(stdout, err, "what this poll changed (a window it ended, a lost state it found) is not remembered") {
		return exitUnsaved
	}
	if !clear {
		if lost {
			return exitLost
		}
		return exitGranted
	}
	if st.Revert == 0 {
		if st.Active {
			fmt.Fprintf(stdout, "WINDOW not cleared: the window is active; its actions hold until %s\n", st.End.Format(time.RFC3339))
			return exitRefused
		}
		fmt.Fprintln(stdout, "WINDOW nothing to clear")
		return exitGranted
	}
	if err := v.ClearWindow(context.Background(), st); err != nil {
		fmt.Fprintf(stdout, "WINDOW not cleared: %v\n", err)
		if errors.Is(err, servicepass.ErrWindowChanged) {
			return exitRefused
		}
		reportUnsaved(stdout, err, "the acknowledgement is not remembered: the duty will be reported again")
		return exitUnsaved
	}
	fmt.Fprintf(stdout, "WINDOW cleared revert %s\n", st.Revert)
	return exitGranted
}

// printLog prints the use log and, with clear, acknowledges what it printed.
func printLog(v *servicepass.Verifier, clear bool, stdout, stderr io.Writer) int {
	entries, dropped, err := v.UseLog(context.Background())
	if err != nil {
		fmt.Fprintf(stderr, "deviceagent: use log: %v\n", err)
		return exitUnsaved
	}
	for _, e := range entries {
		d := ""
		if e.Degraded {
			d = " degraded"
		}
		what := fmt.Sprintf("serial %06x", e.Serial)
		if e.Challenge != "" {
			what = "challenge " + e.Challenge
		}
		fmt.Fprintf(stdout, "USE %d key %d %s at %s%s\n", e.Seq, e.KeyID, what, e.At.Format(time.RFC3339), d)
	}
	if dropped > 0 {
		fmt.Fprintf(stdout, "USE %d older entries dropped unacknowledged\n", dropped)
	}
	if clear && len(entries) > 0 {
		if err := v.AckUseLog(context.Background(), entries[len(entries)-1].Seq); err != nil {
			if !reportUnsaved(stdout, err, "the acknowledgement is not remembered: the entries will be reported again") {
				fmt.Fprintf(stderr, "deviceagent: acknowledging the use log: %v\n", err)
			}
			return exitUnsaved
		}
		fmt.Fprintln(stdout, "USE acknowledged")
	}
	return exitGranted
}

// explain returns a short reason token and a sentence for the user.
func explain(err error) (reason, why string) {
	var locked *servicepass.LockedOutError
	switch {
	case errors.As(err, &locked):
		return "locked-out", fmt.Sprintf("too many wrong codes; try again in %s", locked.RetryAfter.Round(time.Second))
	case errors.Is(err, servicepass.ErrMalformed):
		return "malformed", "this is not a service password (wrong length or characters)"
	case errors.Is(err, servicepass.ErrTypo):
		return "typo", "a symbol was mistyped (the check symbol does not match); type the code again"
	case errors.Is(err, servicepass.ErrVersion):
		return "version", "the code was made by a newer issuer; update the agent"
	case errors.Is(err, servicepass.ErrUnknownKey):
		return "unknown-key", "the code was made under a key this device does not hold"
	case errors.Is(err, servicepass.ErrInvalid):
		return "invalid", "the code is not valid for this device"
	case errors.Is(err, servicepass.ErrExpired):
		return "expired", "the code has expired; ask for a new one"
	case errors.Is(err, servicepass.ErrNotYetValid):
		return "not-yet-valid", "the code is not valid yet; check the device clock"
	case errors.Is(err, servicepass.ErrClockBack):
		return "clock-back", "the device clock was turned back; set it right"
	case errors.Is(err, servicepass.ErrMode):
		return "mode", "the code's actions are not allowed in this device's activation mode"
	case errors.Is(err, servicepass.ErrReplay):
		return "replay", "the code was already used"
	case errors.Is(err, servicepass.ErrNoChallenge), errors.Is(err, servicepass.ErrChallengeVoid), errors.Is(err, servicepass.ErrChallengeExpired):
		return "challenge", "the challenge is no longer outstanding; show a new one"
	}
	return "error", "the code could not be checked"
}
