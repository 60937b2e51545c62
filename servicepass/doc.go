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
// itself). The [Issued] that Issue returns, and hands the Mailer as it is,
// carries everything an email about the code shows: the device, mode and
// actions, the expiry (for a day-valid code its one date), the device's
// zone ([Request.Location]) and the privileged window its devices open
// ([IssuerConfig.Window]; zero: [DefaultWindow], as on the device). At enrollment, and after each key rotation, give the device its
// [Provisioning] ([Issuer.Provision], written with [WriteProvisioningFile]):
// its keyring, mode and time zone. Record the key IDs the agent confirms
// and pass them in [Request.KeyIDs], so that a device that missed a
// rotation still gets codes it can verify. Every key is checked: all-zero
// and all-0xFF key material (the zero key, an empty or erased key store) is
// refused ([ErrKeyUnusable]; other material is taken as it is, so draw keys
// with [GenerateMasterKey]), and a retired key ID is never given to a new
// key ([IssuerConfig.Retired], [ErrKeyIDReused]).
//
// # Device side
//
// Read the device's provisioning file with [ReadProvisioningFile] (a
// missing one is [ErrNotProvisioned]; the file is also the marker that the
// device was provisioned) and create a [Verifier] with [NewVerifier] from its
// device ID, activation [Mode], keyring of [DeviceKey] values and zone
// (required on COPE), [VerifierConfig.Provisioned] (true once the keyring is
// installed) and a [DeviceStore] (use [OpenFileStore] on a device — it is
// safe to share between processes — and [MemDeviceStore] in tests). The
// provisioning step calls [InitState] once. Then call [Verifier.Verify] with
// what the user typed and the device clock. Each rejection matches one
// sentinel (ErrTypo, ErrExpired, ErrReplay, ...). On success the [Grant] says
// what to do, and whether it is degraded or could not be saved
// ([Grant.StateError]).
//
// At start-up and while a window is active, the agent polls
// [Verifier.Window]: it re-applies an active window's actions, reverts what
// Revert reports (every reversible action after [ErrStateLost]) and
// acknowledges exactly that status with [Verifier.ClearWindow]. It uploads
// [Verifier.UseLog] when online and acknowledges with [Verifier.AckUseLog].
// The package's Example (DeviceStartUp) is this whole start-up routine:
// provisioning file, state, verifier, window.
//
// To keep the device keys in a platform keystore (Android Keystore, the iOS
// Keychain), give the verifier [NewHeldDeviceKey] values: the keystore
// computes each MAC ([HeldDeviceKey]). Android and iOS agents use the
// gomobile facade servicepass/mobile, C agents servicepass/capi
// (docs/mobile-agents.md).
//
// # Challenge-bound codes
//
// Where the device clock or state cannot be trusted, the device shows a
// challenge ([Verifier.NewChallenge]), the help desk answers it with
// [Issuer.Respond], and the user types the response on the device
// ([Verifier.VerifyResponse]). A response works once, for that challenge
// only, at any device time and whatever happened to the state.
//
// On the server, a periodic job runs [Purge] over the Issuer's Store (a
// [Purger], as MemStore and store/postgres are) to delete audit events
// older than [DefaultPurgeAge].
//
// This package imports the Go standard library only (and internal packages
// that do likewise), so a device agent can link it alone; a test enforces it.
package servicepass
