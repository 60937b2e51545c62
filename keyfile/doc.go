// Package keyfile reads and writes the SDK's key file: a site's
// service-password master keys and its sealing and pepper keys, each with
// a key ID, the current one, and the IDs retired, in one text file a host
// keeps instead of inventing its own. docs/keyfile-format.md specifies it
// line by line with test vectors.
//
// Keys may be in the file in clear (then the file itself is the secret:
// mode 0600), wrapped by a key that stays with a custodian (envelope
// encryption: a KMS key, an HSM key, a Vault Transit key behind a
// [custody.Wrapper]), or, for master keys, held by a custodian outright
// (a reference the host resolves to a [custody.Key]). Wrapped keys are
// unwrapped once, at start.
//
// # Which function to call
//
// At start, read the file and unwrap it once:
//
//	f, err := keyfile.Parse(data)
//	ring, err := f.Unwrap(ctx, keyfile.Options{Wrapper: kmsWrapper})
//	keys, retired := ring.Master()       // servicepass.IssuerConfig{Keys: keys, Retired: retired}
//	seal, err := ring.Set(keyfile.Seal)  // passcode.Config{SealKeys: seal.Keys, SealKeyID: seal.Current}
//
// To make or change a file (a tool, the issuer CLI): [New] or [Parse], then
// [File.AddKey] (wrapping with a [custody.Wrapper], or in clear with nil),
// [File.AddHeld], [File.SetCurrent], [File.Retire], and [File.Marshal];
// write the result atomically with mode 0600.
//
// # Rotation
//
// A new sealing or pepper key is added under a new ID and made current;
// the old one stays in the set, so that what was sealed or hashed under it
// still opens or verifies, until the stores hold nothing under it (for
// sealed values, passcode.Service.Reseal and enrollment.Service.Reseal
// re-seal every record under the current key). Then [File.Retire] removes
// it and records its ID, which is never given to another key. Master keys
// rotate as servicepass documents: a new key last, devices provisioned with
// it before codes are issued under it, the old one retired once no device
// needs it. docs/keys.md has the runbooks.
package keyfile
