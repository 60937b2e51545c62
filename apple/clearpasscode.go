package apple

// NewClearPasscode builds ClearPasscode, which removes the passcode of an
// iOS or iPadOS device. The UnlockToken the device escrowed in its
// TokenUpdate check-in is filled in at delivery ([FillUnlockToken]); check
// first with [Check] that one is held.
func NewClearPasscode(uuid string) (Command, error) {
	return build(uuid, ClearPasscode, FillUnlockToken, func(w *plistWriter) {
		w.raw("UnlockToken", placeholder(FillUnlockToken))
	})
}
