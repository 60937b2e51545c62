package apple

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"io"
	"strconv"
	"time"
)

// Shadow hash parameters, as SetAutoAdminPassword's documentation gives
// them: 128 bytes of PBKDF2-HMAC-SHA512 output ("entropy") from a 32-byte
// random salt, with iterations calibrated to at least 100 ms of hashing, or
// "if unknown, a number in the range of 20,000 to 40,000".
const (
	EntropySize = 128
	SaltSize    = 32
	// MinIterations is the least iteration count accepted and the floor of
	// [CalibrateIterations].
	MinIterations = 20000
	// MaxIterations bounds the count (about 10 s of hashing on a laptop),
	// so a wrong calibration cannot hang the server or the Mac.
	MaxIterations = 10_000_000
)

// ShadowHash is a macOS SALTED-SHA512-PBKDF2 password hash, the form
// SetAutoAdminPassword sends instead of the password. It is a slow salted
// hash, not the password, but guessable offline for a weak password: keep
// it no longer than the command.
type ShadowHash struct {
	Entropy    []byte // EntropySize bytes of PBKDF2-HMAC-SHA512 output
	Salt       []byte // SaltSize bytes
	Iterations int
}

// HashAdminPassword hashes password for SetAutoAdminPassword with a fresh
// salt read from r (crypto/rand.Reader when nil). iterations must be in
// [MinIterations, MaxIterations]; use [CalibrateIterations] once at start-up.
func HashAdminPassword(password Secret, iterations int, r io.Reader) (ShadowHash, error) {
	if r == nil {
		r = rand.Reader
	}
	salt := make([]byte, SaltSize)
	if _, err := io.ReadFull(r, salt); err != nil {
		return ShadowHash{}, fieldError("salt", "reading randomness: "+err.Error())
	}
	return ShadowHashWithSalt(password, salt, iterations)
}

// ShadowHashWithSalt is [HashAdminPassword] with a given salt: for test
// vectors, and to check a hash.
func ShadowHashWithSalt(password Secret, salt []byte, iterations int) (ShadowHash, error) {
	if password.IsZero() {
		return ShadowHash{}, fieldError("password", "is required")
	}
	if len(salt) != SaltSize {
		return ShadowHash{}, fieldError("salt", "must be "+strconv.Itoa(SaltSize)+" bytes")
	}
	if iterations < MinIterations || iterations > MaxIterations {
		return ShadowHash{}, fieldError("iterations", "must be "+strconv.Itoa(MinIterations)+" to "+strconv.Itoa(MaxIterations))
	}
	k, err := pbkdf2.Key(sha512.New, password.Reveal(), salt, iterations, EntropySize)
	if err != nil {
		return ShadowHash{}, fieldError("entropy", err.Error())
	}
	return ShadowHash{Entropy: k, Salt: append([]byte(nil), salt...), Iterations: iterations}, nil
}

// CalibrateIterations returns the iteration count that makes one hash take
// about target on this machine (100 ms if target is zero), within
// [MinIterations, MaxIterations]. It hashes for a few milliseconds.
func CalibrateIterations(target time.Duration) int {
	if target <= 0 {
		target = 100 * time.Millisecond
	}
	const probe = 2000
	start := time.Now()
	_, _ = pbkdf2.Key(sha512.New, "calibration", make([]byte, SaltSize), probe, EntropySize)
	return scaleIterations(probe, time.Since(start), target)
}

// scaleIterations is CalibrateIterations' arithmetic, apart so that it is
// tested without a clock.
func scaleIterations(probe int, took, target time.Duration) int {
	if took <= 0 {
		return MaxIterations
	}
	n := float64(probe) * float64(target) / float64(took)
	switch {
	case n < MinIterations:
		return MinIterations
	case n > MaxIterations:
		return MaxIterations
	}
	return int(n)
}

// Plist is the hash serialized as Apple's ShadowHashData: a dictionary
// under SALTED-SHA512-PBKDF2 holding entropy, iterations and salt.
func (h ShadowHash) Plist() []byte {
	w := newPlistWriter()
	w.beginDict("")
	w.beginDict("SALTED-SHA512-PBKDF2")
	w.data("entropy", h.Entropy)
	w.integer("iterations", int64(h.Iterations))
	w.data("salt", h.Salt)
	w.endDict()
	w.endDict()
	return w.bytes()
}

func (h ShadowHash) check() error {
	switch {
	case len(h.Entropy) != EntropySize:
		return fieldError("passwordHash", "entropy must be "+strconv.Itoa(EntropySize)+" bytes")
	case len(h.Salt) != SaltSize:
		return fieldError("passwordHash", "salt must be "+strconv.Itoa(SaltSize)+" bytes")
	case h.Iterations < MinIterations || h.Iterations > MaxIterations:
		return fieldError("passwordHash", "iterations out of range")
	}
	return nil
}

// NewSetAutoAdminPassword builds SetAutoAdminPassword, which changes the
// password of the local administrator account (guid) that Setup Assistant
// created during Automated Device Enrollment (macOS 10.11+). The command
// carries h's ShadowHashData, never the password, so it needs no fill.
func NewSetAutoAdminPassword(uuid, guid string, h ShadowHash) (Command, error) {
	if guid == "" {
		return Command{}, fieldError("GUID", "is required")
	}
	if err := checkText("GUID", guid); err != nil {
		return Command{}, err
	}
	if err := h.check(); err != nil {
		return Command{}, err
	}
	return build(uuid, SetAutoAdminPassword, 0, func(w *plistWriter) {
		w.str("GUID", guid)
		w.data("passwordHash", h.Plist())
	})
}
