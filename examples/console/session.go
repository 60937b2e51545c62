package main

import (
	"crypto/subtle"
	"net/http"
	"sync"
	"time"
)

// sessionIdle is how long an unused session lives.
const sessionIdle = 30 * time.Minute

// session is one visitor of one area (admin console, portal, device). It
// exists before sign-in, to carry the CSRF token of the sign-in form.
type session struct {
	id         string
	CSRF       string
	User       string    // the signed-in admin or portal user; empty before sign-in
	SignedInAt time.Time // when the password was last entered
	seen       time.Time
}

func (s *session) checkCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) == 1
}

// sessions are one area's sessions, kept in memory, under a cookie scoped
// to the area's path: HttpOnly, SameSite=Strict, Secure under TLS.
//
// Anonymous sessions (every visitor without a cookie gets one, for the
// CSRF token of the sign-in form) are bounded: past maxAnonymous the
// oldest anonymous one goes, so a flood of cookie-less requests costs a
// fixed amount of memory and never pushes out a signed-in session. Idle
// sessions are swept at most once a minute, not on every new session.
type sessions struct {
	cookie, path string
	now          func() time.Time
	mu           sync.Mutex
	m            map[string]*session
	anon         []string  // anonymous session IDs, oldest first (some may be gone)
	anonLive     int       // how many of anon are still anonymous sessions in m
	lastSweep    time.Time // when idle sessions were last forgotten
	sweeps       int       // how many sweeps ran, for the tests
}

// maxAnonymous bounds an area's anonymous sessions.
const maxAnonymous = 4096

// sweepEvery is how often, at most, idle sessions are looked for.
const sweepEvery = time.Minute

func newSessions(cookie, path string, now func() time.Time) *sessions {
	return &sessions{cookie: cookie, path: path, now: now, m: map[string]*session{}}
}

// get returns the request's live session, or nil. The copy it returns is
// the caller's; changes go through signIn and signOut.
func (ss *sessions) get(r *http.Request) *session {
	c, err := r.Cookie(ss.cookie)
	if err != nil {
		return nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[c.Value]
	now := ss.now()
	if !ok || now.Sub(s.seen) > sessionIdle {
		ss.forget(c.Value)
		return nil
	}
	s.seen = now
	cp := *s
	return &cp
}

// ensure returns the request's session, starting an anonymous one if needed.
func (ss *sessions) ensure(w http.ResponseWriter, r *http.Request) *session {
	if s := ss.get(r); s != nil {
		return s
	}
	return ss.start(w, r, "", time.Time{})
}

// start makes a new session (a new ID and CSRF token) and sets its cookie.
func (ss *sessions) start(w http.ResponseWriter, r *http.Request, user string, at time.Time) *session {
	s := &session{id: randomToken(), CSRF: randomToken(), User: user, SignedInAt: at, seen: ss.now()}
	ss.mu.Lock()
	ss.m[s.id] = s
	if user == "" {
		ss.anon = append(ss.anon, s.id)
		ss.anonLive++
		for ss.anonLive > maxAnonymous && len(ss.anon) > 0 {
			oldest := ss.anon[0]
			ss.anon = ss.anon[1:]
			if o, ok := ss.m[oldest]; ok && o.User == "" {
				delete(ss.m, oldest)
				ss.anonLive--
			}
		}
	}
	if s.seen.Sub(ss.lastSweep) >= sweepEvery {
		ss.sweep(s.seen)
	}
	ss.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: ss.cookie, Value: s.id, Path: ss.path, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	cp := *s
	return &cp
}

// sweep forgets idle sessions and compacts the anonymous queue. ss.mu is
// held.
func (ss *sessions) sweep(now time.Time) {
	ss.lastSweep = now
	ss.sweeps++
	for id, o := range ss.m {
		if now.Sub(o.seen) > sessionIdle {
			delete(ss.m, id)
		}
	}
	live := ss.anon[:0]
	for _, id := range ss.anon {
		if o, ok := ss.m[id]; ok && o.User == "" {
			live = append(live, id)
		}
	}
	ss.anon, ss.anonLive = live, len(live)
}

// signIn replaces the anonymous session old with a signed-in one, so that
// a session ID known before sign-in is worthless after it.
func (ss *sessions) signIn(w http.ResponseWriter, r *http.Request, old *session, user string) *session {
	ss.end(old)
	return ss.start(w, r, user, ss.now())
}

// end forgets a session.
func (ss *sessions) end(s *session) {
	if s == nil {
		return
	}
	ss.mu.Lock()
	ss.forget(s.id)
	ss.mu.Unlock()
}

// forget deletes session id, keeping the count of anonymous sessions (its
// ID stays in the queue until the next sweep). ss.mu is held.
func (ss *sessions) forget(id string) {
	if o, ok := ss.m[id]; ok {
		delete(ss.m, id)
		if o.User == "" {
			ss.anonLive--
		}
	}
}
