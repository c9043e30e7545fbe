package apiserver

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/network"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/zunctx"
)

// NetworkService is the network control plane as containers use it (nil:
// --networking=none, containers stay on the engine's default bridge).
type NetworkService interface {
	CreateContainerPorts(ctx context.Context, deviceID string, nets []network.NetRequest, groups, exposed []string) (network.ContainerPorts, error)
	BindDevice(ctx context.Context, deviceID, host string) error
	ReleaseDevice(ctx context.Context, deviceID string) error
	AttachDevice(ctx context.Context, deviceID, host string, rq network.NetRequest, groups []string) (model.PortAttachment, error)
	DetachDevice(ctx context.Context, deviceID, portID string) error
	FindNetwork(ctx context.Context, nameOrID string) (*model.Network, error)
}

// netFields are the create fields of the network service.
type netFields struct {
	nets    []network.NetRequest
	groups  []string
	exposed []string
	set     bool
}

// takeNetFields removes nets, security_groups and exposed_ports from a
// create body and checks them (the rest is parseCreate's). Without the
// network service they stay for parseCreate, which accepts them empty.
func (s *Server) takeNetFields(body map[string]json.RawMessage, minor int) (netFields, error) {
	var f netFields
	if s.nets == nil {
		return f, nil
	}
	if raw, ok := body["nets"]; ok && minor >= createFields["nets"] {
		delete(body, "nets")
		if !isNull(raw) {
			var list []map[string]json.RawMessage
			if err := json.Unmarshal(raw, &list); err != nil {
				return f, invalid("nets", "Expected a list of objects.")
			}
			for _, m := range list {
				if err := unknownFields(m, map[string]bool{"network": true, "port": true, "v4-fixed-ip": true, "v6-fixed-ip": true}); err != nil {
					return f, err
				}
				var rq network.NetRequest
				for k, dst := range map[string]*string{"network": &rq.Network, "port": &rq.Port, "v4-fixed-ip": &rq.V4IP, "v6-fixed-ip": &rq.V6IP} {
					if v, ok := m[k]; ok && !isNull(v) {
						str, err := decodeString("nets."+k, v, 0, 255)
						if err != nil {
							return f, err
						}
						*dst = str
					}
				}
				if (rq.Network == "") == (rq.Port == "") {
					return f, invalid("nets", "Each entry needs exactly one of network or port.")
				}
				for k, ip := range map[string]string{"v4-fixed-ip": rq.V4IP, "v6-fixed-ip": rq.V6IP} {
					if ip == "" {
						continue
					}
					a, err := netip.ParseAddr(ip)
					if err != nil || a.Is4() != (k == "v4-fixed-ip") {
						return f, invalid("nets", "Value: %q is not a valid %s.", ip, k)
					}
					if rq.Port != "" {
						return f, invalid("nets", "A fixed IP goes with a network, not a port.")
					}
				}
				f.nets = append(f.nets, rq)
			}
			if len(f.nets) > 16 {
				return f, invalid("nets", "At most 16 networks.")
			}
		}
	}
	if raw, ok := body["security_groups"]; ok {
		delete(body, "security_groups")
		if !isNull(raw) {
			l, err := decodeStringList("security_groups", raw)
			if err != nil {
				return f, err
			}
			f.groups = l
		}
	}
	if raw, ok := body["exposed_ports"]; ok && minor >= createFields["exposed_ports"] {
		delete(body, "exposed_ports")
		if !isNull(raw) {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return f, invalid("exposed_ports", "Expected an object like {\"80/tcp\": {}}.")
			}
			for k, v := range m {
				if string(v) != "{}" && !isNull(v) {
					return f, invalid("exposed_ports", "Values must be empty objects.")
				}
				port, proto, _ := strings.Cut(k, "/")
				if proto == "" {
					proto = "tcp"
				}
				n, err := strconv.Atoi(port)
				if err != nil || n < 1 || n > 65535 || (proto != "tcp" && proto != "udp") {
					return f, invalid("exposed_ports", "Value: %q is not <port>[/tcp|udp].", k)
				}
				f.exposed = append(f.exposed, strconv.Itoa(n)+"/"+proto)
			}
			sort.Strings(f.exposed)
		}
	}
	if len(f.groups) > 0 && len(f.exposed) > 0 {
		return f, badRequest("Invalid input: security_groups and exposed_ports are mutually exclusive.")
	}
	f.set = true
	return f, nil
}

// allocatePorts creates c's ports before it is scheduled: a bad or taken
// address fails the request and nothing is allocated.
func (s *Server) allocatePorts(q *request, c *model.Container, f netFields) error {
	if !f.set {
		return nil
	}
	got, err := s.nets.CreateContainerPorts(q.ctx, c.UUID, f.nets, f.groups, f.exposed)
	if err != nil {
		return err
	}
	c.Networks, c.SecurityGroups, c.ExposedPorts = got.Ports, got.SecurityGroups, f.exposed
	return nil
}

// bindPorts binds c's ports to its host (the agent hears network_changed
// before the create cast).
func (s *Server) bindPorts(ctx context.Context, c *model.Container) error {
	if s.nets == nil || len(c.Networks) == 0 {
		return nil
	}
	return s.nets.BindDevice(ctx, c.UUID, c.Host)
}

// releasePorts frees the ports of a container that never reached a host.
func (s *Server) releasePorts(ctx context.Context, uuid string) {
	if s.nets == nil {
		return
	}
	if err := s.nets.ReleaseDevice(zunctx.System(ctx), uuid); err != nil {
		s.log.Error("failed to release ports", "uuid", uuid, "err", err)
	}
}

// addresses is Zun's addresses view: network ID to its addresses.
func addresses(ports []model.PortAttachment) map[string][]api.Address {
	out := map[string][]api.Address{}
	for _, p := range ports {
		list := out[p.NetworkID]
		for _, ip := range p.FixedIPs {
			list = append(list, api.Address{Addr: ip.IPAddress, Version: ip.Version, Port: p.PortID, SubnetID: ip.SubnetID, PreserveOnDelete: p.Preserve})
		}
		if list == nil {
			list = []api.Address{}
		}
		out[p.NetworkID] = list
	}
	return out
}

// containerNetworkList is GET .../network_list: from 1.18 one entry per
// port with its addresses, before that one flat entry per address. Zun
// checks no rule here; ours is container:get_one, as for a show.
func (s *Server) containerNetworkList(q *request) (int, any, error) {
	if err := q.checkQuery("all_projects"); err != nil {
		return 0, nil, err
	}
	c, err := s.loadContainer(q, "container:get_one")
	if err != nil {
		return 0, nil, err
	}
	type fixedIP struct {
		IPAddress string `json:"ip_address"`
		Version   int    `json:"version"`
		SubnetID  string `json:"subnet_id"`
	}
	type entry struct {
		NetID    string    `json:"net_id"`
		PortID   string    `json:"port_id"`
		FixedIPs []fixedIP `json:"fixed_ips"`
	}
	type flat struct {
		NetID     string `json:"net_id"`
		SubnetID  string `json:"subnet_id"`
		PortID    string `json:"port_id"`
		Version   int    `json:"version"`
		IPAddress string `json:"ip_address"`
	}
	if q.version.Minor < 18 {
		out := []flat{}
		for _, p := range c.Networks {
			for _, ip := range p.FixedIPs {
				out = append(out, flat{NetID: p.NetworkID, SubnetID: ip.SubnetID, PortID: p.PortID, Version: ip.Version, IPAddress: ip.IPAddress})
			}
		}
		return 200, map[string]any{"networks": out}, nil
	}
	out := []entry{}
	for _, p := range c.Networks {
		e := entry{NetID: p.NetworkID, PortID: p.PortID, FixedIPs: []fixedIP{}}
		for _, ip := range p.FixedIPs {
			e.FixedIPs = append(e.FixedIPs, fixedIP{IPAddress: ip.IPAddress, Version: ip.Version, SubnetID: ip.SubnetID})
		}
		out = append(out, e)
	}
	return 200, map[string]any{"networks": out}, nil
}

func (s *Server) requireNetworks() error {
	if s.nets == nil {
		return errdefs.New(errdefs.ErrNotImplemented, "Container networks need the network service, which this deployment does not run (--networking=none).")
	}
	return nil
}

// containerNetworkAttach is POST .../network_attach?network=N|port=P
// [&fixed_ip=IP] (1.8): the port is created (or claimed) and bound now, the
// agent connects the container to it.
func (s *Server) containerNetworkAttach(q *request) (int, any, error) {
	if err := q.checkQuery("network", "port", "fixed_ip", "all_projects"); err != nil {
		return 0, nil, err
	}
	// The rule and the container's project first: another project's
	// container is 404 whatever the parameters.
	if _, err := s.loadContainer(q, "container:network_attach"); err != nil {
		return 0, nil, err
	}
	if err := s.requireNetworks(); err != nil {
		return 0, nil, err
	}
	qv := q.r.URL.Query()
	rq := network.NetRequest{Network: qv.Get("network"), Port: qv.Get("port")}
	if (rq.Network == "") == (rq.Port == "") {
		return 0, nil, badRequest("Invalid input: give exactly one of network and port.")
	}
	if ip := qv.Get("fixed_ip"); ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil || rq.Port != "" {
			return 0, nil, badRequest("Invalid input for fixed_ip: %q (an address on the network).", ip)
		}
		if a.Is4() {
			rq.V4IP = a.String()
		} else {
			rq.V6IP = a.String()
		}
	}
	return s.dispatch(q, operation{rule: "container:network_attach", action: "network_attach", method: rpc.MethodNetworkAttach,
		task: api.TaskNetworkAttaching, build: func(req *rpc.ContainerRequest) error {
			c := &req.Container
			if err := checkState("network_attach", c); err != nil {
				return err
			}
			if c.Host == "" {
				return errdefs.New(errdefs.ErrConflict, "Cannot network_attach container "+c.UUID+": it has no host.")
			}
			if rq.Network != "" {
				if n, err := s.nets.FindNetwork(q.ctx, rq.Network); err == nil && slices.ContainsFunc(c.Networks, func(p model.PortAttachment) bool { return p.NetworkID == n.ID }) {
					return errdefs.New(errdefs.ErrConflict, "Container "+c.UUID+" is already connected to network "+rq.Network+".")
				}
			}
			a, err := s.nets.AttachDevice(q.ctx, c.UUID, c.Host, rq, c.SecurityGroups)
			if err != nil {
				return err
			}
			if _, err := s.store.Containers().Update(zunctx.System(q.ctx), c.UUID, func(x *model.Container) error {
				x.Networks = append(x.Networks, a)
				return nil
			}); err != nil {
				_ = s.nets.DetachDevice(q.ctx, c.UUID, a.PortID)
				return err
			}
			req.Port = &a
			return nil
		}})
}

// containerNetworkDetach is POST .../network_detach?network=N|port=P
// (1.6; port from 1.17): the port is freed (or unbound if the user made
// it), the agent disconnects the container.
func (s *Server) containerNetworkDetach(q *request) (int, any, error) {
	if err := q.checkQuery("network", "port", "all_projects"); err != nil {
		return 0, nil, err
	}
	// The rule and the container's project first: another project's
	// container is 404 whatever the parameters.
	if _, err := s.loadContainer(q, "container:network_detach"); err != nil {
		return 0, nil, err
	}
	if err := s.requireNetworks(); err != nil {
		return 0, nil, err
	}
	qv := q.r.URL.Query()
	netName, portID := qv.Get("network"), qv.Get("port")
	if portID != "" && q.version.Minor < 17 {
		return 0, nil, badRequest("Invalid input: port needs API 1.17.")
	}
	if (netName == "") == (portID == "") {
		return 0, nil, badRequest("Invalid input: give exactly one of network and port.")
	}
	return s.dispatch(q, operation{rule: "container:network_detach", action: "network_detach", method: rpc.MethodNetworkDetach,
		task: api.TaskNetworkDetaching, build: func(req *rpc.ContainerRequest) error {
			c := &req.Container
			if err := checkState("network_detach", c); err != nil {
				return err
			}
			netID := ""
			if netName != "" {
				n, err := s.nets.FindNetwork(q.ctx, netName)
				if err != nil {
					return errdefs.New(errdefs.ErrNotFound, "Network "+netName+" could not be found.")
				}
				netID = n.ID
			}
			i := slices.IndexFunc(c.Networks, func(p model.PortAttachment) bool {
				return (portID != "" && p.PortID == portID) || (netID != "" && p.NetworkID == netID)
			})
			if i < 0 {
				return errdefs.New(errdefs.ErrNotFound, "Container "+c.UUID+" is not connected to "+netName+portID+".")
			}
			a := c.Networks[i]
			if err := s.nets.DetachDevice(q.ctx, c.UUID, a.PortID); err != nil {
				return err
			}
			if _, err := s.store.Containers().Update(zunctx.System(q.ctx), c.UUID, func(x *model.Container) error {
				x.Networks = slices.DeleteFunc(x.Networks, func(p model.PortAttachment) bool { return p.PortID == a.PortID })
				return nil
			}); err != nil {
				return err
			}
			req.Port = &a
			return nil
		}})
}

// allocateSandboxPorts gives a capsule's sandbox its port on the
// project's default network (Zun's capsules take no nets), with the
// members' container ports exposed as Zun does.
func (s *Server) allocateSandboxPorts(q *request, c *model.Capsule) error {
	if s.nets == nil {
		return nil
	}
	var exposed []string
	for _, m := range c.Members() {
		for _, p := range m.CapsulePorts {
			e := strconv.Itoa(p.ContainerPort) + "/" + strings.ToLower(orDefault(p.Protocol, "tcp"))
			if !slices.Contains(exposed, e) {
				exposed = append(exposed, e)
			}
		}
	}
	got, err := s.nets.CreateContainerPorts(q.ctx, c.UUID, nil, nil, exposed)
	if err != nil {
		return err
	}
	c.Networks = got.Ports
	return nil
}
