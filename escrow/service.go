package escrow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/mdmcred/mdmcred/internal/cas"
	"github.com/mdmcred/mdmcred/internal/ident"
	"github.com/mdmcred/mdmcred/internal/seal"
)

// DefaultStaleAfter is how long a secret may stay open (generated or sent)
// when [Config.StaleAfter] is zero: 24 hours, as MDM commands to a device
// that is switched off wait in its queue overnight.
const DefaultStaleAfter = 24 * time.Hour

// MaxIDLen bounds every identifier the Service takes (device, record,
// command and actor IDs), in bytes; MaxReasonLen bounds a view's reason.
const (
	MaxIDLen     = ident.MaxLen
	MaxReasonLen = 1024
)

// Config configures a [Service]. Store and SealKeys are required.
type Config struct {
	// Store keeps the rows and the audit trail. Required.
	Store Store
	// SealKeys are 32-byte AES-256-GCM keys by key ID; keep an old key
	// until [Service.Reseal] has re-sealed the records sealed under it
	// (docs/keys.md). Required.
	SealKeys Keys
	// SealKeyID names the key new secrets are sealed under.
	SealKeyID uint8
	// Kinds are the kinds the Service escrows, by Name. Zero:
	// DefaultKinds(). To add a kind to the built-in ones, append it to
	// DefaultKinds().
	Kinds []Kind
	// Authorize, if set, is asked before every view; an error refuses it
	// ([ErrNotAllowed]) and the refusal is recorded. Zero: the host has
	// authorized the actor before calling Reveal.
	Authorize func(ctx context.Context, actor string, r Record) error
	// StaleAfter is how long a secret may stay generated or sent before it
	// expires. Zero: DefaultStaleAfter (24 hours).
	StaleAfter time.Duration
	// Now is the clock. Zero: time.Now.
	Now func() time.Time
	// Rand is the randomness for secrets and record IDs (sealing nonces come
	// from the FIPS module's own generator, see internal/seal). Zero:
	// crypto/rand.Reader.
	Rand io.Reader
	// Logger receives one line per change and view, never a secret. Zero:
	// discard.
	Logger *slog.Logger
}

// Service escrows device-administration secrets: it generates or accepts
// them, seals them, tracks each through its lifecycle, reveals them with an
// audit event, and rotates them by policy. It is safe for concurrent use.
type Service struct {
	store      Store
	sealer     *seal.Sealer
	kinds      map[string]Kind
	authorize  func(ctx context.Context, actor string, r Record) error
	staleAfter time.Duration
	now        func() time.Time
	rand       io.Reader
	log        *slog.Logger
}

// New validates cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, &ConfigError{Field: "Store", Reason: "required"}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	keys := cfg.SealKeys.Reveal()
	sealer, err := seal.New(cfg.SealKeyID, keys)
	for _, k := range keys {
		clear(k)
	}
	if err != nil {
		return nil, &ConfigError{Field: "SealKeys", Err: err}
	}
	s := &Service{store: cfg.Store, sealer: sealer, kinds: map[string]Kind{}, authorize: cfg.Authorize,
		staleAfter: cfg.StaleAfter, now: cfg.Now, rand: cfg.Rand, log: cfg.Logger}
	if cfg.Kinds == nil {
		cfg.Kinds = DefaultKinds()
	}
	for _, k := range cfg.Kinds {
		k, err := k.check()
		if err != nil {
			return nil, err
		}
		if _, dup := s.kinds[k.Name]; dup {
			return nil, &ConfigError{Field: "Kinds", Reason: "two kinds named " + k.Name}
		}
		s.kinds[k.Name] = k
	}
	switch {
	case s.staleAfter < 0:
		return nil, &ConfigError{Field: "StaleAfter", Reason: "negative"}
	case s.staleAfter == 0:
		s.staleAfter = DefaultStaleAfter
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// clock returns now in UTC at the microsecond, the precision every backend
// keeps.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func checkIdent(v string, max int) error { return ident.Check(v, max) }

func checkID(field, v string) error {
	if err := ident.Check(v, MaxIDLen); err != nil {
		return &Error{Field: field, Reason: err.Error(), Err: err}
	}
	return nil
}

func (s *Service) kind(name string) (Kind, error) {
	if err := ident.Check(name, MaxKindLen); err != nil {
		return Kind{}, &Error{Field: "Kind", Reason: err.Error(), Err: err}
	}
	k, ok := s.kinds[name]
	if !ok {
		return Kind{}, &Error{Field: "Kind", Reason: "not a kind this Service escrows"}
	}
	return k, nil
}

func (s *Service) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("escrow: reading randomness: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// decision is what a decide function returns: events to write with the
// row (write false: the row is not written at all), and an error returned
// after the write.
type decision struct {
	write  bool
	events []Event
	err    error
}

// mutate is the store idiom: load the row, decide on it in Go, write it
// back with one conditional Write, and on ErrConflict do it all again
// (internal/cas's loop, which backs off after each lost race). create says
// a missing row may be created (for key); otherwise a missing row is
// ErrNotFound.
func (s *Service) mutate(ctx context.Context, load func(context.Context) (Row, error), create *Key,
	decide func(e *entry, now time.Time) decision) (entry, error) {
	if err := ctxErr(ctx); err != nil {
		return entry{}, err
	}
	var out entry
	var outErr error
	err := cas.Loop(ErrConflict, func() (done, lost bool, err error) {
		row, err := load(ctx)
		var e entry
		switch {
		case errors.Is(err, ErrNotFound) && create != nil:
			row = Row{DeviceID: create.DeviceID, Kind: create.Kind}
			e = entry{Format: entryFormat}
		case err != nil:
			return false, false, err
		default:
			if e, err = decodeEntry(row.Data, row.DeviceID, row.Kind); err != nil {
				return false, false, err
			}
		}
		d := decide(&e, s.clock())
		if !d.write {
			out, outErr = e, d.err
			return true, false, nil
		}
		next := Row{DeviceID: row.DeviceID, Kind: row.Kind, Rev: row.Rev + 1}
		if len(e.Records) > 0 {
			next.Data = e.encode()
			for _, r := range e.Records {
				next.RecordIDs = append(next.RecordIDs, r.ID)
				if r.CommandID != "" {
					next.CommandIDs = append(next.CommandIDs, r.CommandID)
				}
			}
			next.DueAt, next.ClosedAt = e.dueAt(), e.closedAt()
		}
		err = s.store.Write(ctx, next, row.Rev, d.events)
		switch {
		case errors.Is(err, ErrConflict):
			return false, true, nil
		case err != nil:
			return false, false, err
		}
		out, outErr = e, d.err
		return true, false, nil
	})
	if err != nil {
		return entry{}, err
	}
	return out, outErr
}

func (s *Service) byRecord(id string) func(context.Context) (Row, error) {
	return func(ctx context.Context) (Row, error) { return s.store.ByRecord(ctx, id) }
}

func (s *Service) byKey(k Key) func(context.Context) (Row, error) {
	return func(ctx context.Context) (Row, error) { return s.store.Load(ctx, k) }
}

// Generate draws a new secret of kind for a device (a first one, a new lock
// PIN, a rotation an admin asked for), seals it and records it as
// Generated. The host then queues the command: it reads the secret with
// [Service.Deliver] when the command goes out and reports
// [Service.Sent] with the command's ID.
//
// A device with an open secret of the kind gives an [*InProgressError]
// (matching [ErrInProgress]): a second one is refused, not stacked; an
// open secret past its stale deadline is expired instead and the new one
// proceeds. Of N concurrent Generates for one device and kind, exactly one
// succeeds.
func (s *Service) Generate(ctx context.Context, deviceID, kindName, actor string) (Record, error) {
	if ctx == nil {
		return Record{}, ErrNilContext
	}
	if err := checkID("DeviceID", deviceID); err != nil {
		return Record{}, err
	}
	if err := checkID("Actor", actor); err != nil {
		return Record{}, err
	}
	k, err := s.kind(kindName)
	if err != nil {
		return Record{}, err
	}
	if k.Generate == nil {
		return Record{}, &Error{Field: "Kind", Reason: k.Name + " is stored, never generated: use Report"}
	}
	sec, err := k.Generate(s.rand)
	if err != nil {
		return Record{}, err
	}
	if k.Validate != nil {
		if err := k.Validate(sec.Reveal()); err != nil {
			return Record{}, fmt.Errorf("escrow: kind %s generated a secret its Validate refuses", k.Name)
		}
	}
	id, err := s.newID()
	if err != nil {
		return Record{}, err
	}
	key := Key{deviceID, k.Name}
	var out Record
	_, err = s.mutate(ctx, s.byKey(key), &key, func(e *entry, now time.Time) decision {
		var evs []Event
		if o := e.open(); o != nil {
			if now.Before(o.StaleAt) {
				return decision{err: &InProgressError{RecordID: o.ID, State: o.State, Since: o.CreatedAt}}
			}
			ev, err := o.step(Expire, now)
			if err != nil {
				return decision{err: err}
			}
			ev.Actor = ActorSystem
			evs = append(evs, ev)
		}
		r, ev, err := s.newRecord(e, id, key, Generate, sec, actor, now)
		if err != nil {
			return decision{err: err}
		}
		r.StaleAt = now.Add(s.staleAfter)
		e.Records = append(e.Records, r)
		out = r
		return decision{write: true, events: append(evs, ev)}
	})
	if err != nil {
		return Record{}, err
	}
	s.log.InfoContext(ctx, "escrow secret generated", "record", out.ID, "device", deviceID, "kind", k.Name,
		"version", out.Version, "actor", actor)
	return out, nil
}

// newRecord makes the next version's record in e, sealed, stepped by in
// (Generate or Report).
func (s *Service) newRecord(e *entry, id string, k Key, in Input, sec Secret, actor string, now time.Time) (Record, Event, error) {
	r := Record{ID: id, DeviceID: k.DeviceID, Kind: k.Kind, Version: e.Last + 1, CreatedBy: actor, CreatedAt: now}
	pt := []byte(sec.Reveal())
	r.Sealed = s.sealer.Seal(pt, sealAD(&r), time.Time{})
	clear(pt)
	ev, err := r.step(in, now)
	if err != nil {
		return Record{}, Event{}, err
	}
	ev.Actor = actor
	e.Last = r.Version
	return r, ev, nil
}

// Deliver opens a Generated or Sent secret for the command that carries it
// to the device, at the moment it is delivered, so that no queue, table or
// log holds it in clear (an [ActivationLockBypass] code is delivered as
// its [BypassHash]). It records no view and starts no rotation: the secret
// goes to the device, not to a person. A secret in another state gives
// [ErrNotPending].
func (s *Service) Deliver(ctx context.Context, recordID string) (Secret, error) {
	if ctx == nil {
		return Secret{}, ErrNilContext
	}
	if err := checkID("RecordID", recordID); err != nil {
		return Secret{}, err
	}
	e, err := s.read(ctx, s.byRecord(recordID))
	if err != nil {
		return Secret{}, err
	}
	r := e.find(recordID)
	switch {
	case r == nil:
		return Secret{}, ErrNotFound
	case !r.State.Open():
		return Secret{}, ErrNotPending
	}
	return s.open(r, s.clock())
}

// read loads and decodes a row.
func (s *Service) read(ctx context.Context, load func(context.Context) (Row, error)) (entry, error) {
	if err := ctxErr(ctx); err != nil {
		return entry{}, err
	}
	row, err := load(ctx)
	if err != nil {
		return entry{}, err
	}
	return decodeEntry(row.Data, row.DeviceID, row.Kind)
}

// open opens r's sealed secret.
func (s *Service) open(r *Record, now time.Time) (Secret, error) {
	pt, err := s.sealer.Open(r.Sealed, sealAD(r), now)
	if errors.Is(err, seal.ErrReseal) {
		return Secret{}, fmt.Errorf("escrow: opening record %s: %w: %w", r.ID, ErrReseal, err)
	}
	if err != nil {
		return Secret{}, fmt.Errorf("escrow: opening record %s: %w", r.ID, err)
	}
	sec := NewSecret(string(pt))
	clear(pt)
	return sec, nil
}

// Sent records that the command carrying a Generated secret was queued,
// with its command ID (unique per command, as MDM command UUIDs are); the
// device's answer is then reported by that ID with [Service.Acknowledge]
// or [Service.Fail].
func (s *Service) Sent(ctx context.Context, recordID, commandID, actor string) (Record, error) {
	if ctx == nil {
		return Record{}, ErrNilContext
	}
	for _, f := range [][2]string{{"RecordID", recordID}, {"CommandID", commandID}, {"Actor", actor}} {
		if err := checkID(f[0], f[1]); err != nil {
			return Record{}, err
		}
	}
	switch e, err := s.read(ctx, func(ctx context.Context) (Row, error) { return s.store.ByCommand(ctx, commandID) }); {
	case err == nil && e.byCommand(commandID) != nil && e.byCommand(commandID).ID != recordID:
		return Record{}, &Error{Field: "CommandID", Reason: "already carries another record"}
	case err != nil && !errors.Is(err, ErrNotFound):
		return Record{}, err
	}
	return s.move(ctx, s.byRecord(recordID), func(e *entry) (*Record, error) {
		r := e.find(recordID)
		if r == nil {
			return nil, ErrNotFound
		}
		if r.State == Generated {
			r.CommandID = commandID
		}
		return r, nil
	}, Send, actor)
}

// Acknowledge records that the device acknowledged the command: its secret
// becomes Active (also after it expired: the device did set it), and the
// kind's previous Active secret becomes Rotated. Acknowledging a secret
// that is already Active changes nothing (devices repeat answers).
func (s *Service) Acknowledge(ctx context.Context, commandID, actor string) (Record, error) {
	if ctx == nil {
		return Record{}, ErrNilContext
	}
	return s.answer(ctx, commandID, actor, Acknowledge)
}

// Fail records that the device refused the command (or that it could not
// be delivered): its secret becomes Failed. The kind's Active secret, if
// any, stays in force.
func (s *Service) Fail(ctx context.Context, commandID, actor string) (Record, error) {
	if ctx == nil {
		return Record{}, ErrNilContext
	}
	return s.answer(ctx, commandID, actor, Fail)
}

func (s *Service) answer(ctx context.Context, commandID, actor string, in Input) (Record, error) {
	if err := checkID("CommandID", commandID); err != nil {
		return Record{}, err
	}
	if err := checkID("Actor", actor); err != nil {
		return Record{}, err
	}
	return s.move(ctx, func(ctx context.Context) (Row, error) { return s.store.ByCommand(ctx, commandID) },
		func(e *entry) (*Record, error) {
			r := e.byCommand(commandID)
			if r == nil {
				return nil, ErrNotFound
			}
			return r, nil
		}, in, actor)
}

// Retire withdraws a secret: an Active one (the device was unenrolled or
// wiped, the secret is no longer in force) or a Generated one never sent.
func (s *Service) Retire(ctx context.Context, recordID, actor string) (Record, error) {
	if ctx == nil {
		return Record{}, ErrNilContext
	}
	if err := checkID("RecordID", recordID); err != nil {
		return Record{}, err
	}
	if err := checkID("Actor", actor); err != nil {
		return Record{}, err
	}
	return s.move(ctx, s.byRecord(recordID), func(e *entry) (*Record, error) {
		if r := e.find(recordID); r != nil {
			return r, nil
		}
		return nil, ErrNotFound
	}, Retire, actor)
}

// move steps the record pick finds by in, with what follows from it: an
// Active secret supersedes the kind's previous one.
func (s *Service) move(ctx context.Context, load func(context.Context) (Row, error), pick func(*entry) (*Record, error),
	in Input, actor string) (Record, error) {
	var out Record
	var evs []Event
	_, err := s.mutate(ctx, load, nil, func(e *entry, now time.Time) decision {
		evs = nil
		r, err := pick(e)
		if err != nil {
			return decision{err: err}
		}
		if in == Acknowledge && r.State == Active {
			out = *r
			return decision{} // a repeated acknowledgement
		}
		prev := e.active()
		ev, err := r.step(in, now)
		if err != nil {
			return decision{err: err}
		}
		ev.Actor = actor
		evs = append(evs, ev)
		if r.State == Active {
			if prev != nil {
				pev, err := prev.step(Supersede, now)
				if err != nil {
					return decision{err: err}
				}
				pev.Actor = actor
				evs = append(evs, pev)
			}
			s.scheduleRotation(r)
		}
		out = *r
		return decision{write: true, events: evs}
	})
	if err != nil {
		return Record{}, err
	}
	for _, ev := range evs {
		s.log.InfoContext(ctx, "escrow transition", "record", ev.RecordID, "device", ev.DeviceID, "kind", ev.Kind,
			"from", ev.From.String(), "to", ev.To.String(), "command", ev.CommandID, "actor", ev.Actor)
	}
	return out, nil
}

// scheduleRotation sets an Active record's RotateAt from its kind's
// policy: RotateEvery after activation, and RotateAfterView after the
// first view if it was viewed already, whichever is earlier.
func (s *Service) scheduleRotation(r *Record) {
	k, ok := s.kinds[r.Kind]
	if !ok || k.Generate == nil || r.State != Active {
		return
	}
	var at time.Time
	if k.Policy.RotateEvery > 0 {
		at = r.ActivatedAt.Add(k.Policy.RotateEvery)
	}
	if k.Policy.RotateAfterView > 0 && !r.FirstViewedAt.IsZero() {
		if v := r.FirstViewedAt.Add(k.Policy.RotateAfterView); at.IsZero() || v.Before(at) {
			at = v
		}
	}
	r.RotateAt = at
}

// Report escrows a secret a device or agent reported as the one in force
// (a FileVault recovery key, a password an agent set): a new record,
// Active at once, which supersedes the kind's previous Active secret.
// The kind's Validate, if any, checks it first.
func (s *Service) Report(ctx context.Context, deviceID, kind string, sec Secret, actor string) (Record, error) {
	if ctx == nil {
		return Record{}, ErrNilContext
	}
	if err := checkID("DeviceID", deviceID); err != nil {
		return Record{}, err
	}
	if err := checkID("Actor", actor); err != nil {
		return Record{}, err
	}
	k, err := s.kind(kind)
	if err != nil {
		return Record{}, err
	}
	if err := checkReported(sec.Reveal()); err != nil {
		return Record{}, &Error{Field: "Secret", Reason: err.Error()}
	}
	if k.Validate != nil {
		if err := k.Validate(sec.Reveal()); err != nil {
			return Record{}, &Error{Field: "Secret", Reason: "not a " + k.Name + ": " + err.Error()}
		}
	}
	id, err := s.newID()
	if err != nil {
		return Record{}, err
	}
	key := Key{deviceID, k.Name}
	var out Record
	_, err = s.mutate(ctx, s.byKey(key), &key, func(e *entry, now time.Time) decision {
		prev := e.active()
		r, ev, err := s.newRecord(e, id, key, Report, sec, actor, now)
		if err != nil {
			return decision{err: err}
		}
		evs := []Event{ev}
		if prev != nil {
			pev, err := prev.step(Supersede, now)
			if err != nil {
				return decision{err: err}
			}
			pev.Actor = actor
			evs = append(evs, pev)
		}
		e.Records = append(e.Records, r)
		out = r
		return decision{write: true, events: evs}
	})
	if err != nil {
		return Record{}, err
	}
	s.log.InfoContext(ctx, "escrow secret reported", "record", out.ID, "device", deviceID, "kind", k.Name, "actor", actor)
	return out, nil
}

// Get returns the record with that ID, or [ErrNotFound].
func (s *Service) Get(ctx context.Context, recordID string) (Record, error) {
	if ctx == nil {
		return Record{}, ErrNilContext
	}
	if err := checkID("RecordID", recordID); err != nil {
		return Record{}, err
	}
	e, err := s.read(ctx, s.byRecord(recordID))
	if err != nil {
		return Record{}, err
	}
	if r := e.find(recordID); r != nil {
		return *r, nil
	}
	return Record{}, ErrNotFound
}

// History returns a device's records of one kind, oldest first: the one in
// force, the one being set, and every earlier one not yet purged (with its
// command ID). An unknown device or kind gives an empty list.
func (s *Service) History(ctx context.Context, deviceID, kind string) ([]Record, error) {
	if ctx == nil {
		return nil, ErrNilContext
	}
	if err := checkID("DeviceID", deviceID); err != nil {
		return nil, err
	}
	if err := checkID("Kind", kind); err != nil {
		return nil, err
	}
	e, err := s.read(ctx, s.byKey(Key{deviceID, kind}))
	if errors.Is(err, ErrNotFound) {
		return []Record{}, nil
	}
	if err != nil {
		return nil, err
	}
	return slices.Clone(e.Records), nil
}

// Events returns the audit trail of one record (q.RecordID) or one device
// (q.DeviceID), oldest first.
func (s *Service) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	if ctx == nil {
		return nil, ErrNilContext
	}
	switch {
	case q.RecordID != "":
		if err := checkID("RecordID", q.RecordID); err != nil {
			return nil, err
		}
	default:
		if err := checkID("DeviceID", q.DeviceID); err != nil {
			return nil, err
		}
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	return s.store.Events(ctx, q)
}
