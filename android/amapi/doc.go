// Package amapi delivers the commands of package android through Google's
// Android Management API client (google.golang.org/api/androidmanagement/v1)
// and records their outcomes on the passcode reset lifecycle. It is a
// module of its own, so that no user of the SDK's core downloads Google's
// client unless they import this package.
//
// # Which function to call
//
// Build Google's client with androidmanagement.NewService (credentials of
// a service account with the androidmanagement scope) and a [Client] with
// [New]. Then, for a passcode reset:
//
//  1. passcode.Check the device (platform passcode.AndroidEnterpriseFullyManaged
//     or passcode.AndroidEnterpriseWorkProfile) and passcode.Service.Request
//     the reset;
//  2. [Client.ResetPassword] sends RESET_PASSWORD with the new passcode and
//     records Pending (or Failed);
//  3. the outcome arrives by [Client.PushHandler] (AMAPI's Pub/Sub COMMAND
//     notifications, pushed to your endpoint) or by [Client.Await], which
//     polls operations.get; either moves the reset to Succeeded, Failed or
//     Expired. Both may run: each move is recorded once.
//
// For LOCK, START_LOST_MODE and STOP_LOST_MODE, build the body with package
// android ([android.LockCommand], ...) and send it with [Client.Issue];
// call passcode.CheckLostMode before Lost Mode. [Client.Get] and
// [Client.Cancel] read and cancel an operation.
//
// # The new password
//
// The password travels from passcode.Result to the HTTP request and
// nowhere else: no field, log line, event or error of this package holds
// it, and a refused call's message has it cut out. Google's client logs
// request bodies at debug level: never give it a logger at
// slog.LevelDebug, nor set GOOGLE_SDK_GO_LOGGING_LEVEL=debug, where resets
// are sent.
package amapi
