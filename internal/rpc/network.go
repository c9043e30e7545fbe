package rpc

import (
	"context"

	"github.com/openzun/zun/internal/model"
)

// Network methods. The control plane owns every network record; an agent
// asks for its host's whole state and applies it (internal/netplane).
const (
	// MethodNetworkState (conductor, call): the HostNetworkState of a host.
	MethodNetworkState = "network_state"
	// MethodNetworkChanged (compute, cast, no payload but the revision): the
	// host's network state changed; the agent fetches and applies it.
	MethodNetworkChanged = "network_changed"
	// MethodNetworkAttach and MethodNetworkDetach (compute, cast): connect
	// the container to, or disconnect it from, the port in
	// ContainerRequest.Port (already created and bound by the control
	// plane).
	MethodNetworkAttach = "network_attach"
	MethodNetworkDetach = "network_detach"
	// MethodBindPorts (conductor, call): bind a container's ports to the
	// asking host. The API binds them between placing a container and
	// casting its create; an agent resuming a create or start (the API
	// may have died in between) asks again, as the plugin finds only
	// ports bound to its host.
	MethodBindPorts = "bind_ports"
)

// BindPortsRequest names a container placed on the asking host.
type BindPortsRequest struct {
	ContainerUUID string `json:"container_uuid"`
	Host          string `json:"host"`
}

// BindPorts binds the ports of a container placed on r.Host to it.
func (c ConductorClient) BindPorts(ctx context.Context, r BindPortsRequest) error {
	return c.call(ctx, MethodBindPorts, r, nil)
}

// NetworkStateRequest asks for the state of one host.
type NetworkStateRequest struct {
	Host string `json:"host"`
}

// NetworkChanged tells an agent that its state changed.
type NetworkChanged struct {
	Host     string `json:"host"`
	Revision int64  `json:"revision"`
}

// NetworkState fetches the network state of host.
func (c ConductorClient) NetworkState(ctx context.Context, host string) (model.HostNetworkState, error) {
	var st model.HostNetworkState
	err := c.call(ctx, MethodNetworkState, NetworkStateRequest{Host: host}, &st)
	return st, err
}
