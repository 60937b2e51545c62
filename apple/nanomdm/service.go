package nanomdm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/micromdm/nanomdm/mdm"
	"github.com/micromdm/nanomdm/service"
	"github.com/micromdm/plist"

	"github.com/mdmcred/mdmcred/apple"
)

// Actor is the actor recorded on the lifecycle moves the Service makes.
const Actor = "nanomdm"

// Config configures a [Service].
type Config struct {
	// Source is the escrow asked for secrets at delivery and told every
	// result. Required.
	Source SecretSource
	// Tokens keeps the devices' UnlockTokens, sealed. Required.
	Tokens TokenStore
	// Sealer seals UnlockTokens. Required.
	Sealer *apple.Sealer
	// Lifecycle is the passcode reset lifecycle (a *passcode.Service) that
	// results move, for commands ResetOf maps to a reset. Zero: none.
	Lifecycle apple.Lifecycle
	// ResetOf says which passcode reset command commandUUID, reported by
	// enrollment enrollmentID, belongs to; false when none, or when the
	// command was not queued for that enrollment. Zero: no command moves a
	// reset.
	ResetOf func(ctx context.Context, enrollmentID, commandUUID string) (resetID string, ok bool)
	// Now is the clock. Zero: time.Now.
	Now func() time.Time
	// Logger receives a line per recorded token, filled command and
	// result, never a secret. Zero: discard.
	Logger *slog.Logger
}

// Service is a NanoMDM service middleware. Put it between certauth and
// NanoMDM's own service (certauth.New(New(nanomdm.New(store), cfg), store)),
// so that every message it acts on comes from the enrollment it names. It
//
//   - on TokenUpdate, takes the UnlockToken out of the message before the
//     next service (and so nanomdm's storage) sees it, and records it sealed
//     in Tokens with its time;
//   - on each command nanomdm delivers, fills the secrets an apple.Command
//     template waits for (the UnlockToken from Tokens, the rest from Source),
//     so the queue holds only the template;
//   - on each result, types it (apple.ParseResult), tells Source and moves
//     the passcode reset, before nanomdm stores it.
//
// A command whose secrets cannot be had at delivery (no token, no escrow)
// is not sent: the Service reports it to nanomdm as an Error from the
// device's side, with the reason in the chain, so it leaves the queue and
// the lifecycle records the failure. Service is safe for concurrent use.
type Service struct {
	service.CheckinAndCommandService
	cfg Config
	log *slog.Logger
}

var _ service.CheckinAndCommandService = (*Service)(nil)

// ConfigError names a missing or invalid Config field.
type ConfigError struct{ Field string }

// Error implements error.
func (e *ConfigError) Error() string { return "nanomdm: config: " + e.Field + " is required" }

// New wraps next.
func New(next service.CheckinAndCommandService, cfg Config) (*Service, error) {
	switch {
	case next == nil:
		return nil, &ConfigError{Field: "next service"}
	case cfg.Source == nil:
		return nil, &ConfigError{Field: "Source"}
	case cfg.Tokens == nil:
		return nil, &ConfigError{Field: "Tokens"}
	case cfg.Sealer == nil:
		return nil, &ConfigError{Field: "Sealer"}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{CheckinAndCommandService: next, cfg: cfg, log: log}, nil
}

// deviceID is the device-channel enrollment ID nanomdm uses for e (its
// normalized ID), or "" for a user-channel or unidentified message.
func deviceID(e *mdm.Enrollment) string {
	r := e.Resolved()
	if r == nil || r.IsUserChannel {
		return ""
	}
	return r.DeviceChannelID
}

func ctxOf(r *mdm.Request) context.Context {
	if r == nil {
		return context.Background()
	}
	return r.Context()
}

// TokenUpdate records the UnlockToken sealed and passes the message on
// without it.
func (s *Service) TokenUpdate(r *mdm.Request, m *mdm.TokenUpdate) error {
	if m == nil {
		return s.CheckinAndCommandService.TokenUpdate(r, m)
	}
	if len(m.UnlockToken) > 0 {
		id := deviceID(&m.Enrollment)
		if id == "" {
			return errors.New("nanomdm: an UnlockToken in a user-channel or unidentified TokenUpdate")
		}
		raw, err := stripUnlockToken(m.Raw)
		if err != nil {
			return err
		}
		sealed, err := s.cfg.Sealer.SealToken(id, apple.NewUnlockToken(m.UnlockToken))
		clear(m.UnlockToken)
		if err != nil {
			return err
		}
		if err := s.cfg.Tokens.PutToken(ctxOf(r), id, sealed, s.cfg.Now().UTC()); err != nil {
			return fmt.Errorf("nanomdm: recording unlock token: %w", err)
		}
		s.log.InfoContext(ctxOf(r), "unlock token recorded", "enrollment", id)
		c := *m
		c.UnlockToken, c.Raw = nil, raw
		m = &c
	}
	return s.CheckinAndCommandService.TokenUpdate(r, m)
}

// stripUnlockToken re-encodes a TokenUpdate plist without its UnlockToken.
func stripUnlockToken(raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return raw, nil
	}
	var m map[string]interface{}
	if err := plist.Unmarshal(raw, &m); err != nil {
		return nil, errors.New("nanomdm: TokenUpdate body is not a plist dictionary")
	}
	delete(m, "UnlockToken")
	out, err := plist.Marshal(m)
	if err != nil {
		return nil, errors.New("nanomdm: re-encoding TokenUpdate")
	}
	return out, nil
}

// CheckOut forgets the device's UnlockToken.
func (s *Service) CheckOut(r *mdm.Request, m *mdm.CheckOut) error {
	if m != nil {
		if id := deviceID(&m.Enrollment); id != "" {
			if err := s.cfg.Tokens.DeleteToken(ctxOf(r), id); err != nil {
				return err
			}
		}
	}
	return s.CheckinAndCommandService.CheckOut(r, m)
}

// UnlockTokenAt returns when the device's UnlockToken was recorded, for
// apple.Device.UnlockTokenAt, or ErrNoToken.
func (s *Service) UnlockTokenAt(ctx context.Context, enrollmentID string) (time.Time, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	_, at, err := s.cfg.Tokens.Token(ctx, enrollmentID)
	return at, err
}

// maxRefused bounds how many undeliverable commands one poll skips.
const maxRefused = 16

// CommandAndReportResults feeds the result into the escrow and lifecycle,
// lets nanomdm store it and pick the next command, and fills that command's
// secrets.
func (s *Service) CommandAndReportResults(r *mdm.Request, results *mdm.CommandResults) (*mdm.Command, error) {
	ctx := ctxOf(r)
	if results != nil && results.Status != "Idle" {
		res, err := apple.ParseResult(results.Raw)
		if err != nil {
			s.log.WarnContext(ctx, "unreadable command result", "err", err)
		} else if err := s.feed(ctx, deviceID(&results.Enrollment), res.Outcome()); err != nil {
			return nil, err
		}
	}
	for i := 0; ; i++ {
		cmd, err := s.CheckinAndCommandService.CommandAndReportResults(r, results)
		if err != nil || cmd == nil {
			return cmd, err
		}
		filled, ferr := s.fill(ctx, results, cmd)
		if ferr == nil {
			return filled, nil
		}
		if i == maxRefused {
			return nil, ferr
		}
		// Report the command as failed so that it leaves the queue.
		s.log.WarnContext(ctx, "command not deliverable", "command", cmd.CommandUUID, "err", ferr)
		if results, err = s.refuse(ctx, results, cmd, ferr); err != nil {
			return nil, err
		}
	}
}

// feed tells the escrow and the lifecycle about an outcome enrollment id
// reported.
func (s *Service) feed(ctx context.Context, id string, o apple.Outcome) error {
	if o.Kind == apple.NoResult || id == "" {
		return nil
	}
	err := s.cfg.Source.Result(ctx, id, o.CommandUUID, o)
	if err != nil && !errors.Is(err, ErrUnknownCommand) {
		return fmt.Errorf("nanomdm: escrow result: %w", err)
	}
	if s.cfg.Lifecycle != nil && s.cfg.ResetOf != nil {
		if resetID, ok := s.cfg.ResetOf(ctx, id, o.CommandUUID); ok {
			rs, err := apple.Apply(ctx, s.cfg.Lifecycle, resetID, Actor, o)
			if err != nil {
				// A result the lifecycle cannot take (the reset expired
				// meanwhile) is logged; the device's report still stands.
				s.log.WarnContext(ctx, "result not applied to reset", "command", o.CommandUUID, "reset", resetID, "err", err)
			} else {
				s.log.InfoContext(ctx, "reset moved by result", "command", o.CommandUUID, "reset", resetID, "state", rs.State.String())
			}
		}
	}
	s.log.InfoContext(ctx, "command result", "command", o.CommandUUID, "outcome", o.Kind.String())
	return nil
}

// fill returns cmd with its secrets in, or cmd itself when it waits for
// none.
func (s *Service) fill(ctx context.Context, results *mdm.CommandResults, cmd *mdm.Command) (*mdm.Command, error) {
	need := apple.Placeholders(cmd.Raw)
	if need == 0 {
		return cmd, nil
	}
	id := ""
	if results != nil {
		id = deviceID(&results.Enrollment)
	}
	if id == "" {
		return nil, errors.New("a command with secrets on a user channel")
	}
	var sec apple.Secrets
	if need&^apple.FillUnlockToken != 0 {
		var err error
		if sec, err = s.cfg.Source.Plaintext(ctx, id, cmd.CommandUUID); err != nil {
			return nil, fmt.Errorf("secrets for %s: %w", need, err)
		}
		sec.UnlockToken = apple.UnlockToken{}
	}
	if need&apple.FillUnlockToken != 0 {
		sealed, _, err := s.cfg.Tokens.Token(ctx, id)
		if err != nil {
			return nil, err
		}
		if sec.UnlockToken, err = s.cfg.Sealer.OpenToken(id, sealed); err != nil {
			return nil, err
		}
	}
	raw, err := apple.Fill(cmd.Raw, sec)
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "command filled at delivery", "command", cmd.CommandUUID, "fields", need.String())
	c := *cmd
	c.Raw = raw
	return &c, nil
}

// refuse reports cmd to nanomdm as failed on the device's behalf (nanomdm
// then takes it off the queue), and to the escrow and lifecycle.
func (s *Service) refuse(ctx context.Context, prev *mdm.CommandResults, cmd *mdm.Command, cause error) (*mdm.CommandResults, error) {
	rep := &mdm.CommandResults{CommandUUID: cmd.CommandUUID, Status: "Error",
		ErrorChain: []mdm.ErrorChain{{
			ErrorCode:            1,
			ErrorDomain:          "mdmcred",
			LocalizedDescription: "the secrets this command needs could not be had at delivery; the command was not sent",
			USEnglishDescription: "the secrets this command needs could not be had at delivery; the command was not sent",
		}}}
	if prev != nil {
		rep.Enrollment = prev.Enrollment
	}
	raw, err := plist.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("nanomdm: encoding refusal: %w", err)
	}
	rep.Raw = raw
	res, err := apple.ParseResult(raw)
	if err != nil {
		return nil, err
	}
	o := res.Outcome()
	if err := s.feed(ctx, deviceID(&rep.Enrollment), o); err != nil {
		return nil, err
	}
	_ = cause // logged by the caller; never sent, it may name a field
	return rep, nil
}
