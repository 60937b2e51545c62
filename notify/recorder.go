package notify

import (
	"context"
	"sync"
)

// Recorder is a [Mailer] for tests: it keeps every message it is given and
// can be told to fail. The zero value is ready to use and safe for
// concurrent use.
type Recorder struct {
	mu   sync.Mutex
	msgs []Message
	fail error
}

var _ Mailer = (*Recorder)(nil)

// Send records a copy of m. It refuses an invalid message like a real
// adapter ([ErrInvalidMessage]), and when told to fail ([Recorder.FailWith])
// or when ctx is done it records nothing and returns a [*SendError].
func (r *Recorder) Send(ctx context.Context, m Message) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return &SendError{Via: "recorder", Err: err}
	}
	if err := m.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return &SendError{Via: "recorder", Err: r.fail}
	}
	r.msgs = append(r.msgs, m.clone())
	return nil
}

// FailWith makes every later Send fail with err (wrapped in a *SendError);
// nil makes Send succeed again.
func (r *Recorder) FailWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

// Messages returns copies of the recorded messages, oldest first.
func (r *Recorder) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Message, len(r.msgs))
	for i, m := range r.msgs {
		out[i] = m.clone()
	}
	return out
}

// Len returns the number of recorded messages.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// Last returns a copy of the latest message, and false when there is none.
func (r *Recorder) Last() (Message, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.msgs) == 0 {
		return Message{}, false
	}
	return r.msgs[len(r.msgs)-1].clone(), true
}

// Reset forgets the recorded messages (not the failure set by FailWith).
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = nil
}
