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
// A device agent needs these names, and no others, from provisioning to
// the use log:
//
//	InstallProvisioning   once, when the provisioning arrives (or a rotation)
//	ReadProvisioningFile  at each start: the device ID, mode, keyring, zone
//	OpenFileStore         the state file, shared safely between processes
//	NewVerifier           from the provisioning, the store, options (nil)
//	Verifier.Verify       what the user typed, at the device clock -> Grant
//	Verifier.Window       at start-up and while a window is open -> WindowStatus
//	Verifier.ClearWindow  after reverting what the status said
//	Verifier.UseLog       when online: entries to upload -> []UseEntry
//	Verifier.AckUseLog    after uploading them
//	ErrStateLost, ErrNotSaved, ErrLockedOut
//
// plus the sentinels of the refusals it tells the user apart (ErrTypo,
// ErrExpired, ErrReplay, ...). [InstallProvisioning] creates the device
// state and then writes the provisioning file: from then on, having a
// provisioning means the device was provisioned, so a missing state is a
// lost one (damage: degraded grants, every reversible action to revert),
// never a fresh install in which used codes verify again. There is no
// second switch to keep in agreement with the file.
//
// [Verifier.Verify] checks a code in a documented order; each refusal
// matches one sentinel. On success the [Grant] says what to do, and whether
// it is degraded or could not be saved ([Grant.StateError]). At start-up
// and while a window is active, the agent polls [Verifier.Window]: it
// re-applies an active window's actions, reverts what Revert reports
// (every reversible action after [ErrStateLost]) and acknowledges exactly
// that status with [Verifier.ClearWindow]. It uploads [Verifier.UseLog]
// when online and acknowledges with [Verifier.AckUseLog]. The package's
// Example (DeviceStartUp) is this whole start-up routine.
//
// The state itself is the package's: a [DeviceStore] keeps it as opaque
// bytes, which the verifier encodes with a version and a checksum
// (docs/servicepass-format.md §7), decodes, and declares lost when they are
// missing or do not decode. When a save fails, the verifier keeps its
// decision in memory, so that the replay guard and the lockout hold while
// the process runs. Every method that touches the state takes a context,
// which bounds the wait while another process holds it. Use
// [OpenFileStore] on a device and [NewMemDeviceStore] in tests.
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
