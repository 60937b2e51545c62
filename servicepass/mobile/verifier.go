package mobile

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"
	_ "time/tzdata" // named zones load on Android and iOS, whose Go runtime may find no zoneinfo

	"github.com/mdmcred/mdmcred/servicepass"
)

// Verifier checks service passwords on the device, offline. Create it with
// [NewVerifier]; it is safe for concurrent use. Call Close when done.
type Verifier struct {
	v     *servicepass.Verifier
	store io.Closer // nil for a memory state
	// mono is the latest monotonic reading (ms) the host passed; the
	// challenge lifetime uses only differences between readings.
	mono atomic.Int64
}

// NewVerifier returns a verifier for the device described by provisioning
// (the bytes of the provisioning file, docs/servicepass-format.md §10, which
// must record the activation mode) that keeps its state in the file at
// statePath, shared safely between processes. The provisioning marks the
// device as provisioned: a missing state file is damage (grants are
// degraded and every reversible action is reported for revert), so call
// [InitState] once when the provisioning file is installed.
//
// An empty statePath keeps the state in memory, as a fresh install: for
// tests and demos only (every restart forgets used codes and the lockout).
func NewVerifier(provisioning []byte, statePath string) (*Verifier, error) {
	p, err := servicepass.ParseProvisioning(provisioning)
	if err != nil {
		return nil, err
	}
	if !p.HasMode {
		return nil, errors.New("mobile: the provisioning file does not record the activation mode")
	}
	return newVerifier(p, statePath)
}

// newVerifier makes the verifier of p with the store at statePath (none:
// memory, freshly provisioned).
func newVerifier(p *servicepass.Provisioning, statePath string) (*Verifier, error) {
	m := &Verifier{}
	var store servicepass.DeviceStore
	if statePath != "" {
		fs, err := servicepass.OpenFileStore(statePath)
		if err != nil {
			return nil, err
		}
		store, m.store = fs, fs
	}
	var err error
	if m.v, err = servicepass.NewVerifier(p, store, nil); err != nil {
		if m.store != nil {
			_ = m.store.Close()
		}
		return nil, err
	}
	return m, nil
}

// InitState creates the device state at statePath: call it once, when the
// provisioning file is installed, before the first [NewVerifier] on that
// path. Calling it again on an existing state changes nothing.
func InitState(statePath string) error {
	fs, err := servicepass.OpenFileStore(statePath)
	if err != nil {
		return err
	}
	return errors.Join(servicepass.InstallProvisioning(context.Background(), "", nil, fs), fs.Close())
}

// Close releases the state file. The verifier must not be used after.
func (m *Verifier) Close() error {
	if m.store == nil {
		return nil
	}
	return m.store.Close()
}

// Verify checks the code the user typed (any case, spaces and hyphens, the
// look-alikes O, I and L allowed) at the device's wall-clock time
// nowUnixMs (Unix milliseconds: System.currentTimeMillis on Android,
// Date().timeIntervalSince1970*1000 on iOS). On "granted" it has recorded
// the use, opened the privileged window and appended to the use log.
func (m *Verifier) Verify(code string, nowUnixMs int64) *Result {
	return resultOf(m.v.Verify(context.Background(), code, time.UnixMilli(nowUnixMs)))
}

// NewChallenge makes a challenge for a challenge-bound code, replacing any
// outstanding one, and returns its display form (K7Q2M-9XJ4G) for the user
// to read to the help desk. monotonicMs is a reading of a monotonic clock
// in milliseconds (its origin does not matter; the same clock must be passed
// to VerifyResponse); the challenge lives 15 minutes on that clock and in
// this process only.
func (m *Verifier) NewChallenge(monotonicMs int64) (string, error) {
	m.mono.Store(monotonicMs)
	c, err := m.v.NewChallenge(servicepass.ChallengeOptions{Clock: m.clock})
	if err != nil {
		return "", err
	}
	return c.String(), nil
}

// VerifyResponse checks the response the help desk read out for the
// outstanding challenge, at the wall-clock time nowUnixMs (for the lockout
// and the window) and the monotonic reading monotonicMs (for the
// challenge's lifetime).
func (m *Verifier) VerifyResponse(response string, nowUnixMs, monotonicMs int64) *Result {
	m.mono.Store(monotonicMs)
	return resultOf(m.v.VerifyResponse(context.Background(), response, time.UnixMilli(nowUnixMs)))
}

// clock turns the host's latest monotonic reading into the time.Time the
// challenge's lifetime is measured with.
func (m *Verifier) clock() time.Time { return time.UnixMilli(m.mono.Load()) }

// millis returns t in Unix milliseconds, zero for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
