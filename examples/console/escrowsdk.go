package main

// The escrow part of the SDK wiring (sdk.go holds the rest): the escrowed
// device-administration secrets of the device card, and the simulated MDM
// channel that carries a new one to the device. As in sdk.go, every rule
// is the escrow package's; this file only calls it.

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"github.com/mdmcred/mdmcred/escrow"
)

// newEscrow builds the escrow Service over store, sealing under a key from
// the host's secret store (newKey, as for the other sealed values).
func newEscrow(store escrow.Store, cfg sdkConfig) (*escrow.Service, error) {
	return escrow.New(escrow.Config{
		Store:     store,
		SealKeys:  escrow.NewKeys(map[uint8][]byte{1: newKey()}),
		SealKeyID: 1,
		Now:       cfg.Now,
		Logger:    cfg.Logger,
	})
}

// kindInfo is how the console names a kind, and whether an admin can ask
// for a new secret of it.
type kindInfo struct {
	Label string
	// Rotatable: the console generates a new one on request. A lock PIN
	// comes with a lock, a bypass code stays with Apple, and stored kinds
	// are set by the device itself.
	Rotatable bool
}

// kinds are the built-in kinds' names for people, in the card's order.
var kinds = []struct {
	name string
	kindInfo
}{
	{escrow.KindDeviceLockPIN, kindInfo{"Lock PIN", false}},
	{escrow.KindRecoveryLock, kindInfo{"Recovery Lock password", true}},
	{escrow.KindAdminPassword, kindInfo{"Local admin password", true}},
	{escrow.KindActivationBypass, kindInfo{"Activation Lock bypass code", false}},
	{escrow.KindFileVaultKey, kindInfo{"FileVault recovery key", false}},
	{escrow.KindAgentPassword, kindInfo{"Agent-reported password", false}},
}

// kindOf returns the console's name for a kind; ok is false for a kind the
// console does not know.
func kindOf(name string) (kindInfo, bool) {
	for _, k := range kinds {
		if k.name == name {
			return k.kindInfo, true
		}
	}
	return kindInfo{Label: name}, false
}

// demoEscrow are the secrets the demo's Mac starts with, each generated,
// carried by a command and acknowledged by the simulated device, so that
// they are Active.
var demoEscrow = []struct{ device, kind string }{
	{"mac-1", escrow.KindDeviceLockPIN},
	{"mac-1", escrow.KindRecoveryLock},
}

// seedEscrow gives the demo devices their secrets, once: a device that
// already has a kind's secret (a restart on PostgreSQL) keeps it.
func (s *sdk) seedEscrow(ctx context.Context) error {
	for _, d := range demoEscrow {
		h, err := s.escrow.History(ctx, d.device, d.kind)
		if err != nil {
			return err
		}
		if len(h) > 0 {
			continue
		}
		if _, err := s.newSecret(ctx, d.device, d.kind, channel); err != nil {
			return err
		}
	}
	return nil
}

// newSecret generates a new secret of kind for a device (a first one or a
// rotation) and runs it through the lifecycle on the simulated MDM
// channel: the command that carries it is delivered (Generated -> Sent)
// and the simulated device acknowledges it (Sent -> Active, and the
// previous secret Rotated). A device with a secret of the kind still being
// set gives escrow.ErrInProgress.
func (s *sdk) newSecret(ctx context.Context, deviceID, kind, actor string) (escrow.Record, error) {
	rec, err := s.escrow.Generate(ctx, deviceID, kind, actor)
	if err != nil {
		return escrow.Record{}, err
	}
	return s.carry(ctx, rec)
}

// carry runs a Generated secret through the simulated MDM channel, as
// newSecret describes.
func (s *sdk) carry(ctx context.Context, rec escrow.Record) (escrow.Record, error) {
	commandID := "escrow-" + randomToken()
	// The command is built at the moment it goes out: Deliver opens the
	// secret for it, and nothing queued holds it in clear. The simulated
	// device sets it and keeps nothing the console can read.
	sec, err := s.escrow.Deliver(ctx, rec.ID)
	if err != nil {
		return s.failSecret(ctx, rec, err)
	}
	if sec.IsZero() {
		return s.failSecret(ctx, rec, errors.New("console: empty secret delivered"))
	}
	if _, err := s.escrow.Sent(ctx, rec.ID, commandID, channel); err != nil {
		return s.failSecret(ctx, rec, err)
	}
	return s.escrow.Acknowledge(ctx, commandID, channel)
}

// rotateDue starts the rotations that fell due by now (a secret viewed an
// hour ago, escrow.DefaultRotateAfterView) and runs each through the
// lifecycle on the simulated MDM channel, like an admin's Rotate. It
// returns the new records, and stops at the first error.
func (s *sdk) rotateDue(ctx context.Context) ([]escrow.Record, error) {
	due, err := s.escrow.Due(ctx, s.now())
	if err != nil {
		return nil, err
	}
	var out []escrow.Record
	for _, rot := range due {
		rec, err := s.carry(ctx, rot.Record)
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// rotateEvery runs rotateDue every period until ctx is done, logging
// errors (the next round retries: a rotation left open expires at its
// stale deadline and falls due again).
func (s *sdk) rotateEvery(ctx context.Context, period time.Duration, log *slog.Logger) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.rotateDue(ctx); err != nil && ctx.Err() == nil {
				log.Error("escrow rotation", "err", err)
			}
		}
	}
}

// failSecret retires a generated secret whose command could not be built,
// so that the kind is not blocked until the stale deadline.
func (s *sdk) failSecret(ctx context.Context, rec escrow.Record, cause error) (escrow.Record, error) {
	if _, err := s.escrow.Retire(ctx, rec.ID, channel); err != nil {
		return escrow.Record{}, errors.Join(cause, err)
	}
	return escrow.Record{}, cause
}

// escrowHistory is every record of a device by kind (oldest version
// first), for the kinds the console names.
func (s *sdk) escrowHistory(ctx context.Context, deviceID string) (map[string][]escrow.Record, error) {
	out := map[string][]escrow.Record{}
	for _, k := range kinds {
		h, err := s.escrow.History(ctx, deviceID, k.name)
		if err != nil {
			return nil, err
		}
		if len(h) > 0 {
			out[k.name] = h
		}
	}
	return out, nil
}

// escrowEvents is a device's escrow audit trail, oldest first.
func (s *sdk) escrowEvents(ctx context.Context, deviceID string) ([]escrow.Event, error) {
	return s.escrow.Events(ctx, escrow.EventQuery{DeviceID: deviceID})
}

// escrowRecord is one record, or escrow.ErrNotFound.
func (s *sdk) escrowRecord(ctx context.Context, id string) (escrow.Record, error) {
	return s.escrow.Get(ctx, id)
}

// revealSecret shows a secret to admin, who asked from source for reason;
// the escrow Service records the view before it returns the secret.
func (s *sdk) revealSecret(ctx context.Context, recordID, admin string, source netip.Addr, reason string) (escrow.Secret, error) {
	return s.escrow.Reveal(ctx, recordID, admin, source, reason)
}
