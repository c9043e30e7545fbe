// Package natsbus implements bus.Bus over NATS core request/reply and
// pub/sub, and can run nats-server in-process for the all-in-one mode.
//
// Wire format. Every message is a JSON envelope
//
//	{"ctx":{"request_id":…,"identity":{…}|null,"system":bool,"timeout_ms":n},
//	 "cast":bool,"payload":<raw>}
//
// and every reply to a call or cast is {"result":<raw>,"error":errdefs.Wire|null}.
// The handler's context gets the sender's identity, request id and system
// flag back (zunctx), and for calls the sender's remaining deadline, sent as a
// relative timeout so clock skew between hosts does not matter.
//
// Calls are NATS requests. Casts are requests too: the handling process
// replies with an empty result as soon as a handler slot is free and then
// runs the handler on its own, so a cast to a dead agent fails with
// errdefs.ErrUnavailable ("no responders") instead of vanishing. Handlers of
// one subscription run concurrently, at most HandlerConcurrency at once;
// when all are busy, delivery blocks and messages wait in NATS's buffer, so
// callers see backpressure (ErrUnavailable at their deadline), never a drop.
// As with any request/reply, a call or cast that timed out may still be
// handled later; handlers must be idempotent or reconciled.
//
// Connect dials external servers (several URLs for a cluster) and reconnects
// forever with exponential backoff; Server.Connect uses an in-process pipe to
// the embedded server and pays no TCP cost. While the connection is down
// Call and Cast fail fast with errdefs.ErrUnavailable.
//
// This package may import internal/bus, internal/errdefs and internal/zunctx
// only; the domain never imports it (it sees bus.Bus).
package natsbus
