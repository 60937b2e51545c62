// Package passcode resets a managed device's passcode remotely: it decides
// what each platform allows, generates a passcode that meets the device's
// policy, and tracks each reset through an explicit lifecycle with an audit
// trail.
//
// # Where to start
//
// Build a [Service] with [New] from a [Config] (a [Store] such as
// [NewMemStore], sealing keys, optionally a [Mailer]). An admin console calls
// [Service.Request]; a user portal calls [Service.SelfService]. Both return
// the new passcode to put in the MDM command; the host then reports the
// device's progress with [Service.Transition] and shows the passcode again
// with [Service.Reveal]. Call [Service.ExpireStale] periodically.
//
// The pure parts work alone: [Check] says what a reset of a [Device] will
// do; [Generate] (or a reusable [NewGenerator]) draws a passcode for a
// [Policy]; [Validate] checks one; [IsNumericComplex] is Android's
// NUMERIC_COMPLEX rule.
//
// # Platforms
//
// Android device owner sets a new passcode (API 26+, active reset token);
// legacy Android device admin is refused on Android 8+ and on 7.x when a
// passcode is set; iOS and iPadOS clear the passcode (escrowed UnlockToken
// required) and the user has 60 minutes to set one; macOS locks with a
// 6-digit PIN (on Apple silicon, from macOS 11.5); Windows Phone 8.1 takes
// a numeric passcode; Windows desktops have no MDM passcode reset. The
// package apple builds these Apple commands and gates the others (Lost
// Mode, Recovery Lock). Android Enterprise devices run by Google's
// Android Device Policy (fully managed, or a work profile) are reset through
// the Android Management API (package android) from Android 8.0 on; on
// Android 14 and later a numeric passcode there has at least 6 digits
// ([Android14NumericMin]). [CheckLostMode] says whether such a device can
// be put into Lost Mode: only company-owned ones, fully managed on Android
// 11+ or a company-owned work profile on Android 13+. Resets on Android, by
// an admin or through the portal, use an 8-character alphanumeric passcode
// unless the device's own policy says otherwise; a device policy allowing
// more than [AndroidMaxLength] (16) characters, which Android's lock screen
// refuses, is unsupported. A refusal is an *UnsupportedError naming the rule
// and saying why, matching [ErrUnsupported].
//
// # Identifiers
//
// Device, user, actor, viewer and reset IDs and the user's email address are
// checked once, at the Service boundary and before any Store call, with one
// rule for every backend: 1 to [MaxIDLen] bytes of valid UTF-8 with no
// control, invisible formatting or noncharacter rune. A refusal is an
// [*ParamError] naming the field (matching [ErrParams], like every
// configuration or request check); the conformance suite in
// passcode/passcodetest checks that every backend gives the same answer.
//
// # Generators
//
// A [Policy] names a [Kind] (numeric, numeric-complex, alphabetic,
// alphanumeric, complex, readable) and a length range. Passcodes are drawn
// by rejection sampling from crypto/rand (or the injected reader) and are
// uniform over every string the policy admits, across all allowed lengths
// (see [Generator] for why that favours the longest length). If unsure, use
// the platform's policy from [Check]; for a passcode read aloud, Readable.
//
// Numeric-complex means no 4 consecutive digits in arithmetic progression
// with any step: 4444, 1234, 4321, 2468 and 1357 are all refused, as
// Android's own check does.
//
// # Lifecycle
//
// A reset moves Requested -> Pending -> Acknowledged -> Succeeded, or from
// any of those open states to Failed or Expired ([CanTransition]). Each move
// is one conditional Store write together with its [Event] (time, actor);
// [Service.Events] lists them per reset or per device. A device has at most
// one open reset: a second request gets [ErrResetInProgress]; a stale one
// ([Config.StaleAfter], default 24 h) is expired first.
//
// # Stores
//
// A [Store] follows the SDK's one store idiom: the Service loads a reset
// ([Store.Load], with its [Reset.Rev]), decides in Go (the lifecycle, the
// stale deadline, who holds the device) and writes it back with one
// conditional [Store.Write] with its events: insert-if-absent for a new
// reset, compare-and-swap on Rev for a move. When the write returns
// [ErrConflict] it loads and decides again. The store checks no state: one
// open reset per device holds because the Service sets [Reset.OpenDevice]
// while a reset is open and the store keeps that field unique; a refused
// insert is then told apart in Go ([Store.Open]: the device's open reset,
// [*InProgressError]; [Store.Load]: [ErrDuplicateID]). [MemStore] and
// store/postgres implement it; passcodetest.RunStore checks a new one.
//
// # Secrets
//
// Passcodes are [Passcode] values, which print as [REDACTED]; the sealing
// keys are [Keys] ([NewKeys]), which print as their key IDs, so a Config
// can be logged. At rest the
// passcode is sealed with AES-256-GCM, bound to the reset (its ID,
// device, requester, owner and self-service flag, so a rewritten row does
// not open), with a retention limit ([Config.Retention], default 48 h).
// Only the requesting admin (for an admin reset) or the device's own user in
// the portal, signed in again within 5 minutes (for their self-service
// reset), may reveal it; every view and every refusal is an Event. No error,
// log line or event holds a passcode.
//
// To rotate the sealing key, make a new key current (keep the old one in
// SealKeys) and run [Service.Reseal] from a job: it re-seals every stored
// passcode under the new key in batches, with a progress report, over a
// Store that implements [Resealer] (MemStore and store/postgres do); then
// drop the old key. docs/keys.md has the runbook, and package keyfile keeps
// the keys wrapped by a KMS or HSM key.
//
// A periodic job runs [Purge] over the Store (a [Purger], as MemStore and
// store/postgres are) to delete finished resets, with their events, and
// other events older than [DefaultPurgeAge]; open resets are kept.
package passcode
