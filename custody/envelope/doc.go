// Package envelope wraps sealing and pepper keys with a Go Cloud
// Development Kit keeper (gocloud.dev/secrets): AWS KMS, Google Cloud KMS,
// Azure Key Vault, HashiCorp Vault, or a local key. The host keeps the
// wrapped keys in its key file or configuration and unwraps them once at
// start; the key that wraps them stays with the keeper.
//
// # Which function to call
//
// [New] with either a *secrets.Keeper the host built (such as
// awskms.OpenKeeper with its own *kms.Client) or a keeper URL opened with
// secrets.OpenKeeper ("awskms:///alias/mdmcred?region=eu-west-1",
// "gcpkms://projects/...", "azurekeyvault://...", "hashivault://..."), for
// whose scheme the host imports the driver (import _
// "gocloud.dev/secrets/awskms"). The result is a [custody.Wrapper]: call
// Wrap once when a sealing or pepper key is made, Unwrap at every start.
//
// If unsure: a keeper URL in the host's configuration, so that moving to
// another KMS is a configuration change.
//
// gocloud.dev/secrets/localsecrets ("base64key://...") keeps the wrapping
// key in the URL itself: for tests and development only (and its
// NaCl secretbox is not a FIPS 140-3 approved algorithm).
//
// # Timeouts, retries, errors
//
// Every call takes a context, passed to the keeper; retries and timeouts
// are those of the driver's client, which the host configures. Every
// error is a [*custody.Error] with Backend "envelope" wrapping the
// keeper's error (gcerrors.Code reads its code). A keeper URL can hold key
// material (base64key://), so neither a Config, a Wrapper nor an error
// shows the URL beyond its scheme.
package envelope
