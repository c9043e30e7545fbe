package network

import (
	"context"
	"net/netip"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

func fipIndex(f *model.FloatingIP) store.NetIndex {
	return store.NetIndex{NetworkID: f.FloatingNetworkID, DeviceID: f.PortID}
}

// CreateFloatingIP allocates an address of an external network to the
// caller, associated with portID (the caller's) when given.
func (s *Service) CreateFloatingIP(ctx context.Context, f *model.FloatingIP) error {
	f.ID = uuid.NewString()
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		project, all, err := caller(ctx)
		if err != nil {
			return err
		}
		if f.ProjectID == "" || !all {
			f.ProjectID = project
		}
		n, err := getNet[model.Network](tx, model.KindNetwork, f.FloatingNetworkID)
		if err != nil {
			return err
		}
		if !n.External {
			return badRequest("Bad floatingip request: Network %s is not a valid external network.", n.ID)
		}
		var reqs []model.PortIP
		if f.FloatingIPAddress != "" {
			reqs = []model.PortIP{{IPAddress: f.FloatingIPAddress}}
		}
		p := &model.Port{NetMeta: model.NetMeta{ProjectID: f.ProjectID}, DeviceID: f.ID, DeviceOwner: model.DeviceOwnerFloatingIP}
		off := false
		if err := s.createPort(tx, t, n, p, PortOptions{FixedIPs: reqs, PortSecurity: &off}); err != nil {
			return err
		}
		if len(p.FixedIPs) == 0 {
			return badRequest("Bad floatingip request: Network %s has no subnet.", n.ID)
		}
		f.FloatingPortID, f.FloatingIPAddress, f.Status = p.ID, p.FixedIPs[0].IPAddress, "DOWN"
		if f.PortID != "" {
			if err := associate(tx, ctx, t, f, f.PortID, f.FixedIPAddress); err != nil {
				return err
			}
		} else {
			f.FixedIPAddress = ""
		}
		return tx.Put(model.KindFloatingIP, f, fipIndex(f))
	})
	return err
}

// associate points f at the caller's port: its router is the one with a
// gateway on f's network and an interface on the port's subnet.
func associate(tx store.NetTx, ctx context.Context, t *touched, f *model.FloatingIP, portID, fixed string) error {
	p, err := getOwn[model.Port](tx, ctx, model.KindPort, portID)
	if err != nil {
		return err
	}
	var ip *model.PortIP
	for i, x := range p.FixedIPs {
		a, err := netip.ParseAddr(x.IPAddress)
		if err != nil || !a.Is4() {
			continue
		}
		if fixed == "" || fixed == x.IPAddress {
			ip = &p.FixedIPs[i]
			break
		}
	}
	if ip == nil {
		if fixed != "" {
			return badRequest("Bad floatingip request: Port %s does not have fixed ip %s.", portID, fixed)
		}
		return badRequest("Bad floatingip request: Port %s does not have any IPv4 address.", portID)
	}
	others, err := tx.ListAll(model.KindFloatingIP, store.NetFilter{DeviceID: portID})
	if err != nil {
		return err
	}
	list, err := decodeAll[model.FloatingIP](others)
	if err != nil {
		return err
	}
	for _, o := range list {
		if o.ID != f.ID && o.FixedIPAddress == ip.IPAddress {
			return inUse("FloatingIPPortAlreadyAssociated", "Cannot associate floating IP %s with port %s using fixed IP %s, as that fixed IP already has a floating IP on external network %s.", f.FloatingIPAddress, portID, ip.IPAddress, o.FloatingNetworkID)
		}
	}
	routerID, host, err := routerFor(tx, f.FloatingNetworkID, ip.SubnetID)
	if err != nil {
		return err
	}
	if routerID == "" {
		return newErr(errdefs.ErrNotFound, "ExternalGatewayForFloatingIPNotFound", "External network %s is not reachable from subnet %s. Therefore, cannot associate Port %s with a Floating IP.", f.FloatingNetworkID, ip.SubnetID, portID)
	}
	f.PortID, f.FixedIPAddress, f.RouterID, f.Status = p.ID, ip.IPAddress, routerID, "ACTIVE"
	t.host(host)
	t.network(p.NetworkID)
	return nil
}

// routerFor finds the router with a gateway on extNet and an interface on
// subnetID.
func routerFor(tx store.NetTx, extNet, subnetID string) (string, string, error) {
	raw, err := tx.ListAll(model.KindRouter, store.NetFilter{})
	if err != nil {
		return "", "", err
	}
	routers, err := decodeAll[model.Router](raw)
	if err != nil {
		return "", "", err
	}
	for _, r := range routers {
		if r.Gateway == nil || r.Gateway.NetworkID != extNet {
			continue
		}
		praw, err := tx.ListAll(model.KindPort, store.NetFilter{DeviceID: r.ID})
		if err != nil {
			return "", "", err
		}
		ports, err := decodeAll[model.Port](praw)
		if err != nil {
			return "", "", err
		}
		for _, p := range ports {
			if p.DeviceOwner != model.DeviceOwnerRouterInterface {
				continue
			}
			for _, ip := range p.FixedIPs {
				if ip.SubnetID == subnetID {
					return r.ID, r.Host, nil
				}
			}
		}
	}
	return "", "", nil
}

// GetFloatingIP returns a floating IP of the caller.
func (s *Service) GetFloatingIP(ctx context.Context, id string) (*model.FloatingIP, error) {
	return readOne[model.FloatingIP](ctx, s, model.KindFloatingIP, id)
}

// ListFloatingIPs lists the caller's floating IPs.
func (s *Service) ListFloatingIPs(ctx context.Context, f store.NetFilter) ([]*model.FloatingIP, error) {
	return readList[model.FloatingIP](ctx, s, model.KindFloatingIP, f)
}

// FloatingIPUpdate changes a floating IP: Apply the description;
// Associate (PortID "" disassociates) when SetPort.
type FloatingIPUpdate struct {
	Apply   func(f *model.FloatingIP) error
	SetPort bool
	PortID  string
	FixedIP string
}

// UpdateFloatingIP updates a floating IP of the caller.
func (s *Service) UpdateFloatingIP(ctx context.Context, id string, u FloatingIPUpdate) (*model.FloatingIP, error) {
	var out *model.FloatingIP
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		f, err := getOwn[model.FloatingIP](tx, ctx, model.KindFloatingIP, id)
		if err != nil {
			return err
		}
		orig := *f
		if u.Apply != nil {
			if err := u.Apply(f); err != nil {
				return err
			}
		}
		f.FloatingIPAddress, f.FloatingNetworkID, f.FloatingPortID = orig.FloatingIPAddress, orig.FloatingNetworkID, orig.FloatingPortID
		f.PortID, f.FixedIPAddress, f.RouterID = orig.PortID, orig.FixedIPAddress, orig.RouterID
		if u.SetPort {
			if orig.RouterID != "" {
				if r, err := getNet[model.Router](tx, model.KindRouter, orig.RouterID); err == nil {
					t.host(r.Host)
				}
			}
			if u.PortID == "" {
				f.PortID, f.FixedIPAddress, f.RouterID, f.Status = "", "", "", "DOWN"
			} else if err := associate(tx, ctx, t, f, u.PortID, u.FixedIP); err != nil {
				return err
			}
		}
		out = f
		return tx.Put(model.KindFloatingIP, f, fipIndex(f))
	})
	return out, err
}

// DeleteFloatingIP releases a floating IP of the caller.
func (s *Service) DeleteFloatingIP(ctx context.Context, id string) error {
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		f, err := getOwn[model.FloatingIP](tx, ctx, model.KindFloatingIP, id)
		if err != nil {
			return err
		}
		if f.RouterID != "" {
			if r, err := getNet[model.Router](tx, model.KindRouter, f.RouterID); err == nil {
				t.host(r.Host)
			}
		}
		if p, err := getNet[model.Port](tx, model.KindPort, f.FloatingPortID); err == nil {
			if err := deletePort(tx, t, p); err != nil {
				return err
			}
		}
		return tx.Delete(model.KindFloatingIP, id)
	})
	return err
}
