package conductor

import (
	"context"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// Networks is the network control plane as the conductor uses it.
type Networks interface {
	// HostState is everything the data plane of host must hold.
	HostState(ctx context.Context, host string) (model.HostNetworkState, error)
	// ReleaseDevice frees the ports of a deleted container or capsule:
	// deletes those the service created, unbinds the user's.
	ReleaseDevice(ctx context.Context, deviceID string) error
	// BindDevice binds the ports of deviceID to host.
	BindDevice(ctx context.Context, deviceID, host string) error
}

// WithNetworks serves network_state from n and frees the ports of deleted
// containers and capsules.
func (c *Conductor) WithNetworks(n Networks) *Conductor {
	c.nets = n
	return c
}

func (c *Conductor) networkState(ctx context.Context, r rpc.NetworkStateRequest) (any, error) {
	return c.nets.HostState(ctx, r.Host)
}

// releasePorts frees the ports of a container or capsule that is gone.
func (c *Conductor) releasePorts(ctx context.Context, deviceID string) error {
	if c.nets == nil {
		return nil
	}
	return c.nets.ReleaseDevice(ctx, deviceID)
}

// bindPorts binds the ports of a container to its own host, asked by that
// host's agent when it resumes a create or start.
func (c *Conductor) bindPorts(ctx context.Context, r rpc.BindPortsRequest) (any, error) {
	ct, err := c.placedOn(ctx, r.ContainerUUID, r.Host)
	if err != nil {
		return nil, err
	}
	if c.nets == nil || len(ct.Networks) == 0 {
		return nil, nil
	}
	return nil, c.nets.BindDevice(ctx, ct.UUID, r.Host)
}
