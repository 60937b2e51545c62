package androidtest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/android/androidtest"
	"github.com/mdmcred/mdmcred/internal/secret"
	"github.com/mdmcred/mdmcred/mdmcredtest"
	"github.com/mdmcred/mdmcred/passcode"
)

// deviceModel is the reference model of one simulated Android 14 device:
// whether it is in Lost Mode, and how long ago it ran its last password
// reset (negative: never).
type deviceModel struct {
	lostMode  bool
	sinceLast time.Duration
	last      android.Outcome // what the last command should have answered
}

type deviceSUT struct {
	srv   *androidtest.Server
	clock *mdmcredtest.Clock
}

// deviceCmd issues one command (and reads its operation), or lets time
// pass.
type deviceCmd struct {
	name string // "reset", "short reset", "lock", "start", "stop"; "" waits
	wait time.Duration
}

func (c deviceCmd) String() string {
	if c.name == "" {
		return "wait " + c.wait.String()
	}
	return c.name
}

func (c deviceCmd) body() android.Body {
	switch c.name {
	case "reset":
		return must(android.ResetPasswordCommand(secret.New("Xq9abc12"), 0, android.Options{}))
	case "short reset":
		return must(android.ResetPasswordCommand(secret.New("12345"), 0, android.Options{}))
	case "lock":
		return must(android.LockCommand(android.Options{}))
	case "start":
		return must(android.StartLostModeCommand(android.LostMode{EmailAddress: "it@example.com"}, android.Options{}))
	}
	return must(android.StopLostModeCommand(android.Options{}))
}

func (c deviceCmd) Run(sut commands.SystemUnderTest) commands.Result {
	s := sut.(*deviceSUT)
	if c.name == "" {
		s.clock.Advance(c.wait)
		return android.Outcome{}
	}
	rec := httptest.NewRecorder()
	s.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/"+dev+":issueCommand", bytes.NewReader(c.body().Reveal())))
	op, err := android.ParseOperation(rec.Body.Bytes())
	if err != nil {
		return android.Outcome{Reason: "issue: " + err.Error()}
	}
	rec = httptest.NewRecorder()
	s.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/"+op.Name, nil))
	if op, err = android.ParseOperation(rec.Body.Bytes()); err != nil {
		return android.Outcome{Reason: "get: " + err.Error()}
	}
	return op.Outcome(s.clock.Now())
}

// NextState is the reference model of Android's answers, as the package
// documentation lists them.
func (c deviceCmd) NextState(st commands.State) commands.State {
	m := st.(deviceModel)
	ok := android.Outcome{State: passcode.Succeeded}
	failed := func(reason string) android.Outcome { return android.Outcome{State: passcode.Failed, Reason: reason} }
	switch c.name {
	case "":
		if m.sinceLast >= 0 {
			m.sinceLast += c.wait
		}
		m.last = android.Outcome{}
	case "reset":
		m.sinceLast, m.last = 0, ok
	case "short reset":
		m.last = failed("INVALID_VALUE")
	case "lock":
		m.last = ok
	case "start":
		switch {
		case m.lostMode:
			m.last = failed("ALREADY_IN_LOST_MODE")
		case m.sinceLast >= 0 && m.sinceLast < androidtest.RecentReset:
			m.last = failed("RESET_PASSWORD_RECENTLY")
		default:
			m.lostMode, m.last = true, ok
		}
	case "stop":
		if m.lostMode {
			m.lostMode, m.last = false, ok
		} else {
			m.last = failed("NOT_IN_LOST_MODE")
		}
	}
	return m
}

func (deviceCmd) PreCondition(commands.State) bool { return true }

func (deviceCmd) PostCondition(st commands.State, res commands.Result) *gopter.PropResult {
	if m := st.(deviceModel); res.(android.Outcome) != m.last {
		return &gopter.PropResult{Status: gopter.PropFalse, Labels: []string{fmt.Sprintf("model %+v, got %+v", m, res)}}
	}
	return &gopter.PropResult{Status: gopter.PropTrue}
}

// TestModelDevice drives random sequences of commands and waits against a
// simulated Android 14 device and checks every answer against the
// reference model.
func TestModelDevice(t *testing.T) {
	names := []string{"reset", "short reset", "lock", "start", "stop"}
	cmds := &commands.ProtoCommands{
		NewSystemUnderTestFunc: func(commands.State) commands.SystemUnderTest {
			clock := mdmcredtest.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
			srv := androidtest.New(androidtest.Config{Now: clock.Now})
			srv.AddDevice(dev, androidtest.Device{APILevel: 34})
			return &deviceSUT{srv: srv, clock: clock}
		},
		InitialStateGen: gen.Const(deviceModel{sinceLast: -1}),
		GenCommandFunc: func(commands.State) gopter.Gen {
			return gen.Weighted([]gen.WeightedGen{
				{Weight: 4, Gen: gen.OneConstOf(names[0], names[1], names[2], names[3], names[4]).Map(func(n string) commands.Command { return deviceCmd{name: n} })},
				{Weight: 1, Gen: gen.OneConstOf(time.Minute, 59*time.Minute, time.Hour).Map(func(d time.Duration) commands.Command { return deviceCmd{wait: d} })},
			})
		},
	}
	params := gopter.DefaultTestParametersWithSeed(25)
	params.MinSuccessfulTests = 100
	props := gopter.NewProperties(params)
	props.Property("the simulated device answers as the model", commands.Prop(cmds))
	props.TestingRun(t)
}
