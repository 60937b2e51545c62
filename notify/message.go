package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
)

// Mailer delivers a rendered [Message]. It is the port every adapter
// implements ([SMTP], [Outbox], [Recorder]) and the one a host may implement
// itself (a mail API, a queue).
//
// Send returns nil only once the message has been handed over (to the SMTP
// server, to the outbox directory, ...). Any error means the message may not
// have been delivered: implementations return it, wrapped so that
// errors.Is(err, [ErrSend]) holds, and never swallow it. A message that fails
// [Message.Validate] is refused with its error (a [*FieldError] matching
// [ErrInvalidMessage]) before anything is sent. Implementations are safe for concurrent use and
// honour ctx's deadline and cancellation.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// MailerFunc adapts a function to the [Mailer] interface.
type MailerFunc func(ctx context.Context, m Message) error

// Send calls f(ctx, m).
func (f MailerFunc) Send(ctx context.Context, m Message) error {
	if ctx == nil {
		return ErrNilContext
	}
	return f(ctx, m)
}

// Message is one email, ready to send: what the [Catalog] renders and what a
// [Mailer] delivers.
//
// Text and HTML are alternatives of the same content; Inline images are
// referenced from HTML as "cid:<ContentID>". Both bodies of a rendered notice
// contain the credential (and a QR image shows it), so a Message prints
// itself (fmt under every verb, log/slog, encoding/json) without its bodies
// and inline data: log a Message freely, never its Text or HTML.
type Message struct {
	// From is the sender address. Zero: the adapter's configured sender.
	From string
	// To lists the recipients' addresses (RFC 5322, "Name <a@b>" allowed).
	To []string
	// Subject is a single line of text; it never holds a secret.
	Subject string
	// Language is the BCP 47 tag of the content (sent as Content-Language).
	Language string
	// Text is the plain-text body (Reveal gives it). It never prints: a
	// rendered notice's body holds the credential.
	Text Secret
	// HTML is the HTML body, likewise; zero means a text-only message.
	HTML Secret
	// Inline lists images shown inside HTML, referenced by Content-ID.
	Inline []Inline
}

// Inline is an image embedded in a message and referenced from the HTML body
// as "cid:" + ContentID.
type Inline struct {
	// ContentID identifies the part, without angle brackets ("qr@mdmcred").
	ContentID string
	// ContentType is the MIME type of Data ("image/png").
	ContentType string
	// Filename is the name a mail client shows for the part ("qr.png").
	Filename string
	// Data is the raw content (Reveal gives the bytes). It never prints:
	// an inline image may show a credential (a QR code).
	Data SecretBytes
}

// SendError is the error a [Mailer] adapter returns when delivery fails. It
// matches [ErrSend] and unwraps to the transport's cause (a *net.OpError, an
// SMTP reply, context.DeadlineExceeded, ...).
type SendError struct {
	// Via names the adapter ("smtp", "outbox", "recorder").
	Via string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *SendError) Error() string {
	if e.Via == "" {
		return fmt.Sprintf("notify: send failed: %v", e.Err)
	}
	return fmt.Sprintf("notify: send failed (%s): %v", e.Via, e.Err)
}

// Unwrap returns the cause.
func (e *SendError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrSend].
func (e *SendError) Is(target error) bool { return target == ErrSend }

// sendError wraps err as a *SendError unless it already matches ErrSend.
func sendError(via string, err error) error {
	if err == nil || errors.Is(err, ErrSend) {
		return err
	}
	return &SendError{Via: via, Err: err}
}

// Validate checks that m can be sent. Errors are a [*FieldError] that
// matches [ErrInvalidMessage] and names the field and the rule (never the
// field's content, which may be personal data).
func (m Message) Validate() error {
	if len(m.To) == 0 {
		return messageError("To", "no recipient")
	}
	for i, to := range m.To {
		if rule := checkAddress(to); rule != "" {
			return messageError(fmt.Sprintf("To[%d]", i), rule)
		}
	}
	if m.From != "" {
		if rule := checkAddress(m.From); rule != "" {
			return messageError("From", rule)
		}
	}
	if !utf8.ValidString(m.Subject) || strings.ContainsFunc(m.Subject, hidden) {
		return messageError("Subject", "holds a control or invisible formatting character, or invalid UTF-8")
	}
	if strings.Contains(m.Subject, "=?") {
		// Sent as it is, a client would decode it as an RFC 2047
		// encoded-word, into any character the check above refuses.
		return messageError("Subject", `holds "=?", which mail clients decode as an RFC 2047 encoded-word`)
	}
	if m.Text.IsZero() && m.HTML.IsZero() {
		return messageError("Text", "no body")
	}
	if m.Language != "" && !isToken(m.Language) {
		return messageError("Language", "not a language tag")
	}
	seen := make(map[string]bool, len(m.Inline))
	for i, in := range m.Inline {
		field := fmt.Sprintf("Inline[%d]", i)
		switch {
		case in.ContentID == "" || !isToken(in.ContentID):
			return messageError(field, "ContentID empty or not a plain token")
		case seen[in.ContentID]:
			return messageError(field, "duplicate ContentID")
		case !isToken(in.ContentType) || !strings.Contains(in.ContentType, "/"):
			return messageError(field, "ContentType is not a MIME type")
		case in.Filename != "" && !isToken(in.Filename):
			return messageError(field, "Filename not a plain token")
		case in.Data.IsZero():
			return messageError(field, "no data")
		}
		seen[in.ContentID] = true
	}
	return checkHeaderLines(m)
}

// Limits of RFC 5321 section 4.5.3.1 and RFC 5322 section 2.1.1, in
// octets.
const (
	maxLocalPart  = 64  // the part of an address before "@"
	maxDomain     = 255 // the part after "@"
	maxLabel      = 63  // one label of the domain (RFC 1035)
	maxPath       = 256 // "<" address ">" in MAIL FROM and RCPT TO
	maxHeaderLine = 998 // a header line, without its CRLF
)

// checkAddress returns the rule s breaks as an RFC 5322 address ("Name
// <local@domain>" allowed) that SMTP can carry, or "".
func checkAddress(s string) string {
	if strings.ContainsFunc(s, hidden) {
		return "control or invisible formatting character in address"
	}
	if len(s) > 4*maxPath {
		// Not parsed: net/mail's cost grows with the input.
		return fmt.Sprintf("longer than %d octets", 4*maxPath)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "not an RFC 5322 address"
	}
	// ParseAddress decodes RFC 2047 encoded-words: a display name can
	// spell a line break, a bidi override or a zero-width character that
	// the raw text does not show.
	if strings.ContainsFunc(a.Name, hidden) || strings.ContainsFunc(a.Address, hidden) {
		return "control or invisible formatting character in address"
	}
	local, domain, _ := strings.Cut(a.Address, "@")
	switch {
	case len(local) > maxLocalPart:
		return fmt.Sprintf("local part longer than %d octets (RFC 5321)", maxLocalPart)
	case len(domain) > maxDomain:
		return fmt.Sprintf("domain longer than %d octets (RFC 5321)", maxDomain)
	case len(a.Address)+2 > maxPath:
		return fmt.Sprintf("address longer than %d octets (RFC 5321: path of at most %d)", maxPath-2, maxPath)
	}
	for _, label := range strings.Split(domain, ".") {
		if len(label) > maxLabel {
			return fmt.Sprintf("domain label longer than %d octets (RFC 1035)", maxLabel)
		}
	}
	return ""
}

// checkHeaderLines writes m's header section as [WriteMessage] would and
// refuses a line longer than 998 octets (RFC 5322 section 2.1.1): a word
// too long to fold, in the subject or a display name. It names the header
// field the line belongs to.
func checkHeaderLines(m Message) error {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if m.From != "" {
		if err := msg.From(m.From); err != nil {
			return messageError("From", "not an RFC 5322 address")
		}
	}
	if err := msg.To(m.To...); err != nil {
		return messageError("To", "not an RFC 5322 address")
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, "")
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		return messageError("", "cannot be written: "+err.Error())
	}
	head, _, _ := bytes.Cut(b.Bytes(), []byte("\r\n\r\n"))
	field := ""
	for _, line := range bytes.Split(head, []byte("\r\n")) {
		if len(line) > 0 && line[0] != ' ' && line[0] != '\t' {
			name, _, _ := bytes.Cut(line, []byte(":"))
			field = string(name)
		}
		if len(line) > maxHeaderLine {
			return messageError(field, fmt.Sprintf("a header line would be longer than %d octets (RFC 5322): a word too long to fold", maxHeaderLine))
		}
	}
	return nil
}

// isToken reports whether s is a non-empty run of printable ASCII without
// spaces, quotes, angle brackets or separators that would need quoting in a
// MIME header.
func isToken(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"<>()\,;:[]`, c) >= 0 {
			return false
		}
	}
	return true
}

// clone returns a copy of m that shares no slice with it.
func (m Message) clone() Message {
	m.To = append([]string(nil), m.To...)
	if m.Inline != nil {
		// Inline.Data is immutable (SecretBytes): copying the parts is
		// enough.
		m.Inline = append([]Inline(nil), m.Inline...)
	}
	return m
}

func (m Message) describe() description {
	inline := make([]string, len(m.Inline))
	for i, in := range m.Inline {
		inline[i] = fmt.Sprintf("%s %s %d bytes", in.ContentID, in.ContentType, in.Data.Len())
	}
	return description{name: "notify.Message", fields: []slog.Attr{
		slog.String("From", m.From),
		slog.Any("To", append([]string{}, m.To...)),
		slog.String("Subject", m.Subject),
		slog.String("Language", m.Language),
		slog.String("Text", redacted(!m.Text.IsZero())),
		slog.String("HTML", redacted(!m.HTML.IsZero())),
		slog.Any("Inline", inline),
	}}
}

// String describes m without its bodies, which hold the credential, and
// without the inline images' data (a QR image shows it too).
func (m Message) String() string { return m.describe().String() }

// Format implements fmt.Formatter: every verb prints [Message.String], so
// neither body reaches a log by accident.
func (m Message) Format(f fmt.State, verb rune) { m.describe().format(f, verb) }

// LogValue implements slog.LogValuer without the bodies.
func (m Message) LogValue() slog.Value { return m.describe().logValue() }

// MarshalJSON implements json.Marshaler without the bodies and the inline
// data, like [Message.String]: the JSON form is for logs, not for queuing
// a message (use [WriteMessage] for that).
func (m Message) MarshalJSON() ([]byte, error) { return m.describe().marshalJSON() }

func (in Inline) describe() description {
	return description{name: "notify.Inline", fields: []slog.Attr{
		slog.String("ContentID", in.ContentID),
		slog.String("ContentType", in.ContentType),
		slog.String("Filename", in.Filename),
		slog.Int("Size", in.Data.Len()),
	}}
}

// String describes in without its data, which may be a QR image of a
// credential.
func (in Inline) String() string { return in.describe().String() }

// Format implements fmt.Formatter: every verb prints [Inline.String].
func (in Inline) Format(f fmt.State, verb rune) { in.describe().format(f, verb) }

// LogValue implements slog.LogValuer without the data.
func (in Inline) LogValue() slog.Value { return in.describe().logValue() }

// MarshalJSON implements json.Marshaler without the data.
func (in Inline) MarshalJSON() ([]byte, error) { return in.describe().marshalJSON() }
