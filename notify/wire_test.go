package notify

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/servicepass"
)

// hostileNames is the corpus of names a user or device could choose to
// spoof a subject or a body: encoded-words that decode to a bidi override
// or a line break, invisible characters, URLs, very long names, NUL and
// CR/LF.
var hostileNames = []string{
	"=?UTF-8?B?4oCuZXhlLnBkZg==?=",
	"=?UTF-8?Q?x=0D=0ABcc:evil@evil.example?=",
	"=?utf-8?q?=E2=80=AE?= Pixel",
	"=\u200B?UTF-8?B?4oCuZXhlLnBkZg==?=",
	"Pixel \u202Egnp.exe",
	"\u2067scanner\u2069 \u200F\u061C",
	"scan\u200Bner\u200C\u200D\u2060",
	"Pix\u00ADel",
	"\ufeffBOM",
	"tag\U000E0041\U000E0042\U000E007F",
	"hangul\u3164\u115Ffiller",
	"https://evil.example/login",
	"Click www.evil.example now",
	"ht\u200Btps://evil\u3002example",
	"evil.example",
	strings.Repeat("A", 500),
	strings.Repeat("é", 300),
	strings.Repeat("=?", 100),
	"nul\x00byte",
	"a\r\nBcc: evil@evil.example",
	"a\nSubject: forged",
	"a\rb\x85c\u2028d\u2029e",
	"\xff\xfeinvalid",
	`<a href="https://evil.example">x</a>`,
	// Issue 27: IP hosts, schemes without "//", protocol-relative links
	// and UNC paths.
	"http://203.0.113.7/login",
	"//203.0.113.7/login",
	"file://203.0.113.7/share smb://203.0.113.7/share",
	`\\203.0.113.7\share`,
	"mailto:x@evil.example",
}

// hostileNotice builds one notice whose user-controlled text is name.
type hostileRender struct {
	name   string
	render func(c *Catalog, name string) (Message, error)
}

func hostileRenders() []hostileRender {
	to := []string{"Jan Kowalski <jan@example.com>"}
	return []hostileRender{
		{"service password name", func(c *Catalog, s string) (Message, error) {
			return c.ServicePassword(ServicePassword{To: to, DeviceName: s, Issued: servicepass.Issued{DeviceID: "R58N91XYZ",
				Actions: servicepass.Unlock | servicepass.RemoveNetworkRestrictions, ExpiresAt: fixedExpiry,
				Display: NewSecret("7KQ4-M2XP-9HVR-TD3C-W"), QRPNG: NewSecretBytes(testPNG())}})
		}},
		{"service password id", func(c *Catalog, s string) (Message, error) {
			return c.ServicePassword(ServicePassword{To: to, Language: "pl", Issued: servicepass.Issued{DeviceID: s,
				Mode: servicepass.COPE, Actions: servicepass.SetPassword, ExpiresAt: fixedExpiry, DayValid: true,
				ExpiryDate: servicepass.Date{Year: 2026, Month: time.November, Day: 23}, Display: NewSecret("4D8F-2JMQ-6RST-VW1A-B")}})
		}},
		{"passcode reset new", func(c *Catalog, s string) (Message, error) {
			return c.PasscodeReset(PasscodeReset{To: to, DeviceName: s, Language: "de",
				NewPasscode: NewSecret("482915"), ExpiresAt: fixedExpiry})
		}},
		{"passcode reset cleared", func(c *Catalog, s string) (Message, error) {
			return c.PasscodeReset(PasscodeReset{To: to, DeviceName: s, DeviceID: s, Cleared: true})
		}},
		{"company passcode alert", func(c *Catalog, s string) (Message, error) {
			return c.CompanyPasscodeAlert(CompanyPasscodeAlert{To: []string{"admins@example.com"}, Language: "fr",
				Site: s, Attempts: 10, LastFailure: fixedExpiry, LastSource: s})
		}},
		{"one-time PIN", func(c *Catalog, s string) (Message, error) {
			return c.OneTimePIN(OneTimePIN{To: to, Language: "it", User: s, PIN: NewSecret("03917254"), ExpiresAt: fixedExpiry})
		}},
	}
}

// wire is a message as a mail client reads it back from what the adapters
// write: headers parsed by net/mail and decoded by mime.WordDecoder, the
// bodies taken from the MIME tree with their transfer encoding undone.
type wire struct {
	header  mail.Header
	subject string   // decoded
	addrs   []string // decoded display names and addresses of From and To
	text    string
	html    string
}

func readWire(t testing.TB, m Message) wire {
	t.Helper()
	var raw bytes.Buffer
	if err := WriteMessage(&raw, m, "MDM <mdm@example.org>", fixedExpiry); err != nil {
		t.Fatalf("WriteMessage: %v", err)
	}
	msg, err := mail.ReadMessage(&raw)
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	var w wire
	w.header = msg.Header
	var dec mime.WordDecoder
	if w.subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("Subject %q: %v", msg.Header.Get("Subject"), err)
	}
	for _, h := range []string{"From", "To"} {
		list, err := msg.Header.AddressList(h)
		if err != nil {
			t.Fatalf("%s %q: %v", h, msg.Header.Get(h), err)
		}
		for _, a := range list {
			w.addrs = append(w.addrs, a.Name, a.Address)
		}
	}
	readPart(t, msg.Header.Get("Content-Type"), msg.Body, &w)
	return w
}

func readPart(t testing.TB, contentType string, body io.Reader, w *wire) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("Content-Type %q: %v", contentType, err)
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextPart() // undoes quoted-printable
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			readPart(t, p.Header.Get("Content-Type"), p, w)
		}
	case mt == "text/plain" || mt == "text/html":
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(b), "\r\n", "\n")
		if mt == "text/plain" {
			w.text = s
		} else {
			w.html = s
		}
	}
}

func headerKeys(h mail.Header) []string {
	var keys []string
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// tags returns the markup of an HTML document, each "<...>" whole: text
// from a name, escaped by html/template, holds no '<' or '>'.
func tags(html string) []string {
	var out []string
	for {
		i := strings.IndexByte(html, '<')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(html[i:], '>')
		if j < 0 {
			return append(out, html[i:])
		}
		out = append(out, html[i:i+j+1])
		html = html[i+j+1:]
	}
}

// checkWire compares the message rendered for a hostile name with the one
// rendered for a harmless name and returns what is wrong, or "".
func checkWire(base, got wire) string {
	var dec mime.WordDecoder
	again, _ := dec.DecodeHeader(got.subject)
	oneLine := func(s string) bool { return !strings.ContainsFunc(strings.ReplaceAll(s, "\n", ""), unsafeRune) }
	switch {
	case strings.Join(headerKeys(got.header), ",") != strings.Join(headerKeys(base.header), ","):
		return "header fields differ: " + strings.Join(headerKeys(got.header), ",")
	case strings.ContainsFunc(got.subject, unsafeRune):
		return "decoded Subject holds a control, format or bidi character"
	case strings.Contains(got.subject, "=?") || again != got.subject:
		return "decoded Subject holds an encoded-word"
	case utf8.RuneCountInString(got.subject) > utf8.RuneCountInString(base.subject)-1+MaxSubjectName:
		return "Subject longer than the name cap allows"
	case linkable(got.subject) != "":
		return "Subject holds a link: " + linkable(got.subject)
	case strings.Join(got.addrs, "|") != strings.Join(base.addrs, "|"):
		return "From or To changed"
	case strings.ContainsFunc(strings.Join(got.addrs, ""), unsafeRune):
		return "From or To holds a control, format or bidi character"
	case got.text == "" || got.html == "":
		return "a body is missing"
	case !oneLine(got.text) || !oneLine(got.html):
		return "a body holds a control, format or bidi character"
	case strings.Count(got.text, "\n") != strings.Count(base.text, "\n"):
		return "the text body has a forged line"
	case strings.Contains(got.text, "=?") || strings.Contains(got.html, "=?"):
		return "a body holds an encoded-word"
	case linkable(got.text) != "" || linkable(got.html) != "":
		return "a body holds a link: " + linkable(got.text) + linkable(got.html)
	case strings.Join(tags(got.html), "") != strings.Join(tags(base.html), ""):
		return "the HTML body holds markup from the name"
	}
	for _, tag := range tags(got.html) {
		if t := strings.ToLower(tag); strings.HasPrefix(t, "<a ") || strings.HasPrefix(t, "<a>") || strings.Contains(t, "href") {
			return "the HTML body holds a link"
		}
	}
	return ""
}

// TestHostileNamesOnTheWire renders every notice with every hostile name,
// writes it as the SMTP and Outbox adapters do, parses it back with
// net/mail and mime.WordDecoder and checks what a mail client would show.
func TestHostileNamesOnTheWire(t *testing.T) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, hr := range hostileRenders() {
		t.Run(hr.name, func(t *testing.T) {
			bm, err := hr.render(c, "x")
			if err != nil {
				t.Fatal(err)
			}
			base := readWire(t, bm)
			for _, name := range hostileNames {
				m, err := hr.render(c, name)
				if err != nil {
					t.Errorf("%q: %v", name, err)
					continue
				}
				if why := checkWire(base, readWire(t, m)); why != "" {
					w := readWire(t, m)
					t.Errorf("name %q: %s\nSubject: %q\n%s", name, why, w.subject, w.text)
				}
			}
		})
	}
}

// TestHostileWireProperty: for all names built from hostile fragments, every
// notice reads back from the wire as harmlessly as a plain name.
func TestHostileWireProperty(t *testing.T) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	renders := hostileRenders()
	bases := make([]wire, len(renders))
	for i, hr := range renders {
		m, err := hr.render(c, "x")
		if err != nil {
			t.Fatal(err)
		}
		bases[i] = readWire(t, m)
	}
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 200
	properties := gopter.NewProperties(params)
	names := gen.SliceOf(gen.OneConstOf("=?", "?=", "UTF-8?B?", "4oCu", "Q?", "=0D=0A", "https://", "www.", "evil",
		".", "example", "\u202e", "\u200b", "\u00ad", "\U000E0041", "\ufeff", "\r\n", "\x00", "<a href=", "\"",
		" ", "é", "\xff")).Map(func(p []string) string { return "n" + strings.Join(p, "") })
	properties.Property("hostile names read back harmlessly", prop.ForAll(
		func(name string, i int) bool {
			m, err := renders[i].render(c, name)
			if err != nil {
				t.Logf("%s %q: %v", renders[i].name, name, err)
				return false
			}
			if why := checkWire(bases[i], readWire(t, m)); why != "" {
				t.Logf("%s %q: %s", renders[i].name, name, why)
				return false
			}
			return true
		},
		names, gen.IntRange(0, len(renders)-1),
	))
	properties.TestingRun(t)
}

// TestSubjectNameCap: a long name is cut in the subject to MaxSubjectName
// characters ending in "…", and to MaxName in the body.
func TestSubjectNameCap(t *testing.T) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("Scanner ", 40)
	m, err := c.PasscodeReset(PasscodeReset{To: []string{"a@example.com"}, DeviceName: long, NewPasscode: NewSecret("1234")})
	if err != nil {
		t.Fatal(err)
	}
	wantSubject := "Passcode reset for " + sanitize(long, MaxSubjectName)
	if m.Subject != wantSubject || !strings.HasSuffix(m.Subject, "…") {
		t.Errorf("Subject = %q, want %q", m.Subject, wantSubject)
	}
	if body := sanitize(long, MaxName); !strings.Contains(m.Text.Reveal(), body) || utf8.RuneCountInString(body) != MaxName {
		t.Errorf("text lacks the %d-character name %q:\n%s", MaxName, body, m.Text)
	}
}

// TestValidateRefusesHiddenHeaders: a Message a host builds itself cannot
// carry what the catalog keeps out of headers either.
func TestValidateRefusesHiddenHeaders(t *testing.T) {
	ok := Message{To: []string{"a@example.com"}, Subject: "Hello", Text: NewSecret("x")}
	cases := []struct {
		name   string
		change func(*Message)
		field  string
	}{
		{"subject encoded-word", func(m *Message) { m.Subject = "=?UTF-8?B?4oCuZXhlLnBkZg==?=" }, "Subject"},
		{"subject zero-width", func(m *Message) { m.Subject = "Hel\u200Blo" }, "Subject"},
		{"subject soft hyphen", func(m *Message) { m.Subject = "Hel\u00ADlo" }, "Subject"},
		{"subject tag character", func(m *Message) { m.Subject = "Hello\U000E0041" }, "Subject"},
		{"subject line separator", func(m *Message) { m.Subject = "Hello\u2028Bcc: x" }, "Subject"},
		{"to zero-width decoded", func(m *Message) { m.To = []string{"=?UTF-8?B?SmFu4oCL?= <a@example.com>"} }, "To[0]"},
		{"to soft hyphen raw", func(m *Message) { m.To = []string{"Ja\u00ADn <a@example.com>"} }, "To[0]"},
		{"from BOM decoded", func(m *Message) { m.From = "=?UTF-8?Q?=EF=BB=BFMDM?= <mdm@example.com>" }, "From"},
	}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		m := ok
		tc.change(&m)
		var fe *FieldError
		if err := m.Validate(); !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%s: Validate = %v, want a *FieldError for %s matching ErrInvalidMessage", tc.name, err, tc.field)
		}
	}
}
