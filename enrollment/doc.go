// Package enrollment manages a site's company passcode: the shared secret
// employees type to enroll their own devices (self-service enrollment), with
// a failed-attempt lockout and a security alert to the site's admins.
//
// # Getting started
//
// Build a [Service] with [New] from a [Config] holding a [Store]
// ([NewMemStore] for tests), an [Alerter] and the host's pepper
// ([NewKeys]; keys print as their IDs only, so a Config can be logged).
// Then:
//
//   - the admin console calls [Service.Generate] (or [Service.Regenerate])
//     and shows the returned [Passcode] once, and [Service.Status] for the
//     passcode popup (generated at/by, state, failed attempts, last
//     failure); [Service.Disable] turns self-service enrollment off;
//   - the enrollment endpoint calls [Service.Verify] with the site and what
//     the user typed, or first [Service.ResolveSite] when the user types
//     only the passcode.
//
// # The passcode
//
// 12 characters from [0-9A-Za-z] with at least one digit, one lower-case and
// one upper-case letter, uniform over all such strings (2^71.26 of them),
// drawn from crypto/rand by rejection sampling ([NewPasscode]). Input is
// trimmed of surrounding white space and is case-sensitive; anything else
// that is not of this shape is [ErrMalformed] and counts as a failure.
//
// # At rest
//
// The Store never holds the passcode: only HMAC-SHA256 under a host-held
// pepper with a pepper ID (so the pepper can rotate), which is also the
// index ResolveSite uses (passcodes are unique across sites). A slow
// password hash would add nothing against 71 bits and cost every
// verification. When the host sets Config.SealKeys, an AES-256-GCM
// sealed copy, bound to the site and digest, lets admins see the passcode
// again with [Service.Reveal]; each view is an audit event. After a
// sealing key rotation, [Service.Reseal] re-seals every copy under the new
// key in batches, over a Store that implements [Resealer] (docs/keys.md).
//
// # Lockout and alert
//
// Every failure is counted by one atomic [Store.RecordFailure], which also
// locks at the threshold (Config.Threshold, default [DefaultThreshold], at
// most [MaxThreshold] = 100 as NIST SP 800-63B §5.2.2 allows)
// and reports JustLocked to exactly one caller; that caller, and only it,
// sends the alert. A success is confirmed by the atomic [Store.RecordUse],
// so no attempt succeeds once another has locked the passcode. Failures are
// not forgotten on success: the count is "failed attempts since this
// passcode was generated", and a locked or disabled passcode stays off
// until an admin regenerates it, which resets everything. If the alert
// cannot be sent, Verify's error matches [ErrAlert], the lock stands and
// [Service.ResendAlert] tries again.
//
// Audit events ([Event]) record generation, regeneration, disabling,
// failures, the lock, alerts, views and uses, never a secret.
//
// # Design notes
//
// Attempts on a locked passcode are refused without any comparison but are
// still counted, so Status shows whether an attack goes on after the
// alert; they are not written to the audit log one by one, which keeps an
// attacker from growing it. Attempts on a disabled passcode are neither
// compared nor counted. [Service.ResolveSite] treats a locked or disabled
// passcode as unknown, so it cannot be used to guess past a lock.
//
// Site identifiers and admin addresses are checked once, at the Service
// boundary and before any Store call, with one rule for every backend (1
// to [MaxSiteLen] bytes of valid UTF-8, no control, invisible formatting
// or noncharacter rune; admins are bare email addresses); a refusal is an
// [*IdentError] matching [ErrSite] or [ErrActor].
//
// A host's own Store backend runs the conformance suite in
// enrollment/enrollmenttest, which also has gopter generators of valid and
// malformed passcodes.
package enrollment
