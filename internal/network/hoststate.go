package network

import (
	"context"
	"net/netip"
	"slices"
	"sort"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// HostState computes everything the data plane of host must hold (the
// conductor's network_state answer). It reads all projects: the caller is
// the conductor answering that host's agent.
func (s *Service) HostState(ctx context.Context, host string) (model.HostNetworkState, error) {
	st := model.HostNetworkState{Host: host, Networks: []model.NetworkSpec{}, Ports: []model.PortSpec{},
		SecurityGroups: []model.SecurityGroupSpec{}, Remote: []model.RemotePort{}, Routers: []model.RouterSpec{}}
	sys := zunctx.System(ctx)
	var (
		nets    []*model.Network
		subnets []*model.Subnet
		ports   []*model.Port
		groups  []*model.SecurityGroup
		rules   []*model.SecurityGroupRule
		routers []*model.Router
		fips    []*model.FloatingIP
	)
	err := s.st.Read(sys, func(r store.NetReader) (err error) {
		// The revision is read first: a change committed while we read
		// makes the agent fetch again, never skip a newer state.
		if st.Revision, err = s.st.Revision(sys); err != nil {
			return err
		}
		if nets, err = store.ListNet[model.Network](r, model.KindNetwork, store.NetFilter{}); err != nil {
			return err
		}
		if subnets, err = store.ListNet[model.Subnet](r, model.KindSubnet, store.NetFilter{}); err != nil {
			return err
		}
		if ports, err = store.ListNet[model.Port](r, model.KindPort, store.NetFilter{}); err != nil {
			return err
		}
		if groups, err = store.ListNet[model.SecurityGroup](r, model.KindSecurityGroup, store.NetFilter{}); err != nil {
			return err
		}
		if rules, err = store.ListNet[model.SecurityGroupRule](r, model.KindSecurityGroupRule, store.NetFilter{}); err != nil {
			return err
		}
		if routers, err = store.ListNet[model.Router](r, model.KindRouter, store.NetFilter{}); err != nil {
			return err
		}
		fips, err = store.ListNet[model.FloatingIP](r, model.KindFloatingIP, store.NetFilter{})
		return err
	})
	if err != nil {
		return st, err
	}
	netByID := map[string]*model.Network{}
	for _, n := range nets {
		netByID[n.ID] = n
	}
	subByID := map[string]*model.Subnet{}
	subsOf := map[string][]*model.Subnet{}
	for _, sn := range subnets {
		subByID[sn.ID] = sn
		subsOf[sn.NetworkID] = append(subsOf[sn.NetworkID], sn)
	}
	portByID := map[string]*model.Port{}
	for _, p := range ports {
		portByID[p.ID] = p
	}
	wantNet := map[string]bool{}
	wantGroup := map[string]bool{}
	for _, p := range ports {
		if p.HostID != host || isServicePort(p.DeviceOwner) {
			continue
		}
		wantNet[p.NetworkID] = true
		ps := model.PortSpec{ID: p.ID, NetworkID: p.NetworkID, ProjectID: p.ProjectID, MAC: p.MAC, IPs: portIPs(p),
			SecurityGroups: slices.Clone(p.SecurityGroups), PortSecurity: p.PortSecurity, DeviceID: p.DeviceID,
			DeviceOwner: p.DeviceOwner, AllowedAddressPairs: slices.Clone(p.AllowedAddressPairs)}
		if ps.SecurityGroups == nil {
			ps.SecurityGroups = []string{}
		}
		for _, g := range p.SecurityGroups {
			wantGroup[g] = true
		}
		st.Ports = append(st.Ports, ps)
	}
	// Routers placed here: their interfaces' networks and the external one.
	for _, r := range routers {
		if r.Host != host {
			continue
		}
		rs := model.RouterSpec{ID: r.ID, ProjectID: r.ProjectID, Interfaces: []model.RouterInterface{}, FloatingIPs: []model.FloatingIPSpec{}}
		if r.Gateway != nil {
			if gp := portByID[r.Gateway.PortID]; gp != nil && len(gp.FixedIPs) > 0 {
				sn := subByID[gp.FixedIPs[0].SubnetID]
				gw := &model.RouterGateway{NetworkID: gp.NetworkID, PortID: gp.ID, MAC: gp.MAC, IP: gp.FixedIPs[0].IPAddress, EnableSNAT: r.Gateway.EnableSNAT}
				if sn != nil {
					gw.CIDR, gw.GatewayIP = sn.CIDR, sn.GatewayIP
				}
				rs.Gateway = gw
				wantNet[gp.NetworkID] = true
			}
		}
		for _, p := range ports {
			if p.DeviceID != r.ID || p.DeviceOwner != model.DeviceOwnerRouterInterface || len(p.FixedIPs) == 0 {
				continue
			}
			ri := model.RouterInterface{PortID: p.ID, NetworkID: p.NetworkID, SubnetID: p.FixedIPs[0].SubnetID, MAC: p.MAC, IP: p.FixedIPs[0].IPAddress}
			if sn := subByID[ri.SubnetID]; sn != nil {
				ri.CIDR = sn.CIDR
			}
			rs.Interfaces = append(rs.Interfaces, ri)
			wantNet[p.NetworkID] = true
		}
		for _, f := range fips {
			if f.RouterID == r.ID && f.PortID != "" {
				rs.FloatingIPs = append(rs.FloatingIPs, model.FloatingIPSpec{ID: f.ID, FloatingIP: f.FloatingIPAddress, FixedIP: f.FixedIPAddress, PortID: f.PortID})
			}
		}
		st.Routers = append(st.Routers, rs)
	}
	for _, n := range nets {
		if !wantNet[n.ID] {
			continue
		}
		ns := model.NetworkSpec{ID: n.ID, ProjectID: n.ProjectID, Type: n.Type, SegmentationID: n.SegmentationID,
			PhysicalNetwork: n.PhysicalNetwork, MTU: n.MTU, External: n.External, Subnets: []model.SubnetSpec{}}
		for _, sn := range subsOf[n.ID] {
			ns.Subnets = append(ns.Subnets, model.SubnetSpec{ID: sn.ID, CIDR: sn.CIDR, IPVersion: sn.IPVersion,
				GatewayIP: sn.GatewayIP, DNSNameservers: slices.Clone(sn.DNSNameservers)})
		}
		st.Networks = append(st.Networks, ns)
	}
	// Groups of local ports and the groups their rules name, with the
	// addresses of every member port.
	for _, r := range rules {
		if wantGroup[r.SecurityGroupID] && r.RemoteGroupID != "" {
			wantGroup[r.RemoteGroupID] = true
		}
	}
	for _, g := range groups {
		if !wantGroup[g.ID] {
			continue
		}
		gs := model.SecurityGroupSpec{ID: g.ID, Rules: []model.SecurityRuleSpec{}, MemberIPs: []string{}}
		for _, r := range rules {
			if r.SecurityGroupID == g.ID {
				gs.Rules = append(gs.Rules, model.SecurityRuleSpec{ID: r.ID, Direction: r.Direction, Ethertype: r.Ethertype,
					Protocol: r.Protocol, PortRangeMin: r.PortRangeMin, PortRangeMax: r.PortRangeMax,
					RemoteIPPrefix: r.RemoteIPPrefix, RemoteGroupID: r.RemoteGroupID})
			}
		}
		for _, p := range ports {
			if slices.Contains(p.SecurityGroups, g.ID) {
				gs.MemberIPs = append(gs.MemberIPs, portIPs(p)...)
			}
		}
		sort.Strings(gs.MemberIPs)
		st.SecurityGroups = append(st.SecurityGroups, gs)
	}
	// Ports of the same VXLAN networks elsewhere.
	vteps := map[string]string{}
	for _, p := range ports {
		n := netByID[p.NetworkID]
		if p.HostID == "" || p.HostID == host || !wantNet[p.NetworkID] || n == nil || n.Type != model.NetworkTypeVXLAN {
			continue
		}
		vtep, ok := vteps[p.HostID]
		if !ok && s.tunnel != nil {
			vtep, _ = s.tunnel.TunnelIP(sys, p.HostID)
			vteps[p.HostID] = vtep
		}
		if vtep == "" {
			continue
		}
		st.Remote = append(st.Remote, model.RemotePort{NetworkID: p.NetworkID, MAC: p.MAC, IPs: portIPs(p), VTEP: vtep})
	}
	return st, nil
}

func portIPs(p *model.Port) []string {
	out := make([]string, 0, len(p.FixedIPs))
	for _, ip := range p.FixedIPs {
		if a, err := netip.ParseAddr(ip.IPAddress); err == nil {
			out = append(out, a.String())
		}
	}
	return out
}
