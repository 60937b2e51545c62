package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync"

	"github.com/micromdm/nanomdm/test"
	"github.com/micromdm/nanomdm/test/protocol"
	"github.com/micromdm/plist"
)

// simulatorDomain is the ErrorDomain of the errors the simulated devices
// make up themselves (as opposed to the Lost Mode codes, which the apple
// package reads by number).
const simulatorDomain = "demomdm.simulator"

// profile is what a simulated device is: its identity and the answers its
// hardware and enrollment make possible.
type profile struct {
	UDID       string
	Name       string
	Model      string // "iPhone", "iPad", "Mac"
	OSVersion  string
	Supervised bool
	// Escrows: the device sends an UnlockToken in its TokenUpdate.
	Escrows bool
}

// demoDevices are the devices the demo MDM enrolls: a supervised iPhone
// and an unsupervised iPad (both escrow an UnlockToken) and a Mac with
// Apple silicon. The console's demo inventory names the same UDIDs.
var demoDevices = []profile{
	{UDID: "DEMO-IPHONE-0001", Name: "Carla's iPhone", Model: "iPhone", OSVersion: "17.4", Supervised: true, Escrows: true},
	{UDID: "DEMO-IPAD-0001", Name: "Front desk iPad", Model: "iPad", OSVersion: "17.2", Escrows: true},
	{UDID: "DEMO-MAC-0001", Name: "Design MacBook Pro", Model: "Mac", OSVersion: "14.4"},
}

// device is a simulated Apple device: it signs its messages with its own
// identity certificate (the Mdm-Signature header, through nanomdm's test
// transport), enrolls, and on every push polls the server and answers each
// command as its model would. It never keeps a secret it was sent beyond
// the check of the one command.
type device struct {
	profile
	token []byte // the UnlockToken it escrowed (nil: none)
	tr    *protocol.Transport
	push  chan struct{}
	log   *slog.Logger

	mu       sync.Mutex
	lostMode bool
}

func newDevice(p profile, mdmURL string, client *http.Client, token []byte, log *slog.Logger) (*device, error) {
	key, cert, err := test.SimpleSelfSignedRSAKeypair(p.UDID, 2)
	if err != nil {
		return nil, err
	}
	d := &device{profile: p, token: token, push: make(chan struct{}, 1), log: log.With("device", p.UDID)}
	d.tr = protocol.NewTransport(
		protocol.WithSignMessage(),
		protocol.WithIdentityProvider(func(context.Context) (*x509.Certificate, crypto.PrivateKey, error) { return cert, key, nil }),
		protocol.WithMDMURLs(mdmURL, ""),
		protocol.WithClient(client),
	)
	return d, nil
}

// enroll sends Authenticate and TokenUpdate (with the UnlockToken, if the
// device escrows one).
func (d *device) enroll(ctx context.Context) error {
	if err := d.checkin(ctx, map[string]any{"MessageType": "Authenticate", "UDID": d.UDID, "Topic": "com.apple.mgmt.demo",
		"SerialNumber": "SN" + d.UDID, "ProductName": d.Model, "OSVersion": d.OSVersion}); err != nil {
		return err
	}
	tu := map[string]any{"MessageType": "TokenUpdate", "UDID": d.UDID, "Topic": "com.apple.mgmt.demo",
		"Token": []byte("push-token-" + d.UDID), "PushMagic": "magic-" + d.UDID}
	if d.token != nil {
		tu["UnlockToken"] = d.token
	}
	return d.checkin(ctx, tu)
}

func (d *device) checkin(ctx context.Context, msg map[string]any) error {
	body, err := plist.Marshal(msg)
	if err != nil {
		return err
	}
	resp, err := d.tr.DoCheckIn(ctx, bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s check-in: HTTP %d", msg["MessageType"], resp.StatusCode)
	}
	return nil
}

// command is a command as the device decodes it.
type command struct {
	CommandUUID string
	Command     map[string]any
}

// report sends a result (Idle for none) and returns the next command, or
// nil when the queue is empty.
func (d *device) report(ctx context.Context, msg map[string]any) (*command, error) {
	msg["UDID"] = d.UDID
	body, err := plist.Marshal(msg)
	if err != nil {
		return nil, err
	}
	resp, err := d.tr.DoReportResultsAndFetchNext(ctx, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("report %s: HTTP %d", msg["Status"], resp.StatusCode)
	}
	if len(raw) == 0 {
		return nil, nil
	}
	var c command
	if err := plist.Unmarshal(raw, &c); err != nil {
		return nil, errors.New("the device cannot read the command")
	}
	return &c, nil
}

// run answers pushes until ctx ends.
func (d *device) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.push:
			if err := d.drain(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("poll failed", "err", err)
			}
		}
	}
}

// wake is an APNs push: the device polls soon.
func (d *device) wake() {
	select {
	case d.push <- struct{}{}:
	default: // a poll is already due
	}
}

// drain polls and answers commands until the server has none.
func (d *device) drain(ctx context.Context) error {
	c, err := d.report(ctx, map[string]any{"Status": "Idle"})
	for c != nil && err == nil {
		msg := d.answer(c)
		msg["CommandUUID"] = c.CommandUUID
		c, err = d.report(ctx, msg)
	}
	return err
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// answer is what the device reports for c.
func (d *device) answer(c *command) map[string]any {
	rt, _ := c.Command["RequestType"].(string)
	d.log.Info("command received", "command", c.CommandUUID, "request_type", rt)
	mobile := d.Model == "iPhone" || d.Model == "iPad"
	d.mu.Lock()
	defer d.mu.Unlock()
	switch rt {
	case "ClearPasscode":
		tok, _ := c.Command["UnlockToken"].([]byte)
		switch {
		case !mobile:
			return failure(simulatorDomain, 1, "ClearPasscode is not supported on this device.")
		case d.token == nil || !bytes.Equal(tok, d.token):
			return failure(simulatorDomain, 2, "The unlock token does not match this device.")
		}
		return ack(nil)
	case "DeviceLock":
		pin, hasPIN := c.Command["PIN"].(string)
		switch {
		case hasPIN && mobile:
			return failure(simulatorDomain, 3, "A lock PIN is not supported on this device.")
		case !mobile && !sixDigits.MatchString(pin):
			return failure(simulatorDomain, 4, "The lock PIN must be 6 digits.")
		}
		if _, ok := c.Command["Message"]; ok {
			return ack(map[string]any{"MessageResult": "Success"})
		}
		return ack(nil)
	case "EnableLostMode":
		if !mobile || !d.Supervised {
			return failure("MCMDMErrorDomain", 12069, "Lost Mode is available on supervised devices only.")
		}
		d.lostMode = true
		return ack(nil)
	case "DisableLostMode":
		if !d.lostMode {
			return failure("MCMDMErrorDomain", 12067, "The device is not in Lost Mode.")
		}
		d.lostMode = false
		return ack(nil)
	}
	return map[string]any{"Status": "CommandFormatError"}
}

func ack(extra map[string]any) map[string]any {
	m := map[string]any{"Status": "Acknowledged"}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func failure(domain string, code int, desc string) map[string]any {
	return map[string]any{"Status": "Error", "ErrorChain": []any{map[string]any{
		"ErrorCode": code, "ErrorDomain": domain, "LocalizedDescription": desc, "USEnglishDescription": desc}}}
}
