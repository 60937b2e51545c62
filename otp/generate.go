package otp

import "io"

// GenerateOpts are the inputs of [Generate]. Issuer and Account are what
// the authenticator app shows; the zero Params are SHA1, 6 digits, 30 s.
type GenerateOpts struct {
	// Issuer names the provider (your product). Optional but strongly
	// recommended: apps group and label keys by it. No ':' and no control
	// or bidirectional formatting characters.
	Issuer string
	// Account names the user's account (an email address, a user name).
	// Required, same character rules as Issuer.
	Account string
	// Kind is TOTPKind (zero) or HOTPKind. An HOTP URI starts at counter 0.
	Kind Kind
	// Params are the key's parameters. Zero means SHA1, 6 digits, 30 s.
	Params Params
	// Rand is the source of the secret. Zero means crypto/rand.Reader.
	Rand io.Reader
}

// Generate makes a new key for an account in one call: it draws a secret
// of the algorithm's output size with [GenerateKey] (never a weak one) and
// builds its otpauth:// URI for the authenticator app (render it with the
// qr package). Keep the Key's [Key.Secret] sealed at rest; show the URI
// once.
//
// Errors are [*ParamError] for bad Params and [*URIError] for a bad Issuer,
// Account or Kind; nothing is drawn from Rand when the names are refused.
func Generate(opts GenerateOpts) (*Key, KeyURI, error) {
	if err := checkName("issuer", opts.Issuer, false); err != nil {
		return nil, KeyURI{}, err
	}
	if err := checkName("account", opts.Account, true); err != nil {
		return nil, KeyURI{}, err
	}
	if opts.Kind != TOTPKind && opts.Kind != HOTPKind {
		return nil, KeyURI{}, &URIError{Field: "type", Reason: "unknown kind " + opts.Kind.String()}
	}
	k, err := GenerateKey(opts.Rand, opts.Params)
	if err != nil {
		return nil, KeyURI{}, err
	}
	uri, err := URI{Kind: opts.Kind, Issuer: opts.Issuer, Account: opts.Account, Key: k}.Build()
	if err != nil {
		return nil, KeyURI{}, err
	}
	return k, uri, nil
}
