package servicepass

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// The state file (docs/servicepass-format.md §7): a magic line, the hex
// SHA-256 of the body, and the body (JSON). Version 2 writes instants as
// Unix seconds (and nanoseconds) so that any device time is saved, and
// records the token of the lock file it was written under; version 1
// (instants as RFC 3339, which stops at year 9999) is still read.
const (
	fileMagic   = "mdmcred servicepass device state v2\n"
	fileMagicV1 = "mdmcred servicepass device state v1\n"
)

var errStateFile = errors.New("servicepass: damaged state file")

// stamp is an instant as the state file keeps it: a JSON string of signed
// decimal Unix seconds, followed by a dot and 9 digits of nanoseconds when
// those are not zero ("1795860000", "-62135596800.000000500").
type stamp time.Time

func (t stamp) IsZero() bool { return time.Time(t).IsZero() }

func (t stamp) MarshalJSON() ([]byte, error) {
	u := time.Time(t)
	b := append(make([]byte, 0, 32), '"')
	b = strconv.AppendInt(b, u.Unix(), 10)
	if ns := u.Nanosecond(); ns != 0 {
		b = append(b, '.')
		s := strconv.Itoa(ns)
		b = append(b, "000000000"[len(s):]...)
		b = append(b, s...)
	}
	return append(b, '"'), nil
}

func (t *stamp) UnmarshalJSON(b []byte) error {
	s, ok := strings.CutPrefix(string(b), `"`)
	if !ok {
		return errStateFile
	}
	if s, ok = strings.CutSuffix(s, `"`); !ok || s == "" {
		return errStateFile
	}
	secText, nsText, frac := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secText, 10, 64)
	if err != nil || secText != strconv.FormatInt(sec, 10) {
		return errStateFile
	}
	var ns int64
	if frac {
		if len(nsText) != 9 || nsText == "000000000" {
			return errStateFile
		}
		for _, c := range nsText {
			if c < '0' || c > '9' {
				return errStateFile
			}
		}
		ns, _ = strconv.ParseInt(nsText, 10, 64)
	}
	*t = stamp(time.Unix(sec, ns).UTC())
	return nil
}

// fileState is the body of a version 2 state file.
type fileState struct {
	Lock         string             `json:"lock,omitempty"`
	Provisioned  bool               `json:"provisioned,omitempty"`
	Failures     int                `json:"failures,omitempty"`
	LastFailure  stamp              `json:"last_failure,omitzero"`
	LockedUntil  stamp              `json:"locked_until,omitzero"`
	HighWater    stamp              `json:"high_water,omitzero"`
	MaxSkew      time.Duration      `json:"max_skew_ns,omitempty"`
	Used         map[uint64]fileUse `json:"used,omitempty"`
	NextForget   stamp              `json:"next_forget,omitzero"`
	PrunedExpiry stamp              `json:"pruned_expiry,omitzero"`
	Window       fileWindow         `json:"window,omitzero"`
	Revert       fileRevert         `json:"revert,omitzero"`
	DamagedAt    stamp              `json:"damaged_at,omitzero"`
	DamageFound  stamp              `json:"damage_found,omitzero"`
	Log          []fileEntry        `json:"log,omitempty"`
	LogNext      uint64             `json:"log_next,omitempty"`
	LogDropped   uint64             `json:"log_dropped,omitempty"`
}

type fileUse struct {
	Forget stamp `json:"forget"`
	Day    int32 `json:"day,omitempty"`
}

type fileWindow struct {
	Actions Actions `json:"actions,omitempty"`
	Start   stamp   `json:"start,omitzero"`
	End     stamp   `json:"end,omitzero"`
}

type fileRevert struct {
	Actions Actions `json:"actions,omitempty"`
	Ended   stamp   `json:"ended,omitzero"`
	Seq     uint64  `json:"seq,omitempty"`
	Lost    bool    `json:"lost,omitempty"`
}

type fileEntry struct {
	Seq       uint64 `json:"seq"`
	KeyID     uint8  `json:"key_id"`
	Serial    uint32 `json:"serial"`
	Challenge string `json:"challenge,omitempty"`
	At        stamp  `json:"at"`
	Degraded  bool   `json:"degraded,omitempty"`
}

func toFile(s *DeviceState, lock string) fileState {
	f := fileState{
		Lock: lock, Provisioned: s.Provisioned, Failures: s.Failures, LastFailure: stamp(s.LastFailure),
		LockedUntil: stamp(s.LockedUntil), HighWater: stamp(s.HighWater), MaxSkew: s.MaxSkew,
		NextForget: stamp(s.NextForget), PrunedExpiry: stamp(s.PrunedExpiry),
		Window:    fileWindow{Actions: s.Window.Actions, Start: stamp(s.Window.Start), End: stamp(s.Window.End)},
		Revert:    fileRevert{Actions: s.Revert.Actions, Ended: stamp(s.Revert.Ended), Seq: s.Revert.Seq, Lost: s.Revert.Lost},
		DamagedAt: stamp(s.DamagedAt), DamageFound: stamp(s.DamageFound), LogNext: s.LogNext, LogDropped: s.LogDropped,
	}
	if len(s.Used) > 0 {
		f.Used = make(map[uint64]fileUse, len(s.Used))
		for k, u := range s.Used {
			f.Used[k] = fileUse{Forget: stamp(u.Forget), Day: u.Day}
		}
	}
	if len(s.Log) > 0 {
		f.Log = make([]fileEntry, len(s.Log))
		for i, e := range s.Log {
			f.Log[i] = fileEntry{Seq: e.Seq, KeyID: e.KeyID, Serial: e.Serial, Challenge: e.Challenge, At: stamp(e.At), Degraded: e.Degraded}
		}
	}
	return f
}

func utc(t stamp) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.Time(t).UTC()
}

func (f *fileState) state() DeviceState {
	s := DeviceState{
		Provisioned: f.Provisioned, Failures: f.Failures, LastFailure: utc(f.LastFailure), LockedUntil: utc(f.LockedUntil),
		HighWater: utc(f.HighWater), MaxSkew: f.MaxSkew, NextForget: utc(f.NextForget), PrunedExpiry: utc(f.PrunedExpiry),
		Window:    WindowState{Actions: f.Window.Actions, Start: utc(f.Window.Start), End: utc(f.Window.End)},
		Revert:    RevertState{Actions: f.Revert.Actions, Ended: utc(f.Revert.Ended), Seq: f.Revert.Seq, Lost: f.Revert.Lost},
		DamagedAt: utc(f.DamagedAt), DamageFound: utc(f.DamageFound), LogNext: f.LogNext, LogDropped: f.LogDropped,
	}
	if len(f.Used) > 0 {
		s.Used = make(map[uint64]Use, len(f.Used))
		for k, u := range f.Used {
			s.Used[k] = Use{Forget: utc(u.Forget), Day: u.Day}
		}
	}
	if len(f.Log) > 0 {
		s.Log = make([]UseEntry, len(f.Log), max(len(f.Log), UseLogSize))
		for i, e := range f.Log {
			s.Log[i] = UseEntry{Seq: e.Seq, KeyID: e.KeyID, Serial: e.Serial, Challenge: e.Challenge, At: utc(e.At), Degraded: e.Degraded}
		}
	}
	return s
}

// decodeState reads a state file of either version. lock is the token of
// the lock file it was written under (empty for version 1).
func decodeState(data []byte) (s DeviceState, lock string, err error) {
	rest, ok := bytes.CutPrefix(data, []byte(fileMagic))
	v1 := false
	if !ok {
		if rest, ok = bytes.CutPrefix(data, []byte(fileMagicV1)); !ok {
			return DeviceState{}, "", errStateFile
		}
		v1 = true
	}
	if len(rest) < 2*sha256.Size+1 || rest[2*sha256.Size] != '\n' {
		return DeviceState{}, "", errStateFile
	}
	var want [sha256.Size]byte
	if _, err := hex.Decode(want[:], rest[:2*sha256.Size]); err != nil {
		return DeviceState{}, "", errStateFile
	}
	body := rest[2*sha256.Size+1:]
	if sha256.Sum256(body) != want {
		return DeviceState{}, "", errStateFile
	}
	if v1 {
		if err := json.Unmarshal(body, &s); err != nil {
			return DeviceState{}, "", errStateFile
		}
		return s, "", nil
	}
	var f fileState
	if err := json.Unmarshal(body, &f); err != nil {
		return DeviceState{}, "", errStateFile
	}
	return f.state(), f.Lock, nil
}

// encodeState writes a version 2 state file of s under the lock file
// token lock.
func encodeState(s *DeviceState, lock string) ([]byte, error) {
	body, err := json.Marshal(toFile(s, lock))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	out := make([]byte, 0, len(fileMagic)+2*sha256.Size+1+len(body))
	out = append(out, fileMagic...)
	out = hex.AppendEncode(out, sum[:])
	out = append(out, '\n')
	return append(out, body...), nil
}
