package android

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Message is AMAPI's UserFacingMessage: a text shown on the device, with
// translations chosen by the device's locale.
type Message struct {
	// Default is shown when no translation matches the device's locale.
	// Required whenever Localized is set.
	Default string
	// Localized maps a BCP 47 language tag ("en-US", "es-ES", "fr") to the
	// text in that language.
	Localized map[string]string
}

func (m Message) isZero() bool { return m.Default == "" && len(m.Localized) == 0 }

// LostMode is what a device in Lost Mode shows (START_LOST_MODE's
// startLostModeParams). At least one field must be set.
type LostMode struct {
	// Message is the text shown on the locked screen (lostMessage).
	Message Message
	// PhoneNumber is called when the user taps "call owner"
	// (lostPhoneNumber).
	PhoneNumber Message
	// EmailAddress is shown to the user (lostEmailAddress); AMAPI takes a
	// plain string here, not a localized message.
	EmailAddress string
	// StreetAddress is shown to the user (lostStreetAddress).
	StreetAddress Message
	// Organization is the organization's name shown to the user
	// (lostOrganization).
	Organization Message
}

// MaxMessageLen bounds every text of a [LostMode], in bytes. AMAPI states
// no limit; a lock screen cannot show more, and an unbounded field would let
// a caller send megabytes through the SDK.
const MaxMessageLen = 4096

// MaxLocales bounds the translations of one [Message].
const MaxLocales = 200

type userFacingMessage struct {
	DefaultMessage    string            `json:"defaultMessage,omitempty"`
	LocalizedMessages map[string]string `json:"localizedMessages,omitempty"`
}

type startLostMode struct {
	LostMessage       *userFacingMessage `json:"lostMessage,omitempty"`
	LostPhoneNumber   *userFacingMessage `json:"lostPhoneNumber,omitempty"`
	LostEmailAddress  string             `json:"lostEmailAddress,omitempty"`
	LostStreetAddress *userFacingMessage `json:"lostStreetAddress,omitempty"`
	LostOrganization  *userFacingMessage `json:"lostOrganization,omitempty"`
}

func checkText(field, s string) error {
	switch {
	case len(s) > MaxMessageLen:
		return invalid(field, "longer than 4096 bytes")
	case !utf8.ValidString(s):
		return invalid(field, "not valid UTF-8")
	}
	return nil
}

func (m Message) encode(field string) (*userFacingMessage, error) {
	if m.isZero() {
		return nil, nil
	}
	if m.Default == "" {
		return nil, invalid(field+".defaultMessage", "required when localizedMessages are given")
	}
	if err := checkText(field+".defaultMessage", m.Default); err != nil {
		return nil, err
	}
	if len(m.Localized) > MaxLocales {
		return nil, invalid(field+".localizedMessages", "more than 200 locales")
	}
	tags := make([]string, 0, len(m.Localized))
	for tag := range m.Localized {
		tags = append(tags, tag)
	}
	sort.Strings(tags) // so that the first bad one is always the one named
	for _, tag := range tags {
		if !wellFormedTag(tag) {
			return nil, invalid(field+".localizedMessages", "key is not a well-formed BCP 47 language tag")
		}
		if m.Localized[tag] == "" {
			return nil, invalid(field+".localizedMessages", "empty message for "+tag)
		}
		if err := checkText(field+".localizedMessages", m.Localized[tag]); err != nil {
			return nil, err
		}
	}
	u := &userFacingMessage{DefaultMessage: m.Default}
	if len(m.Localized) > 0 {
		u.LocalizedMessages = make(map[string]string, len(m.Localized))
		for k, v := range m.Localized {
			u.LocalizedMessages[k] = v
		}
	}
	return u, nil
}

// wellFormedTag checks the shape of a BCP 47 tag (RFC 5646 section 2.1):
// hyphen-separated subtags of 1 to 8 ASCII letters or digits, the first of
// them letters only and 2-3 or 5-8 long, or the single letter "x"
// (private use) or "i" (grandfathered). It checks syntax only, not the
// registry.
func wellFormedTag(tag string) bool {
	if len(tag) > 64 {
		return false
	}
	for i, sub := range strings.Split(tag, "-") {
		if len(sub) < 1 || len(sub) > 8 {
			return false
		}
		letters := true
		for j := 0; j < len(sub); j++ {
			c := sub[j] | 0x20 // lower case for letters
			switch {
			case c >= 'a' && c <= 'z':
			case sub[j] >= '0' && sub[j] <= '9':
				letters = false
			default:
				return false
			}
		}
		if i == 0 {
			n := len(sub)
			single := n == 1 && (sub[0]|0x20 == 'x' || sub[0]|0x20 == 'i')
			if !letters || !(single || n == 2 || n == 3 || n >= 5) {
				return false
			}
		}
	}
	return true
}

// StartLostModeCommand builds a START_LOST_MODE command showing lm. At
// least one of its fields must be set. Lost Mode works only on company-owned
// devices: check the device with [passcode.CheckLostMode] before sending,
// because AMAPI reports the command done on a device that ignores it.
func StartLostModeCommand(lm LostMode, o Options) (Body, error) {
	if lm.Message.isZero() && lm.PhoneNumber.isZero() && lm.EmailAddress == "" &&
		lm.StreetAddress.isZero() && lm.Organization.isZero() {
		return Body{}, invalid("startLostModeParams", "at least one of lostMessage, lostPhoneNumber, lostEmailAddress, lostStreetAddress, lostOrganization is required")
	}
	p := &startLostMode{LostEmailAddress: lm.EmailAddress}
	if err := checkText("startLostModeParams.lostEmailAddress", lm.EmailAddress); err != nil {
		return Body{}, err
	}
	var err error
	for _, f := range []struct {
		dst  **userFacingMessage
		m    Message
		name string
	}{
		{&p.LostMessage, lm.Message, "startLostModeParams.lostMessage"},
		{&p.LostPhoneNumber, lm.PhoneNumber, "startLostModeParams.lostPhoneNumber"},
		{&p.LostStreetAddress, lm.StreetAddress, "startLostModeParams.lostStreetAddress"},
		{&p.LostOrganization, lm.Organization, "startLostModeParams.lostOrganization"},
	} {
		if *f.dst, err = f.m.encode(f.name); err != nil {
			return Body{}, err
		}
	}
	return build(command{Type: StartLostMode, StartLostModeParams: p}, o)
}
