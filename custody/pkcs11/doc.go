// Package pkcs11 keeps a service-password key in a PKCS#11 token (an HSM,
// a cloud HSM, SoftHSM2) and derives device keys there with
// CKM_SHA256_HMAC, so that the key never enters the process.
//
// # Which function to call
//
// Call [Open] once at start with the token's library, label and user PIN,
// and [Token.Close] at shutdown. Then get the [Key] the issuer will use:
//
//   - [Token.FindKey] when the key is already on the token (every start
//     after the first);
//   - [Token.ImportKey] to move an existing master key's PRK onto the
//     token (the device keys, codes and test vectors stay the same);
//   - [Token.CreateKey] for a new site, where no master key exists yet:
//     the token draws the PRK itself and nobody ever sees it.
//
// If unsure: ImportKey once, from a ceremony on a trusted machine, then
// FindKey in the service.
//
// Keys are created as token objects of class CKO_SECRET_KEY and type
// CKK_GENERIC_SECRET with CKA_SENSITIVE true and CKA_EXTRACTABLE false:
// the token refuses to reveal CKA_VALUE or to wrap the key, and the only
// thing it does with it is HMAC-SHA256 (CKA_SIGN, CKA_VERIFY).
//
// The PRK is HKDF-SHA256's Extract of the master key (see package custody):
// PRK = HMAC-SHA256(key = "mdmcred/servicepass/v1/device-key", msg =
// master key). [Key.HMAC] of deviceID || 0x01 is the device key.
//
// # Timeouts, retries, errors
//
// Every call takes a context: a call waits for a free session, and returns
// when its context ends even if the token has not answered (the session
// returns to the pool when the token does). There are no retries: a host
// that wants them wraps [Key.HMAC]. Every error is a [*custody.Error] with
// Backend "pkcs11"; [ErrKeyNotFound] is the one a caller branches on. The
// PIN is used once, to log in, and is kept nowhere; no error or log line
// holds key material or the PIN.
//
// The package uses cgo (github.com/miekg/pkcs11), which loads the token's
// library at run time.
package pkcs11
