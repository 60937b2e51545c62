// Package nanomdm delivers mdmcred's Apple credentials through a NanoMDM
// server (github.com/micromdm/nanomdm): a service middleware that keeps the
// devices' secrets out of NanoMDM's queue, storage and logs, and moves the
// passcode reset lifecycle on what the devices answer.
//
// It is a nested module so that users of the core never download NanoMDM;
// a host with its own MDM server uses the apple package alone (see
// docs/apple.md).
//
// # Where to start
//
// Wrap NanoMDM's service with [New], put certauth in front, and serve it
// with NanoMDM's own HTTP handlers:
//
//	mw, err := mdmnanomdm.New(nanomdm.New(store), mdmnanomdm.Config{
//		Source: src,                          // mdmnanomdm.NewEscrowSource(escrowService): PINs, Recovery Lock passwords
//		Tokens: tokens,                       // a TokenStore: sealed UnlockTokens
//		Sealer: sealer,                       // apple.NewSealer(keys, id)
//		Lifecycle: resets,                    // a *passcode.Service
//		ResetOf: func(ctx context.Context, enrollmentID, commandUUID string) (string, bool) { ... },
//	})
//	svc := certauth.New(mw, store)
//	mux.Handle("/mdm", httpmdm.CheckinAndCommandHandler(svc, logger))
//
// To send a credential: draw its secret in the escrow (escrow's
// Service.Generate, or a rotation its Service.Due started), build the
// command with the apple package, and queue it with [EscrowSource.Queue],
// which records the command in the escrow and queues its template; push
// as for any command. A command with no escrowed secret (ClearPasscode,
// Lost Mode) is queued with [Enqueue]. The [Service] fills the secrets in
// when the device fetches the command and tells the escrow (and the reset)
// what the device answered; the secret is in force only once the device
// acknowledged.
//
// If unsure, use [EscrowSource] (over mdmcred's escrow package: sealed,
// audited views, rotation) as the [SecretSource]. [MemSource] and
// [MemTokenStore] are in-memory implementations for tests and
// single-process hosts; a host with an escrow of its own implements
// [SecretSource] over it, and [TokenStore] over its database.
//
// cmd/demomdm is a runnable demo: NanoMDM with this middleware and three
// simulated devices behind a small API, which the examples/console web app
// drives (docs/apple.md).
//
// # What the Service guarantees
//
//   - The UnlockToken of a TokenUpdate is sealed into the TokenStore and
//     removed from the message (and its raw body) before NanoMDM stores it.
//   - A queued command holds placeholders, never a secret; the filled bytes
//     exist only in the response to the device.
//   - Every result is typed (apple.ParseResult) and reported to the escrow
//     and the lifecycle before NanoMDM stores it; a report the escrow cannot
//     take is refused (HTTP 500) and the device sends it again.
//   - A command whose secrets cannot be had at delivery is not sent: the
//     Service reports it to NanoMDM as failed (ErrorDomain "mdmcred") and
//     hands out the next command.
//
// NanoMDM itself logs the body of a check-in it cannot parse; a malformed
// TokenUpdate could so put an UnlockToken in a log line before any
// middleware runs. Keep NanoMDM's log at the level you keep its storage.
package nanomdm
