package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/servicepass"
)

func hostileNotice(name string) ServicePassword {
	return ServicePassword{
		To: []string{"tech@example.com"}, Language: "en", DeviceName: name,
		Issued: servicepass.Issued{
			DeviceID: name, Actions: servicepass.Unlock, ExpiresAt: fixedExpiry, Location: time.UTC,
			Display: NewSecret("7KQ4-M2XP-9HVR-TD3C-W"), QRPNG: NewSecretBytes(testPNG()),
		},
	}
}

// TestHostileDeviceName renders device names built to break out of the
// HTML, forge mail headers or body lines, or read backwards.
func TestHostileDeviceName(t *testing.T) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		device     string
		notInHTML  []string
		wantInHTML string
	}{
		{"script tag", `<script>alert(1)</script>`, []string{"<script"}, "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"attribute break-out", `" onerror="alert(1)`, []string{`" onerror="`}, "&#34; onerror=&#34;alert(1)"},
		{"img tag", `<img src=x onerror=alert(1)>`, []string{"<img src=x"}, "&lt;img src=x onerror=alert(1)&gt;"},
		{"comment", `--><!-- `, []string{"--><!--"}, "--&gt;&lt;!--"},
		{"entity", `&amp;lt;`, []string{"&amp;lt;<"}, "&amp;amp;lt;"},
		{"header injection", "Pixel\r\nBcc: evil@example.com", []string{"\r\nBcc"}, "Pixel Bcc: evil@example[.]com"},
		{"bidi override", "scanner\u202Egnp.exe", []string{"\u202E"}, "scannergnp[.]exe"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := c.ServicePassword(hostileNotice(tc.device))
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range tc.notInHTML {
				if strings.Contains(m.HTML.Reveal(), bad) {
					t.Errorf("HTML contains %q:\n%s", bad, m.HTML)
				}
			}
			if !strings.Contains(m.HTML.Reveal(), tc.wantInHTML) {
				t.Errorf("HTML lacks the escaped name %q:\n%s", tc.wantInHTML, m.HTML)
			}
			if strings.ContainsFunc(m.Subject, hidden) {
				t.Errorf("subject %q holds a control character", m.Subject)
			}
			if strings.Contains(m.Text.Reveal(), "\nBcc:") || strings.ContainsRune(m.Text.Reveal(), '\r') {
				t.Errorf("text has a forged line:\n%s", m.Text)
			}
			if err := m.Validate(); err != nil {
				t.Errorf("rendered message invalid: %v", err)
			}
		})
	}
}

// TestHostileNameProperty: for all device names, the HTML has exactly the
// markup of a harmless name (every '<', '>' and '"' of the name escaped),
// the subject stays one line, and the text keeps its line count.
func TestHostileNameProperty(t *testing.T) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	base, err := c.ServicePassword(hostileNotice("x"))
	if err != nil {
		t.Fatal(err)
	}
	markup := func(s string) [3]int {
		return [3]int{strings.Count(s, "<"), strings.Count(s, ">"), strings.Count(s, `"`)}
	}
	lines := strings.Count(base.Text.Reveal(), "\n")
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 300
	properties := gopter.NewProperties(params)
	nameGen := gen.OneGenOf(
		gen.AnyString(),
		gen.SliceOf(gen.OneConstOf("<", ">", `"`, "'", "&", "\r\n", "\u202e", "script", "x", " ", "{device}", "\x00")).
			Map(func(p []string) string { return strings.Join(p, "") }),
	)
	properties.Property("hostile names render harmlessly", prop.ForAll(
		func(name string) bool {
			if sanitize(name, MaxName) == "" {
				return true // nothing left to name the device: rejected, checked elsewhere
			}
			m, err := c.ServicePassword(hostileNotice(name))
			if err != nil {
				return false
			}
			return markup(m.HTML.Reveal()) == markup(base.HTML.Reveal()) &&
				!strings.ContainsFunc(m.Subject, hidden) &&
				strings.Count(m.Text.Reveal(), "\n") == lines &&
				m.Validate() == nil
		},
		nameGen,
	))
	properties.TestingRun(t)
}

// TestSubjectNeverHoldsTheCredential: subjects end up in logs, mail lists
// and notifications; the credential belongs in the body only.
func TestSubjectNeverHoldsTheCredential(t *testing.T) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"7KQ4-M2XP-9HVR-TD3C-W", "4D8F-2JMQ-6RST-VW1A-B", "482915", "03917254"}
	for _, tag := range supported {
		for name, render := range renderers(tag.String()) {
			m, err := render(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				if strings.Contains(m.Subject, s) {
					t.Errorf("%s %s: subject holds the credential", tag, name)
				}
			}
		}
	}
}

// FuzzRenderDeviceName: no device name, site or user makes rendering panic,
// and every notice rendered with it reads back from the wire (net/mail,
// mime.WordDecoder) as harmlessly as a plain name: see checkWire.
func FuzzRenderDeviceName(f *testing.F) {
	for _, s := range []string{"", "x", "<script>alert(1)</script>", "a\r\nBcc: b@c", "\u202e", "\xff\xfe", "{device}", strings.Repeat("é", 300)} {
		f.Add(s)
	}
	for _, s := range hostileNames {
		f.Add(s)
	}
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		f.Fatal(err)
	}
	renders := hostileRenders()
	bases := make([]wire, len(renders))
	for i, hr := range renders {
		m, err := hr.render(c, "x")
		if err != nil {
			f.Fatal(err)
		}
		bases[i] = readWire(f, m)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for i, hr := range renders {
			m, err := hr.render(c, name)
			if sanitize(name, MaxName) == "" {
				// Nothing left to show: refused, or the notice shows
				// its other names only (no panic is all to check).
				continue
			}
			if err != nil {
				t.Fatalf("%s: render failed for a usable name: %v", hr.name, err)
			}
			if why := checkWire(bases[i], readWire(t, m)); why != "" {
				t.Fatalf("%s %q: %s", hr.name, name, why)
			}
		}
	})
}
