package main

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mdmcred/mdmcred/escrow"
)

// The device card's Escrowed secrets section: each escrowed secret by kind
// and state, a Reveal form that asks why, the view history (who, when, from
// where, why) and a Rotate action. The section is the partial
// templates/partials/escrow_card.html, on the device card and on the
// escrow page (templates/escrow.html), which also shows a revealed secret
// once and the outcome of a rotation.

// escrowCard is the section's data.
type escrowCard struct {
	Device Device
	Kinds  []escrowKind
	Views  []escrowViewLine // newest first
	CSRF   string           // the forms' token
	// Reason is the reason typed in a refused Reveal of kind ReasonOf,
	// put back in its field.
	Reason, ReasonOf string
}

// escrowKind is one kind of secret the device has.
type escrowKind struct {
	Name      string // the kind's name in the SDK
	Label     string // its name for people
	Rotatable bool
	// Current is the secret to reveal: the Active one, else the newest.
	Current escrow.Record
	// Records are every version not yet purged, newest first.
	Records []escrow.Record
}

// escrowViewLine is one line of the view history.
type escrowViewLine struct {
	At      time.Time
	Actor   string
	Source  string
	Label   string // the kind's name for people
	Version uint64
	Reason  string
	Denied  bool
}

// escrowPageView is the escrow page: the section, and the outcome of the
// request that led there.
type escrowPageView struct {
	Card escrowCard
	// Revealed is the secret shown once, in the response to Reveal.
	Revealed *revealedSecret
	Notice   string
	Error    string
}

func (v escrowPageView) title() string { return "Escrowed secrets: " + v.Card.Device.Name }

// revealedSecret is a secret in the response to Reveal. Secret stays an
// escrow.Secret (redacted under every fmt verb and in logs) until the
// template reveals it into the page.
type revealedSecret struct {
	Label   string
	Version uint64
	State   escrow.State
	Secret  escrow.Secret
	Source  string
	Reason  string
}

// escrowCard reads the section's data of device d.
func (a *app) escrowCard(ctx context.Context, d Device, csrf string) (escrowCard, error) {
	c := escrowCard{Device: d, CSRF: csrf}
	hist, err := a.sdk.escrowHistory(ctx, d.ID)
	if err != nil {
		return c, err
	}
	type recordKey struct {
		label   string
		version uint64
	}
	byID := map[string]recordKey{}
	for _, k := range kinds {
		recs := hist[k.name]
		if len(recs) == 0 {
			continue
		}
		ek := escrowKind{Name: k.name, Label: k.Label, Rotatable: k.Rotatable, Current: recs[len(recs)-1]}
		for _, r := range recs {
			byID[r.ID] = recordKey{k.Label, r.Version}
			if r.State == escrow.Active {
				ek.Current = r
			}
		}
		ek.Records = slices.Clone(recs)
		slices.Reverse(ek.Records)
		c.Kinds = append(c.Kinds, ek)
	}
	events, err := a.sdk.escrowEvents(ctx, d.ID)
	if err != nil {
		return c, err
	}
	for _, e := range events {
		if e.Type != escrow.EventViewed && e.Type != escrow.EventViewDenied {
			continue
		}
		rk, ok := byID[e.RecordID]
		if !ok {
			info, _ := kindOf(e.Kind)
			rk.label = info.Label
		}
		c.Views = append(c.Views, escrowViewLine{At: e.At, Actor: e.Actor, Source: e.Source.String(), Label: rk.label,
			Version: rk.version, Reason: e.Reason, Denied: e.Type == escrow.EventViewDenied})
	}
	slices.Reverse(c.Views)
	return c, nil
}

// escrowCardTimeout bounds the store reads of the section on the device
// card, which the template asks for (escrowCardFunc) outside a request's
// context.
const escrowCardTimeout = 10 * time.Second

// escrowCardFunc is the template function that gives the device card its
// section, however the card was reached (the page, or a Service password
// panel answer). An error fails the whole page, which render buffers.
func (a *app) escrowCardFunc(d Device, csrf string) (escrowCard, error) {
	ctx, cancel := context.WithTimeout(context.Background(), escrowCardTimeout)
	defer cancel()
	return a.escrowCard(ctx, d, csrf)
}

// renderEscrow renders the escrow page of d with the section read afresh.
func (a *app) renderEscrow(w http.ResponseWriter, r *http.Request, s *session, status int, d Device, v escrowPageView) {
	c, err := a.escrowCard(r.Context(), d, s.CSRF)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	c.Reason, c.ReasonOf = v.Card.Reason, v.Card.ReasonOf
	v.Card = c
	a.render(w, r, s, status, "escrow.html", v)
}

func (a *app) escrowPage(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.inv.device(r.PathValue("id"))
	if !ok {
		a.notFound(w, r)
		return
	}
	a.renderEscrow(w, r, s, http.StatusOK, d, escrowPageView{})
}

// revealEscrow shows one secret of the device, once, in the response. The
// escrow Service records the view (who, from the request's address, when
// and why) before it opens the secret; the console logs only the request
// line and keeps nothing.
func (a *app) revealEscrow(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.inv.device(r.PathValue("id"))
	if !ok {
		a.notFound(w, r)
		return
	}
	rec, err := a.sdk.escrowRecord(r.Context(), r.PostFormValue("record"))
	if errors.Is(err, escrow.ErrNotFound) || errors.Is(err, escrow.ErrInvalidRequest) || (err == nil && rec.DeviceID != d.ID) {
		a.notFound(w, r) // another device's secret is not this card's to show
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	info, _ := kindOf(rec.Kind)
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	v := escrowPageView{Card: escrowCard{Reason: reason, ReasonOf: rec.Kind}}
	if reason == "" {
		v.Error = "Say why you need the " + info.Label + ": the reason is recorded with the view."
		a.renderEscrow(w, r, s, http.StatusUnprocessableEntity, d, v)
		return
	}
	source, err := netip.ParseAddr(clientIP(r))
	if err != nil {
		http.Error(w, "The request's address cannot be recorded.", http.StatusBadRequest)
		return
	}
	sec, err := a.sdk.revealSecret(r.Context(), rec.ID, s.User, source, reason)
	var ee *escrow.Error
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Field == "Reason":
		v.Error = "The reason cannot be recorded: " + ee.Reason + "."
		a.renderEscrow(w, r, s, http.StatusUnprocessableEntity, d, v)
		return
	case errors.Is(err, escrow.ErrNotAllowed):
		v.Error = "You are not allowed to view this secret; the refusal was recorded."
		a.renderEscrow(w, r, s, http.StatusForbidden, d, v)
		return
	case errors.Is(err, escrow.ErrNotFound):
		a.notFound(w, r)
		return
	default:
		a.fail(w, r, err)
		return
	}
	v = escrowPageView{Revealed: &revealedSecret{Label: info.Label, Version: rec.Version, State: rec.State, Secret: sec,
		Source: source.Unmap().String(), Reason: reason}}
	a.renderEscrow(w, r, s, http.StatusOK, d, v)
}

// rotateEscrow generates a new secret of a kind for the device and runs it
// through the lifecycle on the simulated MDM channel, which makes it
// Active and the previous one Rotated.
func (a *app) rotateEscrow(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := a.inv.device(r.PathValue("id"))
	if !ok {
		a.notFound(w, r)
		return
	}
	kind := r.PostFormValue("kind")
	info, known := kindOf(kind)
	if !known || !info.Rotatable {
		a.renderEscrow(w, r, s, http.StatusUnprocessableEntity, d, escrowPageView{Error: "This kind of secret cannot be rotated from the console."})
		return
	}
	hist, err := a.sdk.escrowHistory(r.Context(), d.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if len(hist[kind]) == 0 {
		a.renderEscrow(w, r, s, http.StatusUnprocessableEntity, d, escrowPageView{Error: "This device has no " + info.Label + " to rotate."})
		return
	}
	rec, err := a.sdk.newSecret(r.Context(), d.ID, kind, s.User)
	switch {
	case err == nil:
	case errors.Is(err, escrow.ErrInProgress):
		a.renderEscrow(w, r, s, http.StatusConflict, d, escrowPageView{
			Error: "A new " + info.Label + " is already being set on this device; wait for the device's answer."})
		return
	default:
		a.fail(w, r, err)
		return
	}
	a.renderEscrow(w, r, s, http.StatusOK, d, escrowPageView{
		Notice: "Rotated: the device acknowledged " + info.Label + " version " + strconv.FormatUint(rec.Version, 10) + ", which is now " + rec.State.String() + "."})
}
