package amapi

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"google.golang.org/api/googleapi"
)

// ErrConfig: New was given an unusable Config.
var ErrConfig = errors.New("amapi: invalid config")

// Error is a failed AMAPI call. It keeps the HTTP status and Google's
// message only, with a RESET_PASSWORD's new password cut out of the message
// (an API may echo a refused value), and does not wrap Google's error,
// whose body could hold it too.
type Error struct {
	// Call is the method: "issueCommand", "operations.get",
	// "operations.cancel".
	Call string
	// Name is the device or operation name the call was for.
	Name string
	// Status is the HTTP status; 0 when no response came (then Message
	// says why: a canceled context, a refused connection).
	Status int
	// Message is Google's error message.
	Message string
	// ctx is context.Canceled or context.DeadlineExceeded when the call
	// ended because its context did, so that errors.Is finds it.
	ctx error
}

// Unwrap returns context.Canceled or context.DeadlineExceeded when the
// call ended with its context, and nil otherwise: Google's own error is not
// kept (see Error).
func (e *Error) Unwrap() error { return e.ctx }

// Error implements error.
func (e *Error) Error() string {
	s := "amapi: " + e.Call + " " + e.Name + ": "
	if e.Status != 0 {
		s += "HTTP " + strconv.Itoa(e.Status) + ": "
	}
	return s + e.Message
}

// callError turns the Google client's error into an *Error, with secret
// cut out of every text it keeps.
func callError(call, name string, err error, secret string) *Error {
	e := &Error{Call: call, Name: name}
	for _, c := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			e.ctx = c
		}
	}
	var g *googleapi.Error
	if errors.As(err, &g) {
		e.Status = g.Code
		e.Message = g.Message
		if e.Message == "" {
			e.Message = strings.TrimSpace(string(g.Body))
		}
	} else {
		e.Message = err.Error()
	}
	if secret != "" {
		// The password as sent and as a JSON string escapes it (<, >, &,
		// quotes and backslashes change), in case the body echoes it.
		quoted, _ := json.Marshal(secret)
		for _, v := range []string{secret, string(quoted[1 : len(quoted)-1])} {
			e.Message = strings.ReplaceAll(e.Message, v, "[REDACTED]")
		}
	}
	if len(e.Message) > 512 {
		e.Message = e.Message[:512] + "..."
	}
	return e
}
