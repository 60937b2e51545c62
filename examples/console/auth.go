package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/internal/attempt"
)

// signInView is the sign-in form of the console or the portal.
type signInView struct {
	Heading, Action, Email, Error string
}

func (v signInView) title() string { return v.Heading }

func (a *app) adminSignInPage(*http.Request, *session) any {
	return signInView{Heading: "Sign in to the console", Action: "/admin/signin"}
}

func (a *app) portalSignInPage(*http.Request, *session) any {
	return signInView{Heading: "Sign in to the user portal", Action: "/portal/signin"}
}

func (a *app) adminSignIn(w http.ResponseWriter, r *http.Request, s *session) {
	a.signIn(w, r, s, a.admin, "signin.html", a.adminSignInPage(r, s).(signInView), "/admin/",
		func(email string) bool { return email == a.adminID }, a.adminPass)
}

func (a *app) portalSignIn(w http.ResponseWriter, r *http.Request, s *session) {
	a.signIn(w, r, s, a.portal, "portal_signin.html", a.portalSignInPage(r, s).(signInView), "/portal/",
		func(email string) bool { _, ok := a.inv.user(email); return ok }, a.portalPass)
}

// signIn checks a password under the guessing guard and starts a signed-in
// session. Failures count per account and source (see guard). Unknown
// accounts share one account name in the guard, so that guessing names
// cannot grow memory, and get the same answer as a wrong password.
func (a *app) signIn(w http.ResponseWriter, r *http.Request, s *session, ss *sessions, page string, v signInView,
	to string, known func(string) bool, want [32]byte) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	v.Email = email
	account := email
	if !known(email) {
		account = ""
	}
	key := guardKey(account, r.RemoteAddr)
	if err := a.signinGuard.check(key); err != nil {
		var le *attempt.LockedError
		errors.As(err, &le)
		v.Error = fmt.Sprintf("Too many failed sign-ins. Try again in %s.", humanDuration(le.RetryAfter))
		a.render(w, r, s, http.StatusTooManyRequests, page, v)
		return
	}
	ok := passwordOK(r.PostFormValue("password"), want) && account != ""
	a.signinGuard.result(key, ok)
	if !ok {
		v.Error = "The email or password is wrong."
		a.render(w, r, s, http.StatusUnauthorized, page, v)
		return
	}
	ss.signIn(w, r, s, email)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (a *app) signOut(ss *sessions, to string) handler {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		ss.end(s)
		ss.start(w, r, "", time.Time{})
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}
