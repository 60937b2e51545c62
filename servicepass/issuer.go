package servicepass

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/mail"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/internal/ident"
	"github.com/mdmcred/mdmcred/internal/nilctx"
	"github.com/mdmcred/mdmcred/internal/secret"
)

// ErrMail is matched by the error Issue returns when the code was made but
// the email could not be sent; the Issued value is valid in that case.
var ErrMail = errors.New("servicepass: email not sent")

// ErrAdmin is the rule that every request names its acting administrator,
// as an identifier (internal/ident's rule, at most [MaxAdminLen] bytes).
var ErrAdmin = errors.New("servicepass: acting administrator missing or invalid")

// MaxAdminLen bounds the acting administrator's name, in bytes (an email
// address is at most 320).
const MaxAdminLen = 320

// checkAdmin applies the identifier rule to a request's acting
// administrator, so that the audit log of every backend accepts it.
func checkAdmin(admin string) error {
	if err := ident.Check(admin, MaxAdminLen); err != nil {
		return &RuleError{Rule: ErrAdmin, Field: "Admin", Detail: err.Error()}
	}
	return nil
}

// ErrNilContext is returned by every function and method of this package
// that takes a context when it is given a nil one, before any work. It
// matches the ErrNilContext of every other mdmcred package (see
// CONTRIBUTING.md).
var ErrNilContext = nilctx.New("servicepass")

// QREncoder renders text as a QR code PNG. The host wires it to the qr
// package; servicepass gives it only Crockford symbols and hyphens, which
// QR encodes in alphanumeric mode (a version 2 symbol at level M).
type QREncoder interface {
	EncodePNG(text string) ([]byte, error)
}

// Mailer sends a service password by email: the port [Issuer.Issue] mails
// through when a request asks for it ([Request.SendEmail]). The host wires
// it to the notify package (notify.ServicePassMailer), which renders the
// email from iss alone: the device, mode, actions, expiry (and day-valid
// date), the device's zone, the privileged window and the code.
type Mailer interface {
	// SendServicePassword mails iss to the bare address to, in language
	// (a BCP 47 tag; "en" when the request named none). iss's Code and
	// QRPNG redact themselves, so iss may be printed or logged.
	SendServicePassword(ctx context.Context, to, language string, iss Issued) error
}

// Date is a calendar day, for the expiry of a day-valid code.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String returns d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// endOfDate returns the first instant of the day after y-m-d in loc: the end
// of that date on loc's calendar. time.Date is not enough when loc's clocks
// skip midnight (a DST change at 00:00): it may return an instant that is
// still on the date itself, so this searches the few hours around it for the
// first instant whose local date is the next one.
func endOfDate(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	ny, nm, nd := time.Date(y, m, d+1, 12, 0, 0, 0, time.UTC).Date() // the next date, normalized
	before := func(u time.Time) bool {
		uy, um, ud := u.In(loc).Date()
		if uy != ny {
			return uy < ny
		}
		if um != nm {
			return um < nm
		}
		return ud < nd
	}
	if !before(t) && before(t.Add(-time.Second)) {
		return t
	}
	// Binary search over whole seconds in [t-3h, t+3h]: before(lo), !before(hi).
	lo, hi := t.Unix()-3*3600, t.Unix()+3*3600
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if before(time.Unix(mid, 0)) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return time.Unix(hi, 0).In(loc)
}

// Request asks for one service password.
type Request struct {
	// DeviceID is the device's ID, exactly as its agent was provisioned.
	DeviceID string
	// Mode is the device's activation mode.
	Mode Mode
	// Actions to grant; see [CheckRules].
	Actions Actions
	// ExpiresAt is when the code stops verifying, rounded down to the
	// minute: at most MaxValidity from now, and once rounded at least
	// MinValidity from now (both inclusive). Zero: now + DefaultValidity.
	// Not used for a day-valid code.
	ExpiresAt time.Time
	// ExpiryDate is, for a COPE SetPassword code only (and required there),
	// the last calendar day the code is valid, in Location. The end of that
	// day must lie between MinValidity and MaxValidity from now.
	ExpiryDate Date
	// Location is the device's time zone, as it was provisioned
	// ([Provisioning.Location]): the calendar of ExpiryDate (required with
	// it) and, for any code, the zone the email shows times in (it is
	// [Issued.Location]). Zero outside a day-valid code: the mailer's own
	// zone.
	Location *time.Location
	// WantQR asks for a QR code PNG (refused for COPE SetPassword).
	WantQR bool
	// SendEmail asks to mail the code to EmailTo in Language.
	SendEmail bool
	// EmailTo is a bare address (name@example.com), required with SendEmail.
	EmailTo string
	// Language is a BCP 47 tag for the email. Zero: "en".
	Language string
	// Admin is the acting administrator, for the audit log. Required.
	Admin string
	// KeyIDs are the key IDs the device is known to hold: the keyring it
	// confirmed after its last provisioning ([Provisioning.KeyIDs]), which
	// the host keeps per device. The code is made under the newest of the
	// issuer's master keys among them, so a device that has not received a
	// rotated keyring (an offline device, the one that needs a code) still
	// verifies it. None of them among the issuer's keys: a [*RuleError]
	// with Field "KeyIDs".
	// Empty: the newest master key, for a device known to hold the current
	// keyring.
	KeyIDs KeyIDSet
}

// Issued is a new service password and everything a host shows or mails
// about it, in this package's vocabulary: the one value the email is made
// from (see [Mailer]). Its Code, Display and QRPNG redact themselves, so an
// Issued may be printed or logged (fmt, log/slog, encoding/json).
type Issued struct {
	// DeviceID, Mode and Actions are the request's: the device the code is
	// for, its activation mode and what the code grants.
	DeviceID string
	Mode     Mode
	Actions  Actions
	// Code is the canonical form: 25 symbols, no separators.
	Code Code
	// Display is the grouped form shown to people: XXXXX-XXXXX-XXXXX-XXXXX-XXXXX.
	Display Code
	// ExpiresAt is when the code stops verifying (minute precision; for a
	// day-valid code, the end of ExpiryDate in Location).
	ExpiresAt time.Time
	// DayValid marks a code valid through a calendar day on the device
	// (COPE SetPassword, see [DayValid]); ExpiryDate is then that day, the
	// one date shown for it, and zero otherwise.
	DayValid   bool
	ExpiryDate Date
	// Location is the device's time zone as the request named it
	// ([Request.Location], from the device's provisioning): the calendar
	// of ExpiryDate, and the zone in which the email shows times. Nil when
	// the request named none (an instant-expiry code): the mailer's own
	// zone.
	Location *time.Location
	// Window is how long the granted actions hold on the device once the
	// code is entered: the issuer's [IssuerConfig.Window], the same rule
	// as [VerifierOptions.Window].
	Window time.Duration
	Serial uint32
	KeyID  uint8
	// QRPNG is the QR code of Display, when asked for (zero otherwise);
	// Reveal gives the PNG bytes.
	QRPNG QRImage
}

// IssuerConfig configures an [Issuer]. Keys is required. It prints and
// logs its keys redacted ([MasterKey] redacts itself).
type IssuerConfig struct {
	// Keys are the site's master keys, oldest first. A request issues under
	// the newest key the device holds (see [Request.KeyIDs]); by default the
	// last one. All of them go into the keyrings [Issuer.DeviceKeys] and
	// [Issuer.Provision] make, so that devices hold a new key before codes
	// are made under it. Each key ID appears once and no key may be
	// unusable ([ErrKeyUnusable]). A key may be held by a custodian (an
	// HSM, a KMS: [NewHeldMasterKey]); the issuer then derives device keys
	// through it, one HMAC call with the request's context, and makes the
	// same codes as from the key's bytes.
	Keys []MasterKey
	// Retired lists key IDs used before and since retired (removed from
	// Keys). A key in Keys under one of them is refused with
	// [ErrKeyIDReused]: a device that still holds the retired key would
	// count genuine codes made under the new key as failed attempts. Keep
	// every ID the site ever used either here or in Keys.
	Retired []uint8
	// Store is the audit log. Zero: a new MemStore.
	Store Store
	// QR renders QR codes. Zero: requests with WantQR are refused.
	QR QREncoder
	// Mailer sends email. Zero: requests with SendEmail are refused.
	Mailer Mailer
	// Window is the privileged window the site's devices open when a code
	// is entered ([VerifierOptions.Window] on each device), reported in
	// [Issued.Window] and so in the email. Zero or negative:
	// DefaultWindow, the device's default, by the same rule.
	Window time.Duration
	// Now is the clock. Zero: time.Now.
	Now func() time.Time
	// Rand is the source of serials. Zero: crypto/rand.Reader.
	Rand io.Reader
	// Logger receives one line per issued code (never the code). Zero:
	// discard.
	Logger *slog.Logger
}

// Issuer makes service passwords on the server. Create it with [NewIssuer];
// it is safe for concurrent use. It holds the site's master keys, so it
// prints, logs and marshals to JSON only its key IDs.
type Issuer struct {
	keys   []MasterKey
	prks   []*sync.Pool // HMAC keyed by each in-memory master key's HKDF-Extract output; nil for a held key
	store  Store
	qr     QREncoder
	mailer Mailer
	window time.Duration
	now    func() time.Time
	rand   io.Reader
	log    *slog.Logger
}

// NewIssuer checks cfg and returns an Issuer. Key problems return a
// [*KeyError] with its reason: no keys, a key ID twice, a retired key ID in
// use again ([ErrKeyIDReused]), an unusable key such as the zero MasterKey
// ([ErrKeyUnusable]).
func NewIssuer(cfg IssuerConfig) (*Issuer, error) {
	if len(cfg.Keys) == 0 {
		return nil, &KeyError{Reason: errNoKeys, KeyID: -1, Detail: "no master keys"}
	}
	var seen, retired [256]bool
	for _, id := range cfg.Retired {
		retired[id] = true
	}
	for _, k := range cfg.Keys {
		switch {
		case seen[k.id]:
			return nil, &KeyError{Reason: errKeyIDTwice, KeyID: int(k.id)}
		case retired[k.id]:
			return nil, &KeyError{Reason: ErrKeyIDReused, KeyID: int(k.id), Detail: "the key ID was retired; choose an ID never used before"}
		}
		seen[k.id] = true
		if k.held != nil {
			continue
		}
		if err := checkKey(k.id, k.raw(), "master key"); err != nil {
			return nil, err
		}
	}
	is := &Issuer{
		keys: append([]MasterKey(nil), cfg.Keys...), store: cfg.Store, qr: cfg.QR,
		mailer: cfg.Mailer, window: cfg.Window, now: cfg.Now, rand: cfg.Rand, log: cfg.Logger,
	}
	for _, k := range is.keys {
		if k.held != nil {
			is.prks = append(is.prks, nil)
			continue
		}
		prk, err := hkdf.Extract(sha256.New, k.raw()[:], []byte(deviceKeySalt))
		if err != nil {
			return nil, fmt.Errorf("servicepass: deriving device key: %w", err)
		}
		is.prks = append(is.prks, &sync.Pool{New: func() any { return &expander{h: hmac.New(sha256.New, prk)} }})
	}
	if is.store == nil {
		is.store = NewMemStore()
	}
	if is.window <= 0 {
		is.window = DefaultWindow
	}
	if is.now == nil {
		is.now = time.Now
	}
	if is.rand == nil {
		is.rand = rand.Reader
	}
	if is.log == nil {
		is.log = slog.New(slog.DiscardHandler)
	}
	return is, nil
}

// KeyIDs returns the IDs of the issuer's master keys, oldest first.
func (is *Issuer) KeyIDs() []uint8 {
	ids := make([]uint8, len(is.keys))
	for i, k := range is.keys {
		ids[i] = k.id
	}
	return ids
}

// String describes the issuer by its key IDs; it never shows key material.
func (is Issuer) String() string {
	return fmt.Sprintf("servicepass.Issuer(key IDs %v, %s)", is.KeyIDs(), redacted)
}

// Format prints [Issuer.String] under every verb, so that fmt never reaches
// the master keys (it would print them raw through the unexported field).
func (is Issuer) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, is.String()) }

// LogValue shows only the key IDs in log/slog.
func (is Issuer) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("key_ids", is.KeyIDs()), slog.String("keys", redacted))
}

// MarshalJSON shows only the key IDs in encoding/json.
func (is Issuer) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		KeyIDs []int  `json:"key_ids"`
		Keys   string `json:"keys"`
	}{ints(is.KeyIDs()), redacted})
}

// DeviceKeys returns the keyring to provision on deviceID: its device key
// under every master key, the newest last. It is
// [Issuer.DeviceKeysContext] with context.Background().
func (is *Issuer) DeviceKeys(deviceID string) ([]DeviceKey, error) {
	return is.DeviceKeysContext(context.Background(), deviceID)
}

// DeviceKeysContext is [Issuer.DeviceKeys] with a context for the
// custodians of held master keys ([NewHeldMasterKey]): one HMAC call per
// held key. A custodian's failure matches [ErrCustody].
func (is *Issuer) DeviceKeysContext(ctx context.Context, deviceID string) ([]DeviceKey, error) {
	if ctx == nil {
		return nil, ErrNilContext
	}
	if err := checkDeviceID(deviceID); err != nil {
		return nil, err
	}
	out := make([]DeviceKey, 0, len(is.keys))
	for i, m := range is.keys {
		var dk [KeySize]byte
		if err := is.deviceKey(ctx, i, deviceID, &dk); err != nil {
			return nil, err
		}
		out = append(out, DeviceKey{id: m.id, key: boxKey(dk[:])})
		clear(dk[:])
	}
	return out, nil
}

// deviceKey writes deviceID's device key under the issuer's master key ki
// to dk: HKDF-Expand's one block, HMAC(PRK, deviceID || 0x01), with the
// pooled HMAC of an in-memory key or one call to a held key's custodian.
// deviceID has been checked.
func (is *Issuer) deviceKey(ctx context.Context, ki int, deviceID string, dk *[KeySize]byte) error {
	m := is.keys[ki]
	if m.held == nil {
		pool := is.prks[ki]
		ex := pool.Get().(*expander)
		ex.expand(dk, deviceID)
		pool.Put(ex)
		return nil
	}
	msg := make([]byte, 0, len(deviceID)+1)
	msg = append(append(msg, deviceID...), 1)
	mac, err := m.held.HMAC(ctx, msg)
	if err != nil {
		return fmt.Errorf("%w (key ID %d): %w", ErrCustody, m.id, err)
	}
	if len(mac) != KeySize {
		clear(mac)
		return fmt.Errorf("%w (key ID %d): the custodian returned %d bytes, want %d (an HMAC-SHA256)", ErrCustody, m.id, len(mac), KeySize)
	}
	copy(dk[:], mac)
	clear(mac)
	return checkKey(m.id, dk, "device key from the custodian")
}

// Provision returns what to install on deviceID at enrollment or after a
// key rotation: its keyring under every master key, its activation mode
// and the time zone the issuer uses for its calendar (day-valid) codes,
// which the agent gives its [Verifier]. Write it with
// [WriteProvisioningFile] or [Provisioning.Encode]; loc must be a named zone
// (see [Provisioning.Location]).
func (is *Issuer) Provision(deviceID string, mode Mode, loc *time.Location) (*Provisioning, error) {
	return is.ProvisionContext(context.Background(), deviceID, mode, loc)
}

// ProvisionContext is [Issuer.Provision] with a context for the custodians
// of held master keys (see [Issuer.DeviceKeysContext]).
func (is *Issuer) ProvisionContext(ctx context.Context, deviceID string, mode Mode, loc *time.Location) (*Provisioning, error) {
	if ctx == nil {
		return nil, ErrNilContext
	}
	keys, err := is.DeviceKeysContext(ctx, deviceID)
	if err != nil {
		return nil, err
	}
	p := &Provisioning{DeviceID: deviceID, Mode: mode, HasMode: true, Keys: keys, Location: loc}
	if err := p.Check(); err != nil {
		return nil, err
	}
	return p, nil
}

// issuingKey returns the index of the master key a request issues under:
// the newest one whose ID is in held (the newest of all when held is
// empty).
func (is *Issuer) issuingKey(held KeyIDSet) (int, error) {
	if held.IsEmpty() {
		return len(is.keys) - 1, nil
	}
	for i := len(is.keys) - 1; i >= 0; i-- {
		if held.Has(is.keys[i].id) {
			return i, nil
		}
	}
	return 0, &RuleError{Rule: errKeyNotHeld, Field: "KeyIDs", Detail: fmt.Sprintf("the device holds key IDs %v, the issuer has %v", held, is.KeyIDs())}
}

// plan is a validated request: what goes into the code.
type plan struct {
	dayValid  bool
	expiry    uint32
	expiresAt time.Time
	date      Date
}

// Check validates r at now as Issue would, without making a code. It returns
// a [*RuleError] for the first broken rule.
func (r *Request) Check(now time.Time) error {
	_, err := r.plan(now)
	return err
}

func (r *Request) plan(now time.Time) (plan, error) {
	if err := checkAdmin(r.Admin); err != nil {
		return plan{}, err
	}
	if err := checkDeviceID(r.DeviceID); err != nil {
		return plan{}, err
	}
	if err := CheckRules(r.Mode, r.Actions); err != nil {
		return plan{}, err
	}
	if now.Before(Epoch) || now.After(formatEnd) {
		return plan{}, &RuleError{Rule: errClockRange, Field: "now", Detail: fmt.Sprintf("the issuer's clock reads %s; the code format covers %s", now.UTC().Format("2006-01-02 15:04 MST"), formatRange)}
	}
	var pl plan
	if DayValid(r.Mode, r.Actions) {
		pl.dayValid = true
		if r.ExpiryDate.IsZero() || r.Location == nil {
			return plan{}, &RuleError{Rule: ErrExpiryDate, Field: "ExpiryDate", Detail: "a COPE set password code needs an expiration date and a location"}
		}
		if !r.ExpiresAt.IsZero() {
			return plan{}, &RuleError{Rule: ErrExpiryDate, Field: "ExpiresAt", Detail: "a COPE set password code expires at the end of a date, not at a time"}
		}
		d := r.ExpiryDate
		start := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
		if DateOf(start) != d {
			return plan{}, &RuleError{Rule: ErrExpiryDate, Field: "ExpiryDate", Detail: "not a calendar date"}
		}
		days := start.Sub(Epoch) / (24 * time.Hour)
		if start.Before(Epoch) || days > field24 {
			return plan{}, &RuleError{Rule: errExpiryRange, Field: "ExpiryDate", Detail: "outside the code format's range (" + formatRange + ")"}
		}
		pl.date = d
		pl.expiresAt = endOfDate(d.Year, d.Month, d.Day, r.Location).UTC()
		if err := checkValidity(pl.expiresAt.Sub(now)); err != nil {
			return plan{}, err
		}
		pl.expiry = uint32(days)
	} else {
		if !r.ExpiryDate.IsZero() {
			return plan{}, &RuleError{Rule: ErrExpiryDate, Field: "ExpiryDate", Detail: "only a COPE set password code takes an expiration date"}
		}
		exp := r.ExpiresAt
		if exp.IsZero() {
			exp = now.Add(DefaultValidity)
		}
		mins := exp.Sub(Epoch) / time.Minute
		if exp.Before(Epoch) || mins > field24 {
			return plan{}, &RuleError{Rule: errExpiryRange, Field: "ExpiresAt", Detail: "outside the code format's range (" + formatRange + ")"}
		}
		// The code expires at the start of the encoded minute, which is up
		// to a minute before the instant asked for: the minimum holds for
		// the rounded instant (what the device will enforce), the maximum
		// for the one asked for (rounding only shortens).
		pl.expiry = uint32(mins)
		pl.expiresAt = Epoch.Add(mins * time.Minute)
		if err := checkValidity(exp.Sub(now)); err != nil {
			return plan{}, err
		}
		if err := checkValidity(pl.expiresAt.Sub(now)); err != nil {
			return plan{}, err
		}
	}
	if r.WantQR && pl.dayValid {
		return plan{}, &RuleError{Rule: ErrQRNotAllowed, Field: "WantQR"}
	}
	if r.SendEmail {
		if err := checkEmail(r.EmailTo); err != nil {
			return plan{}, err
		}
	}
	if r.Language != "" && !validLanguage(r.Language) {
		return plan{}, &RuleError{Rule: ErrLanguage, Field: "Language", Detail: "want a BCP 47 tag such as en or pt-BR"}
	}
	return pl, nil
}

// formatEnd is the last instant the expiry field can encode, and
// formatRange says the range in words.
var formatEnd = Epoch.Add(field24 * time.Minute)

const formatRange = "2026-01-01 00:00 to 2057-11-24 20:15 UTC"

func checkValidity(d time.Duration) error {
	// Messages show whole seconds (an expiry is kept to the minute, so
	// nanoseconds say nothing), rounded away from the bound so that the
	// shown value is still on the wrong side of it.
	if d < MinValidity {
		return &RuleError{Rule: ErrValidityShort, Field: "ExpiresAt", Detail: fmt.Sprintf("valid for %s, minimum %s", d.Truncate(time.Second), MinValidity)}
	}
	if d > MaxValidity {
		up := d.Truncate(time.Second)
		if up < d {
			up += time.Second
		}
		return &RuleError{Rule: ErrValidityLong, Field: "ExpiresAt", Detail: fmt.Sprintf("valid for %s, maximum %s", up, MaxValidity)}
	}
	return nil
}

func checkEmail(to string) error {
	if to == "" {
		return &RuleError{Rule: ErrEmailAddress, Field: "EmailTo", Detail: "an address is required to send by email"}
	}
	a, err := mail.ParseAddress(to)
	if err != nil || a.Address != to {
		return &RuleError{Rule: ErrEmailAddress, Field: "EmailTo", Detail: "want a bare address such as name@example.com"}
	}
	return nil
}

// validLanguage accepts the shape of a BCP 47 tag: a 2-3 letter language and
// up to 8-character alphanumeric subtags.
func validLanguage(s string) bool {
	if len(s) > 35 {
		return false
	}
	n, first := 0, true
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '-' {
			if (first && (n < 2 || n > 3)) || n < 1 || n > 8 {
				return false
			}
			first, n = false, 0
			continue
		}
		c := s[i] | 0x20
		if !(c >= 'a' && c <= 'z') && !(!first && s[i] >= '0' && s[i] <= '9') {
			return false
		}
		n++
	}
	return true
}

// Issue validates r, makes the code under the newest master key the device
// holds (see [Request.KeyIDs]), renders the
// QR code if asked, records the audit event, and mails the code if asked. A
// broken rule returns a [*RuleError]. If only the email fails, Issue returns
// the Issued code together with an error matching [ErrMail].
func (is *Issuer) Issue(ctx context.Context, r Request) (Issued, error) {
	if ctx == nil {
		return Issued{}, ErrNilContext
	}
	now := is.now()
	pl, err := r.plan(now)
	if err != nil {
		return Issued{}, err
	}
	if r.WantQR && is.qr == nil {
		return Issued{}, &RuleError{Rule: errNotConfigured, Field: "WantQR", Detail: "no QR encoder configured"}
	}
	if r.SendEmail && is.mailer == nil {
		return Issued{}, &RuleError{Rule: errNotConfigured, Field: "SendEmail", Detail: "no mailer configured"}
	}
	lang := r.Language
	if lang == "" {
		lang = "en"
	}
	ki, err := is.issuingKey(r.KeyIDs)
	if err != nil {
		return Issued{}, err
	}
	// DeriveDeviceKey in two steps: the extract step depends on the master
	// key only and was done in NewIssuer (or by the custodian's import).
	master := is.keys[ki]
	var dk [KeySize]byte
	if err := is.deviceKey(ctx, ki, r.DeviceID, &dk); err != nil {
		return Issued{}, err
	}
	p := Payload{Version: Version, KeyID: master.id, Actions: r.Actions, Mode: r.Mode, DayValid: pl.dayValid, Expiry: pl.expiry}
	canonical, err := makeCode(&p, &dk, r.DeviceID, is.rand)
	clear(dk[:])
	if err != nil {
		return Issued{}, err
	}
	display := Display(canonical)
	out := Issued{
		DeviceID: r.DeviceID, Mode: r.Mode, Actions: r.Actions,
		Code: secret.New(canonical), Display: secret.New(display), ExpiresAt: pl.expiresAt,
		DayValid: pl.dayValid, ExpiryDate: pl.date, Location: r.Location, Window: is.window,
		Serial: p.Serial, KeyID: p.KeyID,
	}
	if r.WantQR {
		png, err := is.qr.EncodePNG(display)
		if err != nil {
			return Issued{}, fmt.Errorf("servicepass: rendering QR code: %w", err)
		}
		out.QRPNG = secret.NewBytes(png)
	}
	ev := Event{
		Type: EventIssued, At: now.UTC(), Admin: r.Admin, DeviceID: r.DeviceID, Mode: r.Mode,
		Actions: r.Actions, KeyID: p.KeyID, Serial: p.Serial, ExpiresAt: pl.expiresAt,
		DayValid: pl.dayValid, QR: r.WantQR,
	}
	if r.SendEmail {
		ev.EmailTo, ev.Language = r.EmailTo, lang
	}
	if err := is.store.Record(ctx, ev); err != nil {
		return Issued{}, fmt.Errorf("servicepass: recording audit event: %w", err)
	}
	if is.log.Enabled(ctx, slog.LevelInfo) {
		is.log.LogAttrs(ctx, slog.LevelInfo, "service password issued",
			slog.String("device_id", r.DeviceID), slog.String("actions", r.Actions.String()),
			slog.Uint64("serial", uint64(p.Serial)), slog.Time("expires_at", pl.expiresAt), slog.String("admin", r.Admin))
	}
	if r.SendEmail {
		err := is.mailer.SendServicePassword(ctx, r.EmailTo, lang, out)
		if err != nil {
			fail := ev
			fail.Type, fail.At, fail.Detail = EventMailFailed, is.now().UTC(), "the mailer returned an error"
			if rerr := is.store.Record(context.WithoutCancel(ctx), fail); rerr != nil {
				is.log.LogAttrs(ctx, slog.LevelError, "recording mail failure", slog.String("error", rerr.Error()))
			}
			is.log.LogAttrs(ctx, slog.LevelWarn, "service password email not sent",
				slog.String("device_id", r.DeviceID), slog.Uint64("serial", uint64(p.Serial)), slog.String("error", err.Error()))
			return out, fmt.Errorf("%w: %w", ErrMail, err)
		}
	}
	return out, nil
}

// makeCode draws the serial and computes the MAC, redrawing the serial while
// the check symbol would be '~' or '=', which QR alphanumeric mode lacks.
func makeCode(p *Payload, dk *[KeySize]byte, deviceID string, r io.Reader) (string, error) {
	ms := newMACState(dk, deviceID)
	var rnd [3]byte
	for try := 0; try < 1000; try++ {
		if _, err := io.ReadFull(r, rnd[:]); err != nil {
			return "", fmt.Errorf("servicepass: reading randomness: %w", err)
		}
		p.Serial = uint32(rnd[0])<<16 | uint32(rnd[1])<<8 | uint32(rnd[2])
		b := p.bytes()
		p.MAC = secret.NewUint64(ms.tag(&b))
		c := p.Canonical()
		if last := c[CodeLen-1]; last != '~' && last != '=' {
			return c, nil
		}
	}
	return "", errors.New("servicepass: randomness source keeps producing unusable serials")
}

// expander is HKDF-Expand (RFC 5869) for one 32-byte output block,
// T(1) = HMAC-SHA256(PRK, info || 0x01), with a reusable keyed HMAC. A test
// checks it against crypto/hkdf.Key.
type expander struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

func (e *expander) expand(out *[KeySize]byte, info string) {
	e.buf = append(append(e.buf[:0], info...), 1)
	e.h.Reset()
	e.h.Write(e.buf)
	copy(out[:], e.h.Sum(e.sum[:0]))
	clear(e.sum[:])
}
