package pkcs11

// HoldSession takes a session from t's pool, as a call under way does,
// until release is called: for the tests of calls that wait for one.
func HoldSession(t *Token) (release func()) {
	sh := <-t.sessions
	return func() { t.sessions <- sh }
}
