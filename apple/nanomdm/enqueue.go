package nanomdm

import (
	"context"
	"fmt"

	"github.com/micromdm/nanomdm/mdm"
	"github.com/micromdm/nanomdm/storage"

	"github.com/mdmcred/mdmcred/apple"
)

// Enqueue queues c's template (never a secret) for the enrollments ids in
// nanomdm's queue. Send the APNs push as for any other command.
func Enqueue(ctx context.Context, q storage.CommandEnqueuer, c apple.Command, ids ...string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cmd, err := mdm.DecodeCommand(c.Template)
	if err != nil {
		return fmt.Errorf("nanomdm: command template: %w", err)
	}
	idErrs, err := q.EnqueueCommand(ctx, ids, cmd)
	if err != nil {
		return fmt.Errorf("nanomdm: enqueue %s: %w", c.UUID, err)
	}
	for id, e := range idErrs {
		if e != nil {
			return fmt.Errorf("nanomdm: enqueue %s for %s: %w", c.UUID, id, e)
		}
	}
	return nil
}
