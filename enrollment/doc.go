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
// A passcode is one of 2^71.26: an attacker allowed a million guesses
// finds it with probability 10^6 / 2^71 = 4e-16, so guessing is hopeless at
// any rate a server allows. The lock is there to notice an attack and tell
// the site's admins, and it stops every self-service enrollment at the site
// until an admin regenerates and redistributes the passcode: it must never
// fire on employees' typos during a rollout. So it counts what an attack
// looks like, not typos. NIST SP 800-63B §5.2.2 limits consecutive failed
// attempts (at most 100); successes in between reset them. Three rules
// ([Rule]); the first that holds locks the passcode:
//
//   - [RuleConsecutive]: Config.Threshold failures in a row at the site,
//     with no success in between (default [DefaultThreshold] = 10, at most
//     [MaxThreshold] = 100);
//   - [RuleSource]: Config.SourceThreshold failures in a row from one
//     source (Verify's source label, an IP address), with no success from
//     that source in between (default [DefaultSourceThreshold] = 10, at
//     most 100): one attacker whose guesses are interleaved with
//     employees' successes. The [MaxSources] most recently failing sources
//     are followed;
//   - [RuleRate]: Config.RateFailures failures at the site within the last
//     Config.RateWindow, from any mix of sources and whatever the
//     successes (default [DefaultRateFailures] = 1,000 in
//     [DefaultRateWindow] = 10 minutes): an attacker spread over many
//     sources amid a rollout. The window slides: the count of the current
//     fixed window plus the previous one's, weighted by the share of it
//     still inside the window.
//
// The arithmetic of the defaults. A rollout of 100,000 enrollments in an
// hour with 2% single typos makes 2,000 failures an hour: about 333 in any
// 10 minutes (one standard deviation about 18), a third of the rate rule's
// 1,000. The rate rule is reached by typos only above 6,000 an hour
// (300,000 enrollments an hour at 2%): raise RateFailures for a larger
// rollout. A typo is followed by the same employee's success, which resets
// both consecutive counts; 10 failures in a row at a site (or from one
// address that many employees share behind NAT) need 10 typos with no
// success in between, about 0.02^10 = 1e-17 per attempt. An attacker
// alone locks the passcode at its 10th guess; from one source amid a
// rollout, at its 10th guess too; from many sources amid a rollout, once
// the site's failures pass 1,000 in 10 minutes (at 20,000 guesses an
// hour, in about 3 minutes). An attacker who stays under all three rules
// (at most 9 guesses per source, 6,000 an hour at the site, amid steady
// successes) makes at most 5.3e7 guesses a year: a chance of 2e-14 a year.
// enrollmenttest.RunStore checks both sides as properties on every Store:
// 100,000 enrollments with 2% typos over an hour never lock, and guessing
// runs lock with exactly one alert.
//
// The rules are pure Go in this package, the same for every backend: Verify
// loads the site's record ([Store.Load]), decides, and writes the record
// with its new [Lockout] back with a compare-and-swap on the record's
// revision ([Store.Write], which appends the failure's events with it, so
// a counted failure is one store operation), deciding again on
// [ErrConflict]. The failure that locks the passcode is the one whose swap
// succeeded with the lock,
// so exactly one attempt sends the alert however many race. A success
// writes the site's record only to reset a consecutive count after a
// failure (about one success in fifty during a rollout at 2% typos);
// otherwise it only appends its "used" event, conditioned on the record
// still being at the revision it was decided on ([Store.Append]): refused
// if the passcode was locked, disabled or replaced since it was read, so
// successes at one site do not wait for each other and none succeeds once
// another attempt has locked the passcode.
//
// # Stores
//
// [Store] is the SDK's one store idiom (otp and escrow follow it too):
// load a versioned record, decide in Go, write it back with one
// conditional operation (insert-if-absent for a site's first passcode,
// compare-and-swap on the revision otherwise, the events appended in the
// same operation), and decide again on [ErrConflict]. Generate,
// Regenerate, Disable and every counted attempt are such a write; the
// store interprets nothing (its only other refusal is [ErrDuplicate], the
// uniqueness of a digest across sites). [NewMemStore] keeps it in memory;
// store/postgres keeps it in PostgreSQL, each write one statement. The monitoring counters
// ([Status]: failed attempts since generation, including after the lock,
// the last failure and its source, the rule that locked it) are not reset
// by a success; a locked or disabled passcode stays off until an admin
// regenerates it, which resets everything. If the alert cannot be sent,
// Verify's error matches [ErrAlert], the lock stands and
// [Service.ResendAlert] tries again.
//
// Audit events ([Event]) record generation, regeneration, disabling,
// failures, the lock, alerts, views and uses, never a secret.
//
// # Design notes
//
// Racing attempts on one site through one [Service] take a per-site lock
// from their first lost compare-and-swap on, so that N callers make O(N)
// store calls rather than O(N^2); attempts through other instances still
// race through the compare-and-swap, which is what keeps every count and
// the alert exactly once.
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
// [*ParamError] on "site" or "actor" (matching [ErrParams], like every
// configuration or request check).
//
// A periodic job runs [Purge] over the Store (a [Purger], as MemStore and
// store/postgres are) to delete audit events older than [DefaultPurgeAge];
// passcode records are never purged.
//
// A host's own Store backend runs the conformance suite in
// enrollment/enrollmenttest, which also has gopter generators of valid and
// malformed passcodes.
package enrollment
