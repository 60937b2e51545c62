package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestCookielessRequestsBounded: requests without a cookie (a crawler, a
// flood) create at most maxAnonymous sessions, never push out a signed-in
// one, and do not each scan every session under the lock (issue 27: 80,000
// such requests made 80,000 sessions, each one scanning all of them).
func TestCookielessRequestsBounded(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	ss := newSessions("console_admin", "/admin", clock.Now)
	r := httptest.NewRequest(http.MethodGet, "/admin/signin", nil)
	admin := ss.signIn(httptest.NewRecorder(), r, nil, "admin@example.com")
	for range 3 * maxAnonymous {
		ss.ensure(httptest.NewRecorder(), r)
	}
	if n := len(ss.m); n > maxAnonymous+1 {
		t.Fatalf("%d sessions after %d cookie-less requests, bound %d", n, 3*maxAnonymous, maxAnonymous+1)
	}
	if ss.sweeps > 1 {
		t.Errorf("%d sweeps of all sessions within one minute", ss.sweeps)
	}
	rc := httptest.NewRequest(http.MethodGet, "/admin/", nil)
	rc.AddCookie(&http.Cookie{Name: "console_admin", Value: admin.id})
	if s := ss.get(rc); s == nil || s.User != "admin@example.com" {
		t.Fatal("the flood pushed out the signed-in admin")
	}
	// Idle sessions still go, at the next sweep.
	clock.Advance(sessionIdle + 2*time.Minute)
	ss.ensure(httptest.NewRecorder(), r)
	if n := len(ss.m); n != 1 {
		t.Errorf("%d sessions after they all went idle, want the new one", n)
	}
}
