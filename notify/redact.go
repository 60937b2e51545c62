package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/mdmcred/mdmcred/internal/secret"
)

// The types of this package that hold a credential, or something that
// reveals one (an SMTP password, a rendered body, a QR image of a code),
// describe themselves through one mechanism: a describe method lists the
// fields that may be shown, with each secret replaced by secret.Redacted,
// and fmt (every verb), log/slog and encoding/json all print that list.
// Each such type has its own Format, LogValue and MarshalJSON, because fmt
// never calls a field's methods when it reaches the field through an
// unexported struct field: secret.String alone would not guard a password
// inside an SMTP adapter.

// description is a type's printable form: its name and its showable
// fields, in order, each a string, a number, a bool or a []string.
type description struct {
	name   string
	fields []slog.Attr
}

// redacted returns what a non-empty secret prints as.
func redacted(present bool) string {
	if present {
		return secret.Redacted
	}
	return ""
}

// String renders d as `notify.Name{Key: value, ...}`, strings quoted.
func (d description) String() string {
	var b strings.Builder
	b.WriteString(d.name)
	writeFields(&b, d.fields)
	return b.String()
}

func writeFields(b *strings.Builder, attrs []slog.Attr) {
	b.WriteByte('{')
	for i, a := range attrs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Key)
		b.WriteString(": ")
		switch v := a.Value; v.Kind() {
		case slog.KindString:
			b.WriteString(strconv.Quote(v.String()))
		case slog.KindAny:
			fmt.Fprintf(b, "%q", v.Any()) // a []string: quoted elements
		default:
			b.WriteString(v.String())
		}
	}
	b.WriteByte('}')
}

// format writes d for any verb; %q quotes it.
func (d description) format(f fmt.State, verb rune) {
	s := d.String()
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = f.Write([]byte(s))
}

// logValue is d as a slog group.
func (d description) logValue() slog.Value { return slog.GroupValue(d.fields...) }

// marshalJSON is d as a JSON object with the fields in order.
func (d description) marshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, d.fields); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, attrs []slog.Attr) error {
	b.WriteByte('{')
	for i, a := range attrs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(a.Key)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(a.Value.Any())
		if err != nil {
			return err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return nil
}

// typeName names a value's dynamic type without printing the value (a
// host's Mailer may hold its own secrets).
func typeName(v any) string { return fmt.Sprintf("%T", v) }
