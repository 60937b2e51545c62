// Package vault keeps a service-password key in HashiCorp Vault's (or
// OpenBao's) Transit secrets engine and derives device keys there with its
// hmac endpoint, and wraps sealing and pepper keys with its encrypt and
// decrypt endpoints, so that neither key enters the process. It speaks
// Vault's HTTP API with net/http and needs no Vault client library.
//
// # Which function to call
//
//   - [NewKey] for the issuer's [custody.Key]: every start. It names a
//     Transit key of type "hmac".
//   - [ImportKey] once, to move an existing master key's PRK into Transit
//     as an "hmac" key (bring-your-own-key import: the PRK travels under
//     an ephemeral AES-256 key wrapped by Transit's RSA-4096 wrapping key,
//     so it is never readable on the wire or in Vault's audit log); the
//     device keys, codes and test vectors stay the same. [CreateKey] for a
//     new site, where Vault draws the key.
//   - [NewWrapper] with a key of type "aes256-gcm96", for the
//     [custody.Wrapper] that wraps sealing and pepper keys at rest.
//
// If unsure: ImportKey from a ceremony with a token allowed to import,
// then NewKey in the service with a token whose policy allows only
// update on <mount>/hmac/<name>/sha2-256.
//
// Do not rotate the hmac key: Transit would answer with the new version,
// and every device key would change. Imported keys refuse rotation unless
// imported with allow_rotation, which ImportKey does not set.
//
// The PRK is HKDF-SHA256's Extract of the master key (see package custody):
// PRK = HMAC-SHA256(key = "mdmcred/servicepass/v1/device-key", msg =
// master key). [Key.HMAC] of deviceID || 0x01 is the device key.
//
// # Timeouts, retries, errors
//
// Every call takes a context, which bounds the HTTP request; the
// *http.Client (Config.HTTPClient) is the host's, with its TLS settings
// and transport timeouts. There are no retries. Every error is a
// [*custody.Error] with Backend "vault"; an error from Vault carries its
// status and its "errors" list ([*APIError]). The token prints as redacted;
// no error or log line holds key material or the token.
package vault
