package netplane

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/openzun/zun/internal/model"
)

// index is a validated view of a HostNetworkState. Entries that fail
// validation are left out (and reported), so one bad record never stops the
// rest of the host's networking.
type index struct {
	state    model.HostNetworkState
	networks map[string]*model.NetworkSpec
	ports    map[string]*model.PortSpec
	portIDs  []string // sorted
	groups   map[string]*model.SecurityGroupSpec
	remote   map[string][]model.RemotePort // by network
	routers  []*model.RouterSpec
}

func buildIndex(st model.HostNetworkState) (*index, error) {
	ix := &index{
		state:    st,
		networks: map[string]*model.NetworkSpec{},
		ports:    map[string]*model.PortSpec{},
		groups:   map[string]*model.SecurityGroupSpec{},
		remote:   map[string][]model.RemotePort{},
	}
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	for i := range st.Networks {
		n := &st.Networks[i]
		if err := validID(n.ID); err != nil {
			bad("network: %w", err)
			continue
		}
		switch n.Type {
		case model.NetworkTypeVXLAN:
			if n.SegmentationID < 1 || n.SegmentationID > 1<<24-1 {
				bad("network %s: segmentation id %d out of range", n.ID, n.SegmentationID)
				continue
			}
		case model.NetworkTypeFlat:
			if n.PhysicalNetwork == "" {
				bad("network %s: flat network without physical network", n.ID)
				continue
			}
		default:
			bad("network %s: unknown type %q", n.ID, n.Type)
			continue
		}
		if n.MTU != 0 && (n.MTU < 576 || n.MTU > 9000) {
			bad("network %s: mtu %d out of range", n.ID, n.MTU)
			continue
		}
		ix.networks[n.ID] = n
	}
	for i := range st.SecurityGroups {
		g := &st.SecurityGroups[i]
		if err := validID(g.ID); err != nil {
			bad("security group: %w", err)
			continue
		}
		valid := *g
		valid.Rules = nil
		for _, r := range g.Rules {
			if err := validRule(r); err != nil {
				bad("security group %s rule %s: %w", g.ID, r.ID, err)
				continue // a rule left out only ever allows less
			}
			valid.Rules = append(valid.Rules, r)
		}
		if err := allAddrs(g.MemberIPs); err != nil {
			bad("security group %s members: %w", g.ID, err)
			valid.MemberIPs = nil
		}
		ix.groups[g.ID] = &valid
	}
	for i := range st.Ports {
		p := &st.Ports[i]
		if err := validID(p.ID); err != nil {
			bad("port: %w", err)
			continue
		}
		if _, ok := ix.networks[p.NetworkID]; !ok {
			bad("port %s: network %q not in state", p.ID, p.NetworkID)
			continue
		}
		if err := validPort(p, ix.groups); err != nil {
			bad("port %s: %w", p.ID, err)
			continue
		}
		ix.ports[p.ID] = p
		ix.portIDs = append(ix.portIDs, p.ID)
	}
	slices.Sort(ix.portIDs)
	for _, r := range st.Remote {
		n, ok := ix.networks[r.NetworkID]
		if !ok || n.Type != model.NetworkTypeVXLAN {
			continue // nothing to tunnel to
		}
		if _, err := net.ParseMAC(r.MAC); err != nil {
			bad("remote port on %s: bad mac %q", r.NetworkID, r.MAC)
			continue
		}
		if _, err := netip.ParseAddr(r.VTEP); err != nil {
			bad("remote port on %s: bad vtep %q", r.NetworkID, r.VTEP)
			continue
		}
		if err := allAddrs(r.IPs); err != nil {
			bad("remote port on %s: %w", r.NetworkID, err)
			continue
		}
		ix.remote[r.NetworkID] = append(ix.remote[r.NetworkID], r)
	}
	for i := range st.Routers {
		r := &st.Routers[i]
		if err := validRouter(r, ix.networks); err != nil {
			bad("router %s: %w", r.ID, err)
			continue
		}
		ix.routers = append(ix.routers, r)
	}
	return ix, errors.Join(errs...)
}

func allAddrs(ips []string) error {
	for _, s := range ips {
		if _, err := netip.ParseAddr(s); err != nil {
			return fmt.Errorf("bad address %q", s)
		}
	}
	return nil
}

func validPort(p *model.PortSpec, groups map[string]*model.SecurityGroupSpec) error {
	if _, err := net.ParseMAC(p.MAC); err != nil || len(p.MAC) != 17 {
		return fmt.Errorf("bad mac %q", p.MAC)
	}
	if err := allAddrs(p.IPs); err != nil {
		return err
	}
	for _, g := range p.SecurityGroups {
		if _, ok := groups[g]; !ok && p.PortSecurity {
			return fmt.Errorf("security group %q not in state", g)
		}
	}
	for _, pair := range p.AllowedAddressPairs {
		if _, err := parsePrefix(pair.IPAddress); err != nil {
			return fmt.Errorf("allowed address pair: %w", err)
		}
		if pair.MACAddress != "" {
			if _, err := net.ParseMAC(pair.MACAddress); err != nil || len(pair.MACAddress) != 17 {
				return fmt.Errorf("allowed address pair: bad mac %q", pair.MACAddress)
			}
		}
	}
	return nil
}

// parsePrefix accepts an address or a CIDR.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("bad prefix %q", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad address %q", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func validRouter(r *model.RouterSpec, networks map[string]*model.NetworkSpec) error {
	if err := validID(r.ID); err != nil {
		return err
	}
	for _, itf := range r.Interfaces {
		if err := validID(itf.PortID); err != nil {
			return fmt.Errorf("interface: %w", err)
		}
		if _, ok := networks[itf.NetworkID]; !ok {
			return fmt.Errorf("interface %s: network %q not in state", itf.PortID, itf.NetworkID)
		}
		if _, err := net.ParseMAC(itf.MAC); err != nil {
			return fmt.Errorf("interface %s: bad mac %q", itf.PortID, itf.MAC)
		}
		if _, err := ifPrefix(itf.IP, itf.CIDR); err != nil {
			return fmt.Errorf("interface %s: %w", itf.PortID, err)
		}
	}
	if gw := r.Gateway; gw != nil {
		if err := validID(gw.PortID); err != nil {
			return fmt.Errorf("gateway: %w", err)
		}
		n, ok := networks[gw.NetworkID]
		if !ok || n.Type != model.NetworkTypeFlat {
			return fmt.Errorf("gateway: external network %q not a flat network of the state", gw.NetworkID)
		}
		if _, err := net.ParseMAC(gw.MAC); err != nil {
			return fmt.Errorf("gateway: bad mac %q", gw.MAC)
		}
		if _, err := ifPrefix(gw.IP, gw.CIDR); err != nil {
			return fmt.Errorf("gateway: %w", err)
		}
		if gw.GatewayIP != "" {
			if _, err := netip.ParseAddr(gw.GatewayIP); err != nil {
				return fmt.Errorf("gateway: bad gateway ip %q", gw.GatewayIP)
			}
		}
	}
	for _, f := range r.FloatingIPs {
		a, err1 := netip.ParseAddr(f.FloatingIP)
		b, err2 := netip.ParseAddr(f.FixedIP)
		if err1 != nil || err2 != nil || !a.Is4() || !b.Is4() {
			return fmt.Errorf("floating ip %s: bad addresses %q -> %q", f.ID, f.FloatingIP, f.FixedIP)
		}
		if r.Gateway == nil {
			return fmt.Errorf("floating ip %s on a router without gateway", f.ID)
		}
	}
	return nil
}

// ifPrefix combines an address and its subnet's CIDR into ip/len.
func ifPrefix(ip, cidr string) (netip.Prefix, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad address %q", ip)
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Contains(a) {
		return netip.Prefix{}, fmt.Errorf("address %q not in %q", ip, cidr)
	}
	return netip.PrefixFrom(a, p.Bits()), nil
}

// subnetOf finds the subnet of a network that holds an address.
func subnetOf(n *model.NetworkSpec, ip netip.Addr) (*model.SubnetSpec, netip.Prefix, bool) {
	for i := range n.Subnets {
		p, err := netip.ParsePrefix(n.Subnets[i].CIDR)
		if err == nil && p.Contains(ip) {
			return &n.Subnets[i], p, true
		}
	}
	return nil, netip.Prefix{}, false
}
