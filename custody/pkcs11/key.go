package pkcs11

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/mdmcred/mdmcred/custody"
	p11 "github.com/miekg/pkcs11"
)

// Key is an HMAC-SHA256 key on a token: a [custody.Key]. It holds a handle,
// not key material; it prints as its label.
type Key struct {
	t     *Token
	h     p11.ObjectHandle
	label string
}

var _ custody.Key = (*Key)(nil)

// keyTemplate is what every key this package makes is: a token object
// that only signs and verifies (HMAC) and never leaves the token.
func keyTemplate(label string) []*p11.Attribute {
	return []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_SECRET_KEY),
		p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_GENERIC_SECRET),
		p11.NewAttribute(p11.CKA_LABEL, label),
		p11.NewAttribute(p11.CKA_TOKEN, true),
		p11.NewAttribute(p11.CKA_PRIVATE, true),
		p11.NewAttribute(p11.CKA_SENSITIVE, true),
		p11.NewAttribute(p11.CKA_EXTRACTABLE, false),
		p11.NewAttribute(p11.CKA_SIGN, true),
		p11.NewAttribute(p11.CKA_VERIFY, true),
		p11.NewAttribute(p11.CKA_ENCRYPT, false),
		p11.NewAttribute(p11.CKA_DECRYPT, false),
		p11.NewAttribute(p11.CKA_WRAP, false),
		p11.NewAttribute(p11.CKA_UNWRAP, false),
		p11.NewAttribute(p11.CKA_DERIVE, false),
	}
}

// ImportKey stores prk on the token as a non-extractable, sensitive key
// labelled label and returns it. prk is the PRK of a service-password
// master key (see the package comment), at least 32 bytes. The label must
// not be in use.
func (t *Token) ImportKey(ctx context.Context, label string, prk []byte) (*Key, error) {
	if len(prk) < sha256.Size {
		return nil, t.fail("import", fmt.Errorf("pkcs11: key has %d bytes, want at least %d", len(prk), sha256.Size))
	}
	tmpl := append(keyTemplate(label), p11.NewAttribute(p11.CKA_VALUE, prk))
	return t.makeKey(ctx, "import", label, func(sh p11.SessionHandle) (p11.ObjectHandle, error) {
		return t.ctx.CreateObject(sh, tmpl)
	})
}

// CreateKey has the token generate a fresh 32-byte key labelled label,
// non-extractable and sensitive, and returns it. The label must not be in
// use.
func (t *Token) CreateKey(ctx context.Context, label string) (*Key, error) {
	tmpl := append(keyTemplate(label), p11.NewAttribute(p11.CKA_VALUE_LEN, sha256.Size))
	mech := []*p11.Mechanism{p11.NewMechanism(p11.CKM_GENERIC_SECRET_KEY_GEN, nil)}
	return t.makeKey(ctx, "create", label, func(sh p11.SessionHandle) (p11.ObjectHandle, error) {
		return t.ctx.GenerateKey(sh, mech, tmpl)
	})
}

func (t *Token) makeKey(ctx context.Context, op, label string, mk func(p11.SessionHandle) (p11.ObjectHandle, error)) (*Key, error) {
	if label == "" {
		return nil, t.fail(op, fmt.Errorf("pkcs11: empty label"))
	}
	var h p11.ObjectHandle
	err := t.do(ctx, op, func(sh p11.SessionHandle) error {
		found, err := t.find(sh, label)
		if err != nil {
			return err
		}
		if len(found) > 0 {
			return errLabelInUse
		}
		h, err = mk(sh)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Key{t: t, h: h, label: label}, nil
}

// FindKey returns the key labelled label. It returns [ErrKeyNotFound] when
// there is none, and an error when there is more than one.
func (t *Token) FindKey(ctx context.Context, label string) (*Key, error) {
	var h p11.ObjectHandle
	err := t.do(ctx, "find", func(sh p11.SessionHandle) error {
		found, err := t.find(sh, label)
		switch {
		case err != nil:
			return err
		case len(found) == 0:
			return ErrKeyNotFound
		case len(found) > 1:
			return errLabelTwice
		}
		h = found[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Key{t: t, h: h, label: label}, nil
}

func (t *Token) find(sh p11.SessionHandle, label string) ([]p11.ObjectHandle, error) {
	tmpl := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_SECRET_KEY),
		p11.NewAttribute(p11.CKA_LABEL, label),
	}
	if err := t.ctx.FindObjectsInit(sh, tmpl); err != nil {
		return nil, err
	}
	found, _, err := t.ctx.FindObjects(sh, 2)
	if ferr := t.ctx.FindObjectsFinal(sh); err == nil {
		err = ferr
	}
	return found, err
}

// HMAC returns HMAC-SHA256 of msg under the key, computed by the token
// (CKM_SHA256_HMAC). It implements [custody.Key].
func (k *Key) HMAC(ctx context.Context, msg []byte) ([]byte, error) {
	var out []byte
	mech := []*p11.Mechanism{p11.NewMechanism(p11.CKM_SHA256_HMAC, nil)}
	err := k.t.do(ctx, "hmac", func(sh p11.SessionHandle) error {
		if err := k.t.ctx.SignInit(sh, mech, k.h); err != nil {
			return err
		}
		sum, err := k.t.ctx.Sign(sh, msg)
		if err != nil {
			return err
		}
		if len(sum) != sha256.Size {
			return fmt.Errorf("pkcs11: token returned %d bytes, want %d", len(sum), sha256.Size)
		}
		out = sum
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Label returns the key's label on the token.
func (k *Key) Label() string { return k.label }

// String names the key by its label; a Key holds no key material.
func (k *Key) String() string { return fmt.Sprintf("pkcs11.Key(%q)", k.label) }

// Format prints the key as String does under every verb.
func (k *Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }
