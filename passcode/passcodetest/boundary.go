package passcodetest

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/passcode"
)

// guardedStore fails the test when the service calls the store while armed:
// a refused identifier must never reach a backend.
type guardedStore struct {
	passcode.Store
	t     *testing.T
	armed atomic.Bool
}

func (g *guardedStore) check(method string) {
	if g.armed.Load() {
		g.t.Errorf("the service called Store.%s with an identifier it should have refused", method)
	}
}

func (g *guardedStore) Write(ctx context.Context, r passcode.Reset, prev uint64, events []passcode.Event) error {
	g.check("Write")
	return g.Store.Write(ctx, r, prev, events)
}

func (g *guardedStore) Load(ctx context.Context, id string) (passcode.Reset, error) {
	g.check("Load")
	return g.Store.Load(ctx, id)
}

func (g *guardedStore) Open(ctx context.Context, deviceID string) (passcode.Reset, error) {
	g.check("Open")
	return g.Store.Open(ctx, deviceID)
}

func (g *guardedStore) Append(ctx context.Context, ev passcode.Event) error {
	g.check("Append")
	return g.Store.Append(ctx, ev)
}

func (g *guardedStore) Events(ctx context.Context, q passcode.EventQuery) ([]passcode.Event, error) {
	g.check("Events")
	return g.Store.Events(ctx, q)
}

type nopMailer struct{}

func (nopMailer) SendPasscode(context.Context, passcode.Delivery) error { return nil }

func android(id, owner string) passcode.Device {
	return passcode.Device{ID: id, Owner: owner, Platform: passcode.AndroidDeviceOwner, APILevel: 34, ResetTokenActive: true}
}

// runBoundary checks, on the backend under test, that the service refuses
// every identifier of gentest.BadIdents with an *passcode.ParamError before
// calling the store, and that every identifier of gentest.GoodIdents is
// stored and returned byte for byte.
func runBoundary(t *testing.T, newStore func(t *testing.T) passcode.Store) {
	ctx := context.Background()
	newService := func(t *testing.T, s passcode.Store) *passcode.Service {
		svc, err := passcode.New(passcode.Config{Store: s, Mailer: nopMailer{},
			SealKeys: passcode.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{5}, 32)}), SealKeyID: 1,
			Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	t.Run("RefusesBadIdentifiers", func(t *testing.T) {
		g := &guardedStore{Store: newStore(t), t: t}
		svc := newService(t, g)
		res, err := svc.Request(ctx, passcode.ResetRequest{Device: android("dev-1", "user-1"), Actor: "admin-1"})
		if err != nil {
			t.Fatal(err)
		}
		id := res.Reset.ID
		g.armed.Store(true)
		want := func(t *testing.T, call string, err error) {
			t.Helper()
			var pe *passcode.ParamError
			if !errors.Is(err, passcode.ErrParams) || !errors.As(err, &pe) || pe.Field == "" {
				t.Errorf("%s = %v, want a *ParamError matching ErrParams", call, err)
			}
		}
		for _, bad := range gentest.BadIdents(passcode.MaxIDLen) {
			if bad.Value == "" {
				continue // an empty ID has its own, older answers (a ParamError saying "required", ErrNotOwner, ErrNotAllowed)
			}
			t.Run(bad.Name, func(t *testing.T) {
				v := bad.Value
				_, err := svc.Request(ctx, passcode.ResetRequest{Device: android(v, "user-1"), Actor: "admin-1"})
				want(t, "Request with a bad Device.ID", err)
				_, err = svc.Request(ctx, passcode.ResetRequest{Device: android("dev-2", v), Actor: "admin-1"})
				want(t, "Request with a bad Device.Owner", err)
				_, err = svc.Request(ctx, passcode.ResetRequest{Device: android("dev-2", "user-1"), Actor: v})
				want(t, "Request with a bad Actor", err)
				_, err = svc.Request(ctx, passcode.ResetRequest{Device: android("dev-2", "user-1"), Actor: "admin-1", NotifyUser: true, UserEmail: v})
				want(t, "Request with a bad UserEmail", err)
				_, err = svc.SelfService(ctx, passcode.SelfServiceRequest{User: v, Device: android("dev-2", v), SignedInAt: t0})
				want(t, "SelfService with a bad User", err)
				_, err = svc.Get(ctx, v)
				want(t, "Get", err)
				_, err = svc.Transition(ctx, v, passcode.Pending, "mdm")
				want(t, "Transition with a bad reset ID", err)
				_, err = svc.Transition(ctx, id, passcode.Pending, v)
				want(t, "Transition with a bad actor", err)
				_, err = svc.Reveal(ctx, v, passcode.Viewer{ID: "admin-1"})
				want(t, "Reveal with a bad reset ID", err)
				_, err = svc.Reveal(ctx, id, passcode.Viewer{ID: v})
				want(t, "Reveal with a bad viewer", err)
				_, err = svc.Events(ctx, passcode.EventQuery{ResetID: v})
				want(t, "Events by a bad reset ID", err)
				_, err = svc.Events(ctx, passcode.EventQuery{DeviceID: v})
				want(t, "Events by a bad device ID", err)
			})
		}
		g.armed.Store(false)
		if r, err := svc.Get(ctx, id); err != nil || r.State != passcode.Requested {
			t.Fatalf("reset after refused calls: %+v, %v", r, err)
		}
		if ev, err := svc.Events(ctx, passcode.EventQuery{ResetID: id}); err != nil || len(ev) != 1 {
			t.Fatalf("refused calls left events: %+v, %v", ev, err)
		}
	})
	t.Run("KeepsGoodIdentifiers", func(t *testing.T) {
		svc := newService(t, newStore(t))
		for _, good := range gentest.GoodIdents(passcode.MaxIDLen) {
			t.Run(good.Name, func(t *testing.T) {
				v := good.Value
				res, err := svc.Request(ctx, passcode.ResetRequest{Device: android(v, v), Actor: v})
				if err != nil {
					t.Fatalf("Request: %v", err)
				}
				r, err := svc.Get(ctx, res.Reset.ID)
				if err != nil || r.DeviceID != v || r.RequestedBy != v || r.Owner != v {
					t.Fatalf("Get = %+v, %v; want the identifiers byte for byte", r, err)
				}
				pc, err := svc.Reveal(ctx, r.ID, passcode.Viewer{ID: v})
				if err != nil || !pc.Equal(res.Passcode.Reveal()) {
					t.Fatalf("Reveal: %v", err)
				}
				if _, err := svc.Transition(ctx, r.ID, passcode.Failed, v); err != nil {
					t.Fatalf("Transition: %v", err)
				}
				ev, err := svc.Events(ctx, passcode.EventQuery{DeviceID: v})
				if err != nil || len(ev) != 3 || ev[0].DeviceID != v || ev[2].Actor != v {
					t.Fatalf("Events = %+v, %v", ev, err)
				}
			})
		}
	})
}
