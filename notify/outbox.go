package notify

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// OutboxConfig configures an [Outbox].
type OutboxConfig struct {
	// Dir is the directory the .eml files go to. Required; created (mode
	// 0700) when missing.
	Dir string
	// From is the sender address for messages whose From is empty. Required.
	From string
	// Now returns the time used for the Date header and the file name. Zero:
	// time.Now.
	Now func() time.Time
}

// Outbox is a development [Mailer] that writes each message as one RFC 5322
// .eml file (open it with any mail client) instead of sending it. A file
// appears whole or not at all: it is written to a temporary name, synced and
// renamed. Files are created with mode 0600 because they hold credentials.
// It is safe for concurrent use.
type Outbox struct {
	dir  string
	from string
	now  func() time.Time
}

var _ Mailer = (*Outbox)(nil)

// NewOutbox checks cfg and creates the directory. A field it refuses is
// named by a [*FieldError] ("OutboxConfig.From").
func NewOutbox(cfg OutboxConfig) (*Outbox, error) {
	if cfg.Dir == "" {
		return nil, configError("OutboxConfig.Dir", "required")
	}
	if rule := checkAddress(cfg.From); rule != "" {
		return nil, configError("OutboxConfig.From", rule)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("notify: outbox: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Outbox{dir: cfg.Dir, from: cfg.From, now: cfg.Now}, nil
}

// Dir returns the directory the outbox writes to.
func (o *Outbox) Dir() string { return o.dir }

// Send writes m to <Dir>/<UTC time>-<random>.eml. A message that fails
// [Message.Validate] is refused ([ErrInvalidMessage]); a failure to write
// is returned as a [*SendError] and leaves no file behind.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if ctx == nil {
		return ErrNilContext
	}
	if err := ctx.Err(); err != nil {
		return &SendError{Via: "outbox", Err: err}
	}
	if m.From == "" {
		m.From = o.from
	}
	if err := m.Validate(); err != nil {
		return err
	}
	now := o.now()
	msg, err := encode(m, o.from, now)
	if err != nil {
		return err
	}
	name := now.UTC().Format("20060102T150405.000000000Z") + "-" + rand.Text()[:10] + ".eml"
	if err := o.write(name, func(f *os.File) error {
		_, err := msg.WriteTo(f)
		return err
	}); err != nil {
		return &SendError{Via: "outbox", Err: err}
	}
	return nil
}

func (o *Outbox) write(name string, fill func(*os.File) error) (err error) {
	f, err := os.CreateTemp(o.dir, ".tmp-*.eml")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(o.dir, name))
}
