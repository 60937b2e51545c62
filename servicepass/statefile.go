package servicepass

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"math"
	"time"
)

// The state file (docs/servicepass-format.md §7): a magic line, the hex
// checksum of the body, and the body. Version 2's body is binary,
// fixed-width big-endian fields with instants as Unix seconds and
// nanoseconds, so that any device time is saved and a save costs little
// more than writing the bytes, under a CRC-32C (the checksum detects
// damage, torn writes and bit rot; it cannot stop someone who can write the
// file, and need not be slower than the disk); it records the token of the
// lock file it was written under. Version 1 (SHA-256 over a JSON body with
// instants as RFC 3339, which stops at year 9999) is still read.
const (
	fileMagic   = "mdmcred servicepass device state v2\n"
	fileMagicV1 = "mdmcred servicepass device state v1\n"

	maxLockToken = 64 // bytes of a lock file token
	maxChallenge = 16 // bytes of a use log entry's challenge text
	instantLen   = 12 // an instant: seconds (8) and nanoseconds (4)
)

var errStateFile = errors.New("servicepass: damaged state file")

// stateWriter appends a version 2 body.
type stateWriter struct{ b []byte }

func (w *stateWriter) u8(v uint8)   { w.b = append(w.b, v) }
func (w *stateWriter) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *stateWriter) u64(v uint64) { w.b = binary.BigEndian.AppendUint64(w.b, v) }
func (w *stateWriter) str(s string) { w.u8(uint8(len(s))); w.b = append(w.b, s...) }

func (w *stateWriter) instant(t time.Time) {
	if t.IsZero() {
		t = time.Unix(zeroUnix, 0)
	}
	w.u64(uint64(t.Unix()))
	w.u32(uint32(t.Nanosecond()))
}

// zeroUnix is the Unix time of the zero time.Time, which a version 2 body
// writes for "none".
const zeroUnix = -62135596800

// stateReader reads a version 2 body; the first error sticks.
type stateReader struct {
	b   []byte
	bad bool
}

func (r *stateReader) take(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *stateReader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *stateReader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *stateReader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *stateReader) str(max int) string {
	n := int(r.u8())
	if n > max {
		r.bad = true
		return ""
	}
	return string(r.take(n))
}

func (r *stateReader) instant() time.Time {
	sec, ns := int64(r.u64()), r.u32()
	if ns >= 1e9 {
		r.bad = true
		return time.Time{}
	}
	if sec == zeroUnix && ns == 0 {
		return time.Time{}
	}
	return time.Unix(sec, int64(ns)).UTC()
}

// count reads a count of records of at least size bytes each, refusing
// more than the rest of the body can hold.
func (r *stateReader) count(size int) int {
	n := int(r.u32())
	if n > len(r.b)/size {
		r.bad = true
		return 0
	}
	return n
}

// Flag bits of a version 2 body.
const (
	flagProvisioned = 1 << iota
	flagRevertLost
	flagKnown = flagProvisioned | flagRevertLost
)

// appendBody appends the version 2 body of s under the lock file token lock.
func appendBody(dst []byte, s *deviceState, lock string) []byte {
	w := stateWriter{b: dst}
	w.str(lock)
	var flags uint8
	if s.Provisioned {
		flags |= flagProvisioned
	}
	if s.Revert.Lost {
		flags |= flagRevertLost
	}
	w.u8(flags)
	w.u64(uint64(max(s.Failures, 0)))
	w.instant(s.LastFailure)
	w.instant(s.LockedUntil)
	w.instant(s.HighWater)
	w.u64(uint64(s.MaxSkew))
	w.instant(s.NextForget)
	w.instant(s.PrunedExpiry)
	w.u8(uint8(s.Window.Actions))
	w.instant(s.Window.Start)
	w.instant(s.Window.End)
	w.u8(uint8(s.Revert.Actions))
	w.instant(s.Revert.Ended)
	w.u64(s.Revert.Seq)
	w.instant(s.DamagedAt)
	w.instant(s.DamageFound)
	w.u64(s.LogNext)
	w.u64(s.LogDropped)
	// Records in map order: a state may be written as several files,
	// which all read back as that state.
	w.u32(uint32(len(s.Used)))
	for k, u := range s.Used {
		w.u64(k)
		w.instant(u.Forget)
		w.u32(uint32(u.Day))
	}
	w.u32(uint32(len(s.Log)))
	for _, e := range s.Log {
		w.u64(e.Seq)
		w.u8(e.KeyID)
		w.u32(e.Serial)
		var d uint8
		if e.Degraded {
			d = 1
		}
		w.u8(d)
		w.instant(e.At)
		w.str(e.Challenge[:min(len(e.Challenge), maxChallenge)])
	}
	return w.b
}

// parseBody reads a version 2 body.
func parseBody(body []byte) (deviceState, string, error) {
	r := stateReader{b: body}
	lock := r.str(maxLockToken)
	flags := r.u8()
	var s deviceState
	s.Provisioned, s.Revert.Lost = flags&flagProvisioned != 0, flags&flagRevertLost != 0
	failures := r.u64()
	if flags&^flagKnown != 0 || failures > math.MaxInt32 {
		return deviceState{}, "", errStateFile
	}
	s.Failures = int(failures)
	s.LastFailure, s.LockedUntil, s.HighWater = r.instant(), r.instant(), r.instant()
	s.MaxSkew = time.Duration(r.u64())
	s.NextForget, s.PrunedExpiry = r.instant(), r.instant()
	s.Window.Actions = Actions(r.u8())
	s.Window.Start, s.Window.End = r.instant(), r.instant()
	s.Revert.Actions = Actions(r.u8())
	s.Revert.Ended, s.Revert.Seq = r.instant(), r.u64()
	s.DamagedAt, s.DamageFound = r.instant(), r.instant()
	s.LogNext, s.LogDropped = r.u64(), r.u64()
	if n := r.count(8 + instantLen + 4); n > 0 {
		s.Used = make(map[uint64]use, n)
		for range n {
			k := r.u64()
			s.Used[k] = use{Forget: r.instant(), Day: int32(r.u32())}
		}
		if len(s.Used) != n {
			r.bad = true // a key twice
		}
	}
	if n := r.count(8 + 1 + 4 + 1 + instantLen + 1); n > 0 {
		s.Log = make([]UseEntry, n, max(n, UseLogSize))
		for i := range s.Log {
			e := &s.Log[i]
			e.Seq, e.KeyID, e.Serial = r.u64(), r.u8(), r.u32()
			if d := r.u8(); d > 1 {
				r.bad = true
			} else {
				e.Degraded = d == 1
			}
			e.At, e.Challenge = r.instant(), r.str(maxChallenge)
		}
	}
	if r.bad || len(r.b) != 0 || s.MaxSkew < 0 {
		return deviceState{}, "", errStateFile
	}
	return s, lock, nil
}

// decodeState reads a state file of either version. lock is the token of
// the lock file it was written under (empty for version 1).
func decodeState(data []byte) (s deviceState, lock string, err error) {
	rest, ok := bytes.CutPrefix(data, []byte(fileMagic))
	v1 := false
	if !ok {
		if rest, ok = bytes.CutPrefix(data, []byte(fileMagicV1)); !ok {
			return deviceState{}, "", errStateFile
		}
		v1 = true
	}
	if v1 {
		if len(rest) < 2*sha256.Size+1 || rest[2*sha256.Size] != '\n' {
			return deviceState{}, "", errStateFile
		}
		var want [sha256.Size]byte
		if _, err := hex.Decode(want[:], rest[:2*sha256.Size]); err != nil {
			return deviceState{}, "", errStateFile
		}
		body := rest[2*sha256.Size+1:]
		if sha256.Sum256(body) != want {
			return deviceState{}, "", errStateFile
		}
		if err := json.Unmarshal(body, &s); err != nil {
			return deviceState{}, "", errStateFile
		}
		return s, "", nil
	}
	if len(rest) < 2*crc32.Size+1 || rest[2*crc32.Size] != '\n' {
		return deviceState{}, "", errStateFile
	}
	var want [crc32.Size]byte
	if _, err := hex.Decode(want[:], rest[:2*crc32.Size]); err != nil {
		return deviceState{}, "", errStateFile
	}
	body := rest[2*crc32.Size+1:]
	if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(want[:]) {
		return deviceState{}, "", errStateFile
	}
	return parseBody(body)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeState writes a version 2 state file of s under the lock file
// token lock.
func encodeState(s *deviceState, lock string) ([]byte, error) { return appendState(nil, s, lock) }

// appendState is encodeState into dst's storage.
func appendState(dst []byte, s *deviceState, lock string) ([]byte, error) {
	if len(lock) > maxLockToken {
		return nil, errors.New("servicepass: lock file token too long")
	}
	head := len(fileMagic) + 2*crc32.Size + 1
	if need := head + 200 + len(s.Used)*24 + len(s.Log)*40 + len(lock); cap(dst) < need {
		dst = make([]byte, 0, need+need/4)
	}
	out := dst[:head]
	out = appendBody(out, s, lock)
	copy(out, fileMagic)
	var sum [crc32.Size]byte
	binary.BigEndian.PutUint32(sum[:], crc32.Checksum(out[head:], castagnoli))
	hex.Encode(out[len(fileMagic):], sum[:])
	out[head-1] = '\n'
	return out, nil
}

// stateHead is the length of a version 2 state file's magic line and
// checksum line.
const stateHead = len(fileMagic) + 2*crc32.Size + 1

// v2Body returns the body of a version 2 state file whose checksum holds.
func v2Body(data []byte) ([]byte, bool) {
	if len(data) < stateHead || !bytes.HasPrefix(data, []byte(fileMagic)) || data[stateHead-1] != '\n' {
		return nil, false
	}
	var want [crc32.Size]byte
	if _, err := hex.Decode(want[:], data[len(fileMagic):stateHead-1]); err != nil {
		return nil, false
	}
	body := data[stateHead:]
	return body, crc32.Checksum(body, castagnoli) == binary.BigEndian.Uint32(want[:])
}

// stateLock returns the lock file token a state file was written under,
// without decoding the rest of a version 2 file: ok is false for a file
// whose checksum fails or anything that is no state file. A version 1 file
// (which has no token) is decoded whole: it is read once, before the first
// save replaces it.
func stateLock(data []byte) (lock string, ok bool) {
	if bytes.HasPrefix(data, []byte(fileMagicV1)) {
		_, _, err := decodeState(data)
		return "", err == nil
	}
	body, ok := v2Body(data)
	if !ok || len(body) == 0 || int(body[0]) > maxLockToken || len(body) < 1+int(body[0]) {
		return "", false
	}
	return string(body[1 : 1+body[0]]), true
}

// stampLock appends to dst the version 2 state file blob (written without
// a lock file token) with the token lock, under a new checksum. It refuses
// a blob whose checksum fails, so that it never makes damage look sound.
func stampLock(dst, blob []byte, lock string) ([]byte, error) {
	body, ok := v2Body(blob)
	if !ok || len(body) == 0 || body[0] != 0 {
		return nil, errStateFile
	}
	if len(lock) > maxLockToken {
		return nil, errors.New("servicepass: lock file token too long")
	}
	dst = append(dst[:0], blob[:stateHead]...)
	dst = append(dst, uint8(len(lock)))
	dst = append(dst, lock...)
	dst = append(dst, body[1:]...)
	var sum [crc32.Size]byte
	binary.BigEndian.PutUint32(sum[:], crc32.Checksum(dst[stateHead:], castagnoli))
	hex.Encode(dst[len(fileMagic):], sum[:])
	return dst, nil
}
