// Package awskms keeps a service-password key in AWS KMS and derives
// device keys there with GenerateMac (HMAC_SHA_256 on an HMAC_256 key),
// and wraps sealing and pepper keys with KMS Encrypt and Decrypt, so that
// neither key enters the process.
//
// # Which function to call
//
//   - [NewKey] with the key's ID, ARN or alias, for the issuer's
//     [custody.Key]: every start.
//   - [ImportKey] once, to move an existing master key's PRK into KMS as
//     an HMAC_256 key of origin EXTERNAL (the device keys, codes and test
//     vectors stay the same); [CreateKey] for a new site, where KMS draws
//     the key and nobody ever sees it. Both return the new key's ID.
//   - [NewWrapper] with a symmetric (SYMMETRIC_DEFAULT) key, for the
//     [custody.Wrapper] that wraps sealing and pepper keys at rest.
//
// If unsure: ImportKey from a ceremony on a trusted machine, keep the key
// ID (or give it an alias) in the service's configuration, then NewKey.
//
// The PRK is HKDF-SHA256's Extract of the master key (see package custody):
// PRK = HMAC-SHA256(key = "mdmcred/servicepass/v1/device-key", msg =
// master key). [Key.HMAC] of deviceID || 0x01 is the device key.
//
// # Timeouts, retries, errors
//
// Every call takes a context, passed to the SDK. Retries are those of the
// *kms.Client the host builds (its Retryer option); this package adds none.
// Every error is a [*custody.Error] with Backend "awskms", wrapping the
// SDK's error (which matches context.Canceled and
// context.DeadlineExceeded when the context ends); no error or log line
// holds key material. GenerateMac takes messages of 1 to 4096 bytes, which
// every device ID (at most 255 bytes) fits.
//
// The tests run against nsmithuk/local-kms, in process on loopback. It
// cannot import HMAC key material through the API (CreateKey refuses
// origin EXTERNAL for HMAC keys), so the vector keys are put in through
// its seeding format and the import protocol is tested on a symmetric key.
package awskms
