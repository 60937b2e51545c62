package apple_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/passcode"
)

// Lock a Mac with a PIN: queue the template, fill the PIN only when the MDM
// server delivers the command.
func Example() {
	mac := apple.Device{Platform: passcode.MacOS, OSVersion: "14.4", AppleSilicon: true}
	lock, err := apple.NewDeviceLock("5C1E2A7B-0D3F-4B9A-8E6C-1F2A3B4C5D6E", apple.Lock{Message: "Call IT", PIN: true})
	if err != nil {
		panic(err)
	}
	if _, err := apple.Check(mac, lock, time.Now()); err != nil {
		panic(err)
	}
	fmt.Println("queued template waits for:", lock.Fills)
	fmt.Println("template holds a PIN:", strings.Contains(string(lock.Template), "042917"))

	// At delivery, with the PIN from the escrow:
	sent, err := apple.Fill(lock.Template, apple.Secrets{PIN: apple.NewSecret("042917")})
	if err != nil {
		panic(err)
	}
	fmt.Println("sent command holds the PIN:", strings.Contains(string(sent), "<key>PIN</key>\n<string>042917</string>"))
	// Output:
	// queued template waits for: PIN
	// template holds a PIN: false
	// sent command holds the PIN: true
}

// Read a device's answer and move the passcode reset it answers.
func ExampleParseResult() {
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>CommandUUID</key><string>9A1B</string>
<key>Status</key><string>Error</string>
<key>UDID</key><string>00008030-001A</string>
<key>ErrorChain</key><array><dict>
<key>ErrorCode</key><integer>12067</integer>
<key>ErrorDomain</key><string>MCMDMErrorDomain</string>
<key>LocalizedDescription</key><string>The device is not in Lost Mode.</string>
</dict></array>
</dict></plist>`)
	r, err := apple.ParseResult(body)
	if err != nil {
		panic(err)
	}
	o := r.Outcome()
	fmt.Println(o.Kind, o.ErrorChain[0].ErrorCode, o.LostMode == apple.NotInLostMode)
	moves, _ := apple.Moves(passcode.Pending, o)
	fmt.Println(moves)
	// Output:
	// failed 12067 true
	// [failed]
}

// Capability checks say why a command cannot run.
func ExampleCheck() {
	ipad := apple.Device{Platform: passcode.IPadOS, OSVersion: "17.0", Supervised: false}
	lost, _ := apple.NewEnableLostMode("8F2C", apple.LostMode{Message: "Please return to IT", PhoneNumber: "+1 555 0100"})
	_, err := apple.Check(ipad, lost, time.Now())
	fmt.Println(err)

	iphone := apple.Device{Platform: passcode.IOS, OSVersion: "17.4", UnlockTokenAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	clear, _ := apple.NewClearPasscode("1D3E")
	c, _ := apple.Check(iphone, clear, time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC))
	fmt.Println("unlock token age:", c.UnlockTokenAge)
	// Output:
	// apple: EnableLostMode unsupported: Lost Mode needs a supervised device
	// unlock token age: 720h0m0s
}

// SetAutoAdminPassword carries a salted PBKDF2 hash, never the password.
func ExampleHashAdminPassword() {
	h, err := apple.HashAdminPassword(apple.NewSecret("correct horse battery"), apple.MinIterations, nil)
	if err != nil {
		panic(err)
	}
	c, err := apple.NewSetAutoAdminPassword("2B7D", "A1B2C3D4-0000-1111-2222-333344445555", h)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(h.Entropy), len(h.Salt), c.Fills, strings.Contains(string(c.Template), "correct horse"))
	// Output: 128 32 none false
}

// A host drives the passcode lifecycle with Apply.
func ExampleApply() {
	svc, _ := passcode.New(passcode.Config{
		Store:     passcode.NewMemStore(),
		SealKeys:  passcode.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), // a real 32-byte key in production
		SealKeyID: 1,
	})
	ctx := context.Background()
	res, _ := svc.Request(ctx, passcode.ResetRequest{
		Device: passcode.Device{ID: "iphone-7", Platform: passcode.IOS, UnlockTokenEscrowed: true}, Actor: "admin@example.com"})
	_, _ = svc.Transition(ctx, res.Reset.ID, passcode.Pending, "nanomdm") // queued
	r, _ := apple.Apply(ctx, svc, res.Reset.ID, "nanomdm", apple.Outcome{Kind: apple.StillPending})
	fmt.Println(r.State)
	r, _ = apple.Apply(ctx, svc, res.Reset.ID, "nanomdm", apple.Outcome{Kind: apple.Succeeded})
	fmt.Println(r.State)
	// Output:
	// pending
	// succeeded
}
