package natsbus

import (
	"math/rand/v2"
	"time"
)

// Defaults applied by Connect for zero Options fields.
const (
	DefaultCallTimeout  = 30 * time.Second
	DefaultDrainTimeout = 10 * time.Second
	// HandlerConcurrency bounds the handlers of one subscription running at
	// once; further messages wait in NATS's pending buffer.
	HandlerConcurrency = 64
)

// Reconnect backoff: exponential from reconnectMin to reconnectMax with
// jitter, forever.
const (
	reconnectMin = 100 * time.Millisecond
	reconnectMax = 5 * time.Second
)

// Options configures a connection.
type Options struct {
	// User and Password authenticate to the server; empty for none.
	User, Password string
	// Name identifies the connection in the server's monitoring
	// (e.g. "zun-compute@host1").
	Name string
	// DefaultTimeout bounds a Call or Cast whose context has no deadline.
	// Zero means DefaultCallTimeout.
	DefaultTimeout time.Duration
	// DrainTimeout bounds how long Close and Unsubscribe wait for running
	// handlers. Zero means DefaultDrainTimeout.
	DrainTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = DefaultCallTimeout
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	return o
}

// backoff returns the wait before reconnect attempt n (1-based), with up to
// 20% jitter so a fleet of agents does not reconnect in lockstep.
func backoff(n int) time.Duration {
	d := reconnectMin
	for i := 1; i < n && d < reconnectMax; i++ {
		d *= 2
	}
	d = min(d, reconnectMax)
	return d + rand.N(d/5+1)
}
