package dockerplugin

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// createNetwork records which Zun network an engine network is: the
// network's --opt zun.network_id, which must name a network of this
// host's state.
func (p *Plugin) createNetwork(ctx context.Context, req *createNetworkRequest) (any, error) {
	id := genericOpt(req.Options, OptNetworkID)
	if id == "" {
		return nil, fmt.Errorf("network needs the option %s naming its Zun network", OptNetworkID)
	}
	if _, ok, err := find(ctx, p.state, networkByID(id)); err != nil {
		return nil, fmt.Errorf("failed to read the network state: %w", err)
	} else if !ok {
		return nil, fmt.Errorf("network %s has no port on this host", id)
	}
	p.mu.Lock()
	p.networks[req.NetworkID] = id
	p.mu.Unlock()
	p.log.Info("network created", "engine_network", req.NetworkID, "network", id)
	return struct{}{}, nil
}

func (p *Plugin) deleteNetwork(_ context.Context, req *networkRequest) (any, error) {
	p.mu.Lock()
	delete(p.networks, req.NetworkID)
	p.mu.Unlock()
	return struct{}{}, nil
}

// zunNetwork resolves an engine network ID.
func (p *Plugin) zunNetwork(ctx context.Context, engineID string) (string, error) {
	p.mu.Lock()
	id, ok := p.networks[engineID]
	p.mu.Unlock()
	if ok {
		return id, nil
	}
	// Created before this process started: the engine knows its name.
	if p.names == nil {
		return "", fmt.Errorf("unknown network %s", engineID)
	}
	id, err := p.names.NetworkName(ctx, engineID)
	if err != nil {
		return "", fmt.Errorf("failed to resolve network %s: %w", engineID, err)
	}
	p.mu.Lock()
	p.networks[engineID] = id
	p.mu.Unlock()
	return id, nil
}

// createEndpoint binds the endpoint to the port of the network that holds
// the address IPAM gave it, and makes the port's veth pair.
func (p *Plugin) createEndpoint(ctx context.Context, req *createEndpointRequest) (any, error) {
	if req.Interface == nil || req.Interface.Address == "" {
		return nil, fmt.Errorf("endpoint %s has no address: the network's IPAM driver must be %q", req.EndpointID, p.Name())
	}
	pfx, err := netip.ParsePrefix(req.Interface.Address)
	if err != nil {
		return nil, fmt.Errorf("bad endpoint address %q: %w", req.Interface.Address, err)
	}
	netID, err := p.zunNetwork(ctx, req.NetworkID)
	if err != nil {
		return nil, err
	}
	port, ok, err := find(ctx, p.state, portByAddress(netID, pfx.Addr()))
	if err != nil {
		return nil, fmt.Errorf("failed to read the network state: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("no port of network %s with address %s is bound to this host", netID, pfx.Addr())
	}
	if m := req.Interface.MacAddress; m != "" && !sameMAC(m, port.MAC) {
		return nil, fmt.Errorf("endpoint MAC %s is not port %s's MAC %s", m, port.ID, port.MAC)
	}
	peer, err := p.plane.EnsurePort(ctx, port.ID)
	if err != nil {
		return nil, fmt.Errorf("failed to plug port %s: %w", port.ID, err)
	}
	p.mu.Lock()
	p.endpoints[req.EndpointID] = endpoint{portID: port.ID, networkID: netID, peerIf: peer, ip: pfx.Addr().String(), noGateway: req.Options[OptNoGateway] == "true"}
	p.mu.Unlock()
	p.log.Info("endpoint bound", "endpoint", req.EndpointID, "port", port.ID, "ip", pfx.Addr())
	var resp createEndpointResponse
	// Docker refuses a MAC from the driver when it chose one itself.
	if req.Interface.MacAddress == "" {
		resp.Interface = &endpointInterface{MacAddress: port.MAC}
	}
	return resp, nil
}

func (p *Plugin) deleteEndpoint(ctx context.Context, req *endpointRequest) (any, error) {
	p.mu.Lock()
	ep, ok := p.endpoints[req.EndpointID]
	delete(p.endpoints, req.EndpointID)
	p.mu.Unlock()
	if !ok {
		// Bound before this process started: the veth went with the
		// container's namespace, and the next apply removes what is left.
		return struct{}{}, nil
	}
	if err := p.plane.ReleasePort(ctx, ep.portID); err != nil {
		return nil, fmt.Errorf("failed to unplug port %s: %w", ep.portID, err)
	}
	p.log.Info("endpoint released", "endpoint", req.EndpointID, "port", ep.portID)
	return struct{}{}, nil
}

// join hands Docker the container end of the port's veth and the
// subnet's gateway. Docker adds no bridge of its own: egress goes through
// the tenant network's router.
func (p *Plugin) join(ctx context.Context, req *joinRequest) (any, error) {
	p.mu.Lock()
	ep, ok := p.endpoints[req.EndpointID]
	p.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("unknown endpoint %s", req.EndpointID)
	}
	resp := joinResponse{InterfaceName: interfaceName{SrcName: ep.peerIf, DstPrefix: "eth"}, DisableGatewayService: true}
	n, found := networkByID(ep.networkID)(p.state.State())
	if !found {
		return resp, nil
	}
	ip, err := netip.ParseAddr(ep.ip)
	if err != nil {
		return nil, fmt.Errorf("bad endpoint address %q: %w", ep.ip, err)
	}
	// The engine gives the default route to the first endpoint with a
	// gateway in the order of network names, and publishes host ports only
	// through that endpoint. A container publishing host ports is also on
	// the engine's bridge, which must then be the one with the gateway: its
	// tenant endpoints ask for none, and their subnets stay on-link.
	if s, _, ok := subnetOf(n, ip); ok && s.GatewayIP != "" && !ep.noGateway {
		if ip.Is4() {
			resp.Gateway = s.GatewayIP
		} else {
			resp.GatewayIPv6 = s.GatewayIP
		}
	}
	return resp, nil
}

// genericOpt reads key from the --opt map Docker passes in options.
func genericOpt(opts map[string]any, key string) string {
	g, ok := opts[genericOption].(map[string]any)
	if !ok {
		return ""
	}
	s, _ := g[key].(string)
	return s
}

func sameMAC(a, b string) bool {
	x, err1 := net.ParseMAC(a)
	y, err2 := net.ParseMAC(b)
	if err1 != nil || err2 != nil {
		return strings.EqualFold(a, b)
	}
	return x.String() == y.String()
}
