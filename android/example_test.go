package android_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/internal/secret"
	"github.com/mdmcred/mdmcred/passcode"
)

// A LOCK command, valid for an hour.
func ExampleLockCommand() {
	body, err := android.LockCommand(android.Options{Duration: time.Hour})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(body.Reveal())) // the request body of devices.issueCommand
	// Output:
	// {"type":"LOCK","duration":"3600s"}
}

// The password goes into the body; printing the body shows nothing.
func ExampleResetPasswordCommand() {
	pw := secret.New("4711-Anna") // in a host: the Passcode of passcode.Service.Request's Result
	body, err := android.ResetPasswordCommand(pw, android.RequireEntry|android.LockNow, android.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(body)
	// Output:
	// [REDACTED]
}

// Lost Mode needs at least one thing to show.
func ExampleStartLostModeCommand() {
	_, err := android.StartLostModeCommand(android.LostMode{}, android.Options{})
	fmt.Println(err)
	body, _ := android.StartLostModeCommand(android.LostMode{
		Message: android.Message{Default: "Lost phone", Localized: map[string]string{"de": "Verlorenes Telefon"}},
	}, android.Options{})
	fmt.Println(string(body.Reveal()))
	// Output:
	// android: invalid startLostModeParams: at least one of lostMessage, lostPhoneNumber, lostEmailAddress, lostStreetAddress, lostOrganization is required
	// {"type":"START_LOST_MODE","duration":"600s","startLostModeParams":{"lostMessage":{"defaultMessage":"Lost phone","localizedMessages":{"de":"Verlorenes Telefon"}}}}
}

// An operation not done by its deadline has expired; one that failed says
// why.
func ExampleOperation_Outcome() {
	op, _ := android.ParseOperation([]byte(`{"name":"enterprises/LC1/devices/d1/operations/1",
		"metadata":{"type":"RESET_PASSWORD","createTime":"2026-03-02T10:00:00Z","duration":"600s"}}`))
	fmt.Println(op.Outcome(time.Date(2026, 3, 2, 10, 5, 0, 0, time.UTC)))
	fmt.Println(op.Outcome(time.Date(2026, 3, 2, 10, 10, 0, 0, time.UTC)))

	op, _ = android.ParseOperation([]byte(`{"name":"enterprises/LC1/devices/d1/operations/2","done":true,
		"metadata":{"type":"RESET_PASSWORD","errorCode":"INVALID_VALUE"}}`))
	fmt.Println(op.Outcome(time.Date(2026, 3, 2, 10, 5, 0, 0, time.UTC)))
	// Output:
	// {pending }
	// {expired }
	// {failed INVALID_VALUE}
}

// printLifecycle stands in for *passcode.Service: one reset, Pending.
type printLifecycle struct{ state passcode.State }

func (l *printLifecycle) Get(_ context.Context, id string) (passcode.Reset, error) {
	return passcode.Reset{ID: id, State: l.state}, nil
}

func (l *printLifecycle) Transition(_ context.Context, id string, to passcode.State, actor string) (passcode.Reset, error) {
	fmt.Println(id, "->", to, "by", actor)
	l.state = to
	return passcode.Reset{ID: id, State: to}, nil
}

// A command reported done takes a pending reset through acknowledged to
// succeeded; the same report again changes nothing.
func ExampleApply() {
	l := &printLifecycle{state: passcode.Pending}
	done := android.Outcome{State: passcode.Succeeded}
	fmt.Println(android.Apply(context.Background(), l, "r-1", done))
	fmt.Println(android.Apply(context.Background(), l, "r-1", done))
	// Output:
	// r-1 -> acknowledged by amapi
	// r-1 -> succeeded by amapi
	// succeeded <nil>
	// succeeded <nil>
}
