// Package bus is the message bus between zun-api and zun-compute: one-way
// casts, request/reply calls and event fan-out, with the caller's identity
// and request id carried in the envelope and error categories (errdefs)
// preserved across the wire. natsbus implements it over NATS.
package bus

import (
	"context"
	"encoding/json"
)

// Handler serves a Call or a Cast. Its context carries the sender's identity
// and request id (zunctx) and, for calls, the sender's deadline. The result
// is JSON-encoded as the reply; the error is sent as errdefs.Wire.
type Handler func(ctx context.Context, payload json.RawMessage) (any, error)

// EventHandler receives published events.
type EventHandler func(ctx context.Context, payload json.RawMessage)

// Bus is the transport. Implementations are safe for concurrent use.
type Bus interface {
	// Call sends req to one handler of subject and decodes the reply into
	// resp (which may be nil). The handler's error comes back with its
	// category (errors.Is(err, errdefs.ErrNotFound) works). No handler:
	// errdefs.ErrUnavailable. Deadline from ctx, else a default.
	Call(ctx context.Context, subject string, req, resp any) error
	// Cast hands req to one handler of subject and returns as soon as the
	// handler's process has accepted it; the handler then runs on its own.
	// No handler: errdefs.ErrUnavailable, so a cast is never silently lost
	// to a dead agent.
	Cast(ctx context.Context, subject string, req any) error
	// Handle serves Call and Cast on subject. Handlers in the same queue
	// group share the messages; queue "" means every handler gets each.
	Handle(subject, queue string, h Handler) (Subscription, error)
	// Publish sends an event to every subscriber, fire and forget.
	Publish(ctx context.Context, subject string, event any) error
	// Subscribe receives events of subject (NATS wildcards allowed).
	Subscribe(subject string, h EventHandler) (Subscription, error)
	Close() error
}

// Subscription ends a Handle or Subscribe.
type Subscription interface {
	Unsubscribe() error
}

// Subjects used by the services.
const (
	// ComputeSubjectPrefix + host + "." + method: an agent's RPC methods.
	ComputeSubjectPrefix = "zun.compute."
	// ConductorSubjectPrefix + method: zun-api's methods for agents.
	ConductorSubjectPrefix = "zun.conductor."
	// EventSubjectPrefix + host: container state events from agents.
	EventSubjectPrefix = "zun.events."
)

// ComputeSubject is the subject of method on host.
func ComputeSubject(host, method string) string { return ComputeSubjectPrefix + host + "." + method }

// ConductorSubject is the subject of a conductor method.
func ConductorSubject(method string) string { return ConductorSubjectPrefix + method }
