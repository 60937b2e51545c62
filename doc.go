// Package mdmcred is an SDK for the short-lived credentials of mobile device
// management: emergency service passwords, company enrollment passcodes,
// remote passcode resets and portal one-time PINs, with the QR codes and
// localized email that deliver them.
//
// This root package holds only this overview; the code lives in the
// packages below. Each keeps its rules as pure functions and value types,
// and has one service type whose ports (a Store, a Mailer, a clock, a source
// of randomness) are small interfaces the host wires up.
//
// # Which package to import
//
//   - [github.com/mdmcred/mdmcred/servicepass]: an admin issues an emergency
//     service password for one device; the device agent verifies it offline.
//     A device agent imports this package only: its verifier builds with
//     the Go standard library alone.
//   - [github.com/mdmcred/mdmcred/enrollment]: a site's 12-character company
//     passcode for self-service enrollment, with failed-attempt lockout and a
//     security alert.
//   - [github.com/mdmcred/mdmcred/passcode]: remote device passcode reset:
//     platform rules, policy-compliant generators, a tracked lifecycle.
//   - [github.com/mdmcred/mdmcred/apple]: Apple MDM commands that deliver
//     these credentials (ClearPasscode, DeviceLock with a PIN, Lost Mode,
//     Recovery Lock, the local admin password), with secrets filled in only
//     at delivery, and the device's results typed for the reset lifecycle;
//     the nested module apple/nanomdm plugs it into a NanoMDM server, with
//     the escrow package as the source of PINs and Recovery Lock passwords
//     (its EscrowSource). See docs/apple.md.
//   - [github.com/mdmcred/mdmcred/otp]: RFC 4226 HOTP, RFC 6238 TOTP, and
//     single-use portal PINs with an eligibility check.
//   - [github.com/mdmcred/mdmcred/escrow]: device-administration secrets
//     shown again (macOS lock PIN, Recovery Lock and local admin passwords,
//     Activation Lock bypass codes, FileVault keys): sealed, each view
//     audited, rotated after view, tracked per MDM command.
//   - [github.com/mdmcred/mdmcred/qr]: QR rendering to PNG, SVG, terminal
//     text and data: URIs.
//   - [github.com/mdmcred/mdmcred/notify]: the Mailer port, a message catalog
//     in several languages, an SMTP adapter and a development outbox, and the
//     adapters that plug it into the domain packages' mail ports.
//   - [github.com/mdmcred/mdmcred/store/postgres]: a PostgreSQL backend for
//     every server-side Store, for hosts that run several instances.
//   - [github.com/mdmcred/mdmcred/keyfile]: the key file of master, sealing
//     and pepper keys, with key IDs and retirement, in clear or wrapped by a
//     KMS or HSM key and unwrapped once at start.
//   - [github.com/mdmcred/mdmcred/custody]: the port for keys an HSM or KMS
//     holds (a master key's PRK, a wrapping key); backends in nested modules.
//
// docs/keys.md says where each key lives, how each rotates, and what the
// FIPS 140-3 profile (GODEBUG=fips140=on) changes.
//
// Test kits, imported only from _test.go files: each domain package has one
// beside it (servicepass/servicepasstest, enrollment/enrollmenttest,
// passcode/passcodetest, otp/otptest, escrow/escrowtest) with gopter generators and the
// conformance suite for its Store; [github.com/mdmcred/mdmcred/mdmcredtest]
// holds the fake clock. See docs/testkit.md.
//
// # A short tour
//
// An MDM server creates one service per package with its own stores and
// keys, for example a servicepass issuer with the site's master key, and calls
// it from the admin console. Secrets come back as values that print as
// [REDACTED] under every fmt verb and in log/slog; call Reveal where the
// secret must be shown. Every rejection is a sentinel error matched with
// errors.Is, and carries no secret.
//
// Run the quickstart to see every flow end to end:
//
//	go run ./examples/quickstart
package mdmcred
