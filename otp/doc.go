// Package otp implements RFC 4226 HOTP and RFC 6238 TOTP one-time codes,
// otpauth:// key URIs, and the user portal's one-time PIN with its
// eligibility check.
//
// # Authenticator codes (TOTP, HOTP)
//
// Start with [GenerateKey] (a new key; if unsure, keep the zero [Params]:
// SHA1, 6 digits, 30 s, which every authenticator app supports) or
// [ParseKey] / [NewKey] (an existing secret). Show the key to the user with
// [URI.Build] (the qr package renders the result) and keep [Key.Secret]
// sealed at rest. Then:
//
//	step, err := otp.ValidateTOTP(key, code, time.Now(), otp.ValidateOpts{Past: 1, MinStep: last + 1})
//	// on success persist step as last: the same code is then refused with ErrReplay
//
// [ValidateTOTP] has separate past and future skews, returns the matched step
// and an error that says why a code failed ([ErrFormat], [ErrInvalid],
// [ErrReplay]), never a bare bool. It computes every candidate step and
// compares in constant time with no early exit, so its timing does not
// depend on which step (if any) matched. [ValidateHOTP] does the same over an
// RFC 4226 look-ahead window.
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
// # Portal one-time PIN
//
// [NewPINService] takes a [PINConfig] (a [Store] such as [NewMemStore], and
// peppers). [PINService.Issue] gives a user a numeric PIN, 8 digits and
// valid 24 h by default, and voids the previous one; only its keyed hash
// (HMAC-SHA256 under a pepper, bound to the user name) is stored.
// [PINService.Verify] consumes it in one atomic [Store.Update]: of many
// concurrent correct attempts exactly one succeeds; after 5 wrong ones
// (default) the PIN is void. Before offering the option, call
// [Eligibility.Check]: it lists every missing requirement (role, license,
// policy) so the portal can explain why the option is hidden.
//
// Codes, PINs, secrets and key URIs are [secret.String] aliases ([Code],
// [PIN], [Secret], [KeyURI]): they print as [REDACTED] and reach their value
// only through Reveal. A [Key] prints its parameters, never its secret.
package otp
