package servicepass_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/custody"
	"github.com/mdmcred/mdmcred/servicepass"
)

// heldMaster is testMaster(id) imported into a custodian: custody.LocalKey
// over its PRK.
func heldMaster(t testing.TB, id uint8) servicepass.MasterKey {
	t.Helper()
	prk, err := servicepass.ExtractPRK(testMaster(id))
	if err != nil {
		t.Fatal(err)
	}
	lk, err := custody.NewLocalKey(prk)
	if err != nil {
		t.Fatal(err)
	}
	m, err := servicepass.NewHeldMasterKey(id, lk)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHeldKeyVectors runs the vector files through an issuer whose master
// keys a custodian holds (custody.LocalKey over ExtractPRK), beside one with
// the keys in memory: every derivation of testdata/vectors.json, every code
// the vectors accept (re-issued from its decoded fields and serial) and
// every genuine response of testdata/challenge-vectors.json come out bit
// for bit the same.
func TestHeldKeyVectors(t *testing.T) {
	var vf vectorFile
	readJSON(t, vectorsPath, &vf)
	var cf challengeVectorFile
	readJSON(t, challengeVectorsPath, &cf)
	issuers := map[string][]servicepass.MasterKey{
		"in memory": {testMaster(1), testMaster(2)},
		"held":      {heldMaster(t, 1), heldMaster(t, 2)},
	}
	ctx := context.Background()
	for name, keys := range issuers {
		t.Run(name, func(t *testing.T) {
			mk := func(now time.Time, serial uint32) *servicepass.Issuer {
				is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: keys, Now: func() time.Time { return now },
					Rand: bytes.NewReader([]byte{byte(serial >> 16), byte(serial >> 8), byte(serial)})})
				if err != nil {
					t.Fatal(err)
				}
				return is
			}
			is := mk(vecT0, 0)
			for _, d := range vf.Derivations {
				ring, err := is.DeviceKeysContext(ctx, d.DeviceID)
				if err != nil {
					t.Fatal(err)
				}
				if got := hex.EncodeToString(ring[d.MasterKeyID-1].Bytes()); got != d.DeviceKeyHex || ring[d.MasterKeyID-1].ID() != d.MasterKeyID {
					t.Errorf("derivation %d/%s: %s, want %s", d.MasterKeyID, d.DeviceID, got, d.DeviceKeyHex)
				}
			}
			codes := 0
			for _, v := range vf.Vectors {
				for _, st := range v.Steps {
					if st.Op != "" || st.Result != "ok" {
						continue
					}
					p, err := servicepass.Decode(st.Code)
					if err != nil {
						t.Fatalf("%s: %v", v.Name, err)
					}
					r := servicepass.Request{DeviceID: v.DeviceID, Mode: p.Mode, Actions: p.Actions, KeyIDs: servicepass.KeyIDsOf(p.KeyID), Admin: "a"}
					var now time.Time
					if p.DayValid {
						y, m, d := p.ExpiryDate()
						r.ExpiryDate, r.Location = servicepass.Date{Year: y, Month: m, Day: d}, mustLoc(v.Location)
						now = time.Date(y, m, d-1, 12, 0, 0, 0, r.Location)
					} else {
						r.ExpiresAt = p.ExpiresAt()
						now = r.ExpiresAt.Add(-time.Hour)
					}
					iss, err := mk(now, p.Serial).Issue(ctx, r)
					if err != nil {
						t.Fatalf("%s: %v", v.Name, err)
					}
					if want, _ := servicepass.Decode(st.Code); iss.Code.Reveal() != want.Canonical() {
						t.Errorf("%s: issued %s, the vector has %s", v.Name, iss.Display.Reveal(), st.Code)
					}
					codes++
				}
			}
			responses := 0
			for _, cv := range cf.Vectors {
				mode, actions := parseModeName(t, cv.ResponseMode), parseActionNames(t, cv.ResponseActions)
				if cv.ResponseVersion != 1 || cv.ResponseKeyID > 2 || servicepass.CheckRules(mode, actions) != nil {
					continue
				}
				resp, err := is.Respond(ctx, servicepass.ResponseRequest{DeviceID: cv.ResponseDeviceID, Challenge: cv.Challenge,
					Mode: mode, Actions: actions, KeyIDs: servicepass.KeyIDsOf(cv.ResponseKeyID), Admin: "a"})
				if err != nil || resp.Display.Reveal() != cv.Response {
					t.Errorf("%s: Respond = %s, %v; want %s", cv.Name, resp.Display.Reveal(), err, cv.Response)
				}
				responses++
			}
			if codes < 20 || responses < 4 {
				t.Fatalf("%d codes and %d responses checked", codes, responses)
			}
		})
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// countingPRK counts HMAC calls and can fail or answer badly.
type countingPRK struct {
	inner *custody.LocalKey
	calls int
	err   error
	out   []byte
}

func (c *countingPRK) HMAC(ctx context.Context, msg []byte) ([]byte, error) {
	c.calls++
	if c.err != nil {
		return nil, &custody.Error{Backend: "test", Op: "hmac", Err: c.err}
	}
	if c.out != nil {
		return bytes.Clone(c.out), nil
	}
	return c.inner.HMAC(ctx, msg)
}

func TestHeldKeyOneCallPerDerivation(t *testing.T) {
	prk, _ := servicepass.ExtractPRK(testMaster(1))
	lk, _ := custody.NewLocalKey(prk)
	c := &countingPRK{inner: lk}
	m, _ := servicepass.NewHeldMasterKey(1, c)
	is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{testMaster(2), m}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := is.Issue(ctx, servicepass.Request{DeviceID: "d", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a"}); err != nil || c.calls != 1 {
		t.Fatalf("Issue: %v, %d calls", err, c.calls)
	}
	// Under key ID 2 (in memory) the custodian is not asked.
	if _, err := is.Issue(ctx, servicepass.Request{DeviceID: "d", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a", KeyIDs: servicepass.KeyIDsOf(2)}); err != nil || c.calls != 1 {
		t.Fatalf("Issue under key 2: %v, %d calls", err, c.calls)
	}
	p, err := is.ProvisionContext(ctx, "d", servicepass.DeviceOwner, time.UTC)
	if err != nil || c.calls != 2 || len(p.Keys) != 2 || !p.Keys[1].Equal(mustDeviceKey(t, testMaster(1), "d")) {
		t.Fatalf("ProvisionContext: %v, %d calls", err, c.calls)
	}
}

// TestHeldKeyRefusals: what a held key cannot do, and a custodian's
// failures, each with the error a caller matches.
func TestHeldKeyRefusals(t *testing.T) {
	held := heldMaster(t, 1)
	if _, err := servicepass.DeriveDeviceKey(held, "d"); !errors.Is(err, servicepass.ErrKeyInCustody) {
		t.Errorf("DeriveDeviceKey: %v", err)
	}
	if _, err := servicepass.ExtractPRK(held); !errors.Is(err, servicepass.ErrKeyInCustody) {
		t.Errorf("ExtractPRK: %v", err)
	}
	if _, err := servicepass.ExtractPRK(servicepass.MasterKey{}); !errors.Is(err, servicepass.ErrKeyUnusable) {
		t.Errorf("ExtractPRK of the zero key: %v", err)
	}
	if held.Bytes() != nil || !held.Held() || testMaster(1).Held() {
		t.Error("Bytes or Held")
	}
	if _, err := servicepass.NewHeldMasterKey(1, nil); !errors.Is(err, servicepass.ErrKeyUnusable) {
		t.Errorf("nil custodian: %v", err)
	}
	if _, err := servicepass.NewHeldMasterKey(1, (*custody.LocalKey)(nil)); !errors.Is(err, servicepass.ErrKeyUnusable) {
		t.Errorf("nil *LocalKey: %v", err)
	}
	if !held.Equal(held) || held.Equal(heldMaster(t, 1)) || held.Equal(testMaster(1)) || testMaster(1).Equal(held) {
		t.Error("Equal")
	}
	var cf challengeVectorFile
	readJSON(t, challengeVectorsPath, &cf)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	req := servicepass.Request{DeviceID: "d", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a"}
	tests := []struct {
		name string
		prk  servicepass.HeldPRK
		ctx  context.Context
		want []error
	}{
		{"custodian error", &countingPRK{err: errors.New("HSM unreachable")}, context.Background(), []error{servicepass.ErrCustody}},
		{"canceled", held2(t), canceled, []error{servicepass.ErrCustody, context.Canceled}},
		{"short answer", &countingPRK{out: make([]byte, 20)}, context.Background(), []error{servicepass.ErrCustody}},
		{"all-zero answer", &countingPRK{out: make([]byte, 32)}, context.Background(), []error{servicepass.ErrKeyUnusable}},
		{"nil context", held2(t), nil, []error{servicepass.ErrNilContext}},
	}
	for _, tt := range tests {
		m, _ := servicepass.NewHeldMasterKey(1, tt.prk)
		is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{m}})
		if err != nil {
			t.Fatal(err)
		}
		_, ierr := is.Issue(tt.ctx, req)
		_, rerr := is.Respond(tt.ctx, servicepass.ResponseRequest{DeviceID: "d", Challenge: cf.Vectors[0].Challenge, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: "a"})
		_, derr := is.DeviceKeysContext(tt.ctx, "d")
		_, perr := is.ProvisionContext(tt.ctx, "d", servicepass.DeviceOwner, time.UTC)
		for op, err := range map[string]error{"Issue": ierr, "DeviceKeysContext": derr, "ProvisionContext": perr, "Respond": rerr} {
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("%s: %s: %v, want %v", tt.name, op, err, w)
				}
			}
			var ce *custody.Error
			if tt.name == "custodian error" && !errors.As(err, &ce) {
				t.Errorf("%s: %s: %v does not reach the *custody.Error", tt.name, op, err)
			}
		}
	}
}

func held2(t *testing.T) servicepass.HeldPRK {
	prk, _ := servicepass.ExtractPRK(testMaster(1))
	lk, err := custody.NewLocalKey(prk)
	if err != nil {
		t.Fatal(err)
	}
	return lk
}

// For every master key and device ID, the device key derived through a
// custodian holding ExtractPRK is DeriveDeviceKey's.
func TestPropertyHeldDerivationEqualsHKDF(t *testing.T) {
	p := gopter.NewProperties(gopter.DefaultTestParameters())
	p.Property("DeviceKeysContext(held ExtractPRK(m)) == DeriveDeviceKey(m)", prop.ForAll(
		func(raw []byte, dev string) bool {
			m, err := servicepass.NewMasterKey(7, raw)
			if err != nil {
				return true // unusable material is refused alike
			}
			prk, err := servicepass.ExtractPRK(m)
			if err != nil {
				return false
			}
			lk, _ := custody.NewLocalKey(prk)
			h, _ := servicepass.NewHeldMasterKey(7, lk)
			is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{h}})
			if err != nil {
				return false
			}
			want, werr := servicepass.DeriveDeviceKey(m, dev)
			got, gerr := is.DeviceKeysContext(context.Background(), dev)
			if werr != nil || gerr != nil {
				return errors.Is(werr, servicepass.ErrDeviceID) && errors.Is(gerr, servicepass.ErrDeviceID)
			}
			return len(got) == 1 && got[0].Equal(want)
		},
		gen.SliceOfN(servicepass.KeySize, gen.UInt8()),
		gen.AnyString(),
	))
	p.TestingRun(t)
}

// A site moves its master key into an HSM: ExtractPRK gives the key to
// import (here custody.LocalKey stands for the HSM), and the issuer over
// the held key derives the same device keys, so devices keep theirs.
func ExampleNewHeldMasterKey() {
	master, _ := servicepass.NewMasterKey(1, bytes.Repeat([]byte{0x42}, servicepass.KeySize))
	prk, _ := servicepass.ExtractPRK(master) // import into the HSM as an HMAC-SHA256 key, then wipe
	hsm, _ := custody.NewLocalKey(prk)
	clear(prk)

	held, _ := servicepass.NewHeldMasterKey(1, hsm)
	is, _ := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{held}})
	ring, _ := is.DeviceKeysContext(context.Background(), "device-42")
	before, _ := servicepass.DeriveDeviceKey(master, "device-42")
	fmt.Println(held, ring[0].Equal(before))
	// Output: servicepass.MasterKey(id=1, held by a custodian) true
}
