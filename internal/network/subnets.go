package network

import (
	"context"
	"net/netip"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// NoGateway in Subnet.GatewayIP of a create asks for a subnet without
// gateway (Neutron's gateway_ip: null); "" picks the first address.
const NoGateway = "none"

// CreateSubnet validates sn (CIDR, gateway, pools, DNS) and creates it on
// a network the caller owns; overlapping another subnet of the network is
// a 400, as Neutron answers.
func (s *Service) CreateSubnet(ctx context.Context, sn *model.Subnet) error {
	if sn.ID == "" {
		sn.ID = uuid.NewString()
	}
	p, err := parseCIDR(sn.CIDR)
	if err != nil {
		return err
	}
	ver := 4
	if p.Addr().Is6() {
		ver = 6
	}
	if sn.IPVersion == 0 {
		sn.IPVersion = ver
	}
	if sn.IPVersion != ver {
		return badRequest("Invalid input for operation: cidr %s does not match ip_version %d.", sn.CIDR, sn.IPVersion)
	}
	if (ver == 4 && p.Bits() > 30) || (ver == 6 && p.Bits() > 126) {
		return badRequest("Invalid input for operation: subnet %s is too small.", sn.CIDR)
	}
	var gw netip.Addr
	switch sn.GatewayIP {
	case NoGateway:
		sn.GatewayIP = ""
	case "":
		gw = p.Addr().Next()
		sn.GatewayIP = gw.String()
	default:
		if gw, err = parseIP("gateway_ip", sn.GatewayIP); err != nil {
			return err
		}
		if !p.Contains(gw) || gw == p.Addr() || (ver == 4 && gw == lastAddr(p)) {
			return badRequest("Invalid input for operation: Gateway IP %s conflicts with the subnet %s.", sn.GatewayIP, sn.CIDR)
		}
		sn.GatewayIP = gw.String()
	}
	pools, err := checkPools(sn, p, gw)
	if err != nil {
		return err
	}
	sn.AllocationPools = pools
	if sn.DNSNameservers == nil {
		sn.DNSNameservers = []string{}
	}
	seen := map[string]bool{}
	for i, d := range sn.DNSNameservers {
		a, err := parseIP("dns_nameservers", d)
		if err != nil {
			return err
		}
		if seen[a.String()] {
			return badRequest("Duplicate nameserver '%s'.", d)
		}
		seen[a.String()] = true
		sn.DNSNameservers[i] = a.String()
	}
	if sn.HostRoutes == nil {
		sn.HostRoutes = []model.HostRoute{}
	}
	for _, hr := range sn.HostRoutes {
		if _, err := netip.ParsePrefix(hr.Destination); err != nil {
			return badRequest("Invalid input for host_routes. Reason: '%s' is not a valid IP subnet.", hr.Destination)
		}
		if _, err := parseIP("host_routes", hr.NextHop); err != nil {
			return err
		}
	}
	_, err = s.write(ctx, func(tx store.NetTx, t *touched) error {
		n, err := getOwn[model.Network](tx, ctx, model.KindNetwork, sn.NetworkID)
		if err != nil {
			return err
		}
		sn.ProjectID = n.ProjectID
		if project, all, _ := caller(ctx); !all {
			sn.ProjectID = project
		}
		raw, err := tx.ListAll(model.KindSubnet, store.NetFilter{NetworkID: n.ID})
		if err != nil {
			return err
		}
		others, err := decodeAll[model.Subnet](raw)
		if err != nil {
			return err
		}
		for _, o := range others {
			if op, err := netip.ParsePrefix(o.CIDR); err == nil && op.Overlaps(p) {
				return badRequest("Invalid input for operation: Requested subnet with cidr: %s for network: %s overlaps with another subnet.", sn.CIDR, n.ID)
			}
		}
		sn.Shared = n.Shared || n.External
		t.network(n.ID)
		return tx.Put(model.KindSubnet, sn, store.NetIndex{NetworkID: n.ID, Public: sn.Shared})
	})
	return err
}

// checkPools validates the requested pools (inside the CIDR, not over the
// gateway or each other) or computes the default ones.
func checkPools(sn *model.Subnet, p netip.Prefix, gw netip.Addr) ([]model.IPRange, error) {
	var ranges []ipRange
	if len(sn.AllocationPools) == 0 {
		ranges = defaultPool(p, gw)
	}
	for _, r := range sn.AllocationPools {
		a, err := parseIP("allocation_pools", r.Start)
		if err != nil {
			return nil, err
		}
		b, err := parseIP("allocation_pools", r.End)
		if err != nil {
			return nil, err
		}
		if a.Is4() != p.Addr().Is4() || b.Less(a) {
			return nil, badRequest("Invalid input for operation: The allocation pool %s-%s is not valid.", r.Start, r.End)
		}
		if !p.Contains(a) || !p.Contains(b) {
			return nil, badRequest("The allocation pool %s-%s spans beyond the subnet cidr %s.", r.Start, r.End, sn.CIDR)
		}
		if a == p.Addr() || (p.Addr().Is4() && b == lastAddr(p)) {
			return nil, badRequest("The allocation pool %s-%s spans beyond the subnet cidr %s.", r.Start, r.End, sn.CIDR)
		}
		nr := ipRange{a, b}
		if gw.IsValid() && nr.contains(gw) {
			return nil, badRequest("Gateway ip %s conflicts with allocation pool %s-%s.", gw, r.Start, r.End)
		}
		for _, o := range ranges {
			if o.overlaps(nr) {
				return nil, badRequest("Found overlapping allocation pools: %s-%s and %s-%s.", o.start, o.end, a, b)
			}
		}
		ranges = append(ranges, nr)
	}
	out := make([]model.IPRange, 0, len(ranges))
	for _, r := range ranges {
		out = append(out, model.IPRange{Start: r.start.String(), End: r.end.String()})
	}
	return out, nil
}

// GetSubnet returns a subnet the caller may read.
func (s *Service) GetSubnet(ctx context.Context, id string) (*model.Subnet, error) {
	return readOne[model.Subnet](ctx, s, model.KindSubnet, id)
}

// ListSubnets lists the subnets the caller may read.
func (s *Service) ListSubnets(ctx context.Context, f store.NetFilter) ([]*model.Subnet, error) {
	return readList[model.Subnet](ctx, s, model.KindSubnet, f)
}

// UpdateSubnet applies fn to the caller's subnet: name, description, DNS
// servers, host routes and the gateway may change; CIDR and pools stay.
func (s *Service) UpdateSubnet(ctx context.Context, id string, fn func(sn *model.Subnet) error) (*model.Subnet, error) {
	var out *model.Subnet
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		sn, err := getOwn[model.Subnet](tx, ctx, model.KindSubnet, id)
		if err != nil {
			return err
		}
		orig := *sn
		if err := fn(sn); err != nil {
			return err
		}
		sn.CIDR, sn.IPVersion, sn.NetworkID, sn.AllocationPools, sn.Shared = orig.CIDR, orig.IPVersion, orig.NetworkID, orig.AllocationPools, orig.Shared
		p, _ := netip.ParsePrefix(sn.CIDR)
		if sn.GatewayIP != orig.GatewayIP && sn.GatewayIP != "" {
			gw, err := parseIP("gateway_ip", sn.GatewayIP)
			if err != nil {
				return err
			}
			if !p.Contains(gw) || gw == p.Addr() {
				return badRequest("Invalid input for operation: Gateway IP %s conflicts with the subnet %s.", sn.GatewayIP, sn.CIDR)
			}
			for _, r := range sn.AllocationPools {
				a, _ := netip.ParseAddr(r.Start)
				b, _ := netip.ParseAddr(r.End)
				if (ipRange{a, b}).contains(gw) {
					return badRequest("Gateway ip %s conflicts with allocation pool %s-%s.", gw, r.Start, r.End)
				}
			}
			sn.GatewayIP = gw.String()
		}
		for i, d := range sn.DNSNameservers {
			a, err := parseIP("dns_nameservers", d)
			if err != nil {
				return err
			}
			sn.DNSNameservers[i] = a.String()
		}
		t.network(sn.NetworkID)
		out = sn
		return tx.Put(model.KindSubnet, sn, store.NetIndex{NetworkID: sn.NetworkID, Public: sn.Shared})
	})
	return out, err
}

// DeleteSubnet deletes the caller's subnet; one with allocated addresses
// is SubnetInUse.
func (s *Service) DeleteSubnet(ctx context.Context, id string) error {
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		sn, err := getOwn[model.Subnet](tx, ctx, model.KindSubnet, id)
		if err != nil {
			return err
		}
		used, err := tx.UsedIPs(id)
		if err != nil {
			return err
		}
		if len(used) > 0 {
			return inUse("SubnetInUse", "Unable to complete operation on subnet %s: One or more ports have an IP allocation from this subnet.", id)
		}
		t.network(sn.NetworkID)
		return tx.Delete(model.KindSubnet, id)
	})
	return err
}
