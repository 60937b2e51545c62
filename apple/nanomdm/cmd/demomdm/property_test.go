package main

import (
	"net/http"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/apple"
)

// For all commands the console can build and all PIN strings, the API
// takes the request exactly when the PIN is present iff the command waits
// for one, and is then 6 digits.
func TestEnqueueRuleProperty(t *testing.T) {
	s := &server{devices: map[string]*device{mac: nil, iPhone: nil}, commands: map[string]string{}}
	build := func(kind int) apple.Command {
		uuid, _ := apple.NewCommandUUID(nil)
		var c apple.Command
		switch kind {
		case 0:
			c, _ = apple.NewDeviceLock(uuid, apple.Lock{PIN: true, Message: "m"})
		case 1:
			c, _ = apple.NewDeviceLock(uuid, apple.Lock{})
		case 2:
			c, _ = apple.NewClearPasscode(uuid)
		case 3:
			c, _ = apple.NewEnableLostMode(uuid, apple.LostMode{Message: "m"})
		default:
			c, _ = apple.NewDisableLostMode(uuid)
		}
		return c
	}
	pins := gen.OneGenOf(
		gen.Const(""),
		gen.SliceOfN(6, gen.NumChar()).Map(func(r []rune) string { return string(r) }),
		gen.AnyString(),
		gen.NumString(),
	)
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 500
	props := gopter.NewProperties(params)
	props.Property("PIN accepted iff the command waits for one and it is 6 digits", prop.ForAll(
		func(kind int, pin string) bool {
			c := build(kind)
			_, status, _ := s.checkEnqueue(enqueueRequest{EnrollmentID: mac, Command: c.Template, PIN: pin})
			waits := c.Fills&apple.FillPIN != 0
			want := (pin == "" && !waits) || (waits && len(pin) == 6 && isDigits(pin))
			return (status == 0) == want && (status == 0 || status == http.StatusBadRequest)
		},
		gen.IntRange(0, 4), pins,
	))
	props.TestingRun(t)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
