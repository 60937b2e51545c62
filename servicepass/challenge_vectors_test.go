package servicepass_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

const challengeVectorsPath = "testdata/challenge-vectors.json"

// challengeVectorFile is the schema of testdata/challenge-vectors.json,
// documented in docs/servicepass-format.md §11.
type challengeVectorFile struct {
	Format  string            `json:"format"`
	Comment string            `json:"comment"`
	Vectors []challengeVector `json:"vectors"`
}

type challengeVector struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	DeviceID    string      `json:"device_id"`
	DeviceMode  string      `json:"device_mode"`
	Keyring     []vectorKey `json:"keyring"`
	// ChallengeRandomHex is the 6 random bytes the device drew; the
	// challenge is their first 45 bits.
	ChallengeRandomHex string `json:"challenge_random_hex"`
	Challenge          string `json:"challenge"`
	// The response as the issuer (or, for refusals, a key holder) made it.
	ResponseDeviceID string   `json:"response_device_id"`
	ResponseVersion  uint8    `json:"response_version"`
	ResponseKeyID    uint8    `json:"response_key_id"`
	ResponseActions  []string `json:"response_actions"`
	ResponseMode     string   `json:"response_mode"`
	MACInputHex      string   `json:"mac_input_hex"`
	Response         string   `json:"response"`
	// Steps run in order on the one outstanding challenge.
	Steps []challengeStep `json:"steps"`
}

type challengeStep struct {
	Input  string `json:"input"`
	Result string `json:"result"`
	// For "ok": what is granted.
	Actions []string `json:"actions,omitempty"`
	Scope   string   `json:"scope,omitempty"`
}

var challengeResults = []struct {
	err  error
	name string
}{
	{servicepass.ErrMalformed, "malformed"}, {servicepass.ErrTypo, "typo"}, {servicepass.ErrVersion, "version"},
	{servicepass.ErrNoChallenge, "no_challenge"}, {servicepass.ErrChallengeVoid, "challenge_void"},
	{servicepass.ErrChallengeExpired, "challenge_expired"}, {servicepass.ErrUnknownKey, "unknown_key"},
	{servicepass.ErrInvalid, "invalid"}, {servicepass.ErrMode, "mode"}, {servicepass.ErrLockedOut, "locked_out"},
}

func challengeResult(err error) string {
	if err == nil {
		return "ok"
	}
	for _, r := range challengeResults {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return "error: " + err.Error()
}

func actionNames(a servicepass.Actions) []string {
	var out []string
	for _, one := range a.List() {
		out = append(out, one.String())
	}
	return out
}

func parseActionNames(t *testing.T, names []string) servicepass.Actions {
	var a servicepass.Actions
	for _, n := range names {
		one, err := servicepass.ParseActions(n)
		if err != nil {
			t.Fatal(err)
		}
		a |= one
	}
	return a
}

func parseModeName(t *testing.T, s string) servicepass.Mode {
	for _, m := range []servicepass.Mode{servicepass.DeviceOwner, servicepass.COPE} {
		if m.String() == s {
			return m
		}
	}
	t.Fatalf("mode %q", s)
	return 0
}

func buildChallengeVectors(t *testing.T) challengeVectorFile {
	type spec struct {
		name, desc      string
		device, respDev string
		mode, respMode  servicepass.Mode
		version, keyID  uint8
		actions         servicepass.Actions
		steps           func(resp string) []string
	}
	genuine := func(resp string) []string { return []string{mistype(resp), resp, resp} }
	specs := []spec{
		{"deviceowner-unlock", "A Device Owner response: a typo, the grant, then the same response again (the challenge is used).", "device-42", "device-42", servicepass.DeviceOwner, servicepass.DeviceOwner, 1, 1, servicepass.Unlock | servicepass.DisableKiosk, genuine},
		{"cope-set-password", "COPE Set Password, which a response allows without an expiry date.", "device-42", "device-42", servicepass.COPE, servicepass.COPE, 1, 1, servicepass.SetPassword, genuine},
		{"cope-unlock-network", "COPE Unlock with network restrictions lifted: the work profile scope.", "Zażółć-7", "Zażółć-7", servicepass.COPE, servicepass.COPE, 1, 2, servicepass.Unlock | servicepass.RemoveNetworkRestrictions, genuine},
		{"other-device", "A response made for another device's ID fails the MAC; three such void the challenge.", "device-42", "device-43", servicepass.DeviceOwner, servicepass.DeviceOwner, 1, 1, servicepass.Unlock,
			func(resp string) []string { return []string{resp, resp, resp, resp} }},
		{"mode-mismatch", "A genuine COPE response on a Device Owner device.", "device-42", "device-42", servicepass.DeviceOwner, servicepass.COPE, 1, 1, servicepass.Unlock,
			func(resp string) []string { return []string{resp, resp} }},
		{"rules-broken", "A response (made by a key holder) whose actions break the rules.", "device-42", "device-42", servicepass.DeviceOwner, servicepass.DeviceOwner, 1, 1, servicepass.EmergencyDatabaseReset | servicepass.Unlock,
			func(resp string) []string { return []string{resp} }},
		{"unknown-key", "A response under a key ID the device does not hold.", "device-42", "device-42", servicepass.DeviceOwner, servicepass.DeviceOwner, 1, 9, servicepass.Unlock,
			func(resp string) []string { return []string{resp} }},
		{"mac-high-bits", "Responses that differ from the genuine one only in MAC bits 50 to 55 (bit 0 the last): the whole 56-bit MAC is compared, so each fails; the genuine response then grants.", "device-42", "device-42", servicepass.DeviceOwner, servicepass.DeviceOwner, 1, 1, servicepass.AllowFactoryReset,
			func(resp string) []string {
				return []string{groupResponse(servicepass.FlipResponseMAC(resp, 1<<50)), groupResponse(servicepass.FlipResponseMAC(resp, 0x3F<<50)), resp}
			}},
		{"version-2", "A response of an unknown format version.", "device-42", "device-42", servicepass.DeviceOwner, servicepass.DeviceOwner, 2, 1, servicepass.Unlock,
			func(resp string) []string { return []string{resp, "", "ABCD-EFGH"} }},
	}
	vf := challengeVectorFile{
		Format:  "mdmcred servicepass challenge vectors v1",
		Comment: "Challenge-bound codes, docs/servicepass-format.md §11. Each vector configures a verifier with the keyring (device keys in hex), makes the challenge from challenge_random_hex, and runs its steps in order at any device time. Regenerate with: go test ./servicepass -run TestChallengeVectors -update",
	}
	for _, sp := range specs {
		ring := []servicepass.DeviceKey{mustDeviceKey(t, testMaster(1), sp.device), mustDeviceKey(t, testMaster(2), sp.device)}
		rnd := make([]byte, 6)
		_, _ = (&detRand{seed: "challenge/" + sp.name}).Read(rnd)
		v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: sp.device, Mode: sp.mode, HasMode: true, Keys: ring, Location: time.UTC}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.NewChallenge(servicepass.ChallengeOptions{Rand: bytes.NewReader(rnd)})
		if err != nil {
			t.Fatal(err)
		}
		signer := mustDeviceKey(t, testMaster(sp.keyID), sp.respDev)
		resp, macInput := servicepass.ForgeResponse(signer, sp.respDev, c.String(), sp.version, sp.keyID, sp.actions, sp.respMode)
		cv := challengeVector{
			Name: sp.name, Description: sp.desc, DeviceID: sp.device, DeviceMode: sp.mode.String(),
			ChallengeRandomHex: hex.EncodeToString(rnd), Challenge: c.String(),
			ResponseDeviceID: sp.respDev, ResponseVersion: sp.version, ResponseKeyID: sp.keyID,
			ResponseActions: actionNames(sp.actions), ResponseMode: sp.respMode.String(),
			MACInputHex: hex.EncodeToString(macInput), Response: groupResponse(resp),
		}
		for _, k := range ring {
			cv.Keyring = append(cv.Keyring, vectorKey{ID: k.ID(), Hex: hex.EncodeToString(k.Bytes())})
		}
		for _, in := range sp.steps(groupResponse(resp)) {
			g, err := v.VerifyResponse(context.Background(), in, t0)
			st := challengeStep{Input: in, Result: challengeResult(err)}
			if err == nil {
				st.Actions, st.Scope = actionNames(g.Actions), g.Scope.String()
			}
			cv.Steps = append(cv.Steps, st)
		}
		vf.Vectors = append(vf.Vectors, cv)
	}
	return vf
}

func groupResponse(s string) string {
	return s[:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:]
}

func TestChallengeVectors(t *testing.T) {
	built := buildChallengeVectors(t)
	out, err := json.MarshalIndent(built, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	if *update {
		if err := os.WriteFile(challengeVectorsPath, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(challengeVectorsPath)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	var vf challengeVectorFile
	if err := json.Unmarshal(data, &vf); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	f := newFixture(t, testMaster(1), testMaster(2))
	for _, cv := range vf.Vectors {
		t.Run(cv.Name, func(t *testing.T) {
			var ring []servicepass.DeviceKey
			for _, k := range cv.Keyring {
				b, _ := hex.DecodeString(k.Hex)
				dk, err := servicepass.NewDeviceKey(k.ID, b)
				if err != nil {
					t.Fatal(err)
				}
				ring = append(ring, dk)
			}
			v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: cv.DeviceID, Mode: parseModeName(t, cv.DeviceMode), HasMode: true, Keys: ring, Location: time.UTC}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			rnd, _ := hex.DecodeString(cv.ChallengeRandomHex)
			c, err := v.NewChallenge(servicepass.ChallengeOptions{Rand: bytes.NewReader(rnd)})
			if err != nil || c.String() != cv.Challenge {
				t.Fatalf("challenge %s, want %s (%v)", c, cv.Challenge, err)
			}
			// The issuer makes the same response for every genuine vector.
			if cv.ResponseVersion == 1 && cv.ResponseKeyID <= 2 && servicepass.CheckRules(parseModeName(t, cv.ResponseMode), parseActionNames(t, cv.ResponseActions)) == nil {
				r, err := f.is.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: cv.ResponseDeviceID, Challenge: cv.Challenge,
					Mode: parseModeName(t, cv.ResponseMode), Actions: parseActionNames(t, cv.ResponseActions), KeyIDs: servicepass.KeyIDsOf(cv.ResponseKeyID), Admin: "a"})
				if err != nil || r.Display.Reveal() != cv.Response {
					t.Fatalf("Respond = %s, %v; want %s", r.Display.Reveal(), err, cv.Response)
				}
			}
			for i, st := range cv.Steps {
				g, err := v.VerifyResponse(context.Background(), st.Input, time.Unix(int64(i)*1e9, 0))
				if got := challengeResult(err); got != st.Result {
					t.Fatalf("step %d (%s): %s, want %s", i, st.Input, got, st.Result)
				}
				if err == nil && (g.Scope.String() != st.Scope || g.Actions != parseActionNames(t, st.Actions) || g.Degraded) {
					t.Fatalf("step %d: grant %+v", i, g)
				}
				seen[st.Result] = true
			}
		})
	}
	for _, r := range []string{"ok", "typo", "malformed", "version", "no_challenge", "challenge_void", "unknown_key", "invalid", "mode"} {
		if !seen[r] {
			t.Errorf("no vector has result %s", r)
		}
	}
	if !bytes.Equal(data, out) {
		t.Errorf("%s is stale: run go test ./servicepass -run TestChallengeVectors -update", challengeVectorsPath)
	}
}
