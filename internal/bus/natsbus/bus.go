package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/errdefs"
)

var _ bus.Bus = (*Bus)(nil)

// Bus is a bus.Bus over one NATS connection. It is safe for concurrent use.
type Bus struct {
	nc     *nats.Conn
	opts   Options
	logger *slog.Logger

	// ctx is the parent of every handler's context; Close cancels it once
	// the drain is over so handlers still running learn of it.
	ctx    context.Context
	cancel context.CancelFunc

	closedCh   chan struct{} // closed by the nats ClosedHandler
	closedOnce sync.Once

	mu       sync.Mutex
	closed   bool
	handlers map[*handlerSub]struct{}

	closeOnce sync.Once
	closeErr  error
}

func newBus(opts Options, logger *slog.Logger) *Bus {
	ctx, cancel := context.WithCancel(context.Background())
	return &Bus{
		opts:     opts,
		logger:   logger,
		ctx:      ctx,
		cancel:   cancel,
		closedCh: make(chan struct{}),
		handlers: make(map[*handlerSub]struct{}),
	}
}

// Conn is the underlying NATS connection, for health checks and metrics.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// Close stops receiving, waits up to Options.DrainTimeout for running
// handlers to reply, flushes pending publishes and closes the connection.
// Handlers still running after that see their context cancelled.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		subs := make([]*handlerSub, 0, len(b.handlers))
		for hs := range b.handlers {
			subs = append(subs, hs)
		}
		clear(b.handlers)
		b.mu.Unlock()

		deadline := time.Now().Add(b.opts.DrainTimeout)
		var wg sync.WaitGroup
		errs := make([]error, len(subs))
		for i, hs := range subs {
			wg.Go(func() { errs[i] = hs.drain(deadline) })
		}
		wg.Wait()
		b.cancel()

		// Event subscriptions and buffered publishes.
		if err := b.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, fmt.Errorf("failed to drain nats connection: %w", err))
			b.nc.Close()
		}
		t := time.NewTimer(max(time.Until(deadline), 0) + time.Second)
		defer t.Stop()
		select {
		case <-b.closedCh:
		case <-t.C:
			b.nc.Close()
			errs = append(errs, fmt.Errorf("nats connection did not drain in time: %w", errdefs.ErrTimeout))
		}
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

// track registers hs unless the bus is closed.
func (b *Bus) track(hs *handlerSub) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("bus is closed: %w", errdefs.ErrUnavailable)
	}
	b.handlers[hs] = struct{}{}
	return nil
}

func (b *Bus) forget(hs *handlerSub) {
	b.mu.Lock()
	delete(b.handlers, hs)
	b.mu.Unlock()
}

// flush makes sure the server has seen a new subscription, so a request
// sent right after Handle returns finds it. A failure only means we are
// disconnected; the subscription is replayed on reconnect.
func (b *Bus) flush(subject string) {
	if err := b.nc.FlushTimeout(b.opts.DefaultTimeout); err != nil {
		b.logger.Debug("nats flush after subscribe failed", "subject", subject, "error", err)
	}
}

// transportErr maps a NATS client error to an errdefs category.
func transportErr(op, subject string, err error) error {
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return fmt.Errorf("%s %q: no handler is listening: %w", op, subject, errdefs.ErrUnavailable)
	case errors.Is(err, nats.ErrMaxPayload):
		return fmt.Errorf("%s %q: %w: %w", op, subject, err, errdefs.ErrTooLarge)
	case errors.Is(err, nats.ErrBadSubject):
		return fmt.Errorf("%s %q: %w: %w", op, subject, err, errdefs.ErrInvalidArgument)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s %q: %w", op, subject, err)
	default:
		return fmt.Errorf("%s %q: %w: %w", op, subject, err, errdefs.ErrUnavailable)
	}
}
