package apiserver

import (
	"context"
	"encoding/json"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/network"
	"github.com/openzun/zun/internal/zunctx"
)

// NetworkService is the network control plane as containers use it (nil:
// --networking=none, containers stay on the engine's default bridge).
type NetworkService interface {
	CreateContainerPorts(ctx context.Context, deviceID string, nets []network.NetRequest, groups, exposed []string) (network.ContainerPorts, error)
	BindDevice(ctx context.Context, deviceID, host string) error
	ReleaseDevice(ctx context.Context, deviceID string) error
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
