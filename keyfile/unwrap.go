package keyfile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"

	"github.com/mdmcred/mdmcred/custody"
	"github.com/mdmcred/mdmcred/internal/secret"
	"github.com/mdmcred/mdmcred/servicepass"
)

// Keys is a set of keys by key ID, the type the services' configs take
// (passcode.Keys, enrollment.Keys, otp.Keys). It shows only its key IDs
// under every fmt verb, in log/slog and in encoding/json.
//
// Its methods, listed here because go doc shows none for an alias:
//   - Reveal() map[uint8][]byte returns a copy of the keys by ID, for the
//     mechanism that uses them; never print it.
//   - Len() int is the number of keys; IsZero() bool reports that there are
//     none.
//   - String, Format, GoString, LogValue and MarshalJSON show only the key
//     IDs and [REDACTED].
type Keys = secret.Keys

// Options says how [File.Unwrap] reaches what the file does not hold.
type Options struct {
	// Wrapper unwraps the wrapped keys. Zero: a file with a wrapped key
	// does not unwrap ([ErrUnwrap]).
	Wrapper custody.Wrapper
	// Resolve turns a held master key's reference into the custodian's
	// key holding its PRK (a PKCS#11 object, a KMS key). Zero: a file with
	// a held key does not unwrap ([ErrUnwrap]).
	Resolve func(ctx context.Context, ref string) (custody.Key, error)
}

// Set is one unwrapped key set: its keys by ID, the current one, and the
// IDs retired.
type Set struct {
	Keys    Keys
	Current uint8
	Retired []uint8
}

// Ring is a key file unwrapped: every key in memory (held master keys as
// their custodians). It shows only set names and key IDs under every fmt
// verb.
type Ring struct {
	master  []servicepass.MasterKey
	retired []uint8
	sets    map[string]Set
}

// Unwrap unwraps every wrapped key once, through opts.Wrapper, checks that
// each belongs to its set and ID, resolves held master keys through
// opts.Resolve, and returns the [Ring]. Call it once at start; a failure
// is an [*Error] matching [ErrUnwrap] (and the custodian's own error).
func (f *File) Unwrap(ctx context.Context, opts Options) (*Ring, error) {
	if ctx == nil {
		return nil, &Error{KeyID: -1, Reason: "nil context", Err: ErrUnwrap}
	}
	r := &Ring{sets: map[string]Set{}}
	for _, s := range f.sets {
		keys := map[uint8][]byte{}
		for _, e := range s.keys {
			fail := func(reason string, err error) error {
				for _, k := range keys {
					clear(k)
				}
				return &Error{Set: s.name, KeyID: int(e.id), Reason: reason, Err: err}
			}
			switch {
			case e.held != "":
				if opts.Resolve == nil {
					return nil, fail("a held key and no Options.Resolve", ErrUnwrap)
				}
				k, err := opts.Resolve(ctx, e.held)
				if err != nil {
					return nil, fail("resolving the custodian's key", fmt.Errorf("%w: %w", ErrUnwrap, err))
				}
				m, err := servicepass.NewHeldMasterKey(e.id, k)
				if err != nil {
					return nil, fail("resolving the custodian's key", fmt.Errorf("%w: %w", ErrUnwrap, err))
				}
				r.master = append(r.master, m)
				continue
			case e.wrapped != nil:
				if opts.Wrapper == nil {
					return nil, fail("a wrapped key and no Options.Wrapper", ErrUnwrap)
				}
				pt, err := opts.Wrapper.Unwrap(ctx, e.wrapped)
				if err != nil {
					return nil, fail("unwrapping", fmt.Errorf("%w: %w", ErrUnwrap, err))
				}
				prefix := bindKey(s.name, e.id, nil)
				if len(pt) != len(prefix)+KeySize || !bytes.Equal(pt[:len(prefix)], prefix) {
					clear(pt)
					return nil, fail("the wrapped key belongs to another set or key ID", ErrUnwrap)
				}
				keys[e.id] = bytes.Clone(pt[len(prefix):])
				clear(pt)
			default:
				keys[e.id] = e.clear.Reveal()
			}
			if err := checkMaterial(keys[e.id]); err != nil {
				return nil, fail(err.Error(), ErrUnwrap)
			}
		}
		if s.name == Master {
			for _, e := range s.keys {
				if e.held != "" {
					continue
				}
				m, err := servicepass.NewMasterKey(e.id, keys[e.id])
				if err != nil {
					return nil, &Error{Set: s.name, KeyID: int(e.id), Reason: "master key", Err: err}
				}
				r.master = append(r.master, m)
			}
			r.master = ordered(r.master, s)
			r.retired = append([]uint8(nil), s.retired...)
		} else {
			r.sets[s.name] = Set{Keys: secret.NewKeys(keys), Current: uint8(s.current), Retired: append([]uint8(nil), s.retired...)}
		}
		for _, k := range keys {
			clear(k)
		}
	}
	return r, nil
}

// ordered puts master keys in the set's file order (oldest first).
func ordered(ms []servicepass.MasterKey, s *set) []servicepass.MasterKey {
	out := make([]servicepass.MasterKey, 0, len(ms))
	for _, e := range s.keys {
		for _, m := range ms {
			if m.ID() == e.id {
				out = append(out, m)
			}
		}
	}
	return out
}

// Master returns the master keys, oldest first, and the retired master key
// IDs: servicepass.IssuerConfig's Keys and Retired. Both are empty when the
// file has no master set.
func (r *Ring) Master() (keys []servicepass.MasterKey, retired []uint8) {
	return append([]servicepass.MasterKey(nil), r.master...), append([]uint8(nil), r.retired...)
}

// Set returns the key set name (not Master). A missing set is an [*Error]
// matching [ErrKeyID].
func (r *Ring) Set(name string) (Set, error) {
	s, ok := r.sets[name]
	if !ok {
		return Set{}, &Error{Set: name, KeyID: -1, Reason: "no such key set in the file", Err: ErrKeyID}
	}
	return s, nil
}

// String describes the ring by set names and key IDs.
func (r Ring) String() string {
	ids := make([]uint8, len(r.master))
	for i, m := range r.master {
		ids[i] = m.ID()
	}
	s := fmt.Sprintf("keyfile.Ring{master:%v", ids)
	names := make([]string, 0, len(r.sets))
	for name := range r.sets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s += fmt.Sprintf(" %s:%v current %d", name, r.sets[name].Keys, r.sets[name].Current)
	}
	return s + "}"
}

// Format prints [Ring.String] under every verb.
func (r Ring) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// LogValue shows [Ring.String] in log/slog.
func (r Ring) LogValue() slog.Value { return slog.StringValue(r.String()) }

// LogValue shows [File.String] in log/slog.
func (f File) LogValue() slog.Value { return slog.StringValue(f.String()) }
