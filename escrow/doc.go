// Package escrow keeps the device-administration secrets an MDM server must
// be able to show again: the 6-digit PIN of a macOS lock, a Mac's Recovery
// Lock password, a managed local admin password, an Activation Lock bypass
// code, a FileVault personal recovery key and passwords an agent reports.
// Each is sealed at rest, shown only through an audited view, rotated after
// it was viewed or on a schedule, and tracked per MDM command through an
// explicit lifecycle in which it is never in force before the device
// acknowledged it. docs/escrow.md holds the threat model and the formats.
//
// # Where to start
//
// Build a [Service] with [New] from a [Config]: a [Store] ([NewMemStore], or
// store/postgres' EscrowStore for several instances), sealing keys
// ([NewKeys]) and, if unsure, no Kinds (the built-in ones, [DefaultKinds]).
// Then, for a secret the server generates:
//
//   - [Service.Generate] draws and seals a new secret (a lock PIN, a
//     rotation an admin asked for). A second one for the same device and
//     kind while one is being set is refused with [ErrInProgress].
//   - When the MDM command that carries it is delivered, [Service.Deliver]
//     opens it by record ID, so no queue, table or log holds it in clear
//     (deliver an Activation Lock bypass code as its [BypassHash]).
//   - [Service.Sent] records the command's ID; the device's answer is
//     reported by that ID: [Service.Acknowledge] makes it Active (and the
//     previous one Rotated), [Service.Fail] Failed.
//   - An MDM channel that knows the command and the device asking, not the
//     record (apple/nanomdm's EscrowSource), delivers with
//     [Service.DeliverCommand] (which also opens the kind's Active secret,
//     for a command that must prove it, as SetRecoveryLock does) and checks
//     a device's answer is for its own command with [Service.ByCommand].
//
// For a secret the device or an agent sets itself (a FileVault key, an
// agent's password), call [Service.Report]: it is Active at once.
//
// An admin or API client sees a secret with [Service.Reveal], which records
// who, from which address, when and why, before it returns the secret; set
// [Config.Authorize] to have the Service ask the host's access rules and
// record refusals too. Call [Service.Due] every minute or so from any
// number of workers: it expires secrets whose command went unanswered and
// starts the rotations that fell due, which the host runs through the same
// steps. [Service.Purge] deletes closed history past its retention.
// [Service.History] and [Service.Events] feed a device's escrow card.
// After a sealing key rotation, [Service.Reseal] re-seals every retained
// secret under the new key, in batches, while the Service runs.
//
// # Kinds
//
// A [Kind] is data: a name, a generator (nil for a stored kind), an
// optional check, a rotation [Policy]. [DeviceLockPIN] (6 digits),
// [RecoveryLockPassword] (readable alphabet, 20 characters by default),
// [AdminPassword] (24 characters with four classes, or a passphrase),
// [ActivationLockBypass] (Apple's format, [NewBypassCode]),
// [FileVaultRecoveryKey] and [AgentPassword] are built in; a host adds its
// own by appending a Kind to DefaultKinds(). Generated secrets are uniform
// by rejection sampling from crypto/rand (or [Config.Rand]).
//
// # Rotation
//
// By default a generated secret is rotated one hour after its first view
// ([DefaultRotateAfterView]); later views do not move the deadline, and an
// API read is a view like any other. [Policy.RotateEvery] adds a schedule.
// A lock PIN and a bypass code are not rotated (a new PIN needs a new lock;
// Apple keeps the bypass hash), nor are stored kinds.
//
// # Lifecycle and store
//
// [Next] is the lifecycle's transition function over the table drawn on
// [State]. Every change is decided in Go on a versioned [Row] (all records
// of one device and kind, as opaque bytes) and written back with one
// conditional [Store.Write], retried on [ErrConflict]: a backend keeps
// bytes and compares revisions, and never holds a rule. Run
// escrowtest.RunStore against a new backend.
//
// # Secrets
//
// A [Secret] prints as [REDACTED] under every fmt verb, in log/slog and in
// JSON; errors, log lines and events never hold one. Records hold the
// secret sealed with AES-256-GCM under the host's key (docs/sealed-format.md,
// format 2; format 1, XChaCha20-Poly1305, written by earlier releases, still
// opens outside FIPS mode until [Service.Reseal] re-seals it), bound to the
// record, device, kind and version.
package escrow
