package apple

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
)

// Limits on a plist this package reads. A device's command result is a few
// kilobytes; anything past these is refused, not parsed.
const (
	// MaxPlistSize is the largest plist ParseResult reads, in bytes.
	MaxPlistSize = 1 << 20
	maxDepth     = 32
	maxValues    = 1 << 14
)

// decoder turns an XML plist into Go values: map[string]any for dict,
// []any for array, string, int64, float64, bool, []byte for data; date is
// kept as its string.
type decoder struct {
	d      *xml.Decoder
	values int
}

func decodePlist(b []byte) (any, error) {
	if len(b) > MaxPlistSize {
		return nil, &Error{Field: "plist", Rule: "larger than " + strconv.Itoa(MaxPlistSize) + " bytes", Offset: -1}
	}
	dec := &decoder{d: xml.NewDecoder(bytes.NewReader(b))}
	// Find <plist>.
	for {
		tok, err := dec.d.Token()
		if err != nil {
			return nil, dec.err("no plist element", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "plist" {
				return nil, dec.err("root element is not plist", nil)
			}
			break
		}
	}
	v, end, err := dec.value(0)
	if err != nil {
		return nil, err
	}
	if end {
		return nil, dec.err("empty plist", nil)
	}
	// Only </plist>, then nothing but whitespace, comments or processing
	// instructions.
	if err := dec.close("plist"); err != nil {
		return nil, err
	}
	for {
		tok, err := dec.d.Token()
		if errors.Is(err, io.EOF) {
			return v, nil
		}
		if err != nil {
			return nil, dec.err("after plist", err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, dec.err("text after plist", nil)
			}
		case xml.Comment, xml.ProcInst:
		default:
			return nil, dec.err("content after plist", nil)
		}
	}
}

func (dec *decoder) err(rule string, cause error) error {
	if cause != nil && !errors.Is(cause, io.EOF) {
		var se *xml.SyntaxError
		if errors.As(cause, &se) {
			rule += ": XML syntax error on line " + strconv.Itoa(se.Line)
		} else {
			rule += ": malformed XML"
		}
	} else if errors.Is(cause, io.EOF) {
		rule += ": unexpected end of input"
	}
	return &Error{Field: "plist", Rule: rule, Offset: dec.d.InputOffset()}
}

// next returns the next start or end element, skipping whitespace,
// comments and processing instructions; other text is an error.
func (dec *decoder) next() (xml.Token, error) {
	for {
		tok, err := dec.d.Token()
		if err != nil {
			return nil, dec.err("truncated", err)
		}
		switch t := tok.(type) {
		case xml.StartElement, xml.EndElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, dec.err("text outside a value", nil)
			}
		case xml.Comment, xml.ProcInst:
		default:
			return nil, dec.err("unexpected markup", nil)
		}
	}
}

// close reads the end element of name.
func (dec *decoder) close(name string) error {
	tok, err := dec.next()
	if err != nil {
		return err
	}
	if e, ok := tok.(xml.EndElement); !ok || e.Name.Local != name {
		return dec.err("expected </"+name+">", nil)
	}
	return nil
}

// text reads character data up to the end of the current element.
func (dec *decoder) text(name string) (string, error) {
	var sb strings.Builder
	for {
		tok, err := dec.d.Token()
		if err != nil {
			return "", dec.err("truncated <"+name+">", err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if sb.Len()+len(t) > MaxPlistSize {
				return "", dec.err("text too long", nil)
			}
			sb.Write(t)
		case xml.EndElement:
			return sb.String(), nil
		case xml.Comment, xml.ProcInst:
		default:
			return "", dec.err("markup inside <"+name+">", nil)
		}
	}
}

// value reads one value. end is true when it met the end element of the
// enclosing container instead.
func (dec *decoder) value(depth int) (v any, end bool, err error) {
	if depth > maxDepth {
		return nil, false, dec.err("nested too deep", nil)
	}
	dec.values++
	if dec.values > maxValues {
		return nil, false, dec.err("too many values", nil)
	}
	tok, err := dec.next()
	if err != nil {
		return nil, false, err
	}
	if _, ok := tok.(xml.EndElement); ok {
		return nil, true, nil
	}
	se := tok.(xml.StartElement)
	switch se.Name.Local {
	case "dict":
		m := map[string]any{}
		for {
			tok, err := dec.next()
			if err != nil {
				return nil, false, err
			}
			if _, ok := tok.(xml.EndElement); ok {
				return m, false, nil
			}
			if tok.(xml.StartElement).Name.Local != "key" {
				return nil, false, dec.err("dict entry without <key>", nil)
			}
			k, err := dec.text("key")
			if err != nil {
				return nil, false, err
			}
			v, end, err := dec.value(depth + 1)
			if err != nil {
				return nil, false, err
			}
			if end {
				return nil, false, dec.err("key "+strconv.Quote(truncate(k))+" without a value", nil)
			}
			if _, dup := m[k]; dup {
				return nil, false, dec.err("duplicate key "+strconv.Quote(truncate(k)), nil)
			}
			m[k] = v
		}
	case "array":
		var a []any
		for {
			v, end, err := dec.value(depth + 1)
			if err != nil {
				return nil, false, err
			}
			if end {
				return a, false, nil
			}
			a = append(a, v)
		}
	case "true", "false":
		if err := dec.close(se.Name.Local); err != nil {
			return nil, false, err
		}
		return se.Name.Local == "true", false, nil
	case "string", "date":
		s, err := dec.text(se.Name.Local)
		return s, false, err
	case "integer":
		s, err := dec.text("integer")
		if err != nil {
			return nil, false, err
		}
		n, perr := strconv.ParseInt(strings.TrimSpace(s), 0, 64)
		if perr != nil {
			return nil, false, dec.err("integer out of range or malformed", nil)
		}
		return n, false, nil
	case "real":
		s, err := dec.text("real")
		if err != nil {
			return nil, false, err
		}
		f, perr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if perr != nil {
			return nil, false, dec.err("malformed real", nil)
		}
		return f, false, nil
	case "data":
		s, err := dec.text("data")
		if err != nil {
			return nil, false, err
		}
		b, derr := base64.StdEncoding.DecodeString(stripSpace(s))
		if derr != nil {
			return nil, false, dec.err("malformed base64 in <data>", nil)
		}
		return b, false, nil
	}
	return nil, false, dec.err("unknown element <"+truncate(se.Name.Local)+">", nil)
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r':
			return -1
		}
		return r
	}, s)
}

// truncate shortens what an error quotes from the input.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
