// Package apple builds the Apple MDM commands that deliver device
// credentials and reads what the device answers, with the standard library
// alone, following Apple's Device Management protocol
// (developer.apple.com/documentation/devicemanagement and the
// github.com/apple/device-management schemas).
//
// # Which function to call
//
//   - To queue a command, build it: [NewClearPasscode] (iOS/iPadOS passcode
//     reset), [NewDeviceLock] (macOS: with a 6-digit PIN), [NewEnableLostMode]
//     / [NewDisableLostMode], [NewSetRecoveryLock], [NewSetAutoAdminPassword]
//     (with [HashAdminPassword]). Each gets a CommandUUID
//     ([NewCommandUUID]). Ask [Check] first whether the device can run it;
//     a refusal is an *UnsupportedError saying why.
//   - Queue [Command.Template] in the MDM server. It holds no secret: where
//     the device needs the UnlockToken, PIN or a password there is a
//     placeholder ([Command.Fills] lists them).
//   - When the server hands the command to the device, call [Fill] with the
//     [Secrets] (from the host's escrow) and send what it returns; nothing
//     stores it. [Placeholders] tells a middleware whether a command is one
//     to fill.
//   - When the device reports, [ParseResult] reads the plist,
//     [Result.Outcome] types it (Acknowledged: Succeeded, NotNow:
//     StillPending, Error and CommandFormatError: Failed with the
//     ErrorChain), and [Apply] (or the pure [Moves]) moves the passcode
//     reset's lifecycle.
//
// If unsure, use the nanomdm middleware in apple/nanomdm (a nested module),
// which does all of this for a NanoMDM server; a host with its own MDM
// server calls the functions above at the same three points: queue, deliver,
// report. docs/apple.md walks through each credential.
//
// # Secrets
//
// PINs and passwords are [Secret] values and the UnlockToken an
// [UnlockToken], redacted under every fmt verb, slog and JSON; errors name
// the field and rule, never the value. Every value written into a plist goes
// through encoding/xml's escaping, and builders refuse characters XML cannot
// carry, so no input changes the command's structure. SetAutoAdminPassword
// sends a SALTED-SHA512-PBKDF2 [ShadowHash] (128 bytes of PBKDF2-HMAC-SHA512
// from a 32-byte salt, iterations from [CalibrateIterations]), never the
// password.
//
// Between enrollment and delivery the server holds secrets: the UnlockToken
// from TokenUpdate, the escrowed PIN or passwords. A [Sealer] (built with
// [NewSealer] from the host's [Keys]) keeps them sealed with
// XChaCha20-Poly1305, each bound to its enrollment ID or CommandUUID, for a
// host without an escrow of its own and for the nested module, which cannot
// import this module's internal packages.
package apple
