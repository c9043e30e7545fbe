package network

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// The container service's use of the network service: ports created
// before scheduling, bound after the claim, released when the container
// is gone.

// NetRequest is one entry of a create's nets.
type NetRequest struct {
	Network string // name or ID
	Port    string // ID of an existing port of the caller
	V4IP    string
	V6IP    string
}

// ContainerPorts is what ports a container gets.
type ContainerPorts struct {
	Ports          []model.PortAttachment
	SecurityGroups []string // IDs
}

// Default network of a project without one (DevStack's).
const (
	DefaultNetworkName  = "private"
	DefaultSubnetCIDR   = "10.0.0.0/24"
	ExternalNetworkName = "public"
)

// CreateContainerPorts creates (or claims) the ports of device deviceID
// of the caller's project in one transaction: a bad or taken address, an
// unknown or ambiguous group or network leaves nothing allocated. No nets
// picks the project's default network (creating "private" on first need).
// exposed ("80/tcp") adds the group zun-<deviceID> allowing them in.
func (s *Service) CreateContainerPorts(ctx context.Context, deviceID string, nets []NetRequest, groups []string, exposed []string) (ContainerPorts, error) {
	var out ContainerPorts
	// Unannounced: the ports are not bound yet, so no host has anything to
	// do; BindDevice announces them once they are (each announcement costs
	// a host a fetch and an apply, on the create's path).
	_, err := s.writeUnannounced(ctx, func(tx store.NetTx, t *touched) error {
		out = ContainerPorts{}
		project, all, err := caller(ctx)
		if err != nil {
			return err
		}
		if all {
			id, _ := zunctx.IdentityFrom(ctx)
			project = id.ProjectID
		}
		var sgIDs []string
		for _, g := range groups {
			id, err := resolveGroup(tx, project, g)
			if err != nil {
				return err
			}
			if !slices.Contains(sgIDs, id) {
				sgIDs = append(sgIDs, id)
			}
		}
		if len(exposed) > 0 {
			id, err := s.exposeGroup(tx, project, deviceID, exposed)
			if err != nil {
				return err
			}
			def, err := ensureDefaultGroup(tx, project)
			if err != nil {
				return err
			}
			sgIDs = append(sgIDs, def, id)
		}
		if len(nets) == 0 {
			n, err := s.defaultNetwork(tx, t, project)
			if err != nil {
				return err
			}
			nets = []NetRequest{{Network: n.ID}}
		}
		for _, rq := range nets {
			a, err := s.containerPort(tx, t, ctx, project, deviceID, rq, sgIDs)
			if err != nil {
				return err
			}
			out.Ports = append(out.Ports, a)
		}
		if sgIDs == nil {
			if def, err := ensureDefaultGroup(tx, project); err == nil {
				sgIDs = []string{def}
			}
		}
		out.SecurityGroups = sgIDs
		return nil
	})
	return out, err
}

// resolveGroup finds a group of project by ID or name: unknown is 400,
// a name of several groups 409.
func resolveGroup(tx store.NetTx, project, nameOrID string) (string, error) {
	if nameOrID == DefaultGroup {
		return ensureDefaultGroup(tx, project)
	}
	raw, err := tx.ListAll(model.KindSecurityGroup, store.NetFilter{ProjectID: project})
	if err != nil {
		return "", err
	}
	gs, err := decodeAll[model.SecurityGroup](raw)
	if err != nil {
		return "", err
	}
	var found []string
	for _, g := range gs {
		if g.ID == nameOrID {
			return g.ID, nil
		}
		if g.Name == nameOrID {
			found = append(found, g.ID)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("security group %s not found: %w", nameOrID, errdefs.ErrInvalidArgument)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("multiple security groups named %s, use an ID: %w", nameOrID, errdefs.ErrConflict)
}

// exposeGroup creates zun-<device> with one ingress rule per exposed port.
func (s *Service) exposeGroup(tx store.NetTx, project, deviceID string, exposed []string) (string, error) {
	g := &model.SecurityGroup{NetMeta: model.NetMeta{ID: uuid.NewString(), ProjectID: project, Name: "zun-" + deviceID,
		Description: "Exposed ports of container " + deviceID}, Stateful: true}
	if err := tx.Put(model.KindSecurityGroup, g, store.NetIndex{DeviceID: deviceID}); err != nil {
		return "", err
	}
	for _, e := range exposed {
		port, proto, _ := strings.Cut(e, "/")
		if proto == "" {
			proto = "tcp"
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || (proto != "tcp" && proto != "udp") {
			return "", fmt.Errorf("bad exposed port %q: %w", e, errdefs.ErrInvalidArgument)
		}
		for _, et := range []string{"IPv4", "IPv6"} {
			r := &model.SecurityGroupRule{NetMeta: model.NetMeta{ID: uuid.NewString(), ProjectID: project}, SecurityGroupID: g.ID,
				Direction: "ingress", Ethertype: et, Protocol: proto, PortRangeMin: n, PortRangeMax: n}
			if err := tx.Put(model.KindSecurityGroupRule, r, store.NetIndex{NetworkID: g.ID}); err != nil {
				return "", err
			}
		}
	}
	return g.ID, nil
}

// findNetwork resolves a network name or ID readable by project: the
// project's own by name first, then shared ones.
func findNetwork(tx store.NetTx, project, nameOrID string) (*model.Network, error) {
	list, err := store.ListNet[model.Network](tx, model.KindNetwork, store.NetFilter{})
	if err != nil {
		return nil, err
	}
	var byName []*model.Network
	for _, n := range list {
		if n.ProjectID != project && !n.Shared && !n.External {
			continue
		}
		if n.ID == nameOrID {
			return n, nil
		}
		if n.Name == nameOrID {
			byName = append(byName, n)
		}
	}
	switch len(byName) {
	case 0:
		return nil, fmt.Errorf("network %s could not be found: %w", nameOrID, errdefs.ErrInvalidArgument)
	case 1:
		return byName[0], nil
	}
	return nil, fmt.Errorf("multiple networks named %s, use an ID: %w", nameOrID, errdefs.ErrConflict)
}

// defaultNetwork is Zun's choice: the oldest non-shared network of the
// project, else a shared one; none: DevStack's "private" with a router to
// "public" when that exists.
func (s *Service) defaultNetwork(tx store.NetTx, t *touched, project string) (*model.Network, error) {
	list, err := store.ListNet[model.Network](tx, model.KindNetwork, store.NetFilter{})
	if err != nil {
		return nil, err
	}
	var shared *model.Network
	for _, n := range list {
		if n.External {
			continue
		}
		if n.ProjectID == project && !n.Shared {
			return n, nil
		}
		if n.Shared && shared == nil {
			shared = n
		}
	}
	if shared != nil {
		return shared, nil
	}
	n := &model.Network{NetMeta: model.NetMeta{ID: uuid.NewString(), ProjectID: project, Name: DefaultNetworkName},
		Type: model.NetworkTypeVXLAN, MTU: s.cfg.VXLANMTU, PortSecurity: true, AdminStateUp: true}
	vni, err := tx.AllocateVNI(n.ID, s.cfg.VNIMin, s.cfg.VNIMax)
	if err != nil {
		return nil, err
	}
	n.SegmentationID = vni
	if err := tx.Put(model.KindNetwork, n, networkIndex(n)); err != nil {
		return nil, err
	}
	p := netip.MustParsePrefix(DefaultSubnetCIDR)
	gw := p.Addr().Next()
	sn := &model.Subnet{NetMeta: model.NetMeta{ID: uuid.NewString(), ProjectID: project, Name: DefaultNetworkName + "-subnet"},
		NetworkID: n.ID, IPVersion: 4, CIDR: DefaultSubnetCIDR, GatewayIP: gw.String(), EnableDHCP: true,
		DNSNameservers: []string{}, HostRoutes: []model.HostRoute{}}
	for _, r := range defaultPool(p, gw) {
		sn.AllocationPools = append(sn.AllocationPools, model.IPRange{Start: r.start.String(), End: r.end.String()})
	}
	if err := tx.Put(model.KindSubnet, sn, store.NetIndex{NetworkID: n.ID}); err != nil {
		return nil, err
	}
	// A router to the external network, when there is one.
	var ext *model.Network
	for _, x := range list {
		if x.External && x.Name == ExternalNetworkName {
			ext = x
			break
		}
	}
	if ext == nil {
		return n, nil
	}
	r := &model.Router{NetMeta: model.NetMeta{ID: uuid.NewString(), ProjectID: project, Name: "router1"}, AdminStateUp: true, Status: "ACTIVE"}
	if s.picker != nil {
		if r.Host, err = s.picker.RouterHost(context.Background()); err != nil {
			return nil, err
		}
	}
	if err := s.setGateway(tx, t, r, &GatewayRequest{NetworkID: ext.ID}); err != nil {
		return nil, err
	}
	ip := &model.Port{NetMeta: model.NetMeta{ProjectID: project}, DeviceID: r.ID, DeviceOwner: model.DeviceOwnerRouterInterface, HostID: r.Host}
	off := false
	if err := s.createPort(tx, t, n, ip, PortOptions{FixedIPs: []model.PortIP{{SubnetID: sn.ID, IPAddress: sn.GatewayIP}}, PortSecurity: &off}); err != nil {
		return nil, err
	}
	t.host(r.Host)
	return n, tx.Put(model.KindRouter, r, routerIndex(r))
}

// containerPort creates the port of one nets entry, or claims the given
// port (the caller's, without device, not bound).
func (s *Service) containerPort(tx store.NetTx, t *touched, ctx context.Context, project, deviceID string, rq NetRequest, sgIDs []string) (model.PortAttachment, error) {
	var p *model.Port
	if rq.Port != "" {
		got, err := getNet[model.Port](tx, model.KindPort, rq.Port)
		if err != nil || got.ProjectID != project {
			return model.PortAttachment{}, fmt.Errorf("port %s could not be found: %w", rq.Port, errdefs.ErrInvalidArgument)
		}
		if got.DeviceID != "" || got.HostID != "" {
			return model.PortAttachment{}, fmt.Errorf("port %s is in use by %s: %w", got.ID, got.DeviceID, errdefs.ErrConflict)
		}
		p = got
		p.DeviceID, p.DeviceOwner = deviceID, model.DeviceOwnerCompute
		if sgIDs != nil && p.PortSecurity {
			p.SecurityGroups = slices.Clone(sgIDs)
		}
		if err := tx.Put(model.KindPort, p, portIndex(p)); err != nil {
			return model.PortAttachment{}, err
		}
		t.network(p.NetworkID)
	} else {
		n, err := findNetwork(tx, project, rq.Network)
		if err != nil {
			return model.PortAttachment{}, err
		}
		if n.External {
			return model.PortAttachment{}, fmt.Errorf("network %s is external; containers attach to tenant networks: %w", n.ID, errdefs.ErrInvalidArgument)
		}
		var reqs []model.PortIP
		for _, ip := range []string{rq.V4IP, rq.V6IP} {
			if ip != "" {
				if n.ProjectID != project {
					return model.PortAttachment{}, fmt.Errorf("only the network's project may choose an address: %w", errdefs.ErrForbidden)
				}
				reqs = append(reqs, model.PortIP{IPAddress: ip})
			}
		}
		p = &model.Port{NetMeta: model.NetMeta{ProjectID: project}, DeviceID: deviceID, DeviceOwner: model.DeviceOwnerCompute,
			AutoDelete: true, SecurityGroups: slices.Clone(sgIDs)}
		if err := s.createPort(tx, t, n, p, PortOptions{FixedIPs: reqs}); err != nil {
			return model.PortAttachment{}, err
		}
	}
	return attachment(tx, p)
}

// attachment is the container record's view of p.
func attachment(r store.NetReader, p *model.Port) (model.PortAttachment, error) {
	a := model.PortAttachment{PortID: p.ID, NetworkID: p.NetworkID, MAC: p.MAC, Preserve: !p.AutoDelete, FixedIPs: []model.FixedIP{}}
	for _, ip := range p.FixedIPs {
		sn, err := store.GetNet[model.Subnet](r, model.KindSubnet, ip.SubnetID)
		if err != nil {
			return a, err
		}
		a.FixedIPs = append(a.FixedIPs, model.FixedIP{SubnetID: sn.ID, IPAddress: ip.IPAddress, Version: sn.IPVersion, CIDR: sn.CIDR, GatewayIP: sn.GatewayIP})
	}
	return a, nil
}

// BindDevice binds every port of deviceID to host and casts
// network_changed to the hosts concerned (before the caller's create
// cast, so the agent has the state when it creates the container).
func (s *Service) BindDevice(ctx context.Context, deviceID, host string) error {
	_, err := s.write(zunctx.System(ctx), func(tx store.NetTx, t *touched) error {
		ports, err := store.ListNet[model.Port](tx, model.KindPort, store.NetFilter{DeviceID: deviceID})
		if err != nil {
			return err
		}
		for _, p := range ports {
			if p.HostID == host || isServicePort(p.DeviceOwner) {
				continue
			}
			t.host(p.HostID)
			p.HostID = host
			p.Status = portStatus(p)
			if err := tx.Put(model.KindPort, p, portIndex(p)); err != nil {
				return err
			}
			t.network(p.NetworkID)
			// Its addresses join the member sets of its groups, which
			// rules on the project's other networks may name.
			t.project(p.ProjectID)
			t.host(host)
		}
		return nil
	})
	return err
}

// ReleaseDevice deletes the ports created for deviceID and the group of
// its exposed ports, and unbinds the ports the user created. The caller is
// the conductor (a system context).
func (s *Service) ReleaseDevice(ctx context.Context, deviceID string) error {
	if deviceID == "" {
		return nil
	}
	_, err := s.writeAsync(zunctx.System(ctx), func(tx store.NetTx, t *touched) error {
		ports, err := store.ListNet[model.Port](tx, model.KindPort, store.NetFilter{DeviceID: deviceID})
		if err != nil {
			return err
		}
		for _, p := range ports {
			if isServicePort(p.DeviceOwner) {
				continue
			}
			if err := s.releasePort(tx, t, p); err != nil {
				return err
			}
		}
		groups, err := store.ListNet[model.SecurityGroup](tx, model.KindSecurityGroup, store.NetFilter{DeviceID: deviceID})
		if err != nil {
			return err
		}
		for _, g := range groups {
			if g.Name != "zun-"+deviceID {
				continue
			}
			rules, err := store.ListNet[model.SecurityGroupRule](tx, model.KindSecurityGroupRule, store.NetFilter{NetworkID: g.ID})
			if err != nil {
				return err
			}
			for _, r := range rules {
				if err := tx.Delete(model.KindSecurityGroupRule, r.ID); err != nil {
					return err
				}
			}
			if err := tx.Delete(model.KindSecurityGroup, g.ID); err != nil {
				return err
			}
			t.project(g.ProjectID)
		}
		return nil
	})
	return err
}

func (s *Service) releasePort(tx store.NetTx, t *touched, p *model.Port) error {
	if p.AutoDelete {
		return deletePort(tx, t, p)
	}
	t.host(p.HostID)
	t.network(p.NetworkID)
	p.DeviceID, p.DeviceOwner, p.HostID = "", "", ""
	p.Status = portStatus(p)
	return tx.Put(model.KindPort, p, portIndex(p))
}

// AttachDevice creates or claims one more port for deviceID (bound to
// host at once) and returns it.
func (s *Service) AttachDevice(ctx context.Context, deviceID, host string, rq NetRequest, sgIDs []string) (model.PortAttachment, error) {
	var out model.PortAttachment
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		project, all, err := caller(ctx)
		if err != nil {
			return err
		}
		if all {
			id, _ := zunctx.IdentityFrom(ctx)
			project = id.ProjectID
		}
		a, err := s.containerPort(tx, t, ctx, project, deviceID, rq, sgIDs)
		if err != nil {
			return err
		}
		p, err := getNet[model.Port](tx, model.KindPort, a.PortID)
		if err != nil {
			return err
		}
		p.HostID, p.Status = host, "ACTIVE"
		t.host(host)
		out = a
		return tx.Put(model.KindPort, p, portIndex(p))
	})
	return out, err
}

// DetachDevice releases the port portID of deviceID (deleted if the
// service created it, else unbound).
func (s *Service) DetachDevice(ctx context.Context, deviceID, portID string) error {
	_, err := s.write(zunctx.System(ctx), func(tx store.NetTx, t *touched) error {
		p, err := getNet[model.Port](tx, model.KindPort, portID)
		if err != nil {
			return err
		}
		if p.DeviceID != deviceID {
			return notFound(model.KindPort, portID)
		}
		return s.releasePort(tx, t, p)
	})
	return err
}

// FindNetwork resolves a network name or ID for the caller (for
// network_detach by network).
func (s *Service) FindNetwork(ctx context.Context, nameOrID string) (*model.Network, error) {
	var out *model.Network
	err := s.st.Read(ctx, func(r store.NetReader) error {
		list, err := store.ListNet[model.Network](r, model.KindNetwork, store.NetFilter{})
		if err != nil {
			return err
		}
		for _, n := range list {
			if n.ID == nameOrID || (out == nil && n.Name == nameOrID) {
				out = n
			}
		}
		if out == nil {
			return fmt.Errorf("network %s could not be found: %w", nameOrID, errdefs.ErrNotFound)
		}
		return nil
	})
	return out, err
}
