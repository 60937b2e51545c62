package servicepasstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/internal/crockford"
	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/servicepass"
)

// Generators for challenge-bound codes (docs/servicepass-format.md §11):
// the challenges a device shows, the ways a help desk mistypes them, and
// the requests a console passes to [servicepass.Issuer.Respond].

// challengeMax is the largest challenge value.
const challengeMax = 1<<servicepass.ChallengeBits - 1

// challengeMaker makes a Challenge of a chosen value through the SDK's own
// [servicepass.Verifier.NewChallenge], fed the value as its randomness, so
// that the kit never re-implements the encoding or the check symbol.
var challengeMaker = sync.OnceValue(func() *servicepass.Verifier {
	key, err := servicepass.NewDeviceKey(1, bytes.Repeat([]byte{0x5a}, servicepass.KeySize))
	if err != nil {
		panic(err) // a fixed, valid key: cannot happen
	}
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: "servicepasstest-challenges", Mode: servicepass.DeviceOwner, HasMode: true, Keys: []servicepass.DeviceKey{key}}, nil, nil)
	if err != nil {
		panic(err)
	}
	return v
})

// ChallengeOf returns the challenge whose 45 bits are v (the bits above
// are ignored): ChallengeOf(0) is the simplest challenge, 00000-00000.
func ChallengeOf(v uint64) servicepass.Challenge {
	v &= challengeMax
	// NewChallenge takes the first 45 of 6 random bytes.
	x := v << 3
	b := []byte{byte(x >> 40), byte(x >> 32), byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)}
	c, err := challengeMaker().NewChallenge(servicepass.ChallengeOptions{Rand: bytes.NewReader(b)})
	if err != nil {
		panic(err) // six bytes are there to read: cannot happen
	}
	return c
}

// challengeValue reads a challenge's 45 bits back from its symbols.
func challengeValue(c servicepass.Challenge) uint64 {
	var v uint64
	for _, ch := range []byte(c.Canonical()[:servicepass.ChallengeLen-1]) {
		v = v<<5 | uint64(strings.IndexByte(crockford.Alphabet, ch))
	}
	return v
}

// GenChallenge generates challenges, uniformly over the 45 bits, with the
// smallest and largest among them. A challenge shrinks toward 00000-00000
// (its value toward zero).
func GenChallenge() gopter.Gen {
	return gen.OneGenOf(
		gen.UInt64Range(0, challengeMax),
		gen.OneConstOf(uint64(0), uint64(1), uint64(challengeMax)),
	).Map(ChallengeOf).WithShrinker(gentest.ShrinkerOf(func(c servicepass.Challenge) []servicepass.Challenge {
		var out []servicepass.Challenge
		for _, v := range gentest.Toward(int64(challengeValue(c)), 0) {
			out = append(out, ChallengeOf(uint64(v)))
		}
		return out
	}))
}

// GenTypedChallenge generates a challenge as a person may type it: the
// display form, the canonical form, lower case, with spaces for the hyphen,
// or with O, I and L for 0, 1 and 1. [servicepass.ParseChallenge] reads each
// as Challenge. It shrinks to the display form of a simpler challenge.
func GenTypedChallenge() gopter.Gen {
	return gopter.CombineGens(GenChallenge(), gen.IntRange(0, len(typings)-1)).
		Map(func(v []any) TypedChallenge {
			c := v[0].(servicepass.Challenge)
			return TypedChallenge{Text: typings[v[1].(int)](c), Challenge: c}
		}).WithShrinker(gentest.ShrinkerOf(func(tc TypedChallenge) []TypedChallenge {
		var out []TypedChallenge
		if tc.Text != tc.Challenge.String() {
			out = append(out, TypedChallenge{tc.Challenge.String(), tc.Challenge})
		}
		for _, v := range gentest.Toward(int64(challengeValue(tc.Challenge)), 0) {
			c := ChallengeOf(uint64(v))
			out = append(out, TypedChallenge{c.String(), c})
		}
		return out
	}))
}

// TypedChallenge is a challenge as typed, and the challenge it reads as.
type TypedChallenge struct {
	Text      string
	Challenge servicepass.Challenge
}

var typings = []func(servicepass.Challenge) string{
	servicepass.Challenge.String,
	servicepass.Challenge.Canonical,
	func(c servicepass.Challenge) string { return strings.ToLower(c.String()) },
	func(c servicepass.Challenge) string { return " " + strings.ReplaceAll(c.String(), "-", " ") + " " },
	func(c servicepass.Challenge) string {
		return strings.NewReplacer("0", "O", "1", "I").Replace(c.String()[:5]) +
			strings.NewReplacer("1", "l").Replace(c.String()[5:])
	},
}

// MistypedChallenge is a typed challenge and the error ParseChallenge (and
// Respond) returns for it.
type MistypedChallenge struct {
	Text string
	Rule error
}

// String names the rule, for gopter's reports.
func (m MistypedChallenge) String() string { return fmt.Sprintf("%v: %q", m.Rule, m.Text) }

// GenMistypedChallenge generates the mistakes a help desk makes typing a
// challenge, labelled with the sentinel [servicepass.ParseChallenge]
// returns: every single-symbol substitution and every adjacent
// transposition of two different symbols ([servicepass.ErrChallengeTypo],
// which the check symbol catches), and a symbol left out or added, a
// character outside the alphabet, or nothing at all
// ([servicepass.ErrChallengeMalformed]), in canonical form. A mistake
// shrinks to a mistake with the same rule in the simplest challenge,
// 00000-00000: a typo to "10000000000"-like substitutions, a malformed
// challenge to the empty string.
func GenMistypedChallenge() gopter.Gen {
	return gopter.CombineGens(GenChallenge(), gen.IntRange(0, len(mistakes)-1),
		gen.IntRange(0, servicepass.ChallengeLen-1), gen.IntRange(1, 31)).
		Map(func(v []any) edit {
			return edit{v[0].(servicepass.Challenge), v[1].(int), v[2].(int), v[3].(int)}
		}).
		Map(func(e edit) MistypedChallenge { return MistypedChallenge{e.text(), mistakes[e.kind].rule} }).
		WithShrinker(gentest.ShrinkerOf(shrinkMistyped))
}

// edit is the mistake mistakes[kind] at position pos of c; delta picks the
// symbol substituted or added.
type edit struct {
	c                servicepass.Challenge
	kind, pos, delta int
}

var mistakes = []struct {
	rule error
	make func(s []byte, pos, delta int) []byte
}{
	{servicepass.ErrChallengeTypo, func(s []byte, pos, delta int) []byte { // substitution
		return substitute(s, pos, delta)
	}},
	{servicepass.ErrChallengeTypo, func(s []byte, pos, delta int) []byte { // adjacent transposition
		// The first pair of different symbols from pos on (cyclically);
		// none in a challenge of ten equal symbols: then a substitution.
		for k := range len(s) - 1 {
			if i := (pos + k) % (len(s) - 1); s[i] != s[i+1] {
				s[i], s[i+1] = s[i+1], s[i]
				return s
			}
		}
		return substitute(s, pos, delta)
	}},
	{servicepass.ErrChallengeMalformed, func(s []byte, pos, _ int) []byte { // left out
		return append(s[:pos], s[pos+1:]...)
	}},
	{servicepass.ErrChallengeMalformed, func(s []byte, pos, delta int) []byte { // added
		return append(s[:pos], append([]byte{crockford.Alphabet[delta]}, s[pos:]...)...)
	}},
	{servicepass.ErrChallengeMalformed, func(s []byte, pos, delta int) []byte { // outside the alphabet
		s[pos] = notSymbols[delta%len(notSymbols)]
		return s
	}},
	{servicepass.ErrChallengeMalformed, func([]byte, int, int) []byte { return []byte{} }}, // nothing
}

// substitute replaces the symbol at pos by the one delta (1 to 31) places
// on in its alphabet: the data symbols, or the 37 check symbols at the end.
func substitute(s []byte, pos, delta int) []byte {
	alpha := crockford.Alphabet
	if pos == len(s)-1 {
		alpha = crockford.CheckAlphabet
	}
	i := strings.IndexByte(alpha, s[pos])
	s[pos] = alpha[(i+delta)%len(alpha)]
	return s
}

// notSymbols are characters that are neither symbols, look-alikes nor
// separators.
const notSymbols = "!#%&+/?@"

// text is the typed mistake, in canonical form.
func (e edit) text() string {
	return string(mistakes[e.kind].make([]byte(e.c.Canonical()), e.pos, e.delta))
}

// shrinkMistyped offers the mistakes with the same rule in the simplest
// challenge, 00000-00000 (every kind, every position, the nearest symbol),
// that are simpler than m's text.
func shrinkMistyped(m MistypedChallenge) []MistypedChallenge {
	zero := ChallengeOf(0).Canonical()
	var out []MistypedChallenge
	for _, mk := range mistakes {
		if mk.rule != m.Rule {
			continue
		}
		for pos := 0; pos < servicepass.ChallengeLen; pos++ {
			if s := mk.make([]byte(zero), pos, 1); simpler(string(s), m.Text) {
				out = append(out, MistypedChallenge{string(s), m.Rule})
			}
		}
	}
	return out
}

// simpler orders mistyped texts: shorter first, then more '0's, then
// lexically, so that shrinking ends.
func simpler(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	if za, zb := strings.Count(a, "0"), strings.Count(b, "0"); za != zb {
		return za > zb
	}
	return a < b
}

// GenResponseRequest generates valid requests for the response to a
// challenge on a device in mode m: a device ID, a challenge as typed, and
// an action set allowed in m (Set Password on COPE included: a response
// has no expiry date). [servicepass.Issuer.Respond] accepts each. A request
// shrinks, staying valid in m, to fewer actions, a shorter device ID and a
// simpler challenge in display form.
func GenResponseRequest(m servicepass.Mode) gopter.Gen {
	return gopter.CombineGens(GenDeviceID(), GenTypedChallenge(), GenValidActions(m)).
		Map(func(v []any) servicepass.ResponseRequest {
			return servicepass.ResponseRequest{DeviceID: v[0].(string), Challenge: v[1].(TypedChallenge).Text, Mode: m,
				Actions: v[2].(servicepass.Actions), Admin: Admin}
		}).WithShrinker(responseRequestShrinker(false))
}

// GenAnyResponseRequest generates valid response requests in both modes.
// It shrinks as [GenResponseRequest] does, and a COPE request whose actions
// Device Owner allows to Device Owner.
func GenAnyResponseRequest() gopter.Gen {
	return gen.OneGenOf(GenResponseRequest(servicepass.DeviceOwner), GenResponseRequest(servicepass.COPE)).
		WithShrinker(responseRequestShrinker(true))
}

func responseRequestShrinker(anyMode bool) gopter.Shrinker {
	return gentest.ShrinkerOf(func(r servicepass.ResponseRequest) []servicepass.ResponseRequest {
		var out []servicepass.ResponseRequest
		if anyMode && r.Mode != servicepass.DeviceOwner && servicepass.CheckRules(servicepass.DeviceOwner, r.Actions) == nil {
			c := r
			c.Mode = servicepass.DeviceOwner
			out = append(out, c)
		}
		for _, a := range shrinkValidActions(r.Mode, r.Actions) {
			c := r
			c.Actions = a
			out = append(out, c)
		}
		for _, id := range shrinkDeviceID(r.DeviceID) {
			c := r
			c.DeviceID = id
			out = append(out, c)
		}
		if ch, err := servicepass.ParseChallenge(r.Challenge); err == nil {
			if r.Challenge != ch.String() {
				c := r
				c.Challenge = ch.String()
				out = append(out, c)
			}
			for _, v := range gentest.Toward(int64(challengeValue(ch)), 0) {
				c := r
				c.Challenge = ChallengeOf(uint64(v)).String()
				out = append(out, c)
			}
		}
		return out
	})
}

// InvalidResponseRequest is a response request that breaks exactly the rule
// Rule.
type InvalidResponseRequest struct {
	Request servicepass.ResponseRequest
	Rule    error
}

// String names the broken rule, for gopter's reports.
func (r InvalidResponseRequest) String() string { return fmt.Sprintf("%v: %+v", r.Rule, r.Request) }

// GenInvalidResponseRequest generates response requests that each break
// one rule, labelled with the sentinel [servicepass.Issuer.Respond] returns
// (errors.Is): a mistyped challenge ([servicepass.ErrChallengeTypo] or
// [servicepass.ErrChallengeMalformed], from [GenMistypedChallenge]), each
// mode and action rule of [servicepass.CheckRules], a bad device ID, and no
// admin. A request shrinks while Respond's rule stays the same, changing
// only the fields that rule is about (and shortening the device ID).
func GenInvalidResponseRequest() gopter.Gen {
	ok := ChallengeOf(0x0123456789a).String()
	base := func(m servicepass.Mode, a servicepass.Actions) servicepass.ResponseRequest {
		return servicepass.ResponseRequest{DeviceID: "device-1", Challenge: ok, Mode: m, Actions: a, Admin: Admin}
	}
	label := func(rule error, m servicepass.Mode, a servicepass.Actions) InvalidResponseRequest {
		return InvalidResponseRequest{base(m, a), rule}
	}
	others := servicepass.AllActions &^ (servicepass.EmergencyDatabaseReset | servicepass.SetPassword)
	gens := []gopter.Gen{
		gopter.CombineGens(GenMode(), GenMistypedChallenge()).Map(func(v []any) InvalidResponseRequest {
			mc := v[1].(MistypedChallenge)
			ir := label(mc.Rule, v[0].(servicepass.Mode), servicepass.Unlock)
			ir.Request.Challenge = mc.Text
			return ir
		}),
		gen.UInt8Range(2, 255).Map(func(m uint8) InvalidResponseRequest {
			return label(servicepass.ErrUnknownMode, servicepass.Mode(m), servicepass.Unlock)
		}),
		GenMode().Map(func(m servicepass.Mode) InvalidResponseRequest { return label(servicepass.ErrNoActions, m, 0) }),
		gopter.CombineGens(GenMode(), nonZero(servicepass.AllActions&^servicepass.EmergencyDatabaseReset)).Map(func(v []any) InvalidResponseRequest {
			return label(servicepass.ErrDatabaseResetCombined, v[0].(servicepass.Mode), servicepass.EmergencyDatabaseReset|v[1].(servicepass.Actions))
		}),
		gopter.CombineGens(GenMode(), nonZero(others)).Map(func(v []any) InvalidResponseRequest {
			return label(servicepass.ErrSetPasswordCombined, v[0].(servicepass.Mode), servicepass.SetPassword|v[1].(servicepass.Actions))
		}),
		nonZero(others &^ servicepass.DisableKiosk).Map(func(a servicepass.Actions) InvalidResponseRequest {
			return label(servicepass.ErrKioskOnCOPE, servicepass.COPE, a|servicepass.DisableKiosk)
		}),
		gen.Const(label(servicepass.ErrSetPasswordNotCOPE, servicepass.DeviceOwner, servicepass.SetPassword)),
		gen.OneConstOf("", string(make([]byte, servicepass.MaxDeviceIDLen+1)), "bad\nid").Map(func(s string) InvalidResponseRequest {
			ir := label(servicepass.ErrDeviceID, servicepass.DeviceOwner, servicepass.Unlock)
			ir.Request.DeviceID = s
			return ir
		}),
		GenMode().Map(func(m servicepass.Mode) InvalidResponseRequest {
			ir := label(servicepass.ErrAdmin, m, servicepass.Unlock)
			ir.Request.Admin = ""
			return ir
		}),
	}
	return gen.OneGenOf(gens...).WithShrinker(invalidResponseRequestShrinker)
}

// responseRules are the rules Respond checks, in its order.
var responseRules = append([]error{servicepass.ErrAdmin, servicepass.ErrDeviceID, servicepass.ErrChallengeTypo,
	servicepass.ErrChallengeMalformed}, actionRules...)

// discard is an audit log that keeps nothing, for the shrinker's oracle.
type discard struct{}

func (discard) Record(context.Context, servicepass.Event) error { return nil }
func (discard) Events(context.Context, string) ([]servicepass.Event, error) {
	return nil, nil
}

// oracle is the issuer the shrinker asks which rule a candidate breaks, so
// that the kit never re-implements Respond's checks.
var oracle = sync.OnceValue(func() *servicepass.Issuer {
	master, err := servicepass.NewMasterKey(1, bytes.Repeat([]byte{0xa5}, servicepass.KeySize))
	if err != nil {
		panic(err) // a fixed, valid key: cannot happen
	}
	is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{master}, Store: discard{}})
	if err != nil {
		panic(err)
	}
	return is
})

// responseRule is the rule Respond reports for r; nil when it makes a
// response.
func responseRule(r servicepass.ResponseRequest) error {
	_, err := oracle().Respond(context.Background(), r)
	for _, rule := range responseRules {
		if errors.Is(err, rule) {
			return rule
		}
	}
	return err
}

// invalidResponseRequestShrinker shrinks an invalid response request while
// it still breaks its rule: for the action rules, Device Owner, a known
// mode nearer 2 and fewer actions; for a mistyped challenge, a simpler
// mistake of the same kind; and a shorter device ID (empty only for
// ErrDeviceID).
var invalidResponseRequestShrinker = gentest.ShrinkerOf(func(ir InvalidResponseRequest) []InvalidResponseRequest {
	r, rule := ir.Request, ir.Rule
	var cands []servicepass.ResponseRequest
	switch {
	case rule == servicepass.ErrChallengeTypo || rule == servicepass.ErrChallengeMalformed:
		for _, m := range shrinkMistyped(MistypedChallenge{r.Challenge, rule}) {
			c := r
			c.Challenge = m.Text
			cands = append(cands, c)
		}
	case isActionRule(rule):
		if r.Mode == servicepass.COPE && !r.Actions.Has(servicepass.SetPassword) {
			c := r
			c.Mode = servicepass.DeviceOwner
			cands = append(cands, c)
		}
		if !r.Mode.Valid() {
			for _, m := range gentest.Toward(int64(r.Mode), 2) {
				c := r
				c.Mode = servicepass.Mode(m)
				cands = append(cands, c)
			}
		}
		for _, a := range shrinkActions(r.Actions) {
			c := r
			c.Actions = a
			cands = append(cands, c)
		}
	}
	minID := 1
	if rule == servicepass.ErrDeviceID {
		minID = 0
	}
	for _, s := range gentest.Shorter([]byte(r.DeviceID), minID) {
		c := r
		c.DeviceID = string(s)
		cands = append(cands, c)
	}
	var out []InvalidResponseRequest
	for _, c := range cands {
		if responseRule(c) == rule {
			out = append(out, InvalidResponseRequest{c, rule})
		}
	}
	return out
})

func isActionRule(rule error) bool { return slices.Contains(actionRules, rule) }
