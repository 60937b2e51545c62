package apple

// Lock is what DeviceLock shows on the Lock Screen, and whether it sets a
// PIN.
type Lock struct {
	// Message is shown on the Lock Screen (iOS 7+, macOS 10.14+); optional.
	Message string
	// PhoneNumber is shown on the Lock Screen (iOS 7+, macOS 11.5+ on
	// Apple silicon); optional.
	PhoneNumber string
	// PIN makes the command wait for a 6-digit Find My PIN, filled in at
	// delivery ([FillPIN]). macOS only: [Check] refuses it elsewhere.
	PIN bool
}

// NewDeviceLock builds DeviceLock, which locks the device at once. With
// l.PIN the PIN is filled in at delivery, so the queued command never holds
// it.
func NewDeviceLock(uuid string, l Lock) (Command, error) {
	if err := checkText("Message", l.Message); err != nil {
		return Command{}, err
	}
	if err := checkText("PhoneNumber", l.PhoneNumber); err != nil {
		return Command{}, err
	}
	var fills Fields
	if l.PIN {
		fills = FillPIN
	}
	return build(uuid, DeviceLock, fills, func(w *plistWriter) {
		if l.Message != "" {
			w.str("Message", l.Message)
		}
		if l.PhoneNumber != "" {
			w.str("PhoneNumber", l.PhoneNumber)
		}
		if l.PIN {
			w.raw("PIN", placeholder(FillPIN))
		}
	})
}
