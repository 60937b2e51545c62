package escrow

import (
	"fmt"
	"io"
	"time"

	"github.com/mdmcred/mdmcred/internal/ident"
	"github.com/mdmcred/mdmcred/internal/randcode"
)

// Names of the built-in kinds, as stored in every record.
const (
	KindDeviceLockPIN    = "devicelock-pin"
	KindRecoveryLock     = "recovery-lock-password"
	KindAdminPassword    = "admin-password"
	KindActivationBypass = "activation-lock-bypass"
	KindFileVaultKey     = "filevault-recovery-key"
	KindAgentPassword    = "agent-password"
)

// Never, as a [Policy] duration, turns the rotation off.
const Never time.Duration = -1

// DefaultRotateAfterView is how long after its first view a generated
// secret is rotated when its [Policy] says nothing: one hour, long enough
// to use the secret that was looked up (unlock a Mac, sign in as the local
// admin), short enough that a secret seen on a screen does not stay valid.
const DefaultRotateAfterView = time.Hour

// Policy says when the [Service] rotates a kind's Active secret. Rotation
// needs a new secret, so it applies only to kinds with a generator: a
// stored kind's zero Policy means no rotation, and [New] refuses a stored
// kind with a rotation period.
type Policy struct {
	// RotateAfterView: the secret is rotated this long after its first
	// view (a later view does not move the deadline; every view counts,
	// console or API). Zero: DefaultRotateAfterView; Never: not rotated
	// after a view.
	RotateAfterView time.Duration
	// RotateEvery: the secret is rotated this long after it became
	// Active. Zero or Never: no scheduled rotation.
	RotateEvery time.Duration
}

// Kind is one kind of escrowed secret, as data: its name, how a new one is
// drawn, how a reported one is checked, and its rotation [Policy]. The
// built-in kinds come from [DefaultKinds] and the constructors below; a host
// adds its own by filling a Kind in and passing it in [Config.Kinds].
type Kind struct {
	// Name is stored with every record; it must not change once records
	// exist. 1 to 64 bytes, the SDK's identifier rule.
	Name string
	// Generate draws a new secret from r. Nil: the kind is stored, never
	// generated (a device or agent reports it with [Service.Report]).
	Generate func(r io.Reader) (Secret, error)
	// Validate, if set, checks a secret before it is escrowed (a
	// generated one too). Its error must not contain the secret.
	Validate func(s string) error
	// Policy is the rotation policy.
	Policy Policy
}

// MaxKindLen bounds a Kind's Name, in bytes.
const MaxKindLen = 64

// check validates k for [New] and resolves its policy's zero values.
func (k Kind) check() (Kind, error) {
	if err := ident.Check(k.Name, MaxKindLen); err != nil {
		return k, &ConfigError{Field: "Kinds.Name", Err: err}
	}
	p := &k.Policy
	switch {
	case p.RotateAfterView < Never || p.RotateEvery < Never:
		return k, &ConfigError{Field: "Kinds[" + k.Name + "].Policy", Reason: "negative duration other than Never"}
	case k.Generate == nil && (p.RotateAfterView > 0 || p.RotateEvery > 0):
		return k, &ConfigError{Field: "Kinds[" + k.Name + "].Policy", Reason: "a stored kind (no Generate) cannot be rotated"}
	case k.Generate == nil:
		p.RotateAfterView, p.RotateEvery = Never, Never
	}
	if p.RotateAfterView == 0 {
		p.RotateAfterView = DefaultRotateAfterView
	}
	if p.RotateEvery == 0 {
		p.RotateEvery = Never
	}
	return k, nil
}

// DefaultKinds returns the built-in kinds with their default policies:
// [DeviceLockPIN], [RecoveryLockPassword] (20 characters), [AdminPassword]
// (24 characters), [ActivationLockBypass], [FileVaultRecoveryKey] and
// [AgentPassword]. It is what a zero [Config.Kinds] means.
func DefaultKinds() []Kind {
	rl, err := RecoveryLockPassword(0)
	if err != nil {
		panic(err) // the default length is valid
	}
	ap, err := AdminPassword(AdminPolicy{})
	if err != nil {
		panic(err)
	}
	return []Kind{DeviceLockPIN(), rl, ap, ActivationLockBypass(), FileVaultRecoveryKey(), AgentPassword()}
}

// DeviceLockPIN is the 6-digit PIN of a macOS DeviceLock command, uniform
// over all 10^6 values. Each lock command gets its own PIN and record; the
// PIN is not rotated (a new one needs a new lock), so its Policy is Never.
func DeviceLockPIN() Kind {
	g := mustGenerator(randcode.Digits, 6, nil)
	return Kind{Name: KindDeviceLockPIN, Generate: g.generate, Validate: g.validate,
		Policy: Policy{RotateAfterView: Never}}
}

// ActivationLockBypass is an Activation Lock bypass code in Apple's format
// (see [NewBypassCode]); the device, or Apple's activation lock service,
// receives [BypassHash] of it. It cannot be rotated (Apple keeps the hash),
// so its Policy is Never.
func ActivationLockBypass() Kind {
	return Kind{Name: KindActivationBypass, Generate: NewBypassCode,
		Validate: func(s string) error { _, err := parseBypassCode(s); return err },
		Policy:   Policy{RotateAfterView: Never}}
}

// FileVaultRecoveryKey is a FileVault personal recovery key, escrowed by
// the device (a profile's FDERecoveryKeyEscrow); stored, never generated.
// It must have the form Apple shows: 24 characters of [0-9A-Z] in six
// groups of four, separated by hyphens.
func FileVaultRecoveryKey() Kind {
	return Kind{Name: KindFileVaultKey, Validate: checkFileVaultKey}
}

// AgentPassword is a password an agent on the device set and reported
// (a local admin password the agent rotates itself); stored, never
// generated. It must be 1 to [MaxReportedLen] bytes.
func AgentPassword() Kind {
	return Kind{Name: KindAgentPassword, Validate: checkReported}
}

// MaxReportedLen bounds a reported secret, in bytes.
const MaxReportedLen = 1024

func checkReported(s string) error {
	if s == "" || len(s) > MaxReportedLen {
		return fmt.Errorf("length %d, want 1 to %d", len(s), MaxReportedLen)
	}
	return nil
}

// checkFileVaultKey accepts XXXX-XXXX-XXXX-XXXX-XXXX-XXXX over [0-9A-Z].
func checkFileVaultKey(s string) error {
	if len(s) != 29 {
		return fmt.Errorf("length %d, want 29 (six groups of four)", len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i%5 == 4 {
			if c != '-' {
				return fmt.Errorf("want a hyphen at %d", i)
			}
			continue
		}
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return fmt.Errorf("character at %d is not 0-9 or A-Z", i)
		}
	}
	return nil
}
