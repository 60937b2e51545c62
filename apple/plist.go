package apple

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"strconv"
	"strings"
	"unicode/utf8"
)

// plistHeader opens every plist this package writes.
const plistHeader = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
`

// plistWriter writes an XML property list. Every key and string goes
// through encoding/xml's escaping; nothing is formatted into markup by
// hand. Values are checked (checkText) before they reach it, so escaping
// never has to replace a character.
type plistWriter struct {
	b bytes.Buffer
}

func newPlistWriter() *plistWriter {
	w := &plistWriter{}
	w.b.WriteString(plistHeader)
	return w
}

func (w *plistWriter) text(tag, v string) {
	w.b.WriteString("<" + tag + ">")
	// EscapeText cannot fail on a bytes.Buffer.
	_ = xml.EscapeText(&w.b, []byte(v))
	w.b.WriteString("</" + tag + ">\n")
}

func (w *plistWriter) key(k string)       { w.text("key", k) }
func (w *plistWriter) str(k, v string)    { w.key(k); w.text("string", v) }
func (w *plistWriter) raw(k, elem string) { w.key(k); w.b.WriteString(elem + "\n") }
func (w *plistWriter) integer(k string, n int64) {
	w.key(k)
	w.text("integer", strconv.FormatInt(n, 10))
}
func (w *plistWriter) data(k string, d []byte) {
	w.key(k)
	w.text("data", base64.StdEncoding.EncodeToString(d))
}
func (w *plistWriter) beginDict(k string) {
	if k != "" {
		w.key(k)
	}
	w.b.WriteString("<dict>\n")
}
func (w *plistWriter) endDict() { w.b.WriteString("</dict>\n") }

func (w *plistWriter) bytes() []byte {
	w.b.WriteString("</plist>\n")
	return w.b.Bytes()
}

// maxText is the longest string value a builder accepts, in bytes. Apple
// documents no bound; a Lock Screen shows far less.
const maxText = 4096

// checkText reports whether v can travel in a plist string unchanged: valid
// UTF-8, only characters XML 1.0 allows, at most maxText bytes, and not the
// placeholder prefix (so no value can pose as a placeholder).
func checkText(field, v string) error {
	if len(v) > maxText {
		return fieldError(field, "longer than "+strconv.Itoa(maxText)+" bytes")
	}
	if strings.Contains(v, fillPrefix) {
		return fieldError(field, "holds the reserved text "+strconv.Quote(fillPrefix))
	}
	if !utf8.ValidString(v) {
		return fieldError(field, "is not valid UTF-8")
	}
	for _, r := range v {
		if !xmlChar(r) {
			return fieldError(field, "holds a character XML cannot carry")
		}
	}
	return nil
}

// xmlChar is XML 1.0's Char production.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
