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
type sessions struct {
	cookie, path string
	now          func() time.Time
	mu           sync.Mutex
	m            map[string]*session
}

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
		delete(ss.m, c.Value)
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
	for id, o := range ss.m { // forget idle sessions
		if s.seen.Sub(o.seen) > sessionIdle {
			delete(ss.m, id)
		}
	}
	ss.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: ss.cookie, Value: s.id, Path: ss.path, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	cp := *s
	return &cp
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
	delete(ss.m, s.id)
	ss.mu.Unlock()
}
