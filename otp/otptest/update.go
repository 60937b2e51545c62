package otptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/mdmcred/mdmcred/otp"
)

// updatePIN is the store idiom in its plainest form, for the suites: load
// user's record, run fn on it, and if fn returns true write it back on the
// revision loaded, loading again on otp.ErrConflict. It keeps the user
// name and sets the revision, whatever fn did to them.
func updatePIN(ctx context.Context, s otp.Store, user string, fn func(r *otp.PINRecord) bool) error {
	for range 10000 {
		cur, err := s.Load(ctx, user)
		if err != nil {
			return err
		}
		next := cur
		next.Digest = bytes.Clone(cur.Digest)
		if !fn(&next) {
			return nil
		}
		next.User, next.Rev = user, cur.Rev+1
		err = s.Write(ctx, next, cur.Rev)
		if !errors.Is(err, otp.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("otptest: %s kept changing", user)
}

// updateTOTP is updatePIN for a TOTP store.
func updateTOTP(ctx context.Context, s otp.TOTPStore, subject string, fn func(st *otp.TOTPState) bool) error {
	for range 10000 {
		cur, err := s.LoadTOTP(ctx, subject)
		if err != nil {
			return err
		}
		next := cur
		if !fn(&next) {
			return nil
		}
		next.Subject, next.Rev = subject, cur.Rev+1
		err = s.WriteTOTP(ctx, next, cur.Rev)
		if !errors.Is(err, otp.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("otptest: %s kept changing", subject)
}
