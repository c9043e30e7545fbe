package natsbus

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/errdefs"
)

// Handle serves Call and Cast on subject (wildcards allowed). Handlers in
// the same queue group share the messages; queue "" means every handler
// gets each. Up to HandlerConcurrency handlers of this subscription run at
// once.
func (b *Bus) Handle(subject, queue string, h bus.Handler) (bus.Subscription, error) {
	if subject == "" || h == nil {
		return nil, fmt.Errorf("handle: subject and handler are required: %w", errdefs.ErrInvalidArgument)
	}
	hs := &handlerSub{
		b:   b,
		h:   h,
		sem: make(chan struct{}, HandlerConcurrency),
	}
	if err := b.track(hs); err != nil {
		return nil, err
	}
	var err error
	if queue == "" {
		hs.sub, err = b.nc.Subscribe(subject, hs.onMsg)
	} else {
		hs.sub, err = b.nc.QueueSubscribe(subject, queue, hs.onMsg)
	}
	if err != nil {
		b.forget(hs)
		return nil, transportErr("handle", subject, err)
	}
	b.flush(subject)
	return hs, nil
}

// handlerSub is one Handle subscription.
type handlerSub struct {
	b   *Bus
	h   bus.Handler
	sub *nats.Subscription
	sem chan struct{} // bounds running handlers

	mu      sync.Mutex
	closing bool
	running sync.WaitGroup

	drainOnce sync.Once
	drainErr  error
}

// Unsubscribe stops the subscription and waits up to Options.DrainTimeout
// for messages already received to be handled and answered.
func (hs *handlerSub) Unsubscribe() error {
	hs.b.forget(hs)
	return hs.drain(time.Now().Add(hs.b.opts.DrainTimeout))
}

// drain removes interest, lets NATS deliver what it already has, then waits
// for the handlers to finish, all before deadline.
func (hs *handlerSub) drain(deadline time.Time) error {
	hs.drainOnce.Do(func() {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		var errs []error
		closed := hs.sub.StatusChanged(nats.SubscriptionClosed)
		if !hs.b.nc.IsConnected() {
			// Nothing more can arrive and a drain would wait for a server
			// that is not there.
			_ = hs.sub.Unsubscribe()
		} else if err := hs.sub.Drain(); err != nil {
			if !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
				errs = append(errs, fmt.Errorf("failed to drain subscription %q: %w", hs.sub.Subject, err))
			}
			_ = hs.sub.Unsubscribe() // best effort; Drain already reported
		} else {
			select {
			case <-closed:
			case <-ctx.Done():
				_ = hs.sub.Unsubscribe()
				errs = append(errs, fmt.Errorf("subscription %q did not drain in time: %w", hs.sub.Subject, errdefs.ErrTimeout))
			}
		}
		// From here late deliveries (only after a timeout) are refused, so
		// running.Add never races running.Wait.
		hs.mu.Lock()
		hs.closing = true
		hs.mu.Unlock()
		done := make(chan struct{})
		go func() { hs.running.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("handlers of %q still running at drain deadline: %w", hs.sub.Subject, errdefs.ErrTimeout))
		}
		hs.drainErr = errors.Join(errs...)
	})
	return hs.drainErr
}

// onMsg runs in the subscription's NATS dispatch goroutine. It waits for
// one of HandlerConcurrency slots, acks a cast, and starts the handler.
// While every slot is busy, delivery blocks and further messages wait in
// NATS's buffer: casters see backpressure (their ack waits, up to their
// deadline) rather than an unbounded queue, and nothing is dropped.
func (hs *handlerSub) onMsg(m *nats.Msg) {
	env, err := decodeEnvelope(m.Data)
	if err != nil {
		hs.b.logger.Warn("bus: bad message", "subject", m.Subject, "error", err)
		hs.respond(m, encodeReply(nil, err))
		return
	}
	hs.sem <- struct{}{}
	hs.mu.Lock()
	if hs.closing {
		hs.mu.Unlock()
		<-hs.sem
		hs.b.logger.Warn("bus: message refused after drain timeout", "subject", m.Subject, "cast", env.Cast)
		hs.respond(m, encodeReply(nil, fmt.Errorf("handler of %q is shutting down: %w", m.Subject, errdefs.ErrUnavailable)))
		return
	}
	hs.running.Add(1)
	hs.mu.Unlock()
	if env.Cast {
		hs.respond(m, ackReply)
	}
	go hs.run(m, env)
}

func (hs *handlerSub) run(m *nats.Msg, env *envelope) {
	defer hs.running.Done()
	defer func() { <-hs.sem }()

	ctx := env.context(hs.b.ctx)
	if !env.Cast && env.Ctx.TimeoutMS > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(env.Ctx.TimeoutMS)*time.Millisecond)
		defer cancel()
	}
	result, err := hs.invoke(ctx, m.Subject, env)
	if env.Cast {
		if err != nil {
			hs.b.logger.Warn("bus: cast handler failed", "subject", m.Subject,
				"request_id", env.Ctx.RequestID, "error", err)
		}
		return
	}
	hs.respond(m, encodeReply(result, err))
}

// invoke calls the handler, turning a panic into errdefs.ErrInternal.
func (hs *handlerSub) invoke(ctx context.Context, subject string, env *envelope) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			hs.b.logger.Error("bus: handler panicked", "subject", subject,
				"request_id", env.Ctx.RequestID, "panic", r, "stack", string(debug.Stack()))
			result, err = nil, fmt.Errorf("handler of %q panicked: %v: %w", subject, r, errdefs.ErrInternal)
		}
	}()
	return hs.h(ctx, env.Payload)
}

// respond replies to m if the sender asked for a reply.
func (hs *handlerSub) respond(m *nats.Msg, data []byte) {
	if m.Reply == "" {
		return
	}
	if err := m.Respond(data); err != nil {
		hs.b.logger.Warn("bus: failed to reply", "subject", m.Subject, "error", err)
	}
}
