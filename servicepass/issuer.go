package servicepass

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/mail"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/internal/secret"
)

// ErrMail is matched by the error Issue returns when the code was made but
// the email could not be sent; the Issued value is valid in that case.
var ErrMail = errors.New("servicepass: email not sent")

// ErrAdmin is the rule that every request names its acting administrator.
var ErrAdmin = errors.New("servicepass: acting administrator missing")

// QREncoder renders text as a QR code PNG. The host wires it to the qr
// package; servicepass gives it only Crockford symbols and hyphens, which
// QR encodes in alphanumeric mode (a version 2 symbol at level M).
type QREncoder interface {
	EncodePNG(text string) ([]byte, error)
}

// Mailer sends a service password by email. The host wires it to the
// notify package, which renders the message in e.Language.
type Mailer interface {
	SendServicePassword(ctx context.Context, e Email) error
}

// Email is what the Mailer gets.
type Email struct {
	To       string
	Language string
	DeviceID string
	Mode     Mode
	Actions  Actions
	// ExpiresAt is when the code stops verifying; for a day-valid code, the
	// end of ExpiryDate in Location.
	ExpiresAt  time.Time
	DayValid   bool
	ExpiryDate Date
	Location   *time.Location
	// Code is the display form (grouped with hyphens).
	Code  Code
	QRPNG []byte
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
	// ExpiresAt is when the code stops verifying: between MinValidity and
	// MaxValidity from now, both inclusive; it is rounded down to the
	// minute. Zero: now + DefaultValidity. Not used for a day-valid code.
	ExpiresAt time.Time
	// ExpiryDate is, for a COPE SetPassword code only (and required there),
	// the last calendar day the code is valid, in Location. The end of that
	// day must lie between MinValidity and MaxValidity from now.
	ExpiryDate Date
	// Location is the device's time zone for ExpiryDate. Required with it.
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
}

// Issued is a new service password.
type Issued struct {
	// Code is the canonical form: 25 symbols, no separators.
	Code Code
	// Display is the grouped form shown to people: XXXXX-XXXXX-XXXXX-XXXXX-XXXXX.
	Display Code
	// ExpiresAt is when the code stops verifying (minute precision; for a
	// day-valid code, the end of ExpiryDate in the request's Location).
	ExpiresAt  time.Time
	DayValid   bool
	ExpiryDate Date
	Serial     uint32
	KeyID      uint8
	// QRPNG is the QR code, when asked for.
	QRPNG []byte
}

// IssuerConfig configures an [Issuer]. Keys is required.
type IssuerConfig struct {
	// Keys are the site's master keys. The last one issues; the others
	// remain so that DeviceKeys can provision keyrings during rotation.
	Keys []MasterKey
	// Store is the audit log. Zero: a new MemStore.
	Store Store
	// QR renders QR codes. Zero: requests with WantQR are refused.
	QR QREncoder
	// Mailer sends email. Zero: requests with SendEmail are refused.
	Mailer Mailer
	// Now is the clock. Zero: time.Now.
	Now func() time.Time
	// Rand is the source of serials. Zero: crypto/rand.Reader.
	Rand io.Reader
	// Logger receives one line per issued code (never the code). Zero:
	// discard.
	Logger *slog.Logger
}

// Issuer makes service passwords on the server. Create it with [NewIssuer];
// it is safe for concurrent use.
type Issuer struct {
	keys   []MasterKey
	prks   []*sync.Pool // HMAC keyed by each master key's HKDF-Extract output
	store  Store
	qr     QREncoder
	mailer Mailer
	now    func() time.Time
	rand   io.Reader
	log    *slog.Logger
}

// NewIssuer checks cfg and returns an Issuer.
func NewIssuer(cfg IssuerConfig) (*Issuer, error) {
	if len(cfg.Keys) == 0 {
		return nil, fmt.Errorf("%w: no master keys", ErrKey)
	}
	seen := map[uint8]bool{}
	for _, k := range cfg.Keys {
		if seen[k.id] {
			return nil, fmt.Errorf("%w: key ID %d twice", ErrKey, k.id)
		}
		seen[k.id] = true
	}
	is := &Issuer{
		keys: append([]MasterKey(nil), cfg.Keys...), store: cfg.Store, qr: cfg.QR,
		mailer: cfg.Mailer, now: cfg.Now, rand: cfg.Rand, log: cfg.Logger,
	}
	for _, k := range is.keys {
		prk, err := hkdf.Extract(sha256.New, k.key[:], []byte(deviceKeySalt))
		if err != nil {
			return nil, fmt.Errorf("servicepass: deriving device key: %w", err)
		}
		is.prks = append(is.prks, &sync.Pool{New: func() any { return &expander{h: hmac.New(sha256.New, prk)} }})
	}
	if is.store == nil {
		is.store = NewMemStore()
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

// DeviceKeys returns the keyring to provision on deviceID: its device key
// under every master key, the issuing one last.
func (is *Issuer) DeviceKeys(deviceID string) ([]DeviceKey, error) {
	out := make([]DeviceKey, 0, len(is.keys))
	for _, m := range is.keys {
		k, err := DeriveDeviceKey(m, deviceID)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
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
	if r.Admin == "" {
		return plan{}, &RuleError{Rule: ErrAdmin, Field: "Admin"}
	}
	if err := checkDeviceID(r.DeviceID); err != nil {
		return plan{}, err
	}
	if err := CheckRules(r.Mode, r.Actions); err != nil {
		return plan{}, err
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
		pl.date = d
		pl.expiresAt = endOfDate(d.Year, d.Month, d.Day, r.Location).UTC()
		days := start.Sub(Epoch) / (24 * time.Hour)
		if err := checkValidity(pl.expiresAt.Sub(now)); err != nil {
			return plan{}, err
		}
		if days < 0 || days > field24 {
			return plan{}, &RuleError{Rule: ErrExpiryDate, Field: "ExpiryDate", Detail: "outside the code format's range"}
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
		if err := checkValidity(exp.Sub(now)); err != nil {
			return plan{}, err
		}
		mins := exp.Sub(Epoch) / time.Minute
		if exp.Before(Epoch) || mins > field24 {
			return plan{}, &RuleError{Rule: ErrValidityLong, Field: "ExpiresAt", Detail: "outside the code format's range (2026 to 2057)"}
		}
		pl.expiry = uint32(mins)
		pl.expiresAt = Epoch.Add(mins * time.Minute)
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

func checkValidity(d time.Duration) error {
	if d < MinValidity {
		return &RuleError{Rule: ErrValidityShort, Field: "ExpiresAt", Detail: fmt.Sprintf("valid for %s, minimum %s", d, MinValidity)}
	}
	if d > MaxValidity {
		return &RuleError{Rule: ErrValidityLong, Field: "ExpiresAt", Detail: fmt.Sprintf("valid for %s, maximum %s", d, MaxValidity)}
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

// Issue validates r, makes the code under the newest master key, renders the
// QR code if asked, records the audit event, and mails the code if asked. A
// broken rule returns a [*RuleError]. If only the email fails, Issue returns
// the Issued code together with an error matching [ErrMail].
func (is *Issuer) Issue(ctx context.Context, r Request) (Issued, error) {
	now := is.now()
	pl, err := r.plan(now)
	if err != nil {
		return Issued{}, err
	}
	if r.WantQR && is.qr == nil {
		return Issued{}, &RuleError{Rule: ErrNotConfigured, Field: "WantQR", Detail: "no QR encoder configured"}
	}
	if r.SendEmail && is.mailer == nil {
		return Issued{}, &RuleError{Rule: ErrNotConfigured, Field: "SendEmail", Detail: "no mailer configured"}
	}
	lang := r.Language
	if lang == "" {
		lang = "en"
	}
	// DeriveDeviceKey in two steps: the extract step depends on the master
	// key only and was done in NewIssuer.
	master := is.keys[len(is.keys)-1]
	dk := DeviceKey{id: master.id}
	pool := is.prks[len(is.prks)-1]
	ex := pool.Get().(*expander)
	ex.expand(&dk.key, r.DeviceID)
	pool.Put(ex)
	p := Payload{Version: Version, KeyID: master.id, Actions: r.Actions, Mode: r.Mode, DayValid: pl.dayValid, Expiry: pl.expiry}
	canonical, err := makeCode(&p, &dk, r.DeviceID, is.rand)
	clear(dk.key[:])
	if err != nil {
		return Issued{}, err
	}
	display := Display(canonical)
	out := Issued{
		Code: secret.New(canonical), Display: secret.New(display), ExpiresAt: pl.expiresAt,
		DayValid: pl.dayValid, ExpiryDate: pl.date, Serial: p.Serial, KeyID: p.KeyID,
	}
	if r.WantQR {
		png, err := is.qr.EncodePNG(display)
		if err != nil {
			return Issued{}, fmt.Errorf("servicepass: rendering QR code: %w", err)
		}
		out.QRPNG = png
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
		err := is.mailer.SendServicePassword(ctx, Email{
			To: r.EmailTo, Language: lang, DeviceID: r.DeviceID, Mode: r.Mode, Actions: r.Actions,
			ExpiresAt: pl.expiresAt, DayValid: pl.dayValid, ExpiryDate: pl.date, Location: r.Location,
			Code: out.Display, QRPNG: out.QRPNG,
		})
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
func makeCode(p *Payload, dk *DeviceKey, deviceID string, r io.Reader) (string, error) {
	ms := newMACState(&dk.key, deviceID)
	var rnd [3]byte
	for try := 0; try < 1000; try++ {
		if _, err := io.ReadFull(r, rnd[:]); err != nil {
			return "", fmt.Errorf("servicepass: reading randomness: %w", err)
		}
		p.Serial = uint32(rnd[0])<<16 | uint32(rnd[1])<<8 | uint32(rnd[2])
		b := p.bytes()
		p.MAC = ms.tag(&b)
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
