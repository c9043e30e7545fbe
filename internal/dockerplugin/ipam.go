package dockerplugin

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
)

// requestPool answers a subnet of the network named by the --ipam-opt
// zun.network_id. The pool ID carries both, since Zun networks of
// different projects may use the same CIDR.
func (p *Plugin) requestPool(ctx context.Context, req *requestPoolRequest) (any, error) {
	id := req.Options[OptNetworkID]
	if id == "" {
		return nil, fmt.Errorf("pool needs the IPAM option %s naming its Zun network", OptNetworkID)
	}
	if req.Pool == "" {
		return nil, fmt.Errorf("pool of network %s needs its subnet", id)
	}
	want, err := netip.ParsePrefix(req.Pool)
	if err != nil {
		return nil, fmt.Errorf("bad pool %q: %w", req.Pool, err)
	}
	n, ok, err := find(ctx, p.state, networkByID(id))
	if err != nil {
		return nil, fmt.Errorf("failed to read the network state: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("network %s has no port on this host", id)
	}
	for _, s := range n.Subnets {
		pfx, err := netip.ParsePrefix(s.CIDR)
		if err != nil || pfx.Masked() != want.Masked() {
			continue
		}
		resp := requestPoolResponse{PoolID: id + "/" + pfx.Masked().String(), Pool: pfx.Masked().String(), Data: map[string]string{}}
		if gw, err := netip.ParseAddr(s.GatewayIP); err == nil {
			resp.Data[gatewayRequest] = withPrefix(gw, pfx)
		}
		return resp, nil
	}
	return nil, fmt.Errorf("network %s has no subnet %s", id, req.Pool)
}

// requestAddress answers the subnet's gateway, or the address of a port of
// that network bound to this host. It never picks an address itself.
func (p *Plugin) requestAddress(ctx context.Context, req *requestAddressRequest) (any, error) {
	netID, cidr, ok := strings.Cut(req.PoolID, "/")
	if !ok {
		return nil, fmt.Errorf("unknown pool %q", req.PoolID)
	}
	pfx, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("unknown pool %q", req.PoolID)
	}
	var want netip.Addr
	if req.Address != "" {
		if want, err = netip.ParseAddr(req.Address); err != nil {
			return nil, fmt.Errorf("bad address %q: %w", req.Address, err)
		}
	}
	if req.Options[requestAddressType] == gatewayRequest {
		n, ok, err := find(ctx, p.state, networkByID(netID))
		if err != nil {
			return nil, fmt.Errorf("failed to read the network state: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("network %s has no port on this host", netID)
		}
		for _, s := range n.Subnets {
			sp, err := netip.ParsePrefix(s.CIDR)
			if err != nil || sp.Masked() != pfx.Masked() {
				continue
			}
			gw, err := netip.ParseAddr(s.GatewayIP)
			if err != nil {
				return nil, fmt.Errorf("subnet %s of network %s has no gateway", s.CIDR, netID)
			}
			if want.IsValid() && want != gw {
				return nil, fmt.Errorf("gateway of subnet %s is %s, not %s", s.CIDR, gw, want)
			}
			return requestAddressResponse{Address: withPrefix(gw, pfx)}, nil
		}
		return nil, fmt.Errorf("network %s has no subnet %s", netID, cidr)
	}
	if !want.IsValid() {
		return nil, fmt.Errorf("network %s: an address must be requested (the port's fixed IP); this IPAM driver never picks one", netID)
	}
	if !pfx.Contains(want) {
		return nil, fmt.Errorf("address %s is not in subnet %s", want, pfx)
	}
	if _, ok, err := find(ctx, p.state, portByAddress(netID, want)); err != nil {
		return nil, fmt.Errorf("failed to read the network state: %w", err)
	} else if !ok {
		return nil, fmt.Errorf("no port of network %s with address %s is bound to this host", netID, want)
	}
	return requestAddressResponse{Address: withPrefix(want, pfx)}, nil
}
