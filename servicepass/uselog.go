package servicepass

import (
	"context"
	"slices"
	"time"
)

// UseLogSize is the number of entries the use log keeps; when it is full,
// the oldest entry is dropped (and counted in the dropped count [Verifier.UseLog] returns).
const UseLogSize = 64

// UseEntry is one grant in the use log: enough for the server, which knows
// every code it issued by key ID and serial, to reconcile uses the device
// could not tell apart (a degraded grant, a replay after a lost state).
type UseEntry struct {
	// Seq numbers the entries of one state, consecutively (from 0, or
	// from a random number after a lost state).
	Seq    uint64 `json:"seq"`
	KeyID  uint8  `json:"key_id"`
	Serial uint32 `json:"serial"` // zero for a response
	// Challenge is, for a challenge response's grant, the challenge it
	// answered in display form (the issuer's EventResponded names it);
	// empty for a code.
	Challenge string    `json:"challenge,omitempty"`
	At        time.Time `json:"at"` // device time of the grant, UTC
	Degraded  bool      `json:"degraded,omitempty"`
}

// logUse appends e to the use log, dropping the oldest entry when full. Once
// the log has grown to its size it does not allocate.
func (s *deviceState) logUse(e UseEntry) {
	e.Seq = s.LogNext
	s.LogNext++
	if len(s.Log) >= UseLogSize {
		n := copy(s.Log, s.Log[len(s.Log)-UseLogSize+1:])
		s.LogDropped += uint64(len(s.Log) - n)
		s.Log = s.Log[:n]
	}
	if s.Log == nil {
		s.Log = make([]UseEntry, 0, UseLogSize)
	}
	s.Log = append(s.Log, e)
}

// UseLog returns the use log, oldest first, and how many entries were
// dropped unacknowledged because it was full. The agent uploads the
// entries when it can and then calls [Verifier.AckUseLog]. A damaged or lost
// state loses its log with the rest; the server sees the gap in the serials
// it issued, and the first grants after it are degraded.
func (v *Verifier) UseLog(ctx context.Context) (entries []UseEntry, dropped uint64, err error) {
	if ctx == nil {
		return nil, 0, ErrNilContext
	}
	ran, err := v.update(ctx, func(s *deviceState) bool {
		if !v.lost(s) {
			entries, dropped = slices.Clone(s.Log), s.LogDropped
		}
		return false
	})
	if !ran {
		return nil, 0, err
	}
	return entries, dropped, err
}

// AckUseLog drops the use log entries up to and including sequence number
// through (the last one the agent uploaded) and the count of entries dropped
// before through (which the agent saw and reported). Entries logged since,
// and entries dropped since that the agent never saw, stay. An
// acknowledgement of a sequence number the log has not reached (one from
// the log of a state that was lost since: a new state's log starts at a
// random sequence number) deletes nothing.
func (v *Verifier) AckUseLog(ctx context.Context, through uint64) error {
	if ctx == nil {
		return ErrNilContext
	}
	_, err := v.update(ctx, func(s *deviceState) bool {
		if v.lost(s) {
			return false
		}
		return s.ackLog(through)
	})
	return err
}

// ackLog acknowledges the log through a sequence number; see
// [Verifier.AckUseLog]. It reports whether s changed.
func (s *deviceState) ackLog(through uint64) bool {
	if through >= s.LogNext {
		return false
	}
	// The dropped entries are the LogDropped sequence numbers just before
	// the first entry kept (or LogNext when none is).
	first := s.LogNext
	if len(s.Log) > 0 {
		first = s.Log[0].Seq
	}
	i := 0
	for i < len(s.Log) && s.Log[i].Seq <= through {
		i++
	}
	dropped := s.LogDropped
	if through+1 >= first {
		dropped = 0
	} else if unseen := first - (through + 1); unseen < dropped {
		dropped = unseen
	}
	if i == 0 && dropped == s.LogDropped {
		return false
	}
	s.Log = s.Log[:copy(s.Log, s.Log[i:])]
	s.LogDropped = dropped
	return true
}
