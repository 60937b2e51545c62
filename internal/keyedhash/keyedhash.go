// Package keyedhash stores short secrets (passcodes, PINs) as a keyed hash:
// HMAC-SHA256 under a server-held pepper, with the pepper's ID in the digest
// so the pepper can rotate.
//
// A slow password hash (bcrypt, argon2) is the wrong tool here: a 12-symbol or
// 8-digit code has too little entropy for any affordable work factor to help,
// while a pepper the attacker does not hold makes a stolen table useless. The
// digest is deterministic, so it also serves as a lookup index.
package keyedhash

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// Format is the first byte of every [Digest].
const Format byte = 1

// Size is the length of a [Digest] in bytes: format, pepper ID, HMAC.
const Size = 2 + sha256.Size

// MinPepperLen is the shortest pepper accepted.
const MinPepperLen = 32

// Errors.
var (
	ErrPepper        = errors.New("keyedhash: invalid pepper set")
	ErrUnknownPepper = errors.New("keyedhash: digest made under an unknown pepper")
	ErrDigest        = errors.New("keyedhash: malformed digest")
)

// Digest is format || pepper ID || HMAC-SHA256(pepper, label). It is not
// secret on its own, but should still be kept out of logs.
type Digest []byte

// PepperID returns the ID of the pepper the digest was made under.
func (d Digest) PepperID() uint8 {
	if len(d) < 2 {
		return 0
	}
	return d[1]
}

// state is a keyed HMAC with scratch space, pooled so that hashing a short
// secret allocates nothing.
type state struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// Hasher computes and checks digests. It is safe for concurrent use.
type Hasher struct {
	current uint8
	pools   map[uint8]*sync.Pool
}

// New returns a Hasher that makes digests under peppers[current] and checks
// digests made under any of peppers. Each pepper must be at least
// [MinPepperLen] random bytes; the map is copied.
func New(current uint8, peppers map[uint8][]byte) (*Hasher, error) {
	if _, ok := peppers[current]; !ok {
		return nil, fmt.Errorf("%w: current pepper %d is not in the set", ErrPepper, current)
	}
	h := &Hasher{current: current, pools: make(map[uint8]*sync.Pool, len(peppers))}
	for id, p := range peppers {
		if len(p) < MinPepperLen {
			return nil, fmt.Errorf("%w: pepper %d has %d bytes, want at least %d", ErrPepper, id, len(p), MinPepperLen)
		}
		key := append([]byte(nil), p...)
		h.pools[id] = &sync.Pool{New: func() any {
			return &state{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 128)}
		}}
	}
	return h, nil
}

// Current returns the ID of the pepper new digests are made under.
func (h *Hasher) Current() uint8 { return h.current }

// Sum returns the digest of secret under the current pepper. domain separates
// uses ("enrollment/passcode", "otp/pin") so a digest from one cannot be
// replayed as another.
func (h *Hasher) Sum(domain, secret string) Digest {
	d, _ := h.SumWith(h.current, domain, secret)
	return d
}

// SumWith is [Hasher.Sum] under a given pepper, for looking up an index built
// before a rotation.
func (h *Hasher) SumWith(id uint8, domain, secret string) (Digest, error) {
	return h.appendSum(make(Digest, 0, Size), id, domain, secret)
}

func (h *Hasher) appendSum(dst Digest, id uint8, domain, secret string) (Digest, error) {
	pool, ok := h.pools[id]
	if !ok {
		return nil, ErrUnknownPepper
	}
	st := pool.Get().(*state)
	st.mac.Reset()
	st.buf = append(st.buf[:0], byte(len(domain)>>8), byte(len(domain)))
	st.buf = append(st.buf, domain...)
	st.buf = append(st.buf, secret...)
	st.mac.Write(st.buf)
	dst = append(dst, Format, id)
	dst = append(dst, st.mac.Sum(st.sum[:0])...)
	clear(st.buf)
	if cap(st.buf) <= 1024 {
		pool.Put(st)
	}
	return dst, nil
}

// Verify reports whether d is the digest of secret in domain, comparing in
// constant time. stale is true when d was made under a pepper other than the
// current one, so the caller should store a fresh [Hasher.Sum].
func (h *Hasher) Verify(domain, secret string, d Digest) (ok, stale bool, err error) {
	if len(d) != Size || d[0] != Format {
		return false, false, ErrDigest
	}
	var buf [Size]byte
	want, err := h.appendSum(buf[:0], d[1], domain, secret)
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(want, d) == 1
	return ok, ok && d[1] != h.current, nil
}

// IDs returns the pepper IDs the Hasher knows, current first.
func (h *Hasher) IDs() []uint8 {
	ids := []uint8{h.current}
	for id := range h.pools {
		if id != h.current {
			ids = append(ids, id)
		}
	}
	return ids
}
