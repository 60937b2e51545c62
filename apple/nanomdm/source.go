package nanomdm

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mdmcred/mdmcred/apple"
)

// ErrUnknownCommand: the SecretSource holds nothing for this CommandUUID
// (a command the host queued without secrets, or one not from mdmcred).
var ErrUnknownCommand = errors.New("nanomdm: no secrets escrowed for this command")

// SecretSource is the escrow the [Service] asks for a command's secrets
// when nanomdm delivers it, and tells every result the device reports.
// [EscrowSource] is the one over mdmcred's escrow package; [MemSource] is an
// in-memory one.
//
// enrollmentID is the device-channel enrollment (the UDID, as NanoMDM
// normalizes it) whose request this is, authenticated by certauth when the
// Service sits behind it. A command escrowed for another enrollment must be
// answered with ErrUnknownCommand: one enrolled device must not be able to
// report (or fetch) another device's command.
type SecretSource interface {
	// Plaintext returns the secrets command commandUUID takes (the PIN, the
	// Recovery Lock passwords; never the UnlockToken, which the Service
	// holds), or ErrUnknownCommand. Called once per delivery.
	Plaintext(ctx context.Context, enrollmentID, commandUUID string) (apple.Secrets, error)
	// Result is told the outcome of every result the device reports for a
	// command (NotNow included), possibly more than once for the same
	// report: it must be idempotent. It returns ErrUnknownCommand for a
	// command it does not know, which the Service ignores; any other error
	// makes the Service refuse the report, and the device sends it again.
	Result(ctx context.Context, enrollmentID, commandUUID string, o apple.Outcome) error
}

// Escrow states a [MemSource] reports for a command's secrets.
const (
	// EscrowPending: queued, not yet acknowledged.
	EscrowPending = "pending"
	// EscrowActive: the device acknowledged; the secret is in force (a
	// Recovery Lock password, a lock PIN).
	EscrowActive = "active"
	// EscrowFailed: the device refused the command; the secret never took
	// effect.
	EscrowFailed = "failed"
)

// MemSource is an in-memory [SecretSource]: secrets sealed with an
// [apple.Sealer], the outcomes each command got, and whether its secret is
// active. For tests and as a model for an escrow; safe for concurrent use.
type MemSource struct {
	sealer *apple.Sealer
	now    func() time.Time

	mu   sync.Mutex
	cmds map[string]*memCmd
}

type memCmd struct {
	owner    string
	sealed   []byte
	state    string
	outcomes []apple.Outcome
}

var _ SecretSource = (*MemSource)(nil)

// NewMemSource returns a MemSource sealing with s; now is its clock
// (time.Now when nil).
func NewMemSource(s *apple.Sealer, now func() time.Time) *MemSource {
	if now == nil {
		now = time.Now
	}
	return &MemSource{sealer: s, now: now, cmds: map[string]*memCmd{}}
}

// Put escrows the secrets command commandUUID will take on enrollment
// enrollmentID, sealed, until notAfter (zero: no limit). Register a command
// with no secret (Lost Mode) with zero Secrets to have its outcomes
// recorded.
func (m *MemSource) Put(enrollmentID, commandUUID string, s apple.Secrets, notAfter time.Time) error {
	sealed, err := m.sealer.SealSecrets(commandUUID, s, notAfter)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cmds[commandUUID] = &memCmd{owner: enrollmentID, sealed: sealed, state: EscrowPending}
	return nil
}

// Plaintext implements SecretSource.
func (m *MemSource) Plaintext(_ context.Context, enrollmentID, commandUUID string) (apple.Secrets, error) {
	m.mu.Lock()
	c, ok := m.cmds[commandUUID]
	ok = ok && c.owner == enrollmentID
	var sealed []byte
	if ok {
		sealed = c.sealed
	}
	m.mu.Unlock()
	if !ok {
		return apple.Secrets{}, ErrUnknownCommand
	}
	return m.sealer.OpenSecrets(commandUUID, sealed, m.now())
}

// Result implements SecretSource: Succeeded makes the secret active, Failed
// failed; NotNow leaves it pending.
func (m *MemSource) Result(_ context.Context, enrollmentID, commandUUID string, o apple.Outcome) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cmds[commandUUID]
	if !ok || c.owner != enrollmentID {
		return ErrUnknownCommand
	}
	c.outcomes = append(c.outcomes, o)
	c.state = escrowNext(c.state, o.Kind)
	return nil
}

// escrowNext is the escrow state machine, the only writer of a command's
// state:
//
//	state     Succeeded  StillPending  Failed  NoResult
//	pending   active     pending       failed  pending
//	active    active     active        active  active
//	failed    failed     failed        failed  failed
//
// The first final outcome decides; a secret never goes from active back to
// pending, nor from failed to active (a late Acknowledged for a command
// already failed off the queue does not make its secret the one in force).
func escrowNext(state string, k apple.OutcomeKind) string {
	if state != EscrowPending {
		return state
	}
	switch k {
	case apple.Succeeded:
		return EscrowActive
	case apple.Failed:
		return EscrowFailed
	}
	return EscrowPending
}

// State returns the escrow state of commandUUID's secrets ("" when
// unknown).
func (m *MemSource) State(commandUUID string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.cmds[commandUUID]; ok {
		return c.state
	}
	return ""
}

// Outcomes returns the outcomes reported for commandUUID, in order.
func (m *MemSource) Outcomes(commandUUID string) []apple.Outcome {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.cmds[commandUUID]; ok {
		return append([]apple.Outcome(nil), c.outcomes...)
	}
	return nil
}
