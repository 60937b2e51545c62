package apple

// LostMode is what a device in MDM Lost Mode shows. Message or PhoneNumber
// is required.
type LostMode struct {
	// Message is shown on the Lock Screen.
	Message string
	// PhoneNumber is shown on the Lock Screen.
	PhoneNumber string
	// Footnote replaces "Slide to Unlock"; optional.
	Footnote string
}

// NewEnableLostMode builds EnableLostMode (iOS and iPadOS 9.3+, supervised
// devices only: see [Check]). It carries no secret.
func NewEnableLostMode(uuid string, m LostMode) (Command, error) {
	if m.Message == "" && m.PhoneNumber == "" {
		return Command{}, fieldError("Message", "Message or PhoneNumber is required")
	}
	for _, f := range []struct{ name, v string }{{"Message", m.Message}, {"PhoneNumber", m.PhoneNumber}, {"Footnote", m.Footnote}} {
		if err := checkText(f.name, f.v); err != nil {
			return Command{}, err
		}
	}
	return build(uuid, EnableLostMode, 0, func(w *plistWriter) {
		if m.Message != "" {
			w.str("Message", m.Message)
		}
		if m.PhoneNumber != "" {
			w.str("PhoneNumber", m.PhoneNumber)
		}
		if m.Footnote != "" {
			w.str("Footnote", m.Footnote)
		}
	})
}

// NewDisableLostMode builds DisableLostMode. A device that is not in Lost
// Mode answers with error 12067 ([NotInLostMode]).
func NewDisableLostMode(uuid string) (Command, error) {
	return build(uuid, DisableLostMode, 0, nil)
}
