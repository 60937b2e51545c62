package main

import (
	"html/template"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
)

// funcs are the template helpers: naming and formatting only.
func funcs(a *app) template.FuncMap {
	return template.FuncMap{
		"escrowCard": a.escrowCardFunc, // escrow.go
		"modeName": func(m servicepass.Mode) string {
			if m == servicepass.COPE {
				return "COPE"
			}
			return "Device Owner"
		},
		"platformName":  platformName,
		"resetOutcome":  resetOutcome,
		"resultOutcome": resultOutcome,
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

// platformName names a passcode platform for people.
func platformName(p passcode.Platform) string {
	switch p {
	case passcode.AndroidDeviceOwner:
		return "Android, managed as device owner"
	case passcode.AndroidDeviceAdmin:
		return "Android, legacy device administrator"
	case passcode.AndroidEnterpriseFullyManaged:
		return "Android Enterprise, fully managed"
	case passcode.AndroidEnterpriseWorkProfile:
		return "Android Enterprise, work profile"
	case passcode.IOS:
		return "iOS"
	case passcode.IPadOS:
		return "iPadOS"
	case passcode.MacOS:
		return "macOS"
	case passcode.WindowsPhone81:
		return "Windows Phone 8.1"
	case passcode.Windows:
		return "Windows"
	}
	return "unknown platform"
}
