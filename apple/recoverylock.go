package apple

// RecoveryLock says how SetRecoveryLock changes the Recovery Lock password
// of a Mac with Apple silicon (macOS 11.5+).
type RecoveryLock struct {
	// HasCurrent: a Recovery Lock password is set now, so the command must
	// carry it as CurrentPassword (filled at delivery, [FillCurrentPassword]).
	HasCurrent bool
	// Clear removes the password (NewPassword is sent empty); otherwise a
	// new password is filled at delivery ([FillNewPassword]).
	Clear bool
}

// NewSetRecoveryLock builds SetRecoveryLock. The passwords are filled in at
// delivery; the queued command holds neither. Clearing a password that is
// not set is refused (there is nothing to clear).
func NewSetRecoveryLock(uuid string, r RecoveryLock) (Command, error) {
	if r.Clear && !r.HasCurrent {
		return Command{}, fieldError("NewPassword", "clearing needs the current password; none is set")
	}
	var fills Fields
	if r.HasCurrent {
		fills |= FillCurrentPassword
	}
	if !r.Clear {
		fills |= FillNewPassword
	}
	return build(uuid, SetRecoveryLock, fills, func(w *plistWriter) {
		if r.HasCurrent {
			w.raw("CurrentPassword", placeholder(FillCurrentPassword))
		}
		if r.Clear {
			w.str("NewPassword", "")
		} else {
			w.raw("NewPassword", placeholder(FillNewPassword))
		}
	})
}
