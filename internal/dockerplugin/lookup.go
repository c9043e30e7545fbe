package dockerplugin

import (
	"context"
	"io"
	"net/netip"
	"slices"

	"github.com/openzun/zun/internal/model"
)

var errEOF = io.EOF

// find looks up what f selects in the current state and, when it is not
// there, once more in a fresh state: the control plane binds a port (and
// casts network_changed) just before the create reaches this host.
func find[T any](ctx context.Context, src StateSource, f func(model.HostNetworkState) (T, bool)) (T, bool, error) {
	if v, ok := f(src.State()); ok {
		return v, true, nil
	}
	st, err := src.Refresh(ctx)
	// A record of the state that failed to apply (another network, a
	// router) must not stop the ports it does not concern: the data plane
	// applied the rest, and EnsurePort reports this port's own failure.
	if v, ok := f(st); ok {
		return v, true, nil
	}
	if err != nil {
		var zero T
		return zero, false, err
	}
	return *new(T), false, nil
}

func networkByID(id string) func(model.HostNetworkState) (model.NetworkSpec, bool) {
	return func(st model.HostNetworkState) (model.NetworkSpec, bool) {
		for _, n := range st.Networks {
			if n.ID == id {
				return n, true
			}
		}
		return model.NetworkSpec{}, false
	}
}

// portByAddress finds the port of network with address ip.
func portByAddress(network string, ip netip.Addr) func(model.HostNetworkState) (model.PortSpec, bool) {
	return func(st model.HostNetworkState) (model.PortSpec, bool) {
		for _, p := range st.Ports {
			if p.NetworkID != network {
				continue
			}
			if slices.ContainsFunc(p.IPs, func(s string) bool {
				a, err := netip.ParseAddr(s)
				return err == nil && a == ip
			}) {
				return p, true
			}
		}
		return model.PortSpec{}, false
	}
}

// subnetOf is the subnet of n holding ip.
func subnetOf(n model.NetworkSpec, ip netip.Addr) (model.SubnetSpec, netip.Prefix, bool) {
	for _, s := range n.Subnets {
		pfx, err := netip.ParsePrefix(s.CIDR)
		if err == nil && pfx.Contains(ip) {
			return s, pfx, true
		}
	}
	return model.SubnetSpec{}, netip.Prefix{}, false
}

// withPrefix renders ip in the prefix length of pfx ("10.0.0.5/24").
func withPrefix(ip netip.Addr, pfx netip.Prefix) string {
	return netip.PrefixFrom(ip, pfx.Bits()).String()
}
