// Package android delivers passcode resets, locks and Lost Mode to Android
// Enterprise devices through Google's Android Management API (AMAPI,
// androidmanagement.googleapis.com/v1): it builds the devices.issueCommand
// request bodies, reads the Operation AMAPI returns (from the call, from
// operations.get or from a Pub/Sub COMMAND notification) and maps it onto
// the passcode reset lifecycle. It uses the standard library only and makes
// no network call; the nested module android/amapi sends the requests with
// Google's client.
//
// # Which function to call
//
//   - Check the device first: [passcode.Check] for a reset (Android
//     Enterprise platforms passcode.AndroidEnterpriseFullyManaged and
//     passcode.AndroidEnterpriseWorkProfile, Android 14's 6-digit rule),
//     [passcode.CheckLostMode] before Lost Mode, which works only on
//     company-owned devices: AMAPI reports a Lost Mode command done on a
//     device that ignores it, so it must be refused before the call.
//   - Build the body: [ResetPasswordCommand] with the passcode from
//     passcode.Service.Request, [LockCommand], [StartLostModeCommand],
//     [StopLostModeCommand]. Each takes [Options] (the command's validity,
//     10 minutes by default). The [Body] is a redacting type: send its
//     bytes (its Reveal method) and drop it.
//   - Read the answer: [ParseOperation] for the JSON of an Operation,
//     [ParsePush] for a Pub/Sub push request. [Operation.Outcome] says where
//     the reset stands at a given time: Pending, Succeeded, Failed (with the
//     status or error code) or Expired (past createTime + duration without
//     a result).
//   - Record it: [Apply] takes the reset through the lifecycle moves
//     ([Steps]) through a [Lifecycle] such as *passcode.Service.
//
// If unsure: request the reset with passcode.Service, send
// ResetPasswordCommand(res.Passcode, 0, Options{}), and Apply the Outcome of
// each Operation you receive (the issueCommand answer, polls, pushes).
//
// # The new password
//
// The password is a parameter of [ResetPasswordCommand] only. The package
// keeps it nowhere else: the Body redacts itself, [ParseOperation] skips a
// newPassword that AMAPI echoes in the metadata, and no error holds an
// input value. Where the admin must see it again, passcode.Service keeps it
// sealed.
//
// # A host with its own device policy controller
//
// A host whose own agent is the device owner does not use AMAPI: its agent
// calls DevicePolicyManager.resetPasswordWithToken on the device (platform
// passcode.AndroidDeviceOwner). See docs/android.md.
package android
