package main

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/mdmcred/mdmcred/qr"
)

// readQR takes any bytes without panicking, and reads back what qr wrote.
func FuzzReadQR(f *testing.F) {
	png, err := qr.PNG("20830-7C50M-8V0B8-TPMW9-CWN9*", qr.Options{})
	if err != nil {
		f.Fatal(err)
	}
	if got, err := readQR(bytes.NewReader(png)); err != nil || got != "20830-7C50M-8V0B8-TPMW9-CWN9*" {
		f.Fatalf("seed: %q %v", got, err)
	}
	f.Add(png)
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte{0xff, 0xd8, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = readQR(bytes.NewReader(b))
	})
}

// The Service password panel answers any form with the dialog or with
// errors beside fields, never with a server error.
func FuzzServicePasswordForm(f *testing.F) {
	for _, s := range []struct{ device, actions, expires, email, lang string }{
		{"dev-do-1", "Unlock", "", "", "en"},
		{"dev-cope-1", "SetPassword", "2026-11-24", "", "de"},
		{"dev-cope-1", "SetPassword", "2026-11-24T10:00", "", ""},
		{"dev-do-1", "Unlock|DisableKiosk", "2026-12-24T10:00", "a@b.example", "pt-BR"},
		{"dev-do-1", "none", "2026-02-30", "a\r\nb", "x-\u202e"},
	} {
		f.Add(s.device, s.actions, s.expires, s.email, s.lang, true, true)
	}
	c := newConsole(f)
	c.signInAdmin()
	token := c.csrf("/admin/")
	f.Fuzz(func(t *testing.T, device, actions, expires, email, lang string, wantQR, send bool) {
		form := url.Values{"expires": {expires}, "email": {email}, "lang": {lang}}
		for _, a := range strings.Split(actions, ",") {
			form.Add("action", a)
		}
		if wantQR {
			form.Set("qr", "on")
		}
		if send {
			form.Set("send_email", "on")
		}
		form.Set("csrf", token)
		resp, err := c.client.PostForm(c.srv.URL+"/admin/devices/"+url.PathEscape(device)+"/servicepass", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%v: status %d", form, resp.StatusCode)
		}
	})
}
