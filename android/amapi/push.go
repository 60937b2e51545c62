package amapi

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/mdmcred/mdmcred/android"
	"github.com/mdmcred/mdmcred/passcode"
)

// ResetFinder returns the ID of the reset that operation name delivers,
// as the host recorded it when it issued the command, or "" when the
// operation is none of its resets (a LOCK, another tool's command).
type ResetFinder func(ctx context.Context, operationName string) (resetID string, err error)

// PushHandler returns the http.Handler for AMAPI's Pub/Sub push
// subscription. For each COMMAND notification it finds the reset with
// find and records the operation's outcome on it through lc
// (*passcode.Service), as Await does. It answers:
//
//   - 204 when the notification is handled, is of another type
//     (ENROLLMENT, STATUS_REPORT, ...), names no reset of the host, or its
//     reset has already ended (Pub/Sub then drops the message);
//   - 400 for a body that is not a push envelope or an Operation, 405 for a
//     method other than POST, 413 for a body over android.MaxPushSize;
//   - 500 when find or lc fails (Pub/Sub then delivers it again).
//
// Authenticate the push (the OIDC token Pub/Sub sends) in front of it; the
// handler trusts what reaches it.
func (c *Client) PushHandler(find ResetFinder, lc android.Lifecycle) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, android.MaxPushSize+1))
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		if len(body) > android.MaxPushSize {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		ctx := r.Context()
		n, err := android.ParsePush(body)
		if err != nil {
			c.log.WarnContext(ctx, "amapi push refused", "error", err.Error())
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if n.Type != android.NotificationCommand {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		id, err := find(ctx, n.Operation.Name)
		if err != nil {
			c.log.ErrorContext(ctx, "amapi push: finding the reset failed", "operation", n.Operation.Name, "error", err.Error())
			http.Error(w, "cannot find the reset", http.StatusInternalServerError)
			return
		}
		if id == "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		_, err = c.record(ctx, lc, id, n.Operation.Outcome(c.now()))
		switch {
		case err == nil, errors.Is(err, passcode.ErrResetExpired), errors.Is(err, passcode.ErrNotFound):
			w.WriteHeader(http.StatusNoContent)
		default:
			http.Error(w, "cannot record the outcome", http.StatusInternalServerError)
		}
	})
}
