package main

import (
	"errors"
	"net/http"
	"strings"
)

// errorView is an error page: what went wrong, and a link back to the
// start of the area the visitor was in.
type errorView struct {
	Heading, Message string
	Back, BackText   string
}

func (v errorView) title() string { return v.Heading }

// errorPage answers with an HTML page of the console saying what went
// wrong and linking back (never the plain text of http.Error).
func (a *app) errorPage(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	v := errorView{Heading: heading, Message: message, Back: "/admin/", BackText: "Back to the console"}
	switch {
	case strings.HasPrefix(r.URL.Path, "/portal"):
		v.Back, v.BackText = "/portal/", "Back to the user portal"
	case strings.HasPrefix(r.URL.Path, "/device"):
		v.Back, v.BackText = "/device/", "Back to the device simulator"
	}
	t, ok := a.pages["error.html"]
	if !ok {
		http.Error(w, message, status)
		return
	}
	var s *session
	switch v.Back {
	case "/portal/":
		s = a.portal.get(r)
	case "/device/":
		s = a.device.get(r)
	default:
		s = a.admin.get(r)
	}
	vw := view{Data: v, Title: v.Heading, Area: strings.Trim(v.Back, "/")}
	if s != nil {
		vw.CSRF, vw.User = s.CSRF, s.User
	}
	var buf strings.Builder
	if err := t.Execute(&buf, vw); err != nil {
		a.log.Error("rendering an error page", "err", err)
		http.Error(w, message, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}

// formError answers a request body that could not be read: too large
// (a photo over maxForm), or not a form.
func (a *app) formError(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		a.errorPage(w, r, http.StatusRequestEntityTooLarge, "Too large",
			"That upload is larger than 8 MiB, the most this console accepts. Take the photo again at a lower resolution or crop it to the QR code, or type the code.")
		return
	}
	a.errorPage(w, r, http.StatusBadRequest, "Unreadable form", "The form could not be read. Go back, reload the page and try again.")
}
