package servicepass_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/servicepass"
)

// agentSim is the system under test of TestModelDeviceState: a provisioned
// agent on a file store, driven like a real one, with the reference
// bookkeeping the properties are checked against: how often each code was
// granted, which reversible actions the agent has applied, the failures
// since the state last forgot them, and the latest device time of a grant
// (the only thing allowed to move the clock mark).
type agentSim struct {
	t       *testing.T
	f       *fixture
	path    string
	v       *servicepass.Verifier
	store   *servicepass.FileStore
	skew    time.Duration
	now     time.Time     // true time
	offset  time.Duration // device clock minus true time
	codes   []string
	granted []int
	// applied are the reversible actions the agent has applied and not
	// reverted.
	applied servicepass.Actions
	// lastGrant is the device time of the latest grant of each reversible
	// action: no action may stay in an active window longer than the
	// window's length after it.
	lastGrant map[servicepass.Actions]time.Time
	failures  int // wrong MACs counted since the last grant or state loss
	// seen is the status of the latest poll, which a slow agent
	// acknowledges late (after other commands ran).
	seen servicepass.WindowStatus
	mark time.Time // device time of the latest grant since the last state loss or clock reset
	// responses are the challenge responses made so far (issue 18), each
	// of which may grant at most once, whatever happens to the state.
	responses []string
}

func (a *agentSim) device() time.Time { return a.now.Add(a.offset) }

func (a *agentSim) open() {
	if a.store != nil {
		_ = a.store.Close()
	}
	a.store = openFile(a.t, a.path)
	a.v = a.f.provisioned(a.t, "dev", servicepass.DeviceOwner, a.store, a.skew)
}

// simResult is what a command reports: empty when every property held.
type simResult string

func (a *agentSim) verify(i int, at time.Time) simResult {
	g, err := a.v.Verify(context.Background(), a.codes[i], at)
	switch {
	case err == nil:
		if a.granted[i] > 0 && !g.Degraded {
			return simResult(fmt.Sprintf("code %d granted a second time without Degraded", i))
		}
		a.granted[i]++
		a.granted1(g, at)
		if g.ClockReset || at.After(a.mark) {
			a.mark = at
		}
	case errors.Is(err, servicepass.ErrInvalid):
		a.failures++
	}
	return ""
}

func (a *agentSim) issue(actions servicepass.Actions, validity time.Duration) int {
	a.f.clock.Set(a.now)
	a.codes = append(a.codes, a.f.issue(a.t, servicepass.Request{DeviceID: "dev", Mode: servicepass.DeviceOwner, Actions: actions,
		ExpiresAt: a.now.Add(validity)}).Code.Reveal())
	a.granted = append(a.granted, 0)
	return len(a.codes) - 1
}

// poll is the agent's routine: read the window, revert what it reports,
// re-apply the active window's actions, acknowledge. Every reversible action
// the agent holds must then belong to the active window.
func (a *agentSim) poll(at time.Time) simResult {
	st, err := a.v.Window(context.Background(), at)
	if err != nil && !errors.Is(err, servicepass.ErrStateLost) {
		return simResult(fmt.Sprintf("Window: %v", err))
	}
	a.applied &^= st.Revert
	var active servicepass.Actions
	if st.Active {
		active = st.Actions & servicepass.Reversible
	}
	for _, x := range active.List() {
		if g, ok := a.lastGrant[x]; !ok || !at.Before(g.Add(servicepass.DefaultWindow)) {
			return simResult(fmt.Sprintf("%v still active at %v, last granted at %v", x, at, g))
		}
	}
	if left := a.applied &^ active; left != 0 {
		return simResult(fmt.Sprintf("%v applied but not reported for revert (status %+v)", left, st))
	}
	a.applied |= active
	a.seen = st
	if err := a.v.ClearWindow(context.Background(), st); err != nil && !errors.Is(err, servicepass.ErrWindowChanged) {
		return simResult(fmt.Sprintf("ClearWindow: %v", err))
	}
	return ""
}

// granted1 records a grant in the reference bookkeeping.
func (a *agentSim) granted1(g servicepass.Grant, at time.Time) {
	a.applied |= g.Actions & servicepass.Reversible
	for _, x := range (g.Actions & servicepass.Reversible).List() {
		a.lastGrant[x] = at
	}
	a.failures = 0
}

// challenge is the help-desk round trip: the device shows a challenge, the
// issuer answers it, the device verifies the answer at device time at (any
// time: a response needs no clock). A genuine response grants, never
// degraded, unless earlier wrong codes engaged the lockout.
func (a *agentSim) challenge(act servicepass.Actions, at time.Time) simResult {
	c, err := a.v.NewChallenge(servicepass.ChallengeOptions{})
	if err != nil {
		return simResult(fmt.Sprintf("NewChallenge: %v", err))
	}
	r, err := a.f.is.Respond(context.Background(), servicepass.ResponseRequest{DeviceID: "dev", Challenge: c.String(), Mode: servicepass.DeviceOwner, Actions: act, Admin: "a"})
	if err != nil {
		return simResult(fmt.Sprintf("Respond: %v", err))
	}
	a.responses = append(a.responses, r.Code.Reveal())
	g, err := a.v.VerifyResponse(context.Background(), r.Code.Reveal(), at)
	switch {
	case err == nil:
		if g.Degraded {
			return "a response grant is degraded"
		}
		a.granted1(g, at)
	case a.failures < servicepass.DefaultLockout.Free:
		return simResult(fmt.Sprintf("genuine response refused at %v: %v", at, err))
	}
	return ""
}

// replayResponse sends an earlier response again: it never grants a second
// time (its challenge is used, replaced, or gone with a restart).
func (a *agentSim) replayResponse(i int) simResult {
	if len(a.responses) == 0 {
		return ""
	}
	_, err := a.v.VerifyResponse(context.Background(), a.responses[i%len(a.responses)], a.device())
	switch {
	case err == nil:
		return simResult(fmt.Sprintf("response %d granted a second time", i%len(a.responses)))
	case errors.Is(err, servicepass.ErrInvalid):
		a.failures++
	}
	return ""
}

func (a *agentSim) lose() {
	a.failures, a.mark = 0, time.Time{}
}

type simCmd struct {
	name string
	run  func(a *agentSim) simResult
}

func (c simCmd) Run(sut commands.SystemUnderTest) commands.Result { return c.run(sut.(*agentSim)) }
func (c simCmd) NextState(s commands.State) commands.State        { return s }
func (c simCmd) PreCondition(commands.State) bool                 { return true }
func (c simCmd) String() string                                   { return c.name }
func (c simCmd) PostCondition(_ commands.State, r commands.Result) *gopter.PropResult {
	if r.(simResult) != "" {
		return &gopter.PropResult{Status: gopter.PropFalse, Labels: []string{string(r.(simResult))}}
	}
	return &gopter.PropResult{Status: gopter.PropTrue}
}

var simActions = []servicepass.Actions{
	servicepass.Unlock, servicepass.DisableKiosk, servicepass.AllowFactoryReset | servicepass.Unlock,
	servicepass.RemoveNetworkRestrictions | servicepass.AllowDeveloperOptions, servicepass.EmergencyDatabaseReset,
}

var simValidity = []time.Duration{servicepass.MinValidity, time.Hour, 24 * time.Hour, servicepass.MaxValidity}

func genSimCommand(commands.State) gopter.Gen {
	return gen.OneGenOf(
		genIssue22Command(),
		gen.IntRange(0, 2*len(simActions)-1).Map(func(i int) commands.Command {
			act, w := simActions[i%len(simActions)], i >= len(simActions)
			return simCmd{fmt.Sprintf("challenge(%v, wild=%v)", act, w), func(a *agentSim) simResult {
				if w {
					return a.challenge(act, wild)
				}
				return a.challenge(act, a.device())
			}}
		}),
		gen.IntRange(0, 1<<20).Map(func(i int) commands.Command {
			return simCmd{fmt.Sprintf("replayResponse(%d)", i), func(a *agentSim) simResult { return a.replayResponse(i) }}
		}),
		gen.IntRange(0, 1<<20).Map(func(i int) commands.Command {
			return simCmd{fmt.Sprintf("replay(%d)", i), func(a *agentSim) simResult {
				if len(a.codes) == 0 {
					return ""
				}
				return a.verify(i%len(a.codes), a.device())
			}}
		}),
		gen.IntRange(0, len(simActions)*len(simValidity)-1).Map(func(i int) commands.Command {
			act, val := simActions[i%len(simActions)], simValidity[i/len(simActions)]
			return simCmd{fmt.Sprintf("fresh(%v, %v)", act, val), func(a *agentSim) simResult {
				return a.verify(a.issue(act, val), a.device())
			}}
		}),
		gen.Bool().Map(func(w bool) commands.Command {
			return simCmd{fmt.Sprintf("forged(wild=%v)", w), func(a *agentSim) simResult {
				p, _ := servicepass.Decode(a.codes[a.issue(servicepass.Unlock, time.Hour)])
				a.granted = a.granted[:len(a.granted)-1]
				a.codes = a.codes[:len(a.codes)-1]
				p.MAC = flipTag(p.MAC, 1)
				at := a.device()
				if w {
					at = wild
				}
				if _, err := a.v.Verify(context.Background(), p.Canonical(), at); errors.Is(err, servicepass.ErrInvalid) {
					a.failures++
				}
				return ""
			}}
		}),
		gen.Bool().Map(func(w bool) commands.Command {
			return simCmd{fmt.Sprintf("poll(wild=%v)", w), func(a *agentSim) simResult {
				if w {
					return a.poll(wild)
				}
				return a.poll(a.device())
			}}
		}),
		gen.Const(0).Map(func(int) commands.Command {
			return simCmd{"clearStale", func(a *agentSim) simResult {
				// A slow agent acknowledges the status it saw before the
				// commands since; it reverted that status's duty.
				a.applied &^= a.seen.Revert
				if err := a.v.ClearWindow(context.Background(), a.seen); err != nil && !errors.Is(err, servicepass.ErrWindowChanged) {
					return simResult(fmt.Sprintf("ClearWindow: %v", err))
				}
				return ""
			}}
		}),
		gen.OneConstOf(time.Minute, 5*time.Minute, time.Hour).Map(func(skew time.Duration) commands.Command {
			return simCmd{fmt.Sprintf("restart(skew=%v)", skew), func(a *agentSim) simResult {
				a.skew = skew
				a.open()
				return ""
			}}
		}),
		gen.Bool().Map(func(del bool) commands.Command {
			return simCmd{fmt.Sprintf("lose(delete=%v)", del), func(a *agentSim) simResult {
				var err error
				if del {
					err = os.Remove(a.path)
				} else {
					err = os.WriteFile(a.path, []byte("garbage"), 0o600)
				}
				if err != nil && !errors.Is(err, os.ErrNotExist) {
					return simResult(err.Error())
				}
				a.lose()
				return ""
			}}
		}),
		gen.OneConstOf(time.Minute, 20*time.Minute, 2*time.Hour, 26*time.Hour).Map(func(d time.Duration) commands.Command {
			return simCmd{fmt.Sprintf("advance(%v)", d), func(a *agentSim) simResult {
				a.now = a.now.Add(d)
				return ""
			}}
		}),
		gen.OneConstOf(time.Duration(0), -48*time.Hour, -time.Hour, 10*time.Minute, 24*time.Hour).Map(func(o time.Duration) commands.Command {
			return simCmd{fmt.Sprintf("setClock(%v)", o), func(a *agentSim) simResult {
				a.offset = o
				return ""
			}}
		}),
		gen.IntRange(0, 2).Map(func(kind int) commands.Command {
			return simCmd{fmt.Sprintf("wildThenGenuine(%d)", kind), func(a *agentSim) simResult {
				// Only where nothing authenticated or counted could refuse a
				// genuine code at the true time.
				if a.failures >= servicepass.DefaultLockout.Free || a.now.Before(a.mark.Add(-a.skew)) {
					return ""
				}
				switch kind {
				case 0:
					p, _ := servicepass.Decode(a.codes[a.issue(servicepass.Unlock, time.Hour)])
					p.MAC = flipTag(p.MAC, 1)
					if _, err := a.v.Verify(context.Background(), p.Canonical(), wild); errors.Is(err, servicepass.ErrInvalid) {
						a.failures++
					}
				case 1:
					a.verify(a.issue(servicepass.Unlock, time.Hour), wild) // expired there
				case 2:
					if r := a.poll(wild); r != "" {
						return r
					}
				}
				i := a.issue(servicepass.Unlock, time.Hour)
				if _, err := a.v.Verify(context.Background(), a.codes[i], a.now); err != nil {
					return simResult(fmt.Sprintf("genuine code at the true time refused after one unauthenticated reading at %v: %v", wild, err))
				}
				a.granted[i]++
				a.failures, a.mark = 0, later(a.mark, a.now)
				return ""
			}}
		}),
	)
}

// farTimes are device times no RFC 3339 state file could hold, and one
// far ahead that it could.
var farTimes = []time.Time{time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(-50, 6, 1, 0, 0, 0, 0, time.UTC)}

// genIssue22Command generates the commands issue 22 added: failures at far
// device times by an agent that runs once per attempt, a genuine code
// waiting out at most the back-off cap, a state lost while the agent
// uploads the use log, two losses at one device time, and a deleted lock
// file.
func genIssue22Command() gopter.Gen {
	return gen.OneGenOf(
		gen.IntRange(0, len(farTimes)-1).Map(func(k int) commands.Command {
			return simCmd{fmt.Sprintf("farFailures(%v)", farTimes[k].Year()), func(a *agentSim) simResult {
				// One process per attempt: every failure must be saved, so
				// the attempts after the free ones are locked out.
				p, _ := servicepass.Decode(a.codes[a.issue(servicepass.Unlock, time.Hour)])
				a.granted, a.codes = a.granted[:len(a.granted)-1], a.codes[:len(a.codes)-1]
				p.MAC = flipTag(p.MAC, 1)
				var err error
				for range servicepass.DefaultLockout.Free + 2 {
					a.open()
					if _, err = a.v.Verify(context.Background(), p.Canonical(), farTimes[k]); errors.Is(err, servicepass.ErrInvalid) {
						a.failures++
					} else if !errors.Is(err, servicepass.ErrLockedOut) {
						return simResult(fmt.Sprintf("wrong code at %v: %v", farTimes[k], err))
					}
				}
				if !errors.Is(err, servicepass.ErrLockedOut) {
					return simResult(fmt.Sprintf("%d wrong codes at %v, one process each: the last was %v, not locked out", servicepass.DefaultLockout.Free+2, farTimes[k], err))
				}
				return ""
			}}
		}),
		gen.Const(0).Map(func(int) commands.Command {
			return simCmd{"genuineWithinCap", func(a *agentSim) simResult {
				// Whatever came before, a genuine code at the device time
				// waits at most the cap, then grants (unless the clock mark
				// or the clock refuses it, which waiting does not change).
				i := a.issue(servicepass.Unlock, servicepass.MaxValidity)
				g, err := a.v.Verify(context.Background(), a.codes[i], a.device())
				var le *servicepass.LockedOutError
				if errors.As(err, &le) {
					if le.RetryAfter > servicepass.DefaultLockout.MaxBackoff {
						return simResult(fmt.Sprintf("locked out for %v at %v", le.RetryAfter, a.device()))
					}
					a.now = a.now.Add(le.RetryAfter)
					g, err = a.v.Verify(context.Background(), a.codes[i], a.device())
					if errors.Is(err, servicepass.ErrLockedOut) {
						return simResult(fmt.Sprintf("still locked out after the retry-after: %v", err))
					}
				}
				if err == nil {
					return a.granted2(i, g, a.device())
				}
				return ""
			}}
		}),
		gen.Const(0).Map(func(int) commands.Command {
			return simCmd{"loseDuringUpload", func(a *agentSim) simResult {
				entries, _, err := a.v.UseLog(context.Background())
				if err != nil {
					return simResult(fmt.Sprintf("UseLog: %v", err))
				}
				if err := os.Remove(a.path); err != nil && !errors.Is(err, os.ErrNotExist) {
					return simResult(err.Error())
				}
				a.lose()
				i := a.issue(servicepass.Unlock, time.Hour)
				g, gerr := a.v.Verify(context.Background(), a.codes[i], a.device())
				if gerr == nil {
					if r := a.granted2(i, g, a.device()); r != "" {
						return r
					}
				}
				if len(entries) > 0 {
					if err := a.v.AckUseLog(context.Background(), entries[len(entries)-1].Seq); err != nil {
						return simResult(fmt.Sprintf("AckUseLog: %v", err))
					}
				}
				after, _, _ := a.v.UseLog(context.Background())
				if gerr == nil {
					for _, e := range after {
						if e.Serial == g.Serial && e.Degraded {
							return ""
						}
					}
					return simResult(fmt.Sprintf("the grant after the loss (serial %06x) is gone from the log after an acknowledgement of the old log: %+v", g.Serial, after))
				}
				return ""
			}}
		}),
		gen.Bool().Map(func(w bool) commands.Command {
			return simCmd{fmt.Sprintf("loseTwice(wild=%v)", w), func(a *agentSim) simResult {
				at := a.device()
				if w {
					at = wild
				}
				var st [2]servicepass.WindowStatus
				for i := range st {
					if err := os.Remove(a.path); err != nil && !errors.Is(err, os.ErrNotExist) {
						return simResult(err.Error())
					}
					a.lose()
					var err error
					if st[i], err = a.v.Window(context.Background(), at); !errors.Is(err, servicepass.ErrStateLost) {
						return simResult(fmt.Sprintf("Window after a loss: %v", err))
					}
				}
				if st[0].RevertSeq == st[1].RevertSeq {
					return simResult(fmt.Sprintf("two losses at %v share revert sequence number %d", at, st[0].RevertSeq))
				}
				if err := a.v.ClearWindow(context.Background(), st[0]); !errors.Is(err, servicepass.ErrWindowChanged) {
					return simResult(fmt.Sprintf("stale acknowledgement of the first loss: %v", err))
				}
				return a.poll(at)
			}}
		}),
		gen.Const(0).Map(func(int) commands.Command {
			return simCmd{"deleteLock", func(a *agentSim) simResult {
				// The next update finds a state written under another lock
				// file (or none): damage, as a lost state.
				if err := os.Remove(a.path + ".lock"); err != nil && !errors.Is(err, os.ErrNotExist) {
					return simResult(err.Error())
				}
				a.lose()
				return ""
			}}
		}),
	)
}

// granted2 records a grant of code i at device time at, as verify does.
func (a *agentSim) granted2(i int, g servicepass.Grant, at time.Time) simResult {
	if a.granted[i] > 0 && !g.Degraded {
		return simResult(fmt.Sprintf("code %d granted a second time without Degraded", i))
	}
	a.granted[i]++
	a.granted1(g, at)
	if g.ClockReset || at.After(a.mark) {
		a.mark = at
	}
	return ""
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// TestModelDeviceState drives a provisioned agent through random sequences
// of verifications (fresh codes, replays, forged codes, at wild times),
// window polls with the agent's revert routine, restarts with another
// skew, corrupted and deleted state, clock jumps and wrong device clocks.
// It never grants a code twice without Degraded, never leaves a reversible
// action the agent applied unreported, and never locks out a genuine code
// after a single unauthenticated reading. Challenge round trips (issue 18)
// run among them, at true and wild device times: a genuine response grants,
// never degraded, whatever happened to the state, and no response ever
// grants twice, even with the state deleted between the steps. Issue 22
// added failures at far device times (years 2100, 10000 and -50) by an
// agent that runs once per attempt, a genuine code waiting out at most the
// back-off cap, a state lost while the agent uploads the use log, two
// losses at one device time, and a deleted lock file.
func TestModelDeviceState(t *testing.T) {
	cmds := &commands.ProtoCommands{
		NewSystemUnderTestFunc: func(commands.State) commands.SystemUnderTest {
			f := newFixture(t)
			a := &agentSim{t: t, f: f, path: filepath.Join(t.TempDir(), "state"), skew: servicepass.DefaultSkew, now: t0,
				lastGrant: map[servicepass.Actions]time.Time{}}
			if err := servicepass.InstallProvisioning(context.Background(), "", nil, openFile(t, a.path)); err != nil {
				t.Fatal(err)
			}
			a.open()
			return a
		},
		DestroySystemUnderTestFunc: func(sut commands.SystemUnderTest) { _ = sut.(*agentSim).store.Close() },
		InitialStateGen:            gen.Const(0),
		GenCommandFunc:             genSimCommand,
	}
	p := params(13, 250)
	p.MaxSize = 50
	props := gopter.NewProperties(p)
	props.Property("device state model", commands.Prop(cmds))
	props.TestingRun(t)
}
