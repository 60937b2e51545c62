package notify

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Recorder is a [Mailer] for tests: it keeps every message it is given and
// can be told to fail. The zero value is ready to use and safe for
// concurrent use.
type Recorder struct {
	mu sync.Mutex
	// st is behind an atomic.Pointer (an unsafe.Pointer inside) so that a
	// Recorder that fmt reaches as a value, where its Format does not
	// apply (a struct field, a copy), shows an address and never the
	// recorded bodies: fmt dereferences a plain pointer under a bad verb
	// ("%!s(*T=&{...})"), never an unsafe.Pointer.
	st atomic.Pointer[recorded]
}

type recorded struct {
	msgs []Message
	fail error
}

// state returns the recorded state, creating it; r.mu must be held.
func (r *Recorder) state() *recorded {
	st := r.st.Load()
	if st == nil {
		st = &recorded{}
		r.st.Store(st)
	}
	return st
}

var _ Mailer = (*Recorder)(nil)

// Send records a copy of m. It refuses an invalid message like a real
// adapter ([ErrInvalidMessage]), and when told to fail ([Recorder.FailWith])
// or when ctx is done it records nothing and returns a [*SendError].
func (r *Recorder) Send(ctx context.Context, m Message) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return &SendError{Via: "recorder", Err: err}
	}
	if err := m.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state()
	if st.fail != nil {
		return &SendError{Via: "recorder", Err: st.fail}
	}
	st.msgs = append(st.msgs, m.clone())
	return nil
}

// FailWith makes every later Send fail with err (wrapped in a *SendError);
// nil makes Send succeed again.
func (r *Recorder) FailWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state().fail = err
}

// Messages returns copies of the recorded messages, oldest first.
func (r *Recorder) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	msgs := r.state().msgs
	out := make([]Message, len(msgs))
	for i, m := range msgs {
		out[i] = m.clone()
	}
	return out
}

// Len returns the number of recorded messages.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.state().msgs)
}

// Last returns a copy of the latest message, and false when there is none.
func (r *Recorder) Last() (Message, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msgs := r.state().msgs
	if len(msgs) == 0 {
		return Message{}, false
	}
	return msgs[len(msgs)-1].clone(), true
}

// Reset forgets the recorded messages (not the failure set by FailWith).
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state().msgs = nil
}

func (r *Recorder) describe() description {
	if r == nil {
		return description{name: "notify.Recorder(nil)"}
	}
	return description{name: "notify.Recorder", fields: []slog.Attr{slog.Int("Messages", r.Len())}}
}

// String reports how many messages r holds, never their content.
func (r *Recorder) String() string { return r.describe().String() }

// Format implements fmt.Formatter: every verb prints [Recorder.String].
func (r *Recorder) Format(f fmt.State, verb rune) { r.describe().format(f, verb) }

// LogValue implements slog.LogValuer like [Recorder.String].
func (r *Recorder) LogValue() slog.Value { return r.describe().logValue() }

// MarshalJSON implements json.Marshaler like [Recorder.String].
func (r *Recorder) MarshalJSON() ([]byte, error) { return r.describe().marshalJSON() }
