package passcodetest

import (
	"errors"
	"slices"
	"strings"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/internal/secret"
	"github.com/mdmcred/mdmcred/passcode"
)

// shrinkPolicy moves a policy toward the first kind, MinLength 4 and a
// fixed length, keeping MaxLength - MinLength at most 4. The measure is
// (kind, MinLength, MaxLength - MinLength).
func shrinkPolicy(p passcode.Policy) []passcode.Policy {
	var out []passcode.Policy
	for _, k := range Kinds {
		if k == p.Kind {
			break
		}
		c := p
		c.Kind = k
		out = append(out, c)
	}
	spread := p.MaxLength - p.MinLength
	for _, m := range gentest.Toward(int64(p.MinLength), passcode.MinLength) {
		out = append(out, passcode.Policy{Kind: p.Kind, MinLength: int(m), MaxLength: int(m) + spread})
	}
	for _, m := range gentest.Toward(int64(p.MinLength), int64(max(passcode.MinLength, p.MaxLength-4))) {
		out = append(out, passcode.Policy{Kind: p.Kind, MinLength: int(m), MaxLength: p.MaxLength})
	}
	for _, m := range gentest.Toward(int64(p.MaxLength), int64(p.MinLength)) {
		c := p
		c.MaxLength = int(m)
		out = append(out, c)
	}
	return out
}

// shrinkPasscode shortens pc and replaces each character with the first
// one of p's alphabet that comes earlier and keeps pc valid under p.
func shrinkPasscode(p passcode.Policy, pc passcode.Passcode) []passcode.Passcode {
	s := []byte(pc.Reveal())
	alphabet := p.Kind.Alphabet()
	var out []passcode.Passcode
	add := func(c []byte) bool {
		x := secret.New(string(c))
		if passcode.Validate(p, x) == nil {
			out = append(out, x)
			return true
		}
		return false
	}
	for _, c := range gentest.Shorter(s, max(p.MinLength, 1)) {
		add(c)
	}
	for i, c := range s {
		rank := strings.IndexByte(alphabet, c)
		for j := 0; j < rank; j++ {
			x := slices.Clone(s)
			x[i] = alphabet[j]
			if add(x) {
				break
			}
		}
	}
	return out
}

// fitPasscode adapts s to p: cut to p.MaxLength, each character outside
// p's alphabet replaced by its first one. It reports false when the result
// does not satisfy p.
func fitPasscode(p passcode.Policy, s string) (passcode.Passcode, bool) {
	b := []byte(s)
	if len(b) > p.MaxLength {
		b = b[:p.MaxLength]
	}
	alphabet := p.Kind.Alphabet()
	for i, c := range b {
		if strings.IndexByte(alphabet, c) < 0 {
			b[i] = alphabet[0]
		}
	}
	pc := secret.New(string(b))
	return pc, passcode.Validate(p, pc) == nil
}

// shrinkPolicyPasscode shrinks the policy while the passcode, fitted to it
// (cut to the new MaxLength, characters outside the new alphabet replaced),
// still satisfies it; then the passcode under the policy. The measure is
// (policy, passcode).
func shrinkPolicyPasscode(v PolicyPasscode) []PolicyPasscode {
	var out []PolicyPasscode
	for _, p := range shrinkPolicy(v.Policy) {
		if pc, ok := fitPasscode(p, v.Passcode.Reveal()); ok {
			out = append(out, PolicyPasscode{p, pc})
		}
	}
	for _, pc := range shrinkPasscode(v.Policy, v.Passcode) {
		out = append(out, PolicyPasscode{v.Policy, pc})
	}
	return out
}

// shrinkDevice moves a device toward no policy (or a simpler one), the
// unknown platform, API level 14, every flag false and one-letter IDs.
func shrinkDevice(d passcode.Device) []passcode.Device {
	var out []passcode.Device
	if d.Policy != (passcode.Policy{}) {
		c := d
		c.Policy = passcode.Policy{}
		out = append(out, c)
		for _, p := range shrinkPolicy(d.Policy) {
			c := d
			c.Policy = p
			out = append(out, c)
		}
	}
	for _, p := range gentest.Toward(int64(d.Platform), 0) {
		c := d
		c.Platform = passcode.Platform(p)
		out = append(out, c)
	}
	for _, l := range gentest.Toward(int64(d.APILevel), 14) {
		c := d
		c.APILevel = int(l)
		out = append(out, c)
	}
	for _, f := range []func(*passcode.Device) *bool{
		func(d *passcode.Device) *bool { return &d.PasscodeSet },
		func(d *passcode.Device) *bool { return &d.ResetTokenActive },
		func(d *passcode.Device) *bool { return &d.UnlockTokenEscrowed },
		func(d *passcode.Device) *bool { return &d.CompanyOwned },
		func(d *passcode.Device) *bool { return &d.AppleSilicon },
	} {
		if c := d; *f(&c) {
			*f(&c) = false
			out = append(out, c)
		}
	}
	if d.OSVersion != "" {
		c := d
		c.OSVersion = ""
		out = append(out, c)
	}
	if d.ID != "dev-a" {
		c := d
		c.ID = "dev-a"
		out = append(out, c)
	}
	if d.Owner != "user-a" {
		c := d
		c.Owner = "user-a"
		out = append(out, c)
	}
	return out
}

// shrinkResetRequest drops the notice, then shrinks the device (keeping the
// notice addressed to its owner), the language toward "en" and the actor
// toward admin-a.
func shrinkResetRequest(r passcode.ResetRequest) []passcode.ResetRequest {
	var out []passcode.ResetRequest
	if r.NotifyUser {
		c := r
		c.NotifyUser, c.UserEmail, c.Language = false, "", ""
		out = append(out, c)
		if r.Language != "en" {
			c := r
			c.Language = "en"
			out = append(out, c)
		}
	}
	for _, d := range shrinkDevice(r.Device) {
		c := r
		c.Device = d
		if c.NotifyUser {
			c.UserEmail = d.Owner + "@example.com"
		}
		out = append(out, c)
	}
	if r.Actor != "admin-a" {
		c := r
		c.Actor = "admin-a"
		out = append(out, c)
	}
	return out
}

// policyField returns the field Normalize names when it refuses p, or "".
func policyField(p passcode.Policy) string {
	_, err := p.Normalize()
	var pe *passcode.ParamError
	if errors.As(err, &pe) {
		return pe.Field
	}
	return ""
}

// shrinkInvalidPolicy moves each length toward 0 and the kind toward 0
// while Normalize refuses the policy for the same field.
func shrinkInvalidPolicy(v InvalidPolicy) []InvalidPolicy {
	p := v.Policy
	var cands []passcode.Policy
	for _, k := range gentest.Toward(int64(p.Kind), 0) {
		c := p
		c.Kind = passcode.Kind(k)
		cands = append(cands, c)
	}
	for _, m := range gentest.Toward(int64(p.MinLength), 0) {
		c := p
		c.MinLength = int(m)
		cands = append(cands, c)
	}
	for _, m := range gentest.Toward(int64(p.MaxLength), 0) {
		c := p
		c.MaxLength = int(m)
		cands = append(cands, c)
	}
	var out []InvalidPolicy
	for _, c := range cands {
		if policyField(c) == v.Field {
			out = append(out, InvalidPolicy{c, v.Field})
		}
	}
	return out
}
