package network

import (
	"context"
	"errors"
	"net/netip"
	"slices"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

func portIndex(p *model.Port) store.NetIndex {
	return store.NetIndex{NetworkID: p.NetworkID, DeviceID: p.DeviceID, Host: p.HostID}
}

// PortOptions are what a port create leaves to the service: FixedIPs nil
// asks for automatic addresses, SecurityGroups nil for the default group.
type PortOptions struct {
	// FixedIPs requested; entries may name only a subnet or only an
	// address.
	FixedIPs []model.PortIP
	// PortSecurity nil inherits the network's.
	PortSecurity *bool
}

// CreatePort creates p on a network the caller owns or that is shared
// (an admin: any), allocating its MAC and addresses.
func (s *Service) CreatePort(ctx context.Context, p *model.Port, o PortOptions) error {
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		n, err := getNet[model.Network](tx, model.KindNetwork, p.NetworkID)
		if err != nil {
			return err
		}
		project, all, err := caller(ctx)
		if err != nil {
			return err
		}
		if !all && n.ProjectID != project && !n.Shared {
			return notFound(model.KindNetwork, p.NetworkID)
		}
		return s.createPort(tx, t, n, p, o)
	})
	return err
}

// createPort creates p on n without the caller's checks (the service's own
// ports: router interfaces and gateways, floating IPs).
func (s *Service) createPort(tx store.NetTx, t *touched, n *model.Network, p *model.Port, o PortOptions) error {
	p.ID = uuid.NewString()
	if p.ProjectID == "" {
		p.ProjectID = n.ProjectID
	}
	p.NetworkID, p.AdminStateUp = n.ID, true
	p.PortSecurity = n.PortSecurity
	if o.PortSecurity != nil {
		p.PortSecurity = *o.PortSecurity
	}
	if p.MAC == "" {
		for range 8 {
			p.MAC = randomMAC()
			err := tx.UseMAC(n.ID, p.MAC, p.ID)
			if err == nil {
				break
			}
			if !errors.Is(err, errdefs.ErrAlreadyExists) {
				return err
			}
			p.MAC = ""
		}
		if p.MAC == "" {
			return newErr(errdefs.ErrConflict, "MacAddressGenerationFailure", "Unable to generate unique mac on network %s.", n.ID)
		}
	} else {
		mac, err := normMAC(p.MAC)
		if err != nil {
			return err
		}
		p.MAC = mac
		if err := tx.UseMAC(n.ID, mac, p.ID); err != nil {
			if errors.Is(err, errdefs.ErrAlreadyExists) {
				return inUse("MacAddressInUse", "Unable to complete operation for network %s. The mac address %s is in use.", n.ID, mac)
			}
			return err
		}
	}
	ips, err := allocateIPs(tx, n, p.ID, p.DeviceOwner, o.FixedIPs)
	if err != nil {
		return err
	}
	p.FixedIPs = ips
	if err := s.checkPortSecurity(tx, p); err != nil {
		return err
	}
	if err := checkPairs(p); err != nil {
		return err
	}
	p.Status = portStatus(p)
	t.network(n.ID)
	t.host(p.HostID)
	return tx.Put(model.KindPort, p, portIndex(p))
}

func portStatus(p *model.Port) string {
	if p.HostID != "" && p.DeviceID != "" {
		return "ACTIVE"
	}
	return "DOWN"
}

// checkPortSecurity sets a compute port's default group and checks that
// the groups exist in the port's project.
func (s *Service) checkPortSecurity(tx store.NetTx, p *model.Port) error {
	if !p.PortSecurity {
		if len(p.SecurityGroups) > 0 {
			return newErr(errdefs.ErrConflict, "PortSecurityAndIPRequiredForSecurityGroups", "Port security must be enabled and port must have an IP address in order to use security groups.")
		}
		if len(p.AllowedAddressPairs) > 0 {
			return newErr(errdefs.ErrConflict, "AddressPairAndPortSecurityRequired", "Port Security must be enabled in order to have allowed address pairs on a port.")
		}
		p.SecurityGroups = []string{}
		return nil
	}
	if p.SecurityGroups == nil {
		if isServicePort(p.DeviceOwner) {
			p.SecurityGroups = []string{}
			return nil
		}
		id, err := ensureDefaultGroup(tx, p.ProjectID)
		if err != nil {
			return err
		}
		p.SecurityGroups = []string{id}
		return nil
	}
	for _, id := range p.SecurityGroups {
		raw, err := tx.ListAll(model.KindSecurityGroup, store.NetFilter{ProjectID: p.ProjectID})
		if err != nil {
			return err
		}
		gs, err := decodeAll[model.SecurityGroup](raw)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(gs, func(g *model.SecurityGroup) bool { return g.ID == id }) {
			return notFound(model.KindSecurityGroup, id)
		}
	}
	return nil
}

func checkPairs(p *model.Port) error {
	if p.AllowedAddressPairs == nil {
		p.AllowedAddressPairs = []model.AddressPair{}
	}
	for i, ap := range p.AllowedAddressPairs {
		if _, err := netip.ParsePrefix(ap.IPAddress); err != nil {
			if _, err := netip.ParseAddr(ap.IPAddress); err != nil {
				return badRequest("Invalid input for allowed_address_pairs. Reason: '%s' is not a valid IP address.", ap.IPAddress)
			}
		}
		if ap.MACAddress == "" {
			p.AllowedAddressPairs[i].MACAddress = p.MAC
		} else if mac, err := normMAC(ap.MACAddress); err != nil {
			return err
		} else {
			p.AllowedAddressPairs[i].MACAddress = mac
		}
	}
	return nil
}

// isServicePort reports the device owners of the network service's own
// ports (router, floating IP, DHCP): no security groups, no tenant use.
func isServicePort(owner string) bool {
	return len(owner) >= 8 && owner[:8] == "network:"
}

// GetPort returns a port of the caller.
func (s *Service) GetPort(ctx context.Context, id string) (*model.Port, error) {
	return readOne[model.Port](ctx, s, model.KindPort, id)
}

// ListPorts lists the caller's ports.
func (s *Service) ListPorts(ctx context.Context, f store.NetFilter) ([]*model.Port, error) {
	return readList[model.Port](ctx, s, model.KindPort, f)
}

// PortUpdate is a port update: fn changes the record; FixedIPs non-nil
// replaces the addresses (kept ones stay, new ones are allocated).
type PortUpdate struct {
	Apply    func(p *model.Port) error
	FixedIPs []model.PortIP
}

// UpdatePort updates a port of the caller.
func (s *Service) UpdatePort(ctx context.Context, id string, u PortUpdate) (*model.Port, error) {
	var out *model.Port
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		p, err := getOwn[model.Port](tx, ctx, model.KindPort, id)
		if err != nil {
			return err
		}
		out, err = s.updatePort(tx, t, p, u)
		return err
	})
	return out, err
}

func (s *Service) updatePort(tx store.NetTx, t *touched, p *model.Port, u PortUpdate) (*model.Port, error) {
	orig := *p
	t.host(orig.HostID)
	if u.Apply != nil {
		if err := u.Apply(p); err != nil {
			return nil, err
		}
	}
	p.NetworkID, p.MAC = orig.NetworkID, orig.MAC
	if u.FixedIPs != nil {
		n, err := getNet[model.Network](tx, model.KindNetwork, p.NetworkID)
		if err != nil {
			// The network is another project's and not shared: a system
			// read is the service's own business here.
			raw, lerr := tx.ListAll(model.KindNetwork, store.NetFilter{})
			if lerr != nil {
				return nil, lerr
			}
			all, derr := decodeAll[model.Network](raw)
			if derr != nil {
				return nil, derr
			}
			i := slices.IndexFunc(all, func(x *model.Network) bool { return x.ID == p.NetworkID })
			if i < 0 {
				return nil, err
			}
			n = all[i]
		}
		var keep, add []model.PortIP
		for _, rq := range u.FixedIPs {
			if rq.IPAddress != "" && slices.ContainsFunc(orig.FixedIPs, func(o model.PortIP) bool {
				return o.IPAddress == rq.IPAddress && (rq.SubnetID == "" || rq.SubnetID == o.SubnetID)
			}) {
				for _, o := range orig.FixedIPs {
					if o.IPAddress == rq.IPAddress {
						keep = append(keep, o)
					}
				}
				continue
			}
			add = append(add, rq)
		}
		for _, o := range orig.FixedIPs {
			if !slices.Contains(keep, o) {
				if err := tx.ReleaseIP(o.SubnetID, o.IPAddress); err != nil {
					return nil, err
				}
			}
		}
		got := []model.PortIP{}
		if len(add) > 0 {
			if got, err = allocateIPs(tx, n, p.ID, p.DeviceOwner, add); err != nil {
				return nil, err
			}
		}
		p.FixedIPs = append(keep, got...)
	}
	if err := s.checkPortSecurity(tx, p); err != nil {
		return nil, err
	}
	if err := checkPairs(p); err != nil {
		return nil, err
	}
	p.Status = portStatus(p)
	t.network(p.NetworkID)
	t.host(p.HostID)
	return p, tx.Put(model.KindPort, p, portIndex(p))
}

// DeletePort deletes a port of the caller; router ports go through the
// router API (PortInUse... as Neutron: 409).
func (s *Service) DeletePort(ctx context.Context, id string) error {
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		p, err := getOwn[model.Port](tx, ctx, model.KindPort, id)
		if err != nil {
			return err
		}
		if p.DeviceOwner == model.DeviceOwnerRouterInterface || p.DeviceOwner == model.DeviceOwnerRouterGateway || p.DeviceOwner == model.DeviceOwnerFloatingIP {
			return newErr(errdefs.ErrConflict, "ServicePortInUse", "Port %s cannot be deleted directly via the port API: has device owner %s.", id, p.DeviceOwner)
		}
		return deletePort(tx, t, p)
	})
	return err
}

// deletePort frees p's addresses and MAC, disassociates its floating IPs
// and deletes it.
func deletePort(tx store.NetTx, t *touched, p *model.Port) error {
	if err := tx.ReleaseIPs(p.ID); err != nil {
		return err
	}
	if err := tx.ReleaseMACs(p.ID); err != nil {
		return err
	}
	raw, err := tx.ListAll(model.KindFloatingIP, store.NetFilter{DeviceID: p.ID})
	if err != nil {
		return err
	}
	fips, err := decodeAll[model.FloatingIP](raw)
	if err != nil {
		return err
	}
	for _, f := range fips {
		f.PortID, f.FixedIPAddress, f.RouterID, f.Status = "", "", "", "DOWN"
		if err := tx.Put(model.KindFloatingIP, f, fipIndex(f)); err != nil {
			return err
		}
	}
	t.network(p.NetworkID)
	t.host(p.HostID)
	return tx.Delete(model.KindPort, p.ID)
}
