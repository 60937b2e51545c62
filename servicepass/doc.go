// Package servicepass makes and checks emergency service passwords: short
// codes an MDM administrator issues for one device, which the device agent
// verifies offline to unlock it, leave kiosk mode, lift network restrictions
// and the like for a privileged window.
//
// The code format is specified byte for byte in docs/servicepass-format.md,
// with test vectors in testdata/vectors.json: 25 Crockford Base32 symbols
// carrying the actions, the expiry, a random serial and a 50-bit
// HMAC-SHA256 tag under a per-device key, ending in a mod-37 check symbol.
//
// # Server side
//
// Create an [Issuer] with [NewIssuer] from the site's [MasterKey] (see
// [GenerateMasterKey]) and call [Issuer.Issue] with a [Request]. The rules
// ([CheckRules]) and validity bounds ([MinValidity], [MaxValidity]) are
// checked first; each broken rule is a [*RuleError] matching its own
// sentinel. QR rendering and email go through the [QREncoder] and [Mailer]
// ports, and every code is recorded in the audit [Store] (never the code
// itself). At enrollment, provision the device with [Issuer.DeviceKeys].
//
// # Device side
//
// Create a [Verifier] with [NewVerifier] from the device ID, its activation
// [Mode], its keyring of [DeviceKey] values, its time zone (required on
// COPE), [VerifierConfig.Provisioned] (true once the keyring is installed)
// and a [DeviceStore] (use [OpenFileStore] on a device — it is safe to share
// between processes — and [MemDeviceStore] in tests). The provisioning step
// calls [InitState] once. Then call [Verifier.Verify] with what the user
// typed and the device clock. Each rejection matches one sentinel (ErrTypo,
// ErrExpired, ErrReplay, ...). On success the [Grant] says what to do, and
// whether it is degraded or could not be saved ([Grant.StateError]).
//
// At start-up and while a window is active, the agent polls
// [Verifier.Window]: it re-applies an active window's actions, reverts what
// Revert reports (every reversible action after [ErrStateLost]) and
// acknowledges exactly that status with [Verifier.ClearWindow]. It uploads
// [Verifier.UseLog] when online and acknowledges with [Verifier.AckUseLog].
//
// This package imports the Go standard library only (and internal packages
// that do likewise), so a device agent can link it alone; a test enforces it.
package servicepass
