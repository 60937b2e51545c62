package notify

import (
	"bytes"
	htemplate "html/template"
	"testing"
	ttemplate "text/template"
)

// BenchmarkRender renders each notice through the catalog: validation,
// language negotiation, translation, both templates and the message check.
func BenchmarkRender(b *testing.B) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"service_password", "passcode_reset_new", "company_passcode_alert", "one_time_pin"} {
		render := renderers("pl")[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := render(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderFloor is the floor the catalog is measured against:
// executing the same two parsed templates on an already-built view, with no
// validation, negotiation, cleaning or message check. The difference is
// what the catalog adds around text/template and html/template.
func BenchmarkRenderFloor(b *testing.B) {
	c, err := NewCatalog(CatalogConfig{})
	if err != nil {
		b.Fatal(err)
	}
	v := c.begin("pl")
	v.args["user"] = "jkowalski"
	v.Rows = []row{{Label: "Ważne do:", Value: "2026-11-24 10:00 CET"}}
	v.CodeLabel, v.Code, v.Subject = "Jednorazowy PIN", "03917254", "Twój jednorazowy PIN"
	var t *ttemplate.Template = c.text[kindOneTimePIN]
	var h *htemplate.Template = c.html[kindOneTimePIN]
	b.Run("one_time_pin", func(b *testing.B) {
		b.ReportAllocs()
		var tb, hb bytes.Buffer
		for b.Loop() {
			tb.Reset()
			hb.Reset()
			if err := t.ExecuteTemplate(&tb, "layout", v); err != nil {
				b.Fatal(err)
			}
			if err := h.ExecuteTemplate(&hb, "layout", v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkNegotiate measures language negotiation of a typical
// Accept-Language header.
func BenchmarkNegotiate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Negotiate("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5")
	}
}
