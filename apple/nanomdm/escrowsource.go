package nanomdm

import (
	"context"
	"errors"
	"fmt"

	"github.com/micromdm/nanomdm/storage"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/escrow"
)

// ErrMismatch: [EscrowSource.Queue] was given a command that does not carry
// the escrowed record's secret as the record's kind and the device's escrow
// require (a DeviceLock without a PIN for a lock PIN; a SetRecoveryLock
// whose CurrentPassword does not match whether a password is in force). The
// error wrapping it says which rule.
var ErrMismatch = errors.New("nanomdm: command does not fit the escrowed secret")

// EscrowSource is the [SecretSource] of an [*escrow.Service]: the escrow
// keeps each secret sealed, tracks it through its lifecycle and audits every
// view, and the middleware fills it in at delivery. It serves two kinds:
//
//   - [escrow.KindDeviceLockPIN]: a DeviceLock's PIN.
//   - [escrow.KindRecoveryLock]: a SetRecoveryLock's NewPassword, and as
//     CurrentPassword the password in force (the kind's Active record).
//
// The host generates the secret ([escrow.Service.Generate], or a rotation
// from [escrow.Service.Due]), builds the command with the apple package and
// hands both to [EscrowSource.Queue]. At delivery Plaintext opens the
// secrets by the command's UUID ([escrow.Service.DeliverCommand]); the
// device's Acknowledged makes the secret Active ([escrow.Service.Acknowledge]),
// its Error or CommandFormatError Failed ([escrow.Service.Fail]), NotNow
// leaves it Sent. A command is answered only for the enrollment it was
// queued for: another device's report or fetch gets [ErrUnknownCommand].
// The first final outcome decides; repeated reports change nothing. It is
// safe for concurrent use.
type EscrowSource struct {
	svc *escrow.Service
}

var _ SecretSource = (*EscrowSource)(nil)

// NewEscrowSource returns the SecretSource of svc. The lifecycle moves it
// makes are recorded with the actor [Actor].
func NewEscrowSource(svc *escrow.Service) (*EscrowSource, error) {
	if svc == nil {
		return nil, &ConfigError{Field: "escrow service"}
	}
	return &EscrowSource{svc: svc}, nil
}

// fields is what a command carrying a record of kind must take at
// delivery; active says the device has a secret of the kind in force.
func fields(kind string, active bool) (apple.RequestType, apple.Fields, bool) {
	switch kind {
	case escrow.KindDeviceLockPIN:
		return apple.DeviceLock, apple.FillPIN, true
	case escrow.KindRecoveryLock:
		f := apple.FillNewPassword
		if active {
			f |= apple.FillCurrentPassword
		}
		return apple.SetRecoveryLock, f, true
	}
	return "", 0, false
}

// Queue records that c carries the Generated secret recordID (escrow Sent,
// with c's UUID) and queues c's template for the record's device in q.
// c must take exactly the record's secret: a DeviceLock built with PIN for
// a lock PIN; for a Recovery Lock password a SetRecoveryLock that sets a
// new password, with HasCurrent exactly when the device has one in force
// in the escrow (always for a rotation from Due). Otherwise it returns an
// error matching [ErrMismatch] and changes nothing. If q refuses the
// command, the record is failed, so that a new secret can be generated.
// Send the APNs push as for any other command.
func (s *EscrowSource) Queue(ctx context.Context, q storage.CommandEnqueuer, recordID string, c apple.Command) (escrow.Record, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	r, err := s.svc.Get(ctx, recordID)
	if err != nil {
		return escrow.Record{}, err
	}
	hist, err := s.svc.History(ctx, r.DeviceID, r.Kind)
	if err != nil {
		return escrow.Record{}, err
	}
	active := false
	for _, h := range hist {
		active = active || h.State == escrow.Active
	}
	rt, want, ok := fields(r.Kind, active)
	switch {
	case !ok:
		return escrow.Record{}, fmt.Errorf("%w: kind %s is not filled into an Apple MDM command", ErrMismatch, r.Kind)
	case c.RequestType != rt:
		return escrow.Record{}, fmt.Errorf("%w: a %s secret goes in %s, not %s", ErrMismatch, r.Kind, rt, c.RequestType)
	case c.Fills != want:
		return escrow.Record{}, fmt.Errorf("%w: the command takes %s, the escrow gives %s", ErrMismatch, c.Fills, want)
	}
	if r, err = s.svc.Sent(ctx, recordID, c.UUID, Actor); err != nil {
		return escrow.Record{}, err
	}
	if err := Enqueue(ctx, q, c, r.DeviceID); err != nil {
		if _, ferr := s.svc.Fail(ctx, c.UUID, Actor); ferr != nil {
			return escrow.Record{}, errors.Join(err, ferr)
		}
		return escrow.Record{}, err
	}
	return r, nil
}

// Plaintext implements SecretSource: the secrets of the open record
// commandUUID carries, if it is enrollmentID's.
func (s *EscrowSource) Plaintext(ctx context.Context, enrollmentID, commandUUID string) (apple.Secrets, error) {
	d, err := s.svc.DeliverCommand(ctx, enrollmentID, commandUUID)
	switch {
	case errors.Is(err, escrow.ErrNotFound), errors.Is(err, escrow.ErrInvalidRequest):
		return apple.Secrets{}, ErrUnknownCommand
	case err != nil:
		return apple.Secrets{}, fmt.Errorf("nanomdm: escrow delivery: %w", err)
	}
	switch d.Record.Kind {
	case escrow.KindDeviceLockPIN:
		return apple.Secrets{PIN: d.Secret}, nil
	case escrow.KindRecoveryLock:
		return apple.Secrets{NewPassword: d.Secret, CurrentPassword: d.Current}, nil
	}
	return apple.Secrets{}, fmt.Errorf("%w: kind %s is not filled into an Apple MDM command", ErrMismatch, d.Record.Kind)
}

// Result implements SecretSource: Succeeded acknowledges the secret
// (Active), Failed fails it; NotNow and the rest leave it as it is. A report
// for a secret whose fate a first final outcome decided already (Active,
// Failed, or since Rotated or Retired) changes nothing.
func (s *EscrowSource) Result(ctx context.Context, enrollmentID, commandUUID string, o apple.Outcome) error {
	_, err := s.svc.ByCommand(ctx, enrollmentID, commandUUID)
	switch {
	case errors.Is(err, escrow.ErrNotFound), errors.Is(err, escrow.ErrInvalidRequest):
		return ErrUnknownCommand
	case err != nil:
		return err
	}
	// The record's device never changes, so the check above still holds
	// when the escrow decides the move below, atomically.
	switch o.Kind {
	case apple.Succeeded:
		_, err = s.svc.Acknowledge(ctx, commandUUID, Actor)
	case apple.Failed:
		_, err = s.svc.Fail(ctx, commandUUID, Actor)
	default:
		return nil
	}
	if errors.Is(err, escrow.ErrInvalidTransition) {
		return nil // decided by an earlier final outcome
	}
	return err
}
