package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/openzun/zun/internal/errdefs"
)

// Connect dials the NATS server(s) at servers (nats://host:port, several
// comma-separated for a cluster). It retries with backoff until ctx is done
// while no server is reachable, and fails at once if the credentials are
// refused (errdefs.ErrUnauthorized). Once connected, the connection
// reconnects forever with backoff.
func Connect(ctx context.Context, servers string, opts Options, logger *slog.Logger) (*Bus, error) {
	if strings.TrimSpace(servers) == "" {
		return nil, fmt.Errorf("nats url is empty: %w", errdefs.ErrInvalidArgument)
	}
	return dial(ctx, servers, opts, logger, nil)
}

// dial connects to servers, or through inproc when it is set, and wraps the
// connection in a Bus.
func dial(ctx context.Context, servers string, opts Options, logger *slog.Logger, inproc nats.InProcessConnProvider) (*Bus, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts = opts.withDefaults()
	logger = logger.With("component", "natsbus")
	b := newBus(opts, logger)
	nopts := b.natsOptions()
	if inproc != nil {
		nopts = append(nopts, nats.InProcessServer(inproc))
	}
	where := redactURLs(servers)
	for attempt := 1; ; attempt++ {
		nc, err := nats.Connect(servers, nopts...)
		if err == nil {
			b.nc = nc
			logger.Info("connected to nats", "server", nc.ConnectedUrlRedacted(), "name", opts.Name)
			return b, nil
		}
		if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked) {
			b.cancel()
			return nil, fmt.Errorf("failed to connect to nats %s: %w: %w", where, err, errdefs.ErrUnauthorized)
		}
		if ctx.Err() != nil {
			b.cancel()
			return nil, fmt.Errorf("failed to connect to nats %s: %w: %w", where, err, errdefs.ErrUnavailable)
		}
		wait := backoff(attempt)
		logger.Warn("nats not reachable, retrying", "servers", where, "attempt", attempt, "retry_in", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}

// natsOptions builds the client options: reconnect forever with backoff,
// log connection events, signal Close when the connection is closed.
func (b *Bus) natsOptions() []nats.Option {
	o := []nats.Option{
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(backoff),
		nats.PingInterval(10 * time.Second),
		nats.MaxPingsOutstanding(3),
		nats.DrainTimeout(b.opts.DrainTimeout),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				b.logger.Warn("nats disconnected", "error", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.logger.Info("nats reconnected", "server", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				b.logger.Warn("nats subscription error", "subject", sub.Subject, "error", err)
				return
			}
			b.logger.Warn("nats error", "error", err)
		}),
		nats.ClosedHandler(func(*nats.Conn) { b.closedOnce.Do(func() { close(b.closedCh) }) }),
	}
	if b.opts.Name != "" {
		o = append(o, nats.Name(b.opts.Name))
	}
	if b.opts.User != "" || b.opts.Password != "" {
		o = append(o, nats.UserInfo(b.opts.User, b.opts.Password))
	}
	return o
}

// redactURLs hides passwords in a comma-separated URL list for logs and
// errors.
func redactURLs(servers string) string {
	parts := strings.Split(servers, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if u, err := url.Parse(p); err == nil {
			p = u.Redacted()
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}
