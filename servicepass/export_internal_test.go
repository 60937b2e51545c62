package servicepass

// ForgeResponse makes a response text for challenge text c with any
// header fields, for tests and vectors of what only a key holder can make
// (a response whose actions break the rules). It panics on a bad challenge.
func ForgeResponse(dk DeviceKey, deviceID, c string, version uint8, keyID uint8, a Actions, m Mode) (text string, macInput []byte) {
	ch, err := ParseChallenge(c)
	if err != nil {
		panic(err)
	}
	in := responseMACInput(deviceID, ch.v, keyID, a, m)
	in[len(in)-4] = version
	tag := newLabeledMACState(dk.raw(), responseLabel, deviceID).first64(in[len(in)-10:]) >> (64 - ResponseMACBits)
	header := uint64(version&3)<<17 | uint64(keyID)<<9 | uint64(a)<<1 | uint64(m&1)
	return encodeResponse(header, tag), in
}

// FlipResponseMAC returns response text with the MAC bits in mask (bit 0 the
// last MAC bit) flipped and the check symbol recomputed, for vectors of a
// response that differs from a genuine one only in chosen MAC bits.
func FlipResponseMAC(text string, mask uint64) string {
	header, mac, err := parseResponse(text)
	if err != nil {
		panic(err)
	}
	return encodeResponse(header, mac^(mask&responseMACMask))
}

// TestState is the device state as the verifier decodes it, for tests
// outside the package that look into what a store holds.
type TestState = deviceState

// DecodeTestState decodes stored state bytes as the verifier does: nothing,
// or bytes that do not decode, is a fresh state marked Damaged.
func DecodeTestState(b []byte) *TestState { return decodeStored(b) }

// EncodeTestState encodes s as the verifier stores it.
func EncodeTestState(s *TestState) []byte {
	b, err := encodeState(s, "")
	if err != nil {
		panic(err)
	}
	return b
}

// DamageGrace is damageGrace, for tests.
const DamageGrace = damageGrace

// The sentinels of the rules callers do not branch on (issue 22), under
// their former names, for the tests that check which rule was broken.
var (
	ErrUnknownAction = errUnknownAction
	ErrExpiryRange   = errExpiryRange
	ErrClockRange    = errClockRange
	ErrNotConfigured = errNotConfigured
	ErrKeyNotHeld    = errKeyNotHeld
	ErrKeySize       = errKeySize
	ErrNoKeys        = errNoKeys
	ErrKeyIDTwice    = errKeyIDTwice
	ErrKeyInCustody  = errKeyInCustody
	ErrKey           = errKey
)
