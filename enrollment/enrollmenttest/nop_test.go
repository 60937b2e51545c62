package enrollmenttest_test

import (
	"context"

	"github.com/mdmcred/mdmcred/enrollment"
)

type nopAlerter struct{}

func (nopAlerter) SendLockAlert(context.Context, enrollment.Alert) error { return nil }
