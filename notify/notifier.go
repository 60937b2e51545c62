package notify

import (
	"context"
	"fmt"
	"log/slog"
)

// NotifierConfig configures a [Notifier].
type NotifierConfig struct {
	// Catalog renders the notices. Zero: NewCatalog(CatalogConfig{}).
	Catalog *Catalog
	// Mailer delivers them. Required.
	Mailer Mailer
	// Logger receives the notes a Notifier logs: a notice whose Language
	// the catalog lacks, sent in English instead (level Info, message
	// "notify: language not available, sent in English", attributes notice,
	// requested and sent). Zero: discard, as in every other package.
	Logger *slog.Logger
}

// Notifier renders a notice with a [Catalog] and sends it with a [Mailer]:
// one call per notice, shaped like the mail ports of the domain packages, so
// a host's glue only converts the notice type. It is safe for concurrent
// use.
//
// Errors: a notice that cannot be rendered is a [*FieldError] naming the
// notice field ("OneTimePIN.To[0]") that matches [ErrInvalidNotice], and
// nothing is sent; a delivery failure matches [ErrSend]. Either way the credential the caller generated is still the
// caller's to return: a failed email must not lose it.
type Notifier struct {
	catalog *Catalog
	mailer  Mailer
	log     *slog.Logger
}

// NewNotifier checks cfg and returns the notifier. A missing Mailer is
// refused with a [*FieldError] for "NotifierConfig.Mailer".
func NewNotifier(cfg NotifierConfig) (*Notifier, error) {
	if cfg.Mailer == nil {
		return nil, configError("NotifierConfig.Mailer", "required")
	}
	if cfg.Catalog == nil {
		c, err := NewCatalog(CatalogConfig{})
		if err != nil {
			return nil, err
		}
		cfg.Catalog = c
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{catalog: cfg.Catalog, mailer: cfg.Mailer, log: cfg.Logger}, nil
}

// maxLoggedLanguage bounds the requested language a note repeats.
const maxLoggedLanguage = 64

// send delivers m unless rendering failed, first logging a note when the
// notice's language preference fell back to English.
func (n *Notifier) send(ctx context.Context, notice, language string, m Message, err error) error {
	if err != nil {
		return err
	}
	if tag, fallback := Resolve(language); fallback {
		n.log.LogAttrs(ctx, slog.LevelInfo, "notify: language not available, sent in English",
			slog.String("notice", notice),
			slog.String("requested", sanitize(language, maxLoggedLanguage)),
			slog.String("sent", tag.String()))
	}
	return sendError("", n.mailer.Send(ctx, m))
}

// SendServicePassword renders and sends a service-password email.
func (n *Notifier) SendServicePassword(ctx context.Context, sp ServicePassword) error {
	if ctx == nil {
		return ErrNilContext
	}
	m, err := n.catalog.ServicePassword(sp)
	return n.send(ctx, "service password", sp.Language, m, err)
}

// SendPasscodeReset renders and sends a passcode-reset email.
func (n *Notifier) SendPasscodeReset(ctx context.Context, pr PasscodeReset) error {
	if ctx == nil {
		return ErrNilContext
	}
	m, err := n.catalog.PasscodeReset(pr)
	return n.send(ctx, "passcode reset", pr.Language, m, err)
}

// SendCompanyPasscodeAlert renders and sends a company-passcode security
// alert.
func (n *Notifier) SendCompanyPasscodeAlert(ctx context.Context, a CompanyPasscodeAlert) error {
	if ctx == nil {
		return ErrNilContext
	}
	m, err := n.catalog.CompanyPasscodeAlert(a)
	return n.send(ctx, "company passcode alert", a.Language, m, err)
}

// SendOneTimePIN renders and sends a one-time-PIN email.
func (n *Notifier) SendOneTimePIN(ctx context.Context, p OneTimePIN) error {
	if ctx == nil {
		return ErrNilContext
	}
	m, err := n.catalog.OneTimePIN(p)
	return n.send(ctx, "one-time PIN", p.Language, m, err)
}

func (n Notifier) describe() description {
	return description{name: "notify.Notifier", fields: []slog.Attr{slog.String("Mailer", typeName(n.mailer))}}
}

// String names the Notifier's Mailer by its type only: the Mailer may hold
// credentials (an [SMTP] password, a host adapter's API key).
func (n Notifier) String() string { return n.describe().String() }

// Format implements fmt.Formatter: every verb prints [Notifier.String].
func (n Notifier) Format(f fmt.State, verb rune) { n.describe().format(f, verb) }

// LogValue implements slog.LogValuer like [Notifier.String].
func (n Notifier) LogValue() slog.Value { return n.describe().logValue() }

// MarshalJSON implements json.Marshaler like [Notifier.String].
func (n Notifier) MarshalJSON() ([]byte, error) { return n.describe().marshalJSON() }
