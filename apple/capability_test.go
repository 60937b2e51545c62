package apple_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/passcode"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func cmd(t testing.TB, build func(string) (apple.Command, error)) apple.Command {
	c, err := build("C")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheck(t *testing.T) {
	clear := cmd(t, apple.NewClearPasscode)
	lockPIN := cmd(t, func(u string) (apple.Command, error) { return apple.NewDeviceLock(u, apple.Lock{PIN: true}) })
	lock := cmd(t, func(u string) (apple.Command, error) { return apple.NewDeviceLock(u, apple.Lock{Message: "m"}) })
	lost := cmd(t, func(u string) (apple.Command, error) { return apple.NewEnableLostMode(u, apple.LostMode{Message: "m"}) })
	found := cmd(t, apple.NewDisableLostMode)
	recovery := cmd(t, func(u string) (apple.Command, error) { return apple.NewSetRecoveryLock(u, apple.RecoveryLock{}) })
	h, _ := apple.ShadowHashWithSalt(apple.NewSecret("x"), make([]byte, apple.SaltSize), apple.MinIterations)
	admin := cmd(t, func(u string) (apple.Command, error) { return apple.NewSetAutoAdminPassword(u, "G", h) })

	iphone := apple.Device{Platform: passcode.IOS, OSVersion: "17.4", Supervised: true, UnlockTokenAt: now.Add(-30 * 24 * time.Hour)}
	ipad := apple.Device{Platform: passcode.IPadOS, OSVersion: "16.0"}
	mac := apple.Device{Platform: passcode.MacOS, OSVersion: "14.2.1", AppleSilicon: true, AutomatedEnrollment: true}
	intel := apple.Device{Platform: passcode.MacOS, OSVersion: "13.0"}
	oldM1 := apple.Device{Platform: passcode.MacOS, OSVersion: "11.4", AppleSilicon: true}
	m1115 := apple.Device{Platform: passcode.MacOS, OSVersion: "11.5", AppleSilicon: true}
	with := func(d apple.Device, f func(*apple.Device)) apple.Device { f(&d); return d }

	tests := []struct {
		name   string
		d      apple.Device
		c      apple.Command
		reason string // "" when supported
	}{
		{"iPhone clear", iphone, clear, ""},
		{"iPad clear without token", ipad, clear, "no UnlockToken"},
		{"Mac clear", mac, clear, "iOS and iPadOS"},
		{"Mac lock PIN", mac, lockPIN, ""},
		{"Intel Mac lock PIN", intel, lockPIN, ""},
		{"iPhone lock PIN", iphone, lockPIN, "macOS only"},
		{"iPhone lock", iphone, lock, ""},
		{"Apple silicon 11.4 lock", oldM1, lockPIN, "deactivates"},
		{"Apple silicon 11.4 lock, no PIN", oldM1, lock, "deactivates"},
		{"Apple silicon 11.5 lock", m1115, lockPIN, ""},
		{"supervised Lost Mode", iphone, lost, ""},
		{"supervised Lost Mode off", iphone, found, ""},
		{"unsupervised Lost Mode", ipad, lost, "supervised"},
		{"unsupervised Lost Mode off", ipad, found, "supervised"},
		{"Lost Mode iOS 9.2", with(iphone, func(d *apple.Device) { d.OSVersion = "9.2" }), lost, "9.3"},
		{"Lost Mode iOS 9.3", with(iphone, func(d *apple.Device) { d.OSVersion = "9.3" }), lost, ""},
		{"Lost Mode on Mac", mac, lost, "iOS and iPadOS"},
		{"Recovery Lock Apple silicon 14", mac, recovery, ""},
		{"Recovery Lock 11.5", m1115, recovery, ""},
		{"Recovery Lock 11.4", oldM1, recovery, "11.5"},
		{"Recovery Lock Intel", intel, recovery, "Apple silicon"},
		{"Recovery Lock iPhone", iphone, recovery, "Apple silicon"},
		{"Recovery Lock unknown version", with(mac, func(d *apple.Device) { d.OSVersion = "" }), recovery, "unknown version"},
		{"Recovery Lock garbage version", with(mac, func(d *apple.Device) { d.OSVersion = "12.x" }), recovery, "11.5"},
		{"auto admin ADE", mac, admin, ""},
		{"auto admin not ADE", intel, admin, "Automated Device Enrollment"},
		{"auto admin iPhone", iphone, admin, "macOS only"},
		{"Android", apple.Device{Platform: passcode.AndroidDeviceOwner}, lock, "not an Apple device"},
		{"unknown request", mac, apple.Command{RequestType: "EraseDevice"}, "unknown request type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := apple.Check(tt.d, tt.c, now)
			if tt.reason == "" {
				if err != nil || c.RequestType != tt.c.RequestType {
					t.Fatalf("Check = %+v, %v", c, err)
				}
				return
			}
			var ue *apple.UnsupportedError
			if !errors.Is(err, apple.ErrUnsupported) || !errors.As(err, &ue) || !strings.Contains(ue.Reason, tt.reason) || ue.RequestType != tt.c.RequestType {
				t.Fatalf("Check = %v, want a refusal mentioning %q", err, tt.reason)
			}
		})
	}
	c, _ := apple.Check(iphone, clear, now)
	if c.UnlockTokenAge != 30*24*time.Hour {
		t.Errorf("token age %v", c.UnlockTokenAge)
	}
	c, _ = apple.Check(with(iphone, func(d *apple.Device) { d.UnlockTokenAt = now.Add(time.Hour) }), clear, now)
	if c.UnlockTokenAge != 0 {
		t.Errorf("token from the future: age %v", c.UnlockTokenAge)
	}
}

// For every device, ClearPasscode and a PIN lock are allowed exactly when
// the passcode platform matrix (passcode.Check) says the reset is a
// ClearPasscode or a LockPIN: the two matrices agree on the Apple rows.
func TestCheckAgreesWithPasscodeMatrix(t *testing.T) {
	clear := cmd(t, apple.NewClearPasscode)
	lockPIN := cmd(t, func(u string) (apple.Command, error) { return apple.NewDeviceLock(u, apple.Lock{PIN: true}) })
	props := gopter.NewProperties(nil)
	props.Property("apple.Check agrees with passcode.Check", prop.ForAll(
		func(p uint8, token, silicon bool, major int) bool {
			d := apple.Device{Platform: passcode.Platform(p), AppleSilicon: silicon, OSVersion: strconv.Itoa(major) + ".0"}
			if token {
				d.UnlockTokenAt = now
			}
			pc, perr := passcode.Check(passcode.Device{ID: "d", Platform: d.Platform, UnlockTokenEscrowed: token, AppleSilicon: silicon, OSVersion: d.OSVersion})
			_, cerr := apple.Check(d, clear, now)
			if (cerr == nil) != (perr == nil && pc.Action == passcode.ClearPasscode) {
				return false
			}
			_, lerr := apple.Check(d, lockPIN, now)
			return (lerr == nil) == (perr == nil && pc.Action == passcode.LockPIN)
		},
		gen.UInt8Range(0, 9), gen.Bool(), gen.Bool(), gen.IntRange(10, 15),
	))
	props.TestingRun(t)
}

// FuzzCheckVersion: no OS version string panics Check, and a refusal is
// always an *UnsupportedError.
func FuzzCheckVersion(f *testing.F) {
	for _, v := range []string{"", "11.5", "11.4.9", "9.3", "17", "1.2.3.4", "-1.0", "011.5", "99999.1", "11..5"} {
		f.Add(v, true)
	}
	recovery := cmd(f, func(u string) (apple.Command, error) { return apple.NewSetRecoveryLock(u, apple.RecoveryLock{}) })
	f.Fuzz(func(t *testing.T, v string, silicon bool) {
		_, err := apple.Check(apple.Device{Platform: passcode.MacOS, OSVersion: v, AppleSilicon: silicon}, recovery, now)
		if err != nil && !errors.Is(err, apple.ErrUnsupported) {
			t.Fatal(err)
		}
	})
}
