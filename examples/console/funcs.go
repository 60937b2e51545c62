package main

import (
	"html/template"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/mdmcred/mdmcred/servicepass"
)

// funcs are the template helpers: naming and formatting only.
func funcs(a *app) template.FuncMap {
	return template.FuncMap{
		"modeName": func(m servicepass.Mode) string {
			if m == servicepass.COPE {
				return "COPE"
			}
			return "Device Owner"
		},
		"langName": func(tag string) string {
			t := language.Make(tag)
			return display.Self.Name(t) + " (" + tag + ")"
		},
		"at": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(a.zone).Format("2006-01-02 15:04 MST")
		},
		"rfc3339":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"duration": humanDuration,
	}
}
