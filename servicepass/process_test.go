package servicepass_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// The child side of TestFileStoreProcesses: when these are set, the test
// binary verifies the codes in the file, in an order of its own, against the
// shared state file, and prints one "R <index> <result>" line per code.
const (
	childState = "SERVICEPASS_CHILD_STATE"
	childCodes = "SERVICEPASS_CHILD_CODES"
	childSeed  = "SERVICEPASS_CHILD_SEED"
	childFree  = "SERVICEPASS_CHILD_FREE"
	procDevice = "procs"
)

var procNow = t0.Add(time.Minute)

func procVerifier(t testing.TB, state string, free int) *servicepass.Verifier {
	fs, err := servicepass.OpenFileStore(state)
	if err != nil {
		t.Fatal(err)
	}
	lockout := servicepass.Lockout{}
	if free > 0 {
		lockout = servicepass.Lockout{Free: free, Backoff: time.Minute}
	}
	v, err := servicepass.NewVerifier(&servicepass.Provisioning{DeviceID: procDevice, Mode: servicepass.DeviceOwner, HasMode: true, Keys: []servicepass.DeviceKey{mustDeviceKey(t, testMaster(1), procDevice)}}, fs, &servicepass.VerifierOptions{Lockout: lockout})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func runChild(t *testing.T) {
	data, err := os.ReadFile(os.Getenv(childCodes))
	if err != nil {
		t.Fatal(err)
	}
	codes := strings.Fields(string(data))
	seed, _ := strconv.ParseUint(os.Getenv(childSeed), 10, 64)
	free, _ := strconv.Atoi(os.Getenv(childFree))
	v := procVerifier(t, os.Getenv(childState), free)
	order := rand.New(rand.NewPCG(seed, 1)).Perm(len(codes))
	w := bufio.NewWriter(os.Stdout)
	for _, i := range order {
		g, err := v.Verify(context.Background(), codes[i], procNow)
		res := resultName(err)
		if err == nil && g.Degraded {
			res = "degraded" // never expected: the state is installed and kept
		}
		fmt.Fprintf(w, "R %d %s\n", i, res)
		if err := w.Flush(); err != nil { // a killed child has reported all it did
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// runChildren starts n copies of the test binary on the same state file
// and returns, per code index, how often each result came back.
func runChildren(t *testing.T, n int, state string, codes []string, free int) []map[string]int {
	t.Helper()
	codesFile := filepath.Join(t.TempDir(), "codes")
	if err := os.WriteFile(codesFile, []byte(strings.Join(codes, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range cmds {
		c := exec.Command(os.Args[0], "-test.run=^TestFileStoreProcesses$", "-test.count=1")
		c.Env = append(os.Environ(), childState+"="+state, childCodes+"="+codesFile, childSeed+"="+strconv.Itoa(i), childFree+"="+strconv.Itoa(free))
		c.Stdout, c.Stderr = &outs[i], &outs[i]
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = c
	}
	results := make([]map[string]int, len(codes))
	for i := range results {
		results[i] = map[string]int{}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, outs[i].String())
		}
		lines := 0
		for _, line := range strings.Split(outs[i].String(), "\n") {
			var idx int
			var res string
			if _, err := fmt.Sscanf(line, "R %d %s", &idx, &res); err == nil {
				results[idx][res]++
				lines++
			}
		}
		if lines != len(codes) {
			t.Fatalf("child %d reported %d results for %d codes:\n%s", i, lines, len(codes), outs[i].String())
		}
	}
	return results
}

// TestFileStoreProcesses runs 8 OS processes (this test binary, re-executed)
// on one state file (issue 13 finding 1): each of 200 codes is granted
// exactly once, every wrong code is counted, and the default lockout lets
// exactly Free+1 wrong codes reach the MAC check however many processes
// race.
func TestFileStoreProcesses(t *testing.T) {
	if os.Getenv(childState) != "" {
		runChild(t)
		return
	}
	const procs, ncodes = 8, 200
	f := newFixture(t)
	state := filepath.Join(t.TempDir(), "state")
	install(t, state)

	codes := make([]string, ncodes)
	seen := map[string]bool{}
	for i := 0; i < ncodes; {
		c := f.issue(t, servicepass.Request{DeviceID: procDevice, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock}).Code.Reveal()
		if !seen[c] {
			seen[c] = true
			codes[i] = c
			i++
		}
	}
	for i, r := range runChildren(t, procs, state, codes, 0) {
		if r["ok"] != 1 || r["replay"] != procs-1 {
			t.Errorf("code %d across %d processes: %v; want 1 ok and %d replays", i, procs, r, procs-1)
		}
	}

	// Wrong codes: other devices' codes, so the MAC fails. With a lockout
	// that never engages, every one is counted.
	const wrong = 25
	bad := make([]string, wrong)
	for i := range bad {
		bad[i] = f.issue(t, servicepass.Request{DeviceID: fmt.Sprintf("other-%d", i), Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock}).Code.Reveal()
	}
	for i, r := range runChildren(t, procs, state, bad, 1<<30) {
		if r["invalid"] != procs {
			t.Errorf("wrong code %d: %v", i, r)
		}
	}
	if err := readState(t, state, func(s *servicepass.TestState) {
		if s.Failures != procs*wrong {
			t.Errorf("state counts %d failures, want %d", s.Failures, procs*wrong)
		}
	}); err != nil {
		t.Fatal(err)
	}

	// The default lockout: a fresh state, 8 processes, 5 wrong codes each.
	state = filepath.Join(t.TempDir(), "state")
	invalid, locked := 0, 0
	for _, r := range runChildren(t, procs, state, bad[:5], 0) {
		invalid += r["invalid"]
		locked += r["locked_out"]
	}
	if invalid != servicepass.DefaultLockout.Free+1 || locked != procs*5-invalid {
		t.Errorf("%d processes, %d wrong codes: %d reached the MAC check, %d locked out; want %d and the rest",
			procs, procs*5, invalid, locked, servicepass.DefaultLockout.Free+1)
	}
}

func readState(t *testing.T, path string, fn func(*servicepass.TestState)) error {
	fs, err := servicepass.OpenFileStore(path)
	if err != nil {
		return err
	}
	defer fs.Close()
	return fs.Update(context.Background(), func(old []byte) ([]byte, error) {
		s := servicepass.DecodeTestState(old)
		if s.Damaged {
			t.Error("state damaged")
		}
		fn(s)
		return nil, nil
	})
}

// TestFileStoreKill kills processes with SIGKILL at random moments while
// they verify codes on one state file: the file is never damaged, leftover
// temporary files are removed by the next process, no code is granted
// twice, and no grant a process reported is forgotten.
func TestFileStoreKill(t *testing.T) {
	if os.Getenv(childState) != "" {
		return // the child side is TestFileStoreProcesses's
	}
	const kills, ncodes = 40, 300
	f := newFixture(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	install(t, state)
	codes := make([]string, ncodes)
	for i := range codes {
		codes[i] = f.issue(t, servicepass.Request{DeviceID: procDevice, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock}).Code.Reveal()
	}
	codesFile := filepath.Join(t.TempDir(), "codes")
	if err := os.WriteFile(codesFile, []byte(strings.Join(codes, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	granted := make([]int, ncodes)
	count := func(out string) {
		for _, line := range strings.Split(out, "\n") {
			var idx int
			var res string
			if _, err := fmt.Sscanf(line, "R %d %s", &idx, &res); err == nil && res == "ok" {
				granted[idx]++
			}
		}
	}
	rng := rand.New(rand.NewPCG(13, 13))
	for k := range kills {
		c := exec.Command(os.Args[0], "-test.run=^TestFileStoreProcesses$", "-test.count=1")
		c.Env = append(os.Environ(), childState+"="+state, childCodes+"="+codesFile, childSeed+"="+strconv.Itoa(k), childFree+"=0")
		var out bytes.Buffer
		c.Stdout = &out
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+rng.IntN(200)) * time.Millisecond)
		_ = c.Process.Kill()
		_ = c.Wait()
		count(out.String())
		if err := readState(t, state, func(*servicepass.TestState) {}); err != nil {
			t.Fatal(err)
		}
		if left, _ := filepath.Glob(state + ".tmp*"); len(left) != 0 {
			t.Fatalf("after kill %d and a load: temporary files left %v", k, left)
		}
	}
	// A last process tries every code: a code a killed process reported
	// granted must be a replay now (the grant was saved before it was
	// reported); one it did not report may have been granted just before
	// the kill, and then is a replay too.
	final := runChildren(t, 1, state, codes, 0)
	reported := 0
	for i, r := range final {
		if granted[i] > 0 && r["replay"] != 1 {
			t.Errorf("code %d, reported granted before a kill, is now %v", i, r)
		}
		reported += granted[i]
		granted[i] += r["ok"]
		if granted[i] > 1 {
			t.Errorf("code %d granted %d times", i, granted[i])
		}
	}
	if reported == 0 {
		t.Fatal("no process reported a grant before it was killed: the kills came too early to test anything")
	}
	if _, err := os.Stat(state + ".damaged"); err == nil {
		t.Error("the state file was damaged by a kill")
	}
}
