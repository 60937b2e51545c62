package notify

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"sync"
	"time"
	_ "time/tzdata" // the fixtures need Europe/Warsaw on any machine

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/servicepass"
)

// fixedExpiry is 10:00 CET in Europe/Warsaw on a winter day.
var fixedExpiry = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// warsaw and testPNG are computed once, so benchmarks measure rendering
// rather than the fixtures.
var warsaw = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Warsaw")
	if err != nil {
		// time/tzdata is linked into the test binary: this cannot happen.
		panic(err)
	}
	return loc
})

// testPNG is a small two-colour PNG standing in for a QR symbol.
var testPNG = sync.OnceValue(func() []byte {
	img := image.NewGray(image.Rect(0, 0, 29, 29))
	for y := 0; y < 29; y++ {
		for x := 0; x < 29; x++ {
			if (x*7+y*3)%5 == 0 {
				img.SetGray(x, y, color.Gray{})
			} else {
				img.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
})

// renderers returns one render call per notice variant, in lang.
func renderers(lang string) map[string]func(*Catalog) (Message, error) {
	to := []string{"Jan Kowalski <jan@example.com>"}
	return map[string]func(*Catalog) (Message, error){
		"service_password": func(c *Catalog) (Message, error) {
			return c.ServicePassword(ServicePassword{
				To: to, Language: lang, DeviceName: "Warehouse scanner 7",
				Issued: servicepass.Issued{
					DeviceID: "R58N91XYZ", Mode: servicepass.DeviceOwner,
					Actions:   servicepass.DisableKiosk | servicepass.Unlock | servicepass.RemoveNetworkRestrictions,
					ExpiresAt: fixedExpiry, Location: warsaw(), Window: time.Hour,
					Display: NewSecret("7KQ4-M2XP-9HVR-TD3C-W"), QRPNG: NewSecretBytes(testPNG()),
				},
			})
		},
		"service_password_cope": func(c *Catalog) (Message, error) {
			return c.ServicePassword(ServicePassword{
				To: to, Language: lang, DeviceName: "Field tablet 12",
				Issued: servicepass.Issued{
					DeviceID: "R52T30ABC", Mode: servicepass.COPE,
					Actions:   servicepass.Unlock | servicepass.RemoveNetworkRestrictions,
					ExpiresAt: fixedExpiry, Location: warsaw(), Window: 30 * time.Minute,
					Display: NewSecret("9QWE-RT2Y-UP3A-SD4F-G"),
				},
			})
		},
		"service_password_day": func(c *Catalog) (Message, error) {
			return c.ServicePassword(ServicePassword{
				To: to, Language: lang,
				Issued: servicepass.Issued{
					DeviceID: "R58N91XYZ", Mode: servicepass.COPE, Actions: servicepass.SetPassword,
					ExpiresAt: fixedExpiry, DayValid: true, ExpiryDate: servicepass.Date{Year: 2026, Month: time.November, Day: 23},
					Location: warsaw(), Display: NewSecret("4D8F-2JMQ-6RST-VW1A-B"),
				},
			})
		},
		"passcode_reset_new": func(c *Catalog) (Message, error) {
			return c.PasscodeReset(PasscodeReset{
				To: to, Language: lang, TimeZone: warsaw(),
				DeviceName: "Pixel 8", DeviceID: "35-209900-176148-1",
				NewPasscode: NewSecret("482915"), ExpiresAt: fixedExpiry,
			})
		},
		"passcode_reset_cleared": func(c *Catalog) (Message, error) {
			return c.PasscodeReset(PasscodeReset{
				To: to, Language: lang, TimeZone: warsaw(),
				DeviceName: "iPad of Anna", Cleared: true, ExpiresAt: fixedExpiry,
			})
		},
		"company_passcode_alert": func(c *Catalog) (Message, error) {
			return c.CompanyPasscodeAlert(CompanyPasscodeAlert{
				To: []string{"admins@example.com"}, Language: lang, TimeZone: warsaw(),
				Site: "Kraków HQ", Attempts: 10, LastFailure: fixedExpiry.Add(-3 * time.Minute),
				LastSource: "203.0.113.7", Rule: enrollment.RuleSource,
			})
		},
		"one_time_pin": func(c *Catalog) (Message, error) {
			return c.OneTimePIN(OneTimePIN{
				To: to, Language: lang, TimeZone: warsaw(),
				User: "jkowalski", PIN: NewSecret("03917254"), ExpiresAt: fixedExpiry.Add(24 * time.Hour),
			})
		},
	}
}
