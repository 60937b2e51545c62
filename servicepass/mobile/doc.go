// Package mobile is the device verifier of service passwords
// (package servicepass) in the plain types gomobile binds, for Android
// (Kotlin/Java) and iOS (Swift/Objective-C) agents: signed integers,
// strings, []byte and bool; wall time in int64 Unix milliseconds and a
// monotonic reading in int64 milliseconds; results as a [Result] with a
// stable string code instead of Go errors.
//
// Which function to call:
//
//   - At start-up, [NewVerifier] with the provisioning file's bytes
//     (docs/servicepass-format.md §10) and the path of the state file (on
//     Android in device-protected storage, see docs/mobile-agents.md). Once,
//     when the provisioning file is installed, [InitState] with the same
//     path.
//   - When the user types a code, [Verifier.Verify] with the device's wall
//     clock; branch on [Result.Outcome] (the table is in result.go and
//     docs/mobile-agents.md).
//   - For a challenge-bound code, [Verifier.NewChallenge] and then
//     [Verifier.VerifyResponse], both with the monotonic clock
//     (SystemClock.elapsedRealtime on Android, clock_gettime(CLOCK_MONOTONIC_RAW)
//     / ProcessInfo.systemUptime on iOS).
//   - At start-up and while a window is active, [Verifier.Window], then
//     [Verifier.ClearWindow] after reverting what it reports.
//   - When online, [Verifier.UseLog], upload it, then [Verifier.AckUseLog].
//
// To keep the device keys in Android Keystore or the iOS Keychain, import
// them at provisioning ([ParseProvisioning], [Provisioning.Key]) and create
// the verifier with [NewHeldVerifier] over the host's [DeviceMAC] instead.
//
// The package is a thin facade: every rule is servicepass's. It imports the
// standard library only, time/tzdata included so that named zones load on
// every platform. See docs/mobile-agents.md.
package mobile
