// Command issuer is an administrator's command line for service passwords:
// it makes a site's master key, writes a device's provisioning file for its
// agent, and issues service passwords with every option of the console's
// panel.
//
// Usage:
//
//	issuer masterkey -out master.keys [-id 1] [-rotate]
//	issuer retire -master master.keys -id N
//	issuer devicekey -master master.keys -device ID -out device.keys [-mode MODE] [-tz ZONE]
//	issuer issue -master master.keys -device ID -mode MODE -actions LIST -admin EMAIL [options]
//	issuer respond -master master.keys -device ID -challenge CHALLENGE -mode MODE -actions LIST -admin EMAIL [-key-ids LIST]
//
// masterkey writes a new master key file (mode 0600; it refuses to overwrite
// one). With -rotate it adds a new key with the given ID to an existing file;
// the ID must never have been used in the file (current or retired). The
// new key issues to devices known to hold it (see -key-ids); devicekey
// gives devices a keyring holding every current key, so codes made before
// the rotation still verify. retire removes a key and records its ID as
// retired, so that it is never reused. docs/servicepass-format.md §1 has the
// rotation runbook.
//
// devicekey derives the keyring of one device from the master key file and
// writes the device's provisioning file (servicepass.Provisioning, specified
// in docs/servicepass-format.md §10) that the device agent reads (see
// examples/deviceagent), with the device's mode and time zone. The master
// key file is a key file (package keyfile, docs/keyfile-format.md) with the
// master keys in clear; files of the earlier "mdmcred master keys v1"
// format are read too and rewritten in the key file format on the next
// masterkey -rotate or retire.
//
// issue makes a service password and prints it grouped for reading aloud.
// Its options are those of the console's panel:
//
//	-device ID          the device (required)
//	-mode MODE          its activation mode: device-owner or cope (required)
//	-actions LIST       comma-separated actions (required): unlock, disable-kiosk,
//	                    remove-network-restrictions, allow-developer-options,
//	                    allow-deactivation, allow-factory-reset,
//	                    emergency-database-reset, set-password
//	-valid DURATION     how long the code is valid, 5m to 720h (default 24h)
//	-expires DATETIME   or the expiry as "2006-01-02 15:04" in -tz
//	-date DATE          COPE set-password only: the last valid day, "2006-01-02", in -tz
//	-tz ZONE            the device's IANA time zone for -expires, -date and the email (default UTC)
//	-qr FILE            write the QR code as a PNG file
//	-qr-terminal        print the QR code in the terminal
//	-email ADDRESS      mail the code to this address ...
//	-lang TAG           ... in this language (en, pl, de, fr, es, it; default en) ...
//	-outbox DIR         ... through the development outbox: one .eml file in DIR
//	-from ADDRESS       the sender of the email (default mdm@localhost)
//	-admin EMAIL        the acting administrator, for the audit log (required)
//	-key-ids LIST       the key IDs the device is known to hold, e.g. 1,2: the code is made
//	                    under the newest of them (default: the newest master key)
//	-now TIME           the current time as RFC 3339 instead of the clock (tests, demos)
//
// An email language the catalog lacks falls back to English, with a note on
// standard error.
//
// respond answers the challenge a device shows (deviceagent -challenge)
// with a challenge-bound code: 16 symbols, valid once for that challenge
// only, at any device time (docs/servicepass-format.md §11). A mistyped
// challenge is refused before anything is made. Make sure the caller is at
// the device and entitled to the actions first: the response is made on
// demand.
//
// Exit status: 0 on success, 1 when the request breaks a rule (the message
// says which) or the email fails, 2 on a usage or file error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/examples/internal/provision"
	"github.com/mdmcred/mdmcred/keyfile"
	"github.com/mdmcred/mdmcred/notify"
	"github.com/mdmcred/mdmcred/qr"
	"github.com/mdmcred/mdmcred/servicepass"
)

// Exit statuses.
const (
	exitOK    = 0
	exitRule  = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usage is printed for a missing or unknown subcommand.
const usage = `usage:
  issuer masterkey -out FILE [-id N] [-rotate]
  issuer retire -master FILE -id N
  issuer devicekey -master FILE -device ID -out FILE [-mode MODE] [-tz ZONE]
  issuer issue -master FILE -device ID -mode MODE -actions LIST -admin EMAIL [options]
  issuer respond -master FILE -device ID -challenge XXXXX-XXXXX -mode MODE -actions LIST -admin EMAIL [-key-ids LIST]
run "issuer <command> -h" for a command's flags.
`

// run is the whole program, returning the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "masterkey":
		return masterKey(args[1:], stdout, stderr)
	case "retire":
		return retire(args[1:], stdout, stderr)
	case "devicekey":
		return deviceKey(args[1:], stdout, stderr)
	case "issue":
		return issue(args[1:], stdout, stderr)
	case "respond":
		return respond(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "issuer: unknown command %q\n%s", args[0], usage)
	return exitUsage
}

// failf prints an error and returns status.
func failf(stderr io.Writer, status int, format string, a ...any) int {
	fmt.Fprintf(stderr, "issuer: "+format+"\n", a...)
	return status
}

// newFlags returns a flag set for a subcommand that prints to stderr.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("issuer "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and refuses positional arguments. When it
// returns false, the command ends with status: exitOK after -h (the help
// was asked for), exitUsage after a mistake.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (status int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0)) // fs.Name() is "issuer <command>"
		return exitUsage, false
	}
	return exitOK, true
}

func masterKey(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("masterkey", stderr)
	out := fs.String("out", "", "master key `file` to write (required)")
	id := fs.Uint("id", 1, "key `ID`, 0 to 255, carried in every code")
	rotate := fs.Bool("rotate", false, "add a new key to an existing file instead of creating one")
	if status, ok := parseFlags(fs, args, stderr); !ok {
		return status
	}
	if *out == "" {
		return failf(stderr, exitUsage, "masterkey: -out is required")
	}
	if *id > 255 {
		return failf(stderr, exitUsage, "masterkey: -id must be 0 to 255")
	}
	mf := masterFile{file: keyfile.New()}
	if *rotate {
		var err error
		if mf, err = loadMaster(*out); err != nil {
			return failf(stderr, exitUsage, "masterkey: %v", err)
		}
		if mf.file.Used(keyfile.Master, uint8(*id)) {
			return failf(stderr, exitUsage, "masterkey: key ID %d is already in %s (current or retired); choose a new -id", *id, *out)
		}
	}
	k, err := servicepass.GenerateMasterKey(uint8(*id), nil)
	if err != nil {
		return failf(stderr, exitUsage, "masterkey: %v", err)
	}
	raw := k.Bytes()
	err = mf.file.AddKey(context.Background(), keyfile.Master, k.ID(), raw, nil)
	clear(raw)
	if err != nil {
		return failf(stderr, exitUsage, "masterkey: %v", err)
	}
	if err := provision.WriteFile(*out, mf.file.Marshal(), *rotate); err != nil {
		return failf(stderr, exitUsage, "masterkey: %v", err)
	}
	if *rotate {
		fmt.Fprintf(stdout, "added master key %d to %s (%d keys); provision devices with it, then issue with -key-ids once they confirm\n", k.ID(), *out, len(mf.keys)+1)
	} else {
		fmt.Fprintf(stdout, "wrote master key %d to %s\n", k.ID(), *out)
	}
	return exitOK
}

// masterFile is a key file (package keyfile, docs/keyfile-format.md) and
// its master keys, unwrapped.
type masterFile struct {
	file    *keyfile.File
	keys    []servicepass.MasterKey
	retired []uint8
}

// loadMaster reads a key file. It also reads the CLI's earlier master key
// file ("mdmcred master keys v1"), which it rewrites in the key file format
// on its next change. The CLI keeps master keys in clear (mode 0600): a
// file with wrapped or held keys needs a host that configures a
// custody.Wrapper or resolver (keyfile.Options).
func loadMaster(path string) (masterFile, error) {
	if path == "" {
		return masterFile{}, errors.New("-master is required")
	}
	data, err := provision.ReadFile(path)
	if err != nil {
		return masterFile{}, err
	}
	defer clear(data)
	if provision.IsMasterFile(data) {
		old, err := provision.ParseMasterFile(data)
		if err != nil {
			return masterFile{}, fmt.Errorf("%s: %w", path, err)
		}
		f := keyfile.New()
		for _, k := range old.Keys {
			raw := k.Bytes()
			err := f.AddKey(context.Background(), keyfile.Master, k.ID(), raw, nil)
			clear(raw)
			if err != nil {
				return masterFile{}, fmt.Errorf("%s: %w", path, err)
			}
		}
		for _, id := range old.Retired {
			if err := f.AddRetired(keyfile.Master, id); err != nil {
				return masterFile{}, fmt.Errorf("%s: %w", path, err)
			}
		}
		return masterFile{file: f, keys: old.Keys, retired: old.Retired}, nil
	}
	f, err := keyfile.Parse(data)
	if err != nil {
		return masterFile{}, fmt.Errorf("%s: %w", path, err)
	}
	ring, err := f.Unwrap(context.Background(), keyfile.Options{})
	if err != nil {
		return masterFile{}, fmt.Errorf("%s: %w", path, err)
	}
	mf := masterFile{file: f}
	if mf.keys, mf.retired = ring.Master(); len(mf.keys) == 0 {
		return masterFile{}, fmt.Errorf("%s: no master key", path)
	}
	return mf, nil
}

// newIssuer makes an Issuer from a key file's master keys.
func newIssuer(mf masterFile, cfg servicepass.IssuerConfig) (*servicepass.Issuer, error) {
	cfg.Keys, cfg.Retired = mf.keys, mf.retired
	return servicepass.NewIssuer(cfg)
}

func retire(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("retire", stderr)
	master := fs.String("master", "", "master key `file` (required)")
	id := fs.Int("id", -1, "key `ID` to retire (required)")
	if status, ok := parseFlags(fs, args, stderr); !ok {
		return status
	}
	if *id < 0 || *id > 255 {
		return failf(stderr, exitUsage, "retire: -id must be 0 to 255")
	}
	mf, err := loadMaster(*master)
	if err != nil {
		return failf(stderr, exitUsage, "retire: %v", err)
	}
	i := slices.IndexFunc(mf.keys, func(k servicepass.MasterKey) bool { return k.ID() == uint8(*id) })
	switch {
	case i < 0:
		return failf(stderr, exitUsage, "retire: %s holds no key %d", *master, *id)
	case len(mf.keys) == 1:
		return failf(stderr, exitUsage, "retire: key %d is the only key; add a new one first (masterkey -rotate)", *id)
	}
	if err := mf.file.Retire(keyfile.Master, uint8(*id)); err != nil {
		return failf(stderr, exitUsage, "retire: %v", err)
	}
	if err := provision.WriteFile(*master, mf.file.Marshal(), true); err != nil {
		return failf(stderr, exitUsage, "retire: %v", err)
	}
	fmt.Fprintf(stdout, "retired master key %d in %s; re-provision devices so they drop it\n", *id, *master)
	return exitOK
}

func deviceKey(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("devicekey", stderr)
	master := fs.String("master", "", "master key `file` (required)")
	device := fs.String("device", "", "device `ID`, exactly as its agent knows it (required)")
	out := fs.String("out", "", "provisioning `file` to write (required; replaced if it exists)")
	modeName := fs.String("mode", "", "the device's activation `mode`, recorded in the file: device-owner or cope")
	tz := fs.String("tz", "UTC", "the device's IANA time `zone`, which day-valid codes use on both sides")
	if status, ok := parseFlags(fs, args, stderr); !ok {
		return status
	}
	if *device == "" || *out == "" {
		return failf(stderr, exitUsage, "devicekey: -device and -out are required")
	}
	mf, err := loadMaster(*master)
	if err != nil {
		return failf(stderr, exitUsage, "devicekey: %v", err)
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil || *tz == "" || *tz == "Local" {
		return failf(stderr, exitUsage, "devicekey: -tz: want an IANA zone name such as Europe/Warsaw or UTC")
	}
	is, err := newIssuer(mf, servicepass.IssuerConfig{})
	if err != nil {
		return failf(stderr, exitUsage, "devicekey: %v", err)
	}
	p, err := is.Provision(*device, servicepass.DeviceOwner, loc)
	if err != nil {
		return failf(stderr, exitUsage, "devicekey: %v", err)
	}
	p.HasMode = *modeName != ""
	if p.HasMode {
		if p.Mode, err = provision.ParseMode(*modeName); err != nil {
			return failf(stderr, exitUsage, "devicekey: %v", err)
		}
	}
	if err := servicepass.WriteProvisioningFile(*out, p); err != nil {
		return failf(stderr, exitUsage, "devicekey: %v", err)
	}
	ids := make([]string, len(p.Keys))
	for i, k := range p.Keys {
		ids[i] = fmt.Sprint(k.ID())
	}
	fmt.Fprintf(stdout, "wrote the provisioning of %q (key IDs %s, zone %s) to %s\n", *device, strings.Join(ids, ", "), loc, *out)
	return exitOK
}

// issueFlags are the issue subcommand's options.
type issueFlags struct {
	master, device, mode, actions, admin string
	valid                                time.Duration
	expires, date, tz                    string
	qrPath                               string
	qrTerminal                           bool
	email, lang, outbox, from            string
	keyIDs                               string
	now                                  string
}

func issue(args []string, stdout, stderr io.Writer) int {
	var f issueFlags
	fs := newFlags("issue", stderr)
	fs.StringVar(&f.master, "master", "", "master key `file` (required)")
	fs.StringVar(&f.device, "device", "", "device `ID` (required)")
	fs.StringVar(&f.mode, "mode", "", "activation `mode`: device-owner or cope (required)")
	fs.StringVar(&f.actions, "actions", "", "comma-separated `actions` (required): "+provision.ActionNames())
	fs.StringVar(&f.admin, "admin", "", "acting administrator's `email`, for the audit log (required)")
	fs.DurationVar(&f.valid, "valid", 0, "validity `duration`, 5m to 720h (default 24h)")
	fs.StringVar(&f.expires, "expires", "", "expiry `\"YYYY-MM-DD hh:mm\"` in -tz, instead of -valid")
	fs.StringVar(&f.date, "date", "", "COPE set-password: last valid `day` YYYY-MM-DD in -tz")
	fs.StringVar(&f.tz, "tz", "", "device's IANA time `zone` for -expires, -date and the email (default UTC)")
	fs.StringVar(&f.qrPath, "qr", "", "write the QR code to this PNG `file`")
	fs.BoolVar(&f.qrTerminal, "qr-terminal", false, "print the QR code in the terminal")
	fs.StringVar(&f.email, "email", "", "mail the code to this `address`")
	fs.StringVar(&f.lang, "lang", "", "email `language`: en, pl, de, fr, es, it (default en)")
	fs.StringVar(&f.outbox, "outbox", "", "development outbox `dir` the email is written to (required with -email)")
	fs.StringVar(&f.from, "from", "mdm@localhost", "sender `address` of the email")
	fs.StringVar(&f.keyIDs, "key-ids", "", "comma-separated key `IDs` the device holds (default: the newest master key)")
	fs.StringVar(&f.now, "now", "", "current `time` as RFC 3339 instead of the clock")
	if status, ok := parseFlags(fs, args, stderr); !ok {
		return status
	}
	return f.run(stdout, stderr)
}

func (f *issueFlags) run(stdout, stderr io.Writer) int {
	usageErr := func(format string, a ...any) int { return failf(stderr, exitUsage, "issue: "+format, a...) }
	if f.device == "" || f.mode == "" || f.actions == "" || f.admin == "" {
		return usageErr("-device, -mode, -actions and -admin are required")
	}
	mf, err := loadMaster(f.master)
	if err != nil {
		return usageErr("%v", err)
	}
	held, err := parseKeyIDs(f.keyIDs)
	if err != nil {
		return usageErr("-key-ids: %v", err)
	}
	mode, err := provision.ParseMode(f.mode)
	if err != nil {
		return usageErr("%v", err)
	}
	actions, err := provision.ParseActions(f.actions)
	if err != nil {
		return usageErr("%v", err)
	}
	loc := time.UTC
	if f.tz != "" {
		if loc, err = time.LoadLocation(f.tz); err != nil {
			return usageErr("-tz: %v", err)
		}
	}
	now := time.Now()
	if f.now != "" {
		if now, err = time.Parse(time.RFC3339, f.now); err != nil {
			return usageErr("-now: %v", err)
		}
	}

	req := servicepass.Request{
		DeviceID: f.device,
		Mode:     mode,
		Actions:  actions,
		WantQR:   f.qrPath != "" || f.qrTerminal,
		Admin:    f.admin,
		KeyIDs:   held,
		// The device's zone: the calendar of -date, and the zone the email
		// shows the expiry in (it travels in the Issued to the mailer).
		Location: loc,
	}
	set := 0
	for _, s := range []bool{f.valid != 0, f.expires != "", f.date != ""} {
		if s {
			set++
		}
	}
	if set > 1 {
		return usageErr("choose one of -valid, -expires and -date")
	}
	switch {
	case f.valid != 0:
		req.ExpiresAt = now.Add(f.valid)
	case f.expires != "":
		t, err := time.ParseInLocation("2006-01-02 15:04", f.expires, loc)
		if err != nil {
			return usageErr("-expires: want \"YYYY-MM-DD hh:mm\": %v", err)
		}
		req.ExpiresAt = t
	case f.date != "":
		t, err := time.Parse("2006-01-02", f.date)
		if err != nil {
			return usageErr("-date: want YYYY-MM-DD: %v", err)
		}
		req.ExpiryDate = servicepass.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
	}

	cfg := servicepass.IssuerConfig{
		QR:  qr.PNGEncoder{},
		Now: func() time.Time { return now },
	}
	var outbox *notify.Outbox
	if f.email != "" {
		if f.outbox == "" {
			return usageErr("-email needs -outbox (this example delivers to the development outbox)")
		}
		req.SendEmail, req.EmailTo, req.Language = true, f.email, f.lang
		if note := languageNote(f.lang); note != "" {
			fmt.Fprintf(stderr, "issuer: issue: %s\n", note)
		}
		outbox, err = notify.NewOutbox(notify.OutboxConfig{Dir: f.outbox, From: f.from})
		if err != nil {
			return usageErr("%v", err)
		}
		n, err := notify.NewNotifier(notify.NotifierConfig{Mailer: outbox})
		if err != nil {
			return usageErr("%v", err)
		}
		cfg.Mailer = notify.ServicePassMailer{Notifier: n}
	} else if f.lang != "" {
		return usageErr("-lang goes with -email")
	}
	is, err := newIssuer(mf, cfg)
	if err != nil {
		return usageErr("%v", err)
	}

	before := listEML(f.outbox)
	issued, err := is.Issue(context.Background(), req)
	var rule *servicepass.RuleError
	switch {
	case errors.As(err, &rule):
		return failf(stderr, exitRule, "issue refused: %v", err)
	case err != nil && !errors.Is(err, servicepass.ErrMail):
		return failf(stderr, exitRule, "issue: %v", err)
	}
	mailErr := err

	fmt.Fprintf(stdout, "Service password for %q (%s)\n", f.device, mode)
	fmt.Fprintf(stdout, "  actions: %s\n", actions)
	fmt.Fprintf(stdout, "  code:    %s\n", issued.Display.Reveal())
	if issued.DayValid {
		fmt.Fprintf(stdout, "  valid:   through %s (device calendar, %s), once per day\n", issued.ExpiryDate, loc)
	} else {
		fmt.Fprintf(stdout, "  expires: %s\n", issued.ExpiresAt.In(loc).Format("2006-01-02 15:04 MST"))
	}
	fmt.Fprintf(stdout, "  serial:  %06x (key %d)\n", issued.Serial, issued.KeyID)
	if f.qrPath != "" {
		if err := provision.WriteFile(f.qrPath, issued.QRPNG.Reveal(), true); err != nil {
			return failf(stderr, exitUsage, "issue: writing the QR code: %v", err)
		}
		fmt.Fprintf(stdout, "  qr:      %s\n", f.qrPath)
	}
	if f.qrTerminal {
		term, err := qr.Terminal(issued.Display.Reveal(), qr.Options{HalfBlocks: true})
		if err != nil {
			return failf(stderr, exitUsage, "issue: %v", err)
		}
		fmt.Fprint(stdout, term)
	}
	if req.SendEmail {
		if mailErr != nil {
			return failf(stderr, exitRule, "issue: the code above was issued but not mailed: %v", mailErr)
		}
		fmt.Fprintf(stdout, "  email:   to %s", f.email)
		for _, name := range listEML(f.outbox) {
			if !slices.Contains(before, name) {
				fmt.Fprintf(stdout, ", %s", filepath.Join(outbox.Dir(), name))
			}
		}
		fmt.Fprintln(stdout)
	}
	return exitOK
}

// listEML lists the .eml files in dir (none when dir is empty or missing).
func listEML(dir string) []string {
	if dir == "" {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".eml") {
			names = append(names, e.Name())
		}
	}
	return names
}

// parseKeyIDs parses a comma-separated list of key IDs; empty is the empty
// set.
func parseKeyIDs(s string) (servicepass.KeyIDSet, error) {
	var set servicepass.KeyIDSet
	for _, word := range strings.Split(s, ",") {
		word = strings.TrimSpace(word)
		if word == "" {
			continue
		}
		id, err := strconv.ParseUint(word, 10, 8)
		if err != nil {
			return set, fmt.Errorf("%q is not a key ID from 0 to 255", word)
		}
		set.Add(uint8(id))
	}
	return set, nil
}

// languageNote says, for an email language the catalog lacks, that the
// email falls back to English; "" when the language is served.
func languageNote(lang string) string {
	if lang == "" {
		return ""
	}
	if _, fallback := notify.Resolve(lang); !fallback {
		return ""
	}
	var names []string
	for _, t := range notify.Languages() {
		names = append(names, t.String())
	}
	return fmt.Sprintf("no messages in %q; the email is in English (languages: %s)", lang, strings.Join(names, ", "))
}

func respond(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("respond", stderr)
	master := fs.String("master", "", "master key `file` (required)")
	device := fs.String("device", "", "device `ID` (required)")
	challenge := fs.String("challenge", "", "the `challenge` the device shows, e.g. K7Q2M-9XJ4G (required)")
	modeName := fs.String("mode", "", "activation `mode`: device-owner or cope (required)")
	actionList := fs.String("actions", "", "comma-separated `actions` (required): "+provision.ActionNames())
	admin := fs.String("admin", "", "acting administrator's `email`, for the audit log (required)")
	keyIDs := fs.String("key-ids", "", "comma-separated key `IDs` the device holds (default: the newest master key)")
	if status, ok := parseFlags(fs, args, stderr); !ok {
		return status
	}
	usageErr := func(format string, a ...any) int { return failf(stderr, exitUsage, "respond: "+format, a...) }
	if *device == "" || *challenge == "" || *modeName == "" || *actionList == "" || *admin == "" {
		return usageErr("-device, -challenge, -mode, -actions and -admin are required")
	}
	mf, err := loadMaster(*master)
	if err != nil {
		return usageErr("%v", err)
	}
	mode, err := provision.ParseMode(*modeName)
	if err != nil {
		return usageErr("%v", err)
	}
	actions, err := provision.ParseActions(*actionList)
	if err != nil {
		return usageErr("%v", err)
	}
	held, err := parseKeyIDs(*keyIDs)
	if err != nil {
		return usageErr("-key-ids: %v", err)
	}
	is, err := newIssuer(mf, servicepass.IssuerConfig{})
	if err != nil {
		return usageErr("%v", err)
	}
	r, err := is.Respond(context.Background(), servicepass.ResponseRequest{
		DeviceID: *device, Challenge: *challenge, Mode: mode, Actions: actions, KeyIDs: held, Admin: *admin,
	})
	switch {
	case errors.Is(err, servicepass.ErrChallengeTypo):
		return failf(stderr, exitRule, "respond refused: %v; ask the user to read the challenge again", err)
	case err != nil:
		return failf(stderr, exitRule, "respond refused: %v", err)
	}
	fmt.Fprintf(stdout, "Response for %q (%s), challenge %s\n", *device, mode, r.Challenge)
	fmt.Fprintf(stdout, "  actions:  %s\n", actions)
	fmt.Fprintf(stdout, "  response: %s\n", r.Display.Reveal())
	fmt.Fprintf(stdout, "  key:      %d; valid once, for this challenge only\n", r.KeyID)
	return exitOK
}
