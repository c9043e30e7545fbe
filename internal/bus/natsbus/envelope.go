package natsbus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/zunctx"
)

// wireCtx is the part of the sender's context that crosses the bus.
type wireCtx struct {
	RequestID string           `json:"request_id"`
	Identity  *zunctx.Identity `json:"identity"`
	System    bool             `json:"system"`
	// TimeoutMS is the sender's remaining deadline in milliseconds (calls
	// only; 0 = none). Relative, so hosts need not agree on the clock.
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
}

// envelope wraps every message sent on the bus.
type envelope struct {
	Ctx     wireCtx         `json:"ctx"`
	Cast    bool            `json:"cast"`
	Payload json.RawMessage `json:"payload"`
}

// reply answers a call or acknowledges a cast.
type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *errdefs.Wire   `json:"error"`
}

// ackReply is the reply to an accepted cast.
var ackReply = []byte(`{"result":null,"error":null}`)

// encodeEnvelope builds the envelope for v sent from ctx. timeout is the
// remaining deadline to carry (0 = none).
func encodeEnvelope(ctx context.Context, v any, cast bool, timeout time.Duration) ([]byte, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("failed to encode message: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	env := envelope{
		Ctx: wireCtx{
			RequestID: zunctx.RequestID(ctx),
			System:    zunctx.IsSystem(ctx),
		},
		Cast:    cast,
		Payload: payload,
	}
	if id, ok := zunctx.IdentityFrom(ctx); ok {
		env.Ctx.Identity = &id
	}
	if timeout > 0 {
		// Round up so a sub-millisecond remainder is not sent as "none".
		env.Ctx.TimeoutMS = int64((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	data, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("failed to encode envelope: %w: %w", err, errdefs.ErrInternal)
	}
	return data, nil
}

// decodeEnvelope parses data.
func decodeEnvelope(data []byte) (*envelope, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("failed to decode envelope: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	if len(env.Payload) == 0 {
		env.Payload = json.RawMessage("null")
	}
	return &env, nil
}

// context rebuilds the sender's context values on top of base. The deadline
// is not applied here; see serve.
func (e *envelope) context(base context.Context) context.Context {
	ctx := base
	if e.Ctx.RequestID != "" {
		ctx = zunctx.WithRequestID(ctx, e.Ctx.RequestID)
	}
	if e.Ctx.Identity != nil {
		ctx = zunctx.WithIdentity(ctx, *e.Ctx.Identity)
	}
	if e.Ctx.System {
		ctx = zunctx.System(ctx)
	}
	return ctx
}

// encodeReply builds the reply for a handler's result and error.
func encodeReply(result any, herr error) []byte {
	r := reply{Error: errdefs.ToWire(herr)}
	if herr == nil {
		raw, err := json.Marshal(result)
		if err != nil {
			r.Error = errdefs.ToWire(fmt.Errorf("failed to encode result: %w: %w", err, errdefs.ErrInternal))
		} else {
			r.Result = raw
		}
	}
	data, err := json.Marshal(r)
	if err != nil {
		// Only reachable if errdefs.Wire stops being plain strings.
		return []byte(`{"result":null,"error":{"code":"internal","message":"failed to encode reply"}}`)
	}
	return data
}

// decodeReply parses a reply and returns the handler's error, if any, and
// decodes the result into resp (which may be nil).
func decodeReply(subject string, data []byte, resp any) error {
	var r reply
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("failed to decode reply from %q: %w: %w", subject, err, errdefs.ErrInternal)
	}
	if r.Error != nil {
		return errdefs.FromWire(r.Error)
	}
	if resp == nil || len(r.Result) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Result, resp); err != nil {
		return fmt.Errorf("failed to decode result from %q: %w: %w", subject, err, errdefs.ErrInternal)
	}
	return nil
}
