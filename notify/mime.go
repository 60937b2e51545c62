package notify

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// encode turns m into a go-mail message from the given sender, dated now.
// The layout is multipart/related (the alternatives, then the inline
// images) around multipart/alternative (text, then HTML); a message without
// inline images is just multipart/alternative, and one with a single body is
// that body alone. m must have passed Validate.
func encode(m Message, from string, now time.Time) (*gomail.Msg, error) {
	if m.From != "" {
		from = m.From
	}
	if rule := checkAddress(from); rule != "" {
		return nil, messageError("From", rule)
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, messageError("From", "not an RFC 5322 address")
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(addr)
	if err := msg.To(m.To...); err != nil {
		return nil, messageError("To", "not an RFC 5322 address")
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	_, domain, _ := strings.Cut(addr.Address, "@")
	msg.SetMessageIDWithValue(rand.Text() + "@" + domain)
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader("X-Auto-Response-Suppress", "All")
	if m.Language != "" {
		msg.SetGenHeader(gomail.HeaderContentLang, m.Language)
	}
	switch {
	case !m.Text.IsZero() && !m.HTML.IsZero():
		msg.SetBodyString(gomail.TypeTextPlain, m.Text.Reveal())
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML.Reveal())
	case !m.HTML.IsZero():
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML.Reveal())
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text.Reveal())
	}
	for _, in := range m.Inline {
		name := in.Filename
		if name == "" {
			name = in.ContentID
		}
		msg.EmbedReadSeeker(name, bytes.NewReader(in.Data.Reveal()),
			gomail.WithFileContentID("<"+in.ContentID+">"),
			gomail.WithFileContentType(gomail.ContentType(in.ContentType)),
			gomail.WithFileEncoding(gomail.EncodingB64))
	}
	return msg, nil
}

// WriteMessage writes m as an RFC 5322 message (what [Outbox] stores and
// [SMTP] transmits) from the sender from (used when m.From is empty), dated
// now. It returns an error matching [ErrInvalidMessage] when m does not
// pass [Message.Validate].
func WriteMessage(w io.Writer, m Message, from string, now time.Time) error {
	if m.From == "" {
		m.From = from
	}
	if err := m.Validate(); err != nil {
		return err
	}
	msg, err := encode(m, from, now)
	if err != nil {
		return err
	}
	_, err = msg.WriteTo(w)
	return err
}
