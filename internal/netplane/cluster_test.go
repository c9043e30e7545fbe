package netplane

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/openzun/zun/internal/model"
)

// cluster is the control plane of the tests: networks, ports placed on
// hosts, groups and routers, turned into each host's HostNetworkState the
// way the conductor does.
type cluster struct {
	rev     int64
	nets    []model.NetworkSpec
	ports   []placedPort
	groups  []model.SecurityGroupSpec
	routers []placedRouter
	hosts   []*testHost
}

type placedPort struct {
	spec model.PortSpec
	host int
}

type placedRouter struct {
	spec model.RouterSpec
	host int
}

func emptyState(rev int64) model.HostNetworkState { return model.HostNetworkState{Revision: rev} }

func (c *cluster) vxlan(project, cidr, gateway string) string {
	id := newID()
	c.nets = append(c.nets, model.NetworkSpec{
		ID: id, ProjectID: project, Type: model.NetworkTypeVXLAN,
		SegmentationID: 1000 + rand.IntN(1<<23), MTU: 1450,
		Subnets: []model.SubnetSpec{{ID: newID(), CIDR: cidr, IPVersion: 4, GatewayIP: gateway}},
	})
	return id
}

func (c *cluster) flat(physnet, cidr, gateway string) string {
	id := newID()
	c.nets = append(c.nets, model.NetworkSpec{
		ID: id, ProjectID: "admin", Type: model.NetworkTypeFlat, PhysicalNetwork: physnet,
		MTU: 1500, External: true,
		Subnets: []model.SubnetSpec{{ID: newID(), CIDR: cidr, IPVersion: 4, GatewayIP: gateway}},
	})
	return id
}

// defaultGroup is Neutron's default security group: any egress, ingress
// from members of the group.
func (c *cluster) defaultGroup() string {
	id := newID()
	c.groups = append(c.groups, model.SecurityGroupSpec{ID: id, Rules: []model.SecurityRuleSpec{
		{ID: newID(), Direction: "egress", Ethertype: "IPv4"},
		{ID: newID(), Direction: "egress", Ethertype: "IPv6"},
		{ID: newID(), Direction: "ingress", Ethertype: "IPv4", RemoteGroupID: id},
		{ID: newID(), Direction: "ingress", Ethertype: "IPv6", RemoteGroupID: id},
	}})
	return id
}

func (c *cluster) group(id string) *model.SecurityGroupSpec {
	for i := range c.groups {
		if c.groups[i].ID == id {
			return &c.groups[i]
		}
	}
	panic("no group " + id)
}

func (c *cluster) addRule(groupID string, r model.SecurityRuleSpec) {
	g := c.group(groupID)
	r.ID = newID()
	g.Rules = append(g.Rules, r)
}

func (c *cluster) port(host int, netID, ip string, groups ...string) string {
	id := newID()
	var project string
	for _, n := range c.nets {
		if n.ID == netID {
			project = n.ProjectID
		}
	}
	c.ports = append(c.ports, placedPort{host: host, spec: model.PortSpec{
		ID: id, NetworkID: netID, ProjectID: project, MAC: randMAC(), IPs: []string{ip},
		SecurityGroups: groups, PortSecurity: true, DeviceID: newID(), DeviceOwner: "compute:zun",
	}})
	return id
}

func (c *cluster) portSpec(id string) *model.PortSpec {
	for i := range c.ports {
		if c.ports[i].spec.ID == id {
			return &c.ports[i].spec
		}
	}
	panic("no port " + id)
}

// stateFor computes a host's state: its ports and their networks, their
// groups with member addresses, remote ports of those networks, routers.
func (c *cluster) stateFor(host int) model.HostNetworkState {
	st := model.HostNetworkState{Host: c.hosts[host].name, Revision: c.rev}
	nets := map[string]bool{}
	groups := map[string]bool{}
	for _, p := range c.ports {
		if p.host == host {
			st.Ports = append(st.Ports, p.spec)
			nets[p.spec.NetworkID] = true
			for _, g := range p.spec.SecurityGroups {
				groups[g] = true
			}
		}
	}
	for _, r := range c.routers {
		if r.host != host {
			continue
		}
		st.Routers = append(st.Routers, r.spec)
		if r.spec.Gateway != nil {
			nets[r.spec.Gateway.NetworkID] = true
		}
		for _, itf := range r.spec.Interfaces {
			nets[itf.NetworkID] = true
		}
	}
	for _, p := range c.ports {
		if p.host != host && nets[p.spec.NetworkID] && p.spec.DeviceOwner == "compute:zun" {
			// Single-address allowed pairs get neighbour entries too: ARP is
			// answered from them, never flooded.
			ips := slices.Clone(p.spec.IPs)
			for _, pair := range p.spec.AllowedAddressPairs {
				if !strings.Contains(pair.IPAddress, "/") {
					ips = append(ips, pair.IPAddress)
				}
			}
			st.Remote = append(st.Remote, model.RemotePort{NetworkID: p.spec.NetworkID, MAC: p.spec.MAC,
				IPs: ips, VTEP: c.hosts[p.host].plane.cfg.TunnelIP})
		}
	}
	for _, r := range c.routers {
		if r.host == host {
			continue
		}
		for _, itf := range r.spec.Interfaces {
			if nets[itf.NetworkID] {
				st.Remote = append(st.Remote, model.RemotePort{NetworkID: itf.NetworkID, MAC: itf.MAC,
					IPs: []string{itf.IP}, VTEP: c.hosts[r.host].plane.cfg.TunnelIP})
			}
		}
	}
	for _, n := range c.nets {
		if nets[n.ID] {
			st.Networks = append(st.Networks, n)
		}
	}
	for _, g := range c.groups {
		for _, r := range g.Rules {
			if groups[g.ID] && r.RemoteGroupID != "" {
				groups[r.RemoteGroupID] = true
			}
		}
	}
	for _, g := range c.groups {
		if !groups[g.ID] {
			continue
		}
		g.MemberIPs = nil
		for _, p := range c.ports {
			if slices.Contains(p.spec.SecurityGroups, g.ID) {
				g.MemberIPs = append(g.MemberIPs, p.spec.IPs...)
			}
		}
		st.SecurityGroups = append(st.SecurityGroups, g)
	}
	return st
}

// apply pushes a new revision to every host.
func (c *cluster) apply(t testing.TB) {
	t.Helper()
	c.rev++
	for i, h := range c.hosts {
		if err := h.plane.Apply(context.Background(), c.stateFor(i)); err != nil {
			t.Fatalf("apply on %s: %v", h.name, err)
		}
	}
}

// dualStack adds an IPv6 subnet to a network.
func (c *cluster) dualStack(netID, cidr string) {
	for i := range c.nets {
		if c.nets[i].ID == netID {
			c.nets[i].Subnets = append(c.nets[i].Subnets, model.SubnetSpec{ID: newID(), CIDR: cidr, IPVersion: 6})
		}
	}
}
