package network

import (
	"context"
	"net/netip"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

func routerIndex(r *model.Router) store.NetIndex { return store.NetIndex{Host: r.Host} }

// GatewayRequest sets a router's external gateway.
type GatewayRequest struct {
	NetworkID  string
	EnableSNAT *bool
	FixedIPs   []model.PortIP
}

// CreateRouter creates r, placed on the host the picker chooses, with its
// gateway if gw is set.
func (s *Service) CreateRouter(ctx context.Context, r *model.Router, gw *GatewayRequest) error {
	r.ID, r.AdminStateUp, r.Status = uuid.NewString(), true, "ACTIVE"
	if s.picker != nil {
		h, err := s.picker.RouterHost(ctx)
		if err != nil {
			return err
		}
		r.Host = h
	}
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		project, all, err := caller(ctx)
		if err != nil {
			return err
		}
		if r.ProjectID == "" || !all {
			r.ProjectID = project
		}
		r.Gateway = nil
		if gw != nil {
			if err := s.setGateway(tx, t, r, gw); err != nil {
				return err
			}
		}
		t.host(r.Host)
		return tx.Put(model.KindRouter, r, routerIndex(r))
	})
	return err
}

// setGateway replaces r's gateway port by one on gw's external network.
func (s *Service) setGateway(tx store.NetTx, t *touched, r *model.Router, gw *GatewayRequest) error {
	if r.Gateway != nil {
		if err := s.clearGateway(tx, t, r); err != nil {
			return err
		}
	}
	n, err := getNet[model.Network](tx, model.KindNetwork, gw.NetworkID)
	if err != nil {
		return err
	}
	if !n.External {
		return badRequest("Bad router request: Network %s is not an external network.", n.ID)
	}
	p := &model.Port{NetMeta: model.NetMeta{ProjectID: r.ProjectID}, DeviceID: r.ID,
		DeviceOwner: model.DeviceOwnerRouterGateway, HostID: r.Host}
	off := false
	if err := s.createPort(tx, t, n, p, PortOptions{FixedIPs: gw.FixedIPs, PortSecurity: &off}); err != nil {
		return err
	}
	if len(p.FixedIPs) == 0 {
		return badRequest("Bad router request: No subnets on external network %s.", n.ID)
	}
	snat := true
	if gw.EnableSNAT != nil {
		snat = *gw.EnableSNAT
	}
	r.Gateway = &model.RouterGatewayInfo{NetworkID: n.ID, EnableSNAT: snat, PortID: p.ID}
	return nil
}

func (s *Service) clearGateway(tx store.NetTx, t *touched, r *model.Router) error {
	if r.Gateway == nil {
		return nil
	}
	raw, err := tx.ListAll(model.KindFloatingIP, store.NetFilter{NetworkID: r.Gateway.NetworkID})
	if err != nil {
		return err
	}
	fips, err := decodeAll[model.FloatingIP](raw)
	if err != nil {
		return err
	}
	for _, f := range fips {
		if f.RouterID == r.ID {
			return inUse("RouterExternalGatewayInUseByFloatingIp", "Gateway cannot be updated for router %s, since a gateway to external network %s is required by one or more floating IPs.", r.ID, r.Gateway.NetworkID)
		}
	}
	if p, err := getNet[model.Port](tx, model.KindPort, r.Gateway.PortID); err == nil {
		if err := deletePort(tx, t, p); err != nil {
			return err
		}
	}
	r.Gateway = nil
	return nil
}

// GetRouter returns a router of the caller.
func (s *Service) GetRouter(ctx context.Context, id string) (*model.Router, error) {
	return readOne[model.Router](ctx, s, model.KindRouter, id)
}

// ListRouters lists the caller's routers.
func (s *Service) ListRouters(ctx context.Context, f store.NetFilter) ([]*model.Router, error) {
	return readList[model.Router](ctx, s, model.KindRouter, f)
}

// RouterUpdate changes a router: Apply the plain attributes; SetGateway
// or ClearGateway its gateway.
type RouterUpdate struct {
	Apply        func(r *model.Router) error
	SetGateway   *GatewayRequest
	ClearGateway bool
}

// UpdateRouter updates a router of the caller.
func (s *Service) UpdateRouter(ctx context.Context, id string, u RouterUpdate) (*model.Router, error) {
	var out *model.Router
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		r, err := getOwn[model.Router](tx, ctx, model.KindRouter, id)
		if err != nil {
			return err
		}
		orig := *r
		if u.Apply != nil {
			if err := u.Apply(r); err != nil {
				return err
			}
		}
		r.Host, r.Gateway = orig.Host, orig.Gateway
		switch {
		case u.ClearGateway:
			err = s.clearGateway(tx, t, r)
		case u.SetGateway != nil:
			if r.Gateway != nil && r.Gateway.NetworkID == u.SetGateway.NetworkID && u.SetGateway.FixedIPs == nil {
				if u.SetGateway.EnableSNAT != nil {
					g := *r.Gateway
					g.EnableSNAT = *u.SetGateway.EnableSNAT
					r.Gateway = &g
				}
			} else {
				err = s.setGateway(tx, t, r, u.SetGateway)
			}
		}
		if err != nil {
			return err
		}
		t.host(r.Host)
		out = r
		return tx.Put(model.KindRouter, r, routerIndex(r))
	})
	return out, err
}

// DeleteRouter deletes a router of the caller without interfaces.
func (s *Service) DeleteRouter(ctx context.Context, id string) error {
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		r, err := getOwn[model.Router](tx, ctx, model.KindRouter, id)
		if err != nil {
			return err
		}
		ifs, err := routerInterfaces(tx, id)
		if err != nil {
			return err
		}
		if len(ifs) > 0 {
			return inUse("RouterInUse", "Router %s still has ports.", id)
		}
		if err := s.clearGateway(tx, t, r); err != nil {
			return err
		}
		t.host(r.Host)
		return tx.Delete(model.KindRouter, id)
	})
	return err
}

func routerInterfaces(tx store.NetReader, routerID string) ([]*model.Port, error) {
	ports, err := store.ListNet[model.Port](tx, model.KindPort, store.NetFilter{DeviceID: routerID})
	if err != nil {
		return nil, err
	}
	out := ports[:0]
	for _, p := range ports {
		if p.DeviceOwner == model.DeviceOwnerRouterInterface {
			out = append(out, p)
		}
	}
	return out, nil
}

// InterfaceInfo is the answer of add/remove_router_interface.
type InterfaceInfo struct {
	ID        string   `json:"id"`
	ProjectID string   `json:"project_id"`
	TenantID  string   `json:"tenant_id"`
	PortID    string   `json:"port_id"`
	NetworkID string   `json:"network_id"`
	SubnetID  string   `json:"subnet_id"`
	SubnetIDs []string `json:"subnet_ids"`
}

func interfaceInfo(r *model.Router, p *model.Port) *InterfaceInfo {
	info := &InterfaceInfo{ID: r.ID, ProjectID: r.ProjectID, TenantID: r.ProjectID, PortID: p.ID, NetworkID: p.NetworkID, SubnetIDs: []string{}}
	for _, ip := range p.FixedIPs {
		info.SubnetIDs = append(info.SubnetIDs, ip.SubnetID)
	}
	if len(info.SubnetIDs) > 0 {
		info.SubnetID = info.SubnetIDs[0]
	}
	return info
}

// AddRouterInterface attaches the router to a subnet (its gateway address)
// or to an unused port of the caller.
func (s *Service) AddRouterInterface(ctx context.Context, routerID, subnetID, portID string) (*InterfaceInfo, error) {
	if (subnetID == "") == (portID == "") {
		return nil, badRequest("Bad router request: Either subnet_id or port_id must be specified.")
	}
	var info *InterfaceInfo
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		r, err := getOwn[model.Router](tx, ctx, model.KindRouter, routerID)
		if err != nil {
			return err
		}
		ifs, err := routerInterfaces(tx, routerID)
		if err != nil {
			return err
		}
		var p *model.Port
		if portID != "" {
			if p, err = getOwn[model.Port](tx, ctx, model.KindPort, portID); err != nil {
				return err
			}
			if p.DeviceID != "" {
				return inUse("PortInUse", "Unable to complete operation on port %s for network %s. Port already has an attached device %s.", p.ID, p.NetworkID, p.DeviceID)
			}
			if len(p.FixedIPs) != 1 {
				return badRequest("Bad router request: Router port must have exactly one fixed IP.")
			}
			subnetID = p.FixedIPs[0].SubnetID
		}
		sn, err := getNet[model.Subnet](tx, model.KindSubnet, subnetID)
		if err != nil {
			return err
		}
		if project, all, _ := caller(ctx); !all && sn.ProjectID != project {
			n, err := getNet[model.Network](tx, model.KindNetwork, sn.NetworkID)
			if err != nil || !n.Shared {
				return notFound(model.KindSubnet, subnetID)
			}
		}
		np, _ := netip.ParsePrefix(sn.CIDR)
		for _, o := range ifs {
			for _, ip := range o.FixedIPs {
				if ip.SubnetID == sn.ID {
					return badRequest("Bad router request: Router already has a port on subnet %s.", sn.ID)
				}
				if osn, err := getNet[model.Subnet](tx, model.KindSubnet, ip.SubnetID); err == nil {
					if op, err := netip.ParsePrefix(osn.CIDR); err == nil && op.Overlaps(np) {
						return badRequest("Bad router request: Cidr %s of subnet %s overlaps with cidr %s of subnet %s.", sn.CIDR, sn.ID, osn.CIDR, osn.ID)
					}
				}
			}
		}
		if p == nil {
			if sn.GatewayIP == "" {
				return badRequest("Bad router request: Subnet for router interface must have a gateway IP.")
			}
			n, err := getNet[model.Network](tx, model.KindNetwork, sn.NetworkID)
			if err != nil {
				return err
			}
			p = &model.Port{NetMeta: model.NetMeta{ProjectID: r.ProjectID}, DeviceID: r.ID,
				DeviceOwner: model.DeviceOwnerRouterInterface, HostID: r.Host}
			off := false
			if err := s.createPort(tx, t, n, p, PortOptions{FixedIPs: []model.PortIP{{SubnetID: sn.ID, IPAddress: sn.GatewayIP}}, PortSecurity: &off}); err != nil {
				return err
			}
		} else {
			p.DeviceID, p.DeviceOwner, p.HostID = r.ID, model.DeviceOwnerRouterInterface, r.Host
			p.PortSecurity, p.SecurityGroups, p.Status = false, []string{}, "ACTIVE"
			if err := tx.Put(model.KindPort, p, portIndex(p)); err != nil {
				return err
			}
			t.network(p.NetworkID)
		}
		t.host(r.Host)
		info = interfaceInfo(r, p)
		return nil
	})
	return info, err
}

// RemoveRouterInterface detaches the router from a subnet or port; one a
// floating IP depends on is RouterInterfaceInUseByFloatingIP.
func (s *Service) RemoveRouterInterface(ctx context.Context, routerID, subnetID, portID string) (*InterfaceInfo, error) {
	if subnetID == "" && portID == "" {
		return nil, badRequest("Bad router request: Either subnet_id or port_id must be specified.")
	}
	var info *InterfaceInfo
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		r, err := getOwn[model.Router](tx, ctx, model.KindRouter, routerID)
		if err != nil {
			return err
		}
		ifs, err := routerInterfaces(tx, routerID)
		if err != nil {
			return err
		}
		var p *model.Port
		for _, o := range ifs {
			if o.ID == portID || (portID == "" && len(o.FixedIPs) > 0 && o.FixedIPs[0].SubnetID == subnetID) {
				p = o
			}
		}
		if p == nil {
			if portID != "" {
				return newErr(errdefs.ErrNotFound, "RouterInterfaceNotFound", "Router %s does not have an interface with id %s.", routerID, portID)
			}
			return newErr(errdefs.ErrNotFound, "RouterInterfaceNotFoundForSubnet", "Router %s has no interface on subnet %s.", routerID, subnetID)
		}
		raw, err := tx.ListAll(model.KindFloatingIP, store.NetFilter{})
		if err != nil {
			return err
		}
		fips, err := decodeAll[model.FloatingIP](raw)
		if err != nil {
			return err
		}
		for _, f := range fips {
			if f.RouterID != r.ID || f.PortID == "" {
				continue
			}
			if fp, err := getNet[model.Port](tx, model.KindPort, f.PortID); err == nil && fp.NetworkID == p.NetworkID {
				return inUse("RouterInterfaceInUseByFloatingIP", "Router interface for subnet %s on router %s cannot be deleted, as it is required by one or more floating IPs.", p.FixedIPs[0].SubnetID, r.ID)
			}
		}
		info = interfaceInfo(r, p)
		t.host(r.Host)
		return deletePort(tx, t, p)
	})
	return info, err
}
