package natsbus

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/nats-io/nats.go"

	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/errdefs"
)

// Publish sends event to every subscriber of subject, fire and forget.
// While reconnecting, NATS buffers the event and sends it on reconnect.
func (b *Bus) Publish(ctx context.Context, subject string, event any) error {
	if subject == "" {
		return fmt.Errorf("publish: empty subject: %w", errdefs.ErrInvalidArgument)
	}
	data, err := encodeEnvelope(ctx, event, false, 0)
	if err != nil {
		return fmt.Errorf("publish %q: %w", subject, err)
	}
	if err := b.nc.Publish(subject, data); err != nil {
		return transportErr("publish", subject, err)
	}
	return nil
}

// Subscribe receives events of subject (NATS wildcards allowed). Events of
// one subscription are delivered one at a time, in order; a handler that
// cannot keep up makes NATS drop events for it (reported as a slow
// consumer in the log).
func (b *Bus) Subscribe(subject string, h bus.EventHandler) (bus.Subscription, error) {
	if subject == "" || h == nil {
		return nil, fmt.Errorf("subscribe: subject and handler are required: %w", errdefs.ErrInvalidArgument)
	}
	sub, err := b.nc.Subscribe(subject, func(m *nats.Msg) { b.deliver(m, h) })
	if err != nil {
		return nil, transportErr("subscribe", subject, err)
	}
	b.flush(subject)
	return eventSub{sub}, nil
}

func (b *Bus) deliver(m *nats.Msg, h bus.EventHandler) {
	env, err := decodeEnvelope(m.Data)
	if err != nil {
		b.logger.Warn("bus: bad event", "subject", m.Subject, "error", err)
		return
	}
	defer func() {
		if r := recover(); r != nil {
			b.logger.Error("bus: event handler panicked", "subject", m.Subject,
				"request_id", env.Ctx.RequestID, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	h(env.context(b.ctx), env.Payload)
}

// eventSub is one Subscribe subscription.
type eventSub struct{ sub *nats.Subscription }

// Unsubscribe stops delivery; calling it again is a no-op.
func (s eventSub) Unsubscribe() error {
	if !s.sub.IsValid() {
		return nil
	}
	if err := s.sub.Unsubscribe(); err != nil && s.sub.IsValid() {
		return fmt.Errorf("failed to unsubscribe %q: %w", s.sub.Subject, err)
	}
	return nil
}
