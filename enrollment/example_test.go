package enrollment_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/mdmcredtest"
)

// printAlerter stands in for the host's mail-backed Alerter.
type printAlerter struct{}

func (printAlerter) SendLockAlert(_ context.Context, a enrollment.Alert) error {
	fmt.Printf("ALERT to %v: %s locked after %d failed attempts, last from %s\n", a.Admins, a.Site, a.Failures, a.LastSource)
	return nil
}

func newExampleService(threshold int) *enrollment.Service {
	svc, err := enrollment.New(enrollment.Config{
		Store:   enrollment.NewMemStore(),
		Alerter: printAlerter{},
		Admins: func(context.Context, string) ([]string, error) {
			return []string{"it@example.com"}, nil
		},
		// A real host loads 32+ random bytes from its secret store.
		Peppers:   enrollment.NewKeys(map[uint8][]byte{1: []byte("example pepper, 32 bytes or more!")}),
		PepperID:  1,
		Threshold: threshold,
		Now:       mdmcredtest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)).Now,
	})
	if err != nil {
		panic(err)
	}
	return svc
}

func Example() {
	ctx := context.Background()
	svc := newExampleService(0)

	// Admin console: generate and show once.
	code, err := svc.Generate(ctx, "berlin", "admin@example.com")
	if err != nil {
		panic(err)
	}
	fmt.Println("passcode:", code, "length", code.Len()) // prints [REDACTED]; code.Reveal() for display

	// Enrollment endpoint.
	fmt.Println(svc.Verify(ctx, "berlin", "  "+code.Reveal()+"\n", "203.0.113.7"))
	fmt.Println(svc.Verify(ctx, "berlin", "not-it", "203.0.113.8"))

	st, _ := svc.Status(ctx, "berlin")
	fmt.Println(st.State, st.GeneratedBy, st.FailedAttempts, st.LastSource)
	// Output:
	// passcode: [REDACTED] length 12
	// <nil>
	// enrollment: malformed passcode: length 6, want 12 (failure 1)
	// active admin@example.com 1 203.0.113.8
}

func Example_lockout() {
	ctx := context.Background()
	svc := newExampleService(3)
	if _, err := svc.Generate(ctx, "berlin", "admin@example.com"); err != nil {
		panic(err)
	}
	for i := range 4 {
		err := svc.Verify(ctx, "berlin", "aaaaBBBB1234", fmt.Sprintf("198.51.100.%d", i))
		fmt.Println(errors.Is(err, enrollment.ErrWrongPasscode), errors.Is(err, enrollment.ErrLocked))
	}
	st, _ := svc.Status(ctx, "berlin")
	fmt.Println(st.State, st.FailedAttempts)

	if _, err := svc.Regenerate(ctx, "berlin", "admin@example.com"); err != nil {
		panic(err)
	}
	st, _ = svc.Status(ctx, "berlin")
	fmt.Println(st.State, st.FailedAttempts)
	// Output:
	// true false
	// true false
	// ALERT to [it@example.com]: berlin locked after 3 failed attempts, last from 198.51.100.2
	// true true
	// false true
	// locked 4
	// active 0
}

func ExampleService_ResolveSite() {
	ctx := context.Background()
	svc := newExampleService(0)
	code, _ := svc.Generate(ctx, "paris", "admin@example.com")

	// The user typed only the passcode: find the site, then Verify, which
	// counts failures and records the use.
	input := code.Reveal()
	site, err := svc.ResolveSite(ctx, input)
	if err == nil {
		err = svc.Verify(ctx, site, input, "192.0.2.1")
	}
	fmt.Println(site, err)
	_, err = svc.ResolveSite(ctx, "Wrong1Wrong2")
	fmt.Println(err)
	// Output:
	// paris <nil>
	// enrollment: no site for this passcode
}

func ExampleService_Disable() {
	ctx := context.Background()
	svc := newExampleService(0)
	code, _ := svc.Generate(ctx, "rome", "admin@example.com")
	_ = svc.Disable(ctx, "rome", "admin@example.com")
	fmt.Println(svc.Verify(ctx, "rome", code.Reveal(), ""))
	// Output: enrollment: passcode disabled
}

func ExampleParsePasscode() {
	for _, in := range []string{" aB3dE5gH7jK9 ", "aB3dE5gH7jK", "abcdefghijk1"} {
		_, err := enrollment.ParsePasscode(in)
		fmt.Println(err)
	}
	// Output:
	// <nil>
	// enrollment: malformed passcode: length 11, want 12
	// enrollment: malformed passcode: no upper-case letter
}

func ExampleNewPasscode() {
	code, err := enrollment.NewPasscode(nil) // crypto/rand
	if err != nil {
		panic(err)
	}
	_, err = enrollment.ParsePasscode(code.Reveal())
	fmt.Println(code.Len(), err)
	// Output: 12 <nil>
}

// A Config can be logged: its peppers and sealing keys show as key IDs only,
// however it is printed.
func ExampleNewKeys() {
	cfg := enrollment.Config{
		Peppers:  enrollment.NewKeys(map[uint8][]byte{1: []byte("old pepper, 32 bytes or more....."), 2: []byte("new pepper, 32 bytes or more.....")}),
		PepperID: 2,
	}
	fmt.Println(cfg.Peppers)
	fmt.Printf("%#v\n", cfg.Peppers)
	type server struct{ cfg enrollment.Config } // even through an unexported field,
	out := fmt.Sprintf("%+v", server{cfg})      // where fmt calls no method
	pepperBytes := strings.Trim(fmt.Sprint([]byte("pepper")), "[]")
	fmt.Println(strings.Contains(out, pepperBytes))
	// Output:
	// map[1:[REDACTED] 2:[REDACTED]]
	// secret.Keys(map[1:[REDACTED] 2:[REDACTED]])
	// false
}

// Identifiers are checked once, at the service boundary, with one rule for
// every Store backend; the error says why without echoing the value.
// Every configuration or request check is one *ParamError naming the field
// and the rule. Identifiers are checked once, at the service boundary,
// with one rule for every Store backend; the error says why without
// echoing the value. The lock threshold is bounded by NIST SP 800-63B's
// 100 consecutive failures.
func ExampleParamError() {
	svc := newExampleService(0)
	_, err := svc.Generate(context.Background(), "berlin\u202eexe.pdf", "admin@example.com")
	var pe *enrollment.ParamError
	fmt.Println(errors.Is(err, enrollment.ErrParams), errors.As(err, &pe), pe.Field)
	fmt.Println(err)

	_, err = enrollment.New(enrollment.Config{
		Store: enrollment.NewMemStore(), Alerter: printAlerter{},
		Peppers: enrollment.NewKeys(map[uint8][]byte{1: []byte("example pepper, 32 bytes or more!")}), PepperID: 1,
		Threshold: 1_000_000,
	})
	fmt.Println(errors.Is(err, enrollment.ErrParams), err)
	// Output:
	// true true site
	// enrollment: invalid parameters: site: holds an invisible formatting character at byte 6
	// true enrollment: invalid parameters: Threshold: 1000000 is outside 0 to 100
}
