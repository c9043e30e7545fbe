package rpc

import (
	"context"

	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/model"
)

// ComputeClient calls compute agents. Casts return once the agent accepted
// the work; calls wait for the result.
type ComputeClient struct {
	Bus bus.Bus
}

// Cast sends a one-way operation to c's host.
func (cc ComputeClient) Cast(ctx context.Context, method string, req ContainerRequest) error {
	return cc.Bus.Cast(ctx, bus.ComputeSubject(req.Container.Host, method), req)
}

// Call sends a request/reply operation to c's host.
func (cc ComputeClient) Call(ctx context.Context, method string, req ContainerRequest, resp any) error {
	return cc.Bus.Call(ctx, bus.ComputeSubject(req.Container.Host, method), req, resp)
}

// Request builds a request for c.
func Request(c *model.Container, requestID string) ContainerRequest {
	return ContainerRequest{Container: *c, RequestID: requestID}
}
