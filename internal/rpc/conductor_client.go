package rpc

import (
	"context"

	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/model"
)

// ConductorClient is what an agent calls on zun-api.
type ConductorClient struct {
	Bus bus.Bus
}

func (c ConductorClient) call(ctx context.Context, method string, req, resp any) error {
	return c.Bus.Call(ctx, bus.ConductorSubject(method), req, resp)
}

// RegisterHost reports the host inventory.
func (c ConductorClient) RegisterHost(ctx context.Context, r HostReport) error {
	return c.call(ctx, MethodRegisterHost, r, nil)
}

// Heartbeat reports that the agent is alive.
func (c ConductorClient) Heartbeat(ctx context.Context, r HeartbeatRequest) error {
	return c.call(ctx, MethodHeartbeat, r, nil)
}

// UpdateContainer applies an operation's state change.
func (c ConductorClient) UpdateContainer(ctx context.Context, u ContainerUpdate) error {
	return c.call(ctx, MethodContainerUpdate, u, nil)
}

// SyncContainer reports the engine's view of a container.
func (c ConductorClient) SyncContainer(ctx context.Context, s ContainerSync) error {
	return c.call(ctx, MethodContainerSync, s, nil)
}

// ContainerGone reports a finished delete.
func (c ConductorClient) ContainerGone(ctx context.Context, g ContainerGone) error {
	return c.call(ctx, MethodContainerGone, g, nil)
}

// HostContainers lists the containers placed on host.
func (c ConductorClient) HostContainers(ctx context.Context, host string) ([]model.Container, error) {
	var r HostContainersReply
	if err := c.call(ctx, MethodHostContainers, HostContainersRequest{Host: host}, &r); err != nil {
		return nil, err
	}
	return r.Containers, nil
}

// ActionEvent records an action event.
func (c ConductorClient) ActionEvent(ctx context.Context, r ActionEventRequest) error {
	return c.call(ctx, MethodActionEvent, r, nil)
}
