package escrowtest

import (
	"bytes"

	"github.com/leanovate/gopter"

	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/internal/gentest"
)

// BypassCode is a generated Activation Lock bypass code with the 16 bytes
// it encodes, for tests of a host's delivery path (what the device
// receives is escrow.BypassHash(Code)).
type BypassCode struct {
	Raw  [16]byte
	Code escrow.Secret
}

// GenBypassCode generates bypass codes over all 16-byte strings. A code
// shrinks, byte by byte, toward 00000-00000-0000-0000-0000-0000.
func GenBypassCode() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		var raw [16]byte
		for i := range raw {
			raw[i] = byte(gp.Rng.Intn(256))
		}
		return gopter.NewGenResult(bypassCode(raw), gentest.ShrinkerOf(shrinkBypass))
	}
}

func bypassCode(raw [16]byte) BypassCode {
	code, err := escrow.NewBypassCode(bytes.NewReader(raw[:]))
	if err != nil {
		panic(err) // a reader of 16 bytes always gives 16
	}
	return BypassCode{Raw: raw, Code: code}
}

// shrinkBypass lists the code with one non-zero byte set to zero, first
// byte first.
func shrinkBypass(b BypassCode) []BypassCode {
	var out []BypassCode
	for i, c := range b.Raw {
		if c != 0 {
			r := b.Raw
			r[i] = 0
			out = append(out, bypassCode(r))
		}
	}
	return out
}

// GenAdminPolicy generates the admin password policies escrow.AdminPassword
// accepts: character passwords of AdminMinLength to AdminMaxLength
// characters and passphrases of AdminMinWords to AdminMaxWords words (zero,
// the default, included). A policy shrinks toward the zero policy.
func GenAdminPolicy() gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		var p escrow.AdminPolicy
		switch gp.Rng.Intn(3) {
		case 0: // the default
		case 1:
			p.Length = escrow.AdminMinLength + gp.Rng.Intn(escrow.AdminMaxLength-escrow.AdminMinLength+1)
		default:
			p.Passphrase = true
			if gp.Rng.Intn(4) > 0 {
				p.Words = escrow.AdminMinWords + gp.Rng.Intn(escrow.AdminMaxWords-escrow.AdminMinWords+1)
			}
		}
		return gopter.NewGenResult(p, gentest.ShrinkerOf(shrinkAdminPolicy))
	}
}

func shrinkAdminPolicy(p escrow.AdminPolicy) []escrow.AdminPolicy {
	switch {
	case p.Words != 0:
		return []escrow.AdminPolicy{{Passphrase: true}}
	case p.Passphrase:
		return []escrow.AdminPolicy{{}}
	case p.Length > escrow.AdminMinLength:
		return []escrow.AdminPolicy{{}, {Length: escrow.AdminMinLength}}
	case p.Length != 0:
		return []escrow.AdminPolicy{{}}
	}
	return nil
}
