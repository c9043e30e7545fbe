package wsproxy

import (
	"context"
	"fmt"

	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// BusLocator asks the conductor for the container's host, then that
// host's agent for its console link address: the dial target comes only
// from the registered agent, never from the client.
type BusLocator struct {
	Bus bus.Bus
}

var _ Locator = BusLocator{}

// Endpoint implements Locator.
func (l BusLocator) Endpoint(ctx context.Context, uuid string) (string, error) {
	host, err := rpc.ConductorClient{Bus: l.Bus}.ConsoleHost(ctx, uuid)
	if err != nil {
		return "", err
	}
	if host == "" {
		return "", fmt.Errorf("container %s has no host: %w", uuid, errdefs.ErrNotFound)
	}
	var r rpc.ConsoleEndpointReply
	c := model.Container{UUID: uuid, Host: host}
	if err := (rpc.ComputeClient{Bus: l.Bus}).Call(ctx, rpc.MethodConsoleEndpoint, rpc.Request(&c, ""), &r); err != nil {
		return "", err
	}
	return r.Address, nil
}
