// Package otp implements RFC 4226 HOTP and RFC 6238 TOTP one-time codes,
// otpauth:// key URIs, and the user portal's one-time PIN with its
// eligibility check.
//
// # Authenticator codes (TOTP, HOTP)
//
// To enroll a user, call [Generate] with your issuer name and the user's
// account: it draws a new key (if unsure, keep the zero [Params]: SHA1,
// 6 digits, 30 s, which every authenticator app supports) and returns its
// otpauth:// URI for the qr package to render. Keep [Key.Secret] sealed at
// rest. To import an existing key use [ParseURI] or [ParseKey]: they accept
// what pquerna/otp and Google Authenticator accept, including 80-bit
// secrets (marked [Key.Weak]; [GenerateKey] never makes one) and partial
// Base32 padding, and every refusal says why in its message.
//
// Then verify codes with a [TOTPService] (if unsure, use it): built with
// [NewTOTPService] on a [TOTPStore] ([NewMemStore], or store/postgres for
// several instances), its Verify accepts each code at most once per
// subject, counts consecutive failures against the same cap as PINs
// ([MaxConsecutiveFailures]), and tracks each subject's clock drift,
// re-centring the window on it; Resync takes two consecutive codes for a
// clock that drifted further. Its states are the [TOTPPhase] machine.
//
//	svc, _ := otp.NewTOTPService(otp.TOTPConfig{Store: otp.NewMemStore()})
//	res, err := svc.Verify(ctx, userID, key, code) // ErrReplay the second time
//
// [ValidateTOTP] is the stateless check underneath, for hosts that keep the
// state themselves: separate past and future skews (or a symmetric Skew),
// the matched step, and an error that says why a code failed ([ErrFormat],
// [ErrInvalid], [ErrReplay]), never a bare bool. Persist the step and pass
// it plus one as MinStep next time, or a code can be replayed. It computes
// every candidate step and compares in constant time with no early exit, so
// its timing does not depend on which step (if any) matched.
// [ValidateHOTP] does the same over an RFC 4226 look-ahead window.
//
// # FIPS 140-3 mode
//
// When the Go Cryptographic Module runs in FIPS 140-3 mode
// (crypto/fips140.Enabled: GODEBUG=fips140=on or only), [NewKey] and so
// every import and generation ([ParseKey], [ParseURI], [GenerateKey],
// [Generate]) refuse HMAC-SHA-1 (the zero [Params]) and secrets shorter
// than [FIPSMinSecretLen] (112 bits, NIST SP 800-131A) with a [*ParamError]
// naming the field and the rule (matching [ErrFIPS]): use SHA256, which
// most authenticator apps accept, and [GenerateKey]'s full-length secrets.
// Codes are then computed with crypto/hmac, inside the module, rather than
// the prepared-state path below. PIN digests are HMAC-SHA256 in both modes.
// docs/keys.md lists what the profile changes.
//
// # Performance
//
// A [Key] is decoded once and holds the HMAC state after the padded key
// block (RFC 2104 ipad/opad), marshaled. A code then costs two hash
// blocks (inner and outer) instead of four, and [AppendTOTP],
// [AppendHOTP], [ValidateTOTP] and [ValidateHOTP] allocate nothing: each
// hash is built from its concrete standard-library constructor in a small
// function, so the compiler keeps it on the stack. hmac.New, by contrast,
// allocates six times per code. The benchmarks module compares this with
// github.com/pquerna/otp.
//
// # Design notes
//
// Replay protection takes the next usable step ([ValidateOpts].MinStep,
// "last used + 1") rather than the last used one: step 0 is a real step, so
// a zero "last used" would be ambiguous, while a zero MinStep plainly means
// "nothing used yet". Validation returns the matched step or counter and an
// error, never a bool; a zero [Key] fails closed.
//
// Past the failure cap, a cool-down lifts a block for one more attempt at a
// time rather than restarting the count: a failure after it blocks again,
// so an attacker gets one guess per cool-down, while a user whose count an
// administrator resets gets the full allowance back. The cap rule is
// internal/attempt's Policy, shared with enrollment.
//
// # Portal one-time PIN
//
// [NewPINService] takes a [PINConfig] (a [Store] such as [NewMemStore], and
// peppers). [PINService.Issue] gives a user a numeric PIN, 8 digits and
// valid 24 h by default, and voids the previous one; only its keyed hash
// (HMAC-SHA256 under a pepper, bound to the user name) is stored.
// [PINService.Verify] consumes it with one conditional [Store.Write]: of
// many concurrent correct attempts exactly one succeeds; after 5 wrong ones
// (default) the PIN is void. Wrong PINs are also counted per user across
// re-issued PINs: at 100 in a row (the default and the maximum, NIST SP
// 800-63B §5.2.2) Issue and Verify return a [*BlockedError] until the
// cool-down ([DefaultCooldown], 24 h) passes or an administrator calls
// [PINService.ResetFailures]. Issue is rate limited per user
// ([DefaultPINIssueLimit] PINs per [DefaultPINIssueWindow]); run
// [PINService.Purge] from a periodic job to delete records of users with
// no recent activity without forgetting an open window's count. Before
// offering the option, call [Eligibility.Check]: it lists every missing
// requirement (role, license, policy) so the portal can explain why the
// option is hidden.
//
// # Stores
//
// [Store] and [TOTPStore] follow the SDK's one store idiom (the one
// escrow.Store follows): the service loads a versioned record, decides in
// Go, and writes it back with one conditional operation, compare-and-swap
// on the revision it decided on ([Store.Write] with prev), or
// insert-if-absent for a new record (prev 0); on [ErrConflict] another
// writer won and the service decides again on the record that won. The
// rules (the attempt caps, replay, the rate limit) are in this package,
// never in a backend.
//
// Each service also keeps a bounded cache (10,000 records) of the record it
// last read or wrote per user or subject, with its revision, and decides
// on it without a load: a PIN verified on the instance that issued it, or
// a TOTP code of a subject this instance saw last, is one round trip to
// the store. The cache can only cost a round trip, never change an
// outcome: a decision that writes takes effect only if the stored revision
// is still the cached one (so the cached record is the stored one);
// otherwise the write is refused and the decision made again on the
// stored record, loaded after the refusal (a write only writes, so that a
// write that applies costs only the write). A decision that writes nothing (a
// refusal) made on a cached record is made again on a loaded one before
// it is returned. A user or subject not in the cache is guessed new: the
// decision on the empty record is written insert-if-absent, one round
// trip for a new one and, for one that exists, three (the refused insert,
// a load, the write). A record's first revision is random (62 bits), so a record that
// a purge deleted and a later write created again never matches a
// revision an instance still has cached. So a stale cache never accepts a
// used PIN or code twice, never lets a wrong attempt go uncounted, and a
// refusal is always decided on the stored record. [PINService.Status] and
// [TOTPService.State] always load. The cached records hold what the store
// holds (keyed digests, counters), never a PIN or a key, and never print.
//
// # Identifiers
//
// Every user, subject and actor name is checked once at the service
// boundary (UTF-8, 1 to [MaxUserLen] bytes, no control or invisible
// formatting character) and refused with a [*ParamError] naming the field ("user", "subject" or
// "actor") and the rule, so every Store
// backend accepts and refuses the same names.
//
// Codes, PINs, secrets and key URIs are [secret.String] aliases ([Code],
// [PIN], [Secret], [KeyURI]): they print as [REDACTED] and reach their value
// only through Reveal. A [Key] prints its parameters, never its secret, as
// a value, a pointer or a struct field; a [PINConfig] prints without its
// peppers.
package otp
