package main

import (
	"net/http"

	"github.com/mdmcred/mdmcred/notify"
)

// outboxView lists the emails sent, by recipient and subject only: the
// bodies hold codes, which are shown only in the responses that made them.
type outboxView struct {
	Messages []notify.Message
}

func (outboxView) title() string { return "Outbox" }

func (a *app) outboxPage(w http.ResponseWriter, r *http.Request, s *session) {
	a.render(w, r, s, http.StatusOK, "outbox.html", outboxView{Messages: a.sdk.sentMail()})
}
