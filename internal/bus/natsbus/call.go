package natsbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openzun/zun/internal/errdefs"
)

// Call sends req to one handler of subject and decodes the reply into resp
// (which may be nil). The deadline comes from ctx, else
// Options.DefaultTimeout, and is carried to the handler. Errors:
// errdefs.ErrUnavailable when no handler listens, the bus is disconnected or
// the call timed out (the handler may be dead); the handler's own error
// with its category otherwise.
func (b *Bus) Call(ctx context.Context, subject string, req, resp any) error {
	return b.request(ctx, "call", subject, req, resp, false)
}

// Cast hands req to one handler of subject and returns once the handler's
// process acknowledged it; the handler then runs on its own, without the
// caller's deadline. No handler: errdefs.ErrUnavailable.
func (b *Bus) Cast(ctx context.Context, subject string, req any) error {
	return b.request(ctx, "cast", subject, req, nil, true)
}

func (b *Bus) request(ctx context.Context, op, subject string, req, resp any, cast bool) error {
	if subject == "" {
		return fmt.Errorf("%s: empty subject: %w", op, errdefs.ErrInvalidArgument)
	}
	if err := ctx.Err(); err != nil {
		return transportErr(op, subject, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.opts.DefaultTimeout)
		defer cancel()
	}
	start := time.Now()
	deadline, _ := ctx.Deadline()
	var timeout time.Duration
	if !cast {
		timeout = deadline.Sub(start)
	}
	data, err := encodeEnvelope(ctx, req, cast, timeout)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, subject, err)
	}
	// Fail fast while reconnecting: NATS would buffer the request and we
	// would only notice at the deadline.
	if !b.nc.IsConnected() {
		return fmt.Errorf("%s %q: bus is %s: %w", op, subject, b.nc.Status(), errdefs.ErrUnavailable)
	}
	msg, err := b.nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%s %q timed out after %s, the handler may be down: %w (%w)",
				op, subject, time.Since(start).Round(time.Millisecond), errdefs.ErrUnavailable, err)
		}
		return transportErr(op, subject, err)
	}
	return decodeReply(subject, msg.Data, resp)
}
