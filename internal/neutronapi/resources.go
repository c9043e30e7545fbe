package neutronapi

import (
	"net/http"
	"strings"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/network"
	"github.com/openzun/zun/internal/store"
)

// resource is one collection of the API.
type resource struct {
	singular, plural                   string
	create, list, show, update, delete handler
}

func (s *Server) resources() []resource {
	return []resource{
		{"network", "networks", s.createNetwork, s.listNetworks, s.showNetwork, s.updateNetwork, s.deleteNetwork},
		{"subnet", "subnets", s.createSubnet, s.listSubnets, s.showSubnet, s.updateSubnet, s.deleteSubnet},
		{"port", "ports", s.createPort, s.listPorts, s.showPort, s.updatePort, s.deletePort},
		{"security_group", "security-groups", s.createGroup, s.listGroups, s.showGroup, s.updateGroup, s.deleteGroup},
		{"security_group_rule", "security-group-rules", s.createRule, s.listRules, s.showRule, s.updateRule, s.deleteRule},
		{"router", "routers", s.createRouter, s.listRouters, s.showRouter, s.updateRouter, s.deleteRouter},
		{"floatingip", "floatingips", s.createFIP, s.listFIPs, s.showFIP, s.updateFIP, s.deleteFIP},
	}
}

func one(key string, v any) map[string]any { return map[string]any{key: v} }

// queryFilter takes the filters the store can apply (the rest is
// filterViews' job).
func queryFilter(r *http.Request) store.NetFilter {
	q := r.URL.Query()
	f := store.NetFilter{}
	if v := q["name"]; len(v) == 1 {
		f.Name = v[0]
	}
	if v := q["network_id"]; len(v) == 1 {
		f.NetworkID = v[0]
	}
	if v := q["device_id"]; len(v) == 1 {
		f.DeviceID = v[0]
	}
	if v := q["project_id"]; len(v) == 1 {
		f.ProjectID = v[0]
	}
	if v := q["tenant_id"]; len(v) == 1 {
		f.ProjectID = v[0]
	}
	return f
}

// --- networks

var networkCreateKeys = with("admin_state_up", "shared", "router:external", "mtu", "port_security_enabled",
	"provider:network_type", "provider:physical_network", "provider:segmentation_id", "availability_zone_hints", "is_default", "dns_domain", "qos_policy_id")

var networkUpdateKeys = keys("name", "description", "admin_state_up", "shared", "router:external", "mtu", "port_security_enabled", "is_default")

func (s *Server) createNetwork(q *request) (int, any, error) {
	b, err := readBody(q, "network", networkCreateKeys)
	if err != nil {
		return 0, nil, err
	}
	n := &model.Network{PortSecurity: true, AdminStateUp: true}
	if n.ProjectID, err = b.project(q); err != nil {
		return 0, nil, err
	}
	for _, a := range []struct {
		key, rule string
	}{{"shared", "create_network:shared"}, {"router:external", "create_network:router:external"},
		{"provider:network_type", "create_network:provider:network_type"}, {"provider:physical_network", "create_network:provider:physical_network"},
		{"provider:segmentation_id", "create_network:provider:segmentation_id"}, {"is_default", "create_network:is_default"}} {
		if b.has(a.key) && !b.isNull(a.key) && !s.allowedField(q, a.rule, n.ProjectID) {
			return 0, nil, forbidden(a.rule)
		}
	}
	if err := firstErr(b.str("name", &n.Name), b.str("description", &n.Description), b.boolean("admin_state_up", &n.AdminStateUp),
		b.boolean("shared", &n.Shared), b.boolean("router:external", &n.External), b.integer("mtu", &n.MTU, 68, 9000),
		b.boolean("port_security_enabled", &n.PortSecurity), b.str("provider:network_type", &n.Type),
		b.str("provider:physical_network", &n.PhysicalNetwork), b.integer("provider:segmentation_id", &n.SegmentationID, 1, 1<<24-1)); err != nil {
		return 0, nil, err
	}
	var hints []string
	if err := b.into("availability_zone_hints", &hints); err != nil {
		return 0, nil, err
	}
	if err := s.svc.CreateNetwork(q.ctx, n); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, one("network", s.networkView(q, n, nil)), nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (s *Server) subnetIDs(q *request) (map[string][]string, error) {
	subs, err := s.svc.ListSubnets(q.ctx, store.NetFilter{})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, sn := range subs {
		out[sn.NetworkID] = append(out[sn.NetworkID], sn.ID)
	}
	return out, nil
}

func (s *Server) listNetworks(q *request) (int, any, error) {
	list, err := s.svc.ListNetworks(q.ctx, queryFilter(q.r))
	if err != nil {
		return 0, nil, err
	}
	subs, err := s.subnetIDs(q)
	if err != nil {
		return 0, nil, err
	}
	views := make([]map[string]any, 0, len(list))
	for _, n := range list {
		views = append(views, s.networkView(q, n, subs[n.ID]))
	}
	out, err := filterViews(q.r, s.networkView(q, &model.Network{}, nil), views)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("networks", out), nil
}

func (s *Server) showNetwork(q *request) (int, any, error) {
	n, err := s.svc.GetNetwork(q.ctx, q.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	subs, err := s.subnetIDs(q)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("network", project(s.networkView(q, n, subs[n.ID]), q.r.URL.Query()["fields"])), nil
}

func (s *Server) updateNetwork(q *request) (int, any, error) {
	b, err := readBody(q, "network", networkUpdateKeys)
	if err != nil {
		return 0, nil, err
	}
	for _, a := range []struct{ key, rule string }{{"shared", "update_network:shared"}, {"router:external", "update_network:router:external"}} {
		if b.has(a.key) && !s.allowedField(q, a.rule, q.id.ProjectID) {
			return 0, nil, forbidden(a.rule)
		}
	}
	n, err := s.svc.UpdateNetwork(q.ctx, q.r.PathValue("id"), func(n *model.Network) error {
		return firstErr(b.str("name", &n.Name), b.str("description", &n.Description), b.boolean("admin_state_up", &n.AdminStateUp),
			b.boolean("shared", &n.Shared), b.boolean("router:external", &n.External), b.integer("mtu", &n.MTU, 68, 9000),
			b.boolean("port_security_enabled", &n.PortSecurity))
	})
	if err != nil {
		return 0, nil, err
	}
	subs, _ := s.subnetIDs(q)
	return http.StatusOK, one("network", s.networkView(q, n, subs[n.ID])), nil
}

func (s *Server) deleteNetwork(q *request) (int, any, error) {
	return http.StatusNoContent, nil, s.svc.DeleteNetwork(q.ctx, q.r.PathValue("id"))
}

// --- subnets

var subnetCreateKeys = with("network_id", "ip_version", "cidr", "gateway_ip", "allocation_pools", "dns_nameservers",
	"host_routes", "enable_dhcp", "ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id", "prefixlen", "use_default_subnetpool", "service_types", "segment_id")

var subnetUpdateKeys = keys("name", "description", "gateway_ip", "dns_nameservers", "host_routes", "enable_dhcp")

func (s *Server) createSubnet(q *request) (int, any, error) {
	b, err := readBody(q, "subnet", subnetCreateKeys)
	if err != nil {
		return 0, nil, err
	}
	for _, k := range []string{"ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id", "prefixlen", "segment_id"} {
		if b.has(k) && !b.isNull(k) {
			return 0, nil, badRequest("Invalid input for operation: %s is not supported.", k)
		}
	}
	sn := &model.Subnet{EnableDHCP: true}
	if sn.ProjectID, err = b.project(q); err != nil {
		return 0, nil, err
	}
	if err := firstErr(b.str("name", &sn.Name), b.str("description", &sn.Description), b.str("network_id", &sn.NetworkID),
		b.integer("ip_version", &sn.IPVersion, 4, 6), b.str("cidr", &sn.CIDR), b.into("allocation_pools", &sn.AllocationPools),
		b.into("dns_nameservers", &sn.DNSNameservers), b.into("host_routes", &sn.HostRoutes), b.boolean("enable_dhcp", &sn.EnableDHCP)); err != nil {
		return 0, nil, err
	}
	if sn.IPVersion == 5 {
		return 0, nil, badRequest("Invalid input for ip_version. Reason: 5 is not in [4, 6].")
	}
	if sn.NetworkID == "" || sn.CIDR == "" {
		return 0, nil, badRequest("Invalid input for operation: network_id and cidr are required.")
	}
	if b.has("gateway_ip") {
		if b.isNull("gateway_ip") {
			sn.GatewayIP = network.NoGateway
		} else if err := b.str("gateway_ip", &sn.GatewayIP); err != nil {
			return 0, nil, err
		}
	}
	if err := s.svc.CreateSubnet(q.ctx, sn); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, one("subnet", subnetView(sn)), nil
}

func (s *Server) listSubnets(q *request) (int, any, error) {
	list, err := s.svc.ListSubnets(q.ctx, queryFilter(q.r))
	if err != nil {
		return 0, nil, err
	}
	views := make([]map[string]any, 0, len(list))
	for _, sn := range list {
		views = append(views, subnetView(sn))
	}
	out, err := filterViews(q.r, subnetView(&model.Subnet{}), views)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("subnets", out), nil
}

func (s *Server) showSubnet(q *request) (int, any, error) {
	sn, err := s.svc.GetSubnet(q.ctx, q.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("subnet", project(subnetView(sn), q.r.URL.Query()["fields"])), nil
}

func (s *Server) updateSubnet(q *request) (int, any, error) {
	b, err := readBody(q, "subnet", subnetUpdateKeys)
	if err != nil {
		return 0, nil, err
	}
	sn, err := s.svc.UpdateSubnet(q.ctx, q.r.PathValue("id"), func(sn *model.Subnet) error {
		if b.has("gateway_ip") && b.isNull("gateway_ip") {
			sn.GatewayIP = ""
		}
		return firstErr(b.str("name", &sn.Name), b.str("description", &sn.Description), b.str("gateway_ip", &sn.GatewayIP),
			b.into("dns_nameservers", &sn.DNSNameservers), b.into("host_routes", &sn.HostRoutes), b.boolean("enable_dhcp", &sn.EnableDHCP))
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("subnet", subnetView(sn)), nil
}

func (s *Server) deleteSubnet(q *request) (int, any, error) {
	return http.StatusNoContent, nil, s.svc.DeleteSubnet(q.ctx, q.r.PathValue("id"))
}

// --- ports

var portCreateKeys = with("network_id", "admin_state_up", "mac_address", "fixed_ips", "device_id", "device_owner",
	"security_groups", "port_security_enabled", "allowed_address_pairs", "binding:host_id", "binding:vnic_type",
	"binding:profile", "extra_dhcp_opts", "dns_name", "qos_policy_id", "propagate_uplink_status")

var portUpdateKeys = keys("name", "description", "admin_state_up", "fixed_ips", "device_id", "device_owner",
	"security_groups", "port_security_enabled", "allowed_address_pairs", "binding:host_id", "binding:vnic_type", "binding:profile", "dns_name")

// portFields reads the attributes a create and an update share, checking
// the rules of the protected ones against the network's owner.
func (s *Server) portFields(q *request, b body, p *model.Port, verb, netOwner string) error {
	if b.has("binding:host_id") && !s.allowedField(q, verb+"_port:binding:host_id", p.ProjectID) {
		return forbidden(verb + "_port:binding:host_id")
	}
	if b.has("binding:profile") && !b.isNull("binding:profile") && !s.allowedField(q, verb+"_port:binding:profile", p.ProjectID) {
		return forbidden(verb + "_port:binding:profile")
	}
	var vnic string
	if err := b.str("binding:vnic_type", &vnic); err != nil {
		return err
	}
	if vnic != "" && vnic != "normal" {
		return badRequest("Invalid input for binding:vnic_type. Reason: %s is not in valid_values.", vnic)
	}
	if err := firstErr(b.str("name", &p.Name), b.str("description", &p.Description), b.boolean("admin_state_up", &p.AdminStateUp),
		b.str("device_id", &p.DeviceID), b.str("device_owner", &p.DeviceOwner), b.str("binding:host_id", &p.HostID),
		b.boolean("port_security_enabled", &p.PortSecurity)); err != nil {
		return err
	}
	// A trusted owner would exempt the port from the network service's
	// filtering (hardening E.22): only administrators set one.
	if b.has("device_owner") && strings.HasPrefix(p.DeviceOwner, "network:") && !q.admin {
		return forbidden(verb + "_port:device_owner")
	}
	if b.has("security_groups") {
		p.SecurityGroups = []string{}
		if err := b.into("security_groups", &p.SecurityGroups); err != nil {
			return err
		}
	}
	if b.has("allowed_address_pairs") {
		p.AllowedAddressPairs = []model.AddressPair{}
		if err := b.into("allowed_address_pairs", &p.AllowedAddressPairs); err != nil {
			return err
		}
	}
	return nil
}

// fixedIPs reads fixed_ips; naming an address on a network of another
// project needs create_port:fixed_ips:ip_address (an admin's).
func (s *Server) fixedIPs(q *request, b body, verb, netOwner string) ([]model.PortIP, error) {
	if !b.has("fixed_ips") {
		return nil, nil
	}
	ips := []model.PortIP{}
	if err := b.into("fixed_ips", &ips); err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if ip.IPAddress != "" && !s.allowedField(q, verb+"_port:fixed_ips:ip_address", netOwner) {
			return nil, forbidden(verb + "_port:fixed_ips:ip_address")
		}
		if ip.IPAddress == "" && ip.SubnetID == "" {
			return nil, badRequest("Invalid input for fixed_ips. Reason: a fixed IP needs ip_address or subnet_id.")
		}
	}
	return ips, nil
}

func (s *Server) createPort(q *request) (int, any, error) {
	b, err := readBody(q, "port", portCreateKeys)
	if err != nil {
		return 0, nil, err
	}
	p := &model.Port{AdminStateUp: true}
	if p.ProjectID, err = b.project(q); err != nil {
		return 0, nil, err
	}
	if err := b.str("network_id", &p.NetworkID); err != nil {
		return 0, nil, err
	}
	if p.NetworkID == "" {
		return 0, nil, badRequest("Failed to parse request. Required attribute 'network_id' not specified")
	}
	n, err := s.svc.GetNetwork(q.ctx, p.NetworkID)
	if err != nil {
		return 0, nil, err
	}
	if b.has("mac_address") {
		if !s.allowedField(q, "create_port:mac_address", n.ProjectID) {
			return 0, nil, forbidden("create_port:mac_address")
		}
		if err := b.str("mac_address", &p.MAC); err != nil {
			return 0, nil, err
		}
	}
	opts := network.PortOptions{}
	if b.has("port_security_enabled") {
		v := true
		if err := b.boolean("port_security_enabled", &v); err != nil {
			return 0, nil, err
		}
		opts.PortSecurity = &v
	}
	if err := s.portFields(q, b, p, "create", n.ProjectID); err != nil {
		return 0, nil, err
	}
	if opts.FixedIPs, err = s.fixedIPs(q, b, "create", n.ProjectID); err != nil {
		return 0, nil, err
	}
	if err := s.svc.CreatePort(q.ctx, p, opts); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, one("port", s.portView(q, p)), nil
}

func (s *Server) listPorts(q *request) (int, any, error) {
	list, err := s.svc.ListPorts(q.ctx, queryFilter(q.r))
	if err != nil {
		return 0, nil, err
	}
	views := make([]map[string]any, 0, len(list))
	for _, p := range list {
		views = append(views, s.portView(q, p))
	}
	out, err := filterViews(q.r, s.portView(q, &model.Port{}), views)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("ports", out), nil
}

func (s *Server) showPort(q *request) (int, any, error) {
	p, err := s.svc.GetPort(q.ctx, q.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("port", project(s.portView(q, p), q.r.URL.Query()["fields"])), nil
}

func (s *Server) updatePort(q *request) (int, any, error) {
	b, err := readBody(q, "port", portUpdateKeys)
	if err != nil {
		return 0, nil, err
	}
	cur, err := s.svc.GetPort(q.ctx, q.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	owner := cur.ProjectID
	if n, err := s.svc.GetNetwork(q.ctx, cur.NetworkID); err == nil {
		owner = n.ProjectID
	}
	u := network.PortUpdate{}
	if u.FixedIPs, err = s.fixedIPs(q, b, "update", owner); err != nil {
		return 0, nil, err
	}
	u.Apply = func(p *model.Port) error { return s.portFields(q, b, p, "update", owner) }
	p, err := s.svc.UpdatePort(q.ctx, cur.ID, u)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("port", s.portView(q, p)), nil
}

func (s *Server) deletePort(q *request) (int, any, error) {
	return http.StatusNoContent, nil, s.svc.DeletePort(q.ctx, q.r.PathValue("id"))
}
