package network

import (
	"errors"
	"net/netip"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// allocateIPs gives portID the addresses of reqs on network n: a request
// with an address takes exactly it (IpAddressInUse when held), one with a
// subnet only the next free address of the subnet's pools
// (IpAddressGenerationFailure when none is left). No requests: one address
// of the first IPv4 and of the first IPv6 subnet with room. It runs inside
// the network service's serialized write, and the store's unique key on
// (subnet, address) backs it: an address is never handed out twice.
func allocateIPs(tx store.NetTx, n *model.Network, portID, owner string, reqs []model.PortIP) ([]model.PortIP, error) {
	raw, err := tx.ListAll(model.KindSubnet, store.NetFilter{NetworkID: n.ID})
	if err != nil {
		return nil, err
	}
	subnets, err := decodeAll[model.Subnet](raw)
	if err != nil {
		return nil, err
	}
	out := []model.PortIP{}
	if reqs == nil {
		done := map[int]bool{}
		for _, sn := range subnets {
			if done[sn.IPVersion] {
				continue
			}
			ip, err := nextFree(tx, sn)
			if errors.Is(err, errNoFree) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if err := tx.UseIP(n.ID, sn.ID, ip, portID); err != nil {
				return nil, err
			}
			done[sn.IPVersion] = true
			out = append(out, model.PortIP{SubnetID: sn.ID, IPAddress: ip})
		}
		if len(subnets) > 0 && len(out) == 0 {
			return nil, noMoreIPs(n.ID)
		}
		return out, nil
	}
	for _, rq := range reqs {
		var sn *model.Subnet
		var addr netip.Addr
		if rq.IPAddress != "" {
			if addr, err = parseIP("fixed_ips", rq.IPAddress); err != nil {
				return nil, err
			}
		}
		for _, c := range subnets {
			p, err := netip.ParsePrefix(c.CIDR)
			if err != nil {
				continue
			}
			if (rq.SubnetID == "" || rq.SubnetID == c.ID) && (!addr.IsValid() || p.Contains(addr)) {
				sn = c
				break
			}
		}
		if sn == nil {
			if rq.SubnetID != "" && addr.IsValid() {
				return nil, badRequest("IP address %s is not a valid IP for the specified subnet.", rq.IPAddress)
			}
			if rq.SubnetID != "" {
				return nil, badRequest("Invalid input for operation: Failed to create port on network %s, because fixed_ips included invalid subnet %s.", n.ID, rq.SubnetID)
			}
			return nil, badRequest("Invalid input for operation: IP address %s is not a valid IP for any subnet on network %s.", rq.IPAddress, n.ID)
		}
		ip := ""
		if addr.IsValid() {
			p, _ := netip.ParsePrefix(sn.CIDR)
			if addr == p.Addr() || (addr.Is4() && addr == lastAddr(p)) {
				return nil, badRequest("IP address %s is not a valid IP for the specified subnet.", addr)
			}
			if addr.String() == sn.GatewayIP && owner != model.DeviceOwnerRouterInterface {
				return nil, ipInUse(addr.String(), n.ID)
			}
			ip = addr.String()
		} else if ip, err = nextFree(tx, sn); err != nil {
			if errors.Is(err, errNoFree) {
				return nil, noMoreIPs(n.ID)
			}
			return nil, err
		}
		if err := tx.UseIP(n.ID, sn.ID, ip, portID); err != nil {
			if errors.Is(err, errdefs.ErrAlreadyExists) {
				return nil, ipInUse(ip, n.ID)
			}
			return nil, err
		}
		out = append(out, model.PortIP{SubnetID: sn.ID, IPAddress: ip})
	}
	return out, nil
}

var errNoFree = errors.New("no free address")

// nextFree is the lowest address of sn's pools not held.
func nextFree(tx store.NetTx, sn *model.Subnet) (string, error) {
	used, err := tx.UsedIPs(sn.ID)
	if err != nil {
		return "", err
	}
	held := make(map[netip.Addr]bool, len(used))
	for _, u := range used {
		if a, err := netip.ParseAddr(u); err == nil {
			held[a] = true
		}
	}
	for _, r := range sn.AllocationPools {
		a, err1 := netip.ParseAddr(r.Start)
		b, err2 := netip.ParseAddr(r.End)
		if err1 != nil || err2 != nil {
			continue
		}
		for x := a; x.IsValid() && !b.Less(x); x = x.Next() {
			if !held[x] {
				return x.String(), nil
			}
		}
	}
	return "", errNoFree
}

func noMoreIPs(networkID string) error {
	return newErr(errdefs.ErrConflict, "IpAddressGenerationFailure", "No more IP addresses available on network %s.", networkID)
}

func ipInUse(ip, networkID string) error {
	return newErr(errdefs.ErrConflict, "IpAddressInUse", "Unable to complete operation for network %s. The IP address %s is in use.", networkID, ip)
}
