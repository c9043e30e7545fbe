package compute

import (
	"context"
	"fmt"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// PortNetworker is the optional driver capability of tenant networking
// (the Docker driver with its network plugin).
type PortNetworker interface {
	AttachPort(ctx context.Context, c *model.Container, port model.PortAttachment) error
	DetachPort(ctx context.Context, c *model.Container, port model.PortAttachment) error
	// PruneNetworks removes the engine networks of ours without a
	// container and not in keep.
	PruneNetworks(ctx context.Context, keep map[string]bool) error
}

func (a *Agent) portNetworker() (PortNetworker, error) {
	pn, ok := a.drv.(PortNetworker)
	if !ok || a.nets == nil {
		return nil, fmt.Errorf("this host has no tenant networking: %w", errdefs.ErrNotImplemented)
	}
	return pn, nil
}

// opNetworkAttach connects the container to the port the control plane
// created and bound to this host. The host's state must name the port
// before the engine connects (the plugin refreshes it otherwise).
func (a *Agent) opNetworkAttach(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	return a.portOp(ctx, req, "network_attach", api.TaskNetworkAttaching, func(pn PortNetworker, c *model.Container, p model.PortAttachment) error {
		return pn.AttachPort(ctx, c, p)
	})
}

// opNetworkDetach disconnects the container from the port's network; the
// plugin releases the port's veth.
func (a *Agent) opNetworkDetach(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	return a.portOp(ctx, req, "network_detach", api.TaskNetworkDetaching, func(pn PortNetworker, c *model.Container, p model.PortAttachment) error {
		return pn.DetachPort(ctx, c, p)
	})
}

func (a *Agent) portOp(ctx context.Context, req rpc.ContainerRequest, event, task string, f func(PortNetworker, *model.Container, model.PortAttachment) error) (any, error) {
	c := &req.Container
	unlock := a.locks.Lock(c.UUID)
	defer unlock()
	done := a.actionNamed(ctx, c, req.RequestID, "compute_"+event)
	err := func() error {
		if req.Port == nil {
			return fmt.Errorf("%s without a port: %w", event, errdefs.ErrInvalidArgument)
		}
		pn, err := a.portNetworker()
		if err != nil {
			return err
		}
		return f(pn, c, *req.Port)
	}()
	if err != nil {
		err = fmt.Errorf("failed to %s: %w", event, err)
		a.log.Warn("network operation failed", "uuid", c.UUID, "op", event, "err", err)
	}
	a.settle(ctx, c, task, err)
	done(err)
	return nil, nil
}

// pruneNetworks removes the Docker networks no container uses any more
// and the host's state does not name.
func (a *Agent) pruneNetworks(ctx context.Context) {
	pn, err := a.portNetworker()
	if err != nil {
		return
	}
	if err := pn.PruneNetworks(ctx, a.networkKeep()); err != nil {
		a.log.Warn("failed to prune docker networks", "err", err)
	}
}
