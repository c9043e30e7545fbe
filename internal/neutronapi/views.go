package neutronapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/openzun/zun/internal/model"
)

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func meta(m *model.NetMeta) map[string]any {
	return map[string]any{"id": m.ID, "name": m.Name, "description": m.Description, "project_id": m.ProjectID,
		"tenant_id": m.ProjectID, "created_at": ts(m.CreatedAt), "updated_at": ts(m.UpdatedAt),
		"revision_number": m.RevisionNumber, "tags": []string{}}
}

func (s *Server) networkView(q *request, n *model.Network, subnets []string) map[string]any {
	v := meta(&n.NetMeta)
	if subnets == nil {
		subnets = []string{}
	}
	v["admin_state_up"], v["shared"], v["router:external"], v["mtu"] = n.AdminStateUp, n.Shared, n.External, n.MTU
	v["port_security_enabled"], v["status"], v["subnets"] = n.PortSecurity, "ACTIVE", subnets
	v["availability_zones"], v["availability_zone_hints"], v["ipv4_address_scope"], v["ipv6_address_scope"] = []string{"nova"}, []string{}, nil, nil
	v["is_default"], v["l2_adjacency"] = false, true
	if s.allowedField(q, "get_network:provider:network_type", n.ProjectID) {
		v["provider:network_type"], v["provider:physical_network"], v["provider:segmentation_id"] = n.Type, nilIfEmpty(n.PhysicalNetwork), nilIfZero(n.SegmentationID)
	}
	return v
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nilIfZero(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func subnetView(sn *model.Subnet) map[string]any {
	v := meta(&sn.NetMeta)
	pools := sn.AllocationPools
	if pools == nil {
		pools = []model.IPRange{}
	}
	v["network_id"], v["ip_version"], v["cidr"], v["gateway_ip"] = sn.NetworkID, sn.IPVersion, sn.CIDR, nilIfEmpty(sn.GatewayIP)
	v["allocation_pools"], v["dns_nameservers"], v["host_routes"], v["enable_dhcp"] = pools, nonNil(sn.DNSNameservers), nonNilRoutes(sn.HostRoutes), sn.EnableDHCP
	v["ipv6_ra_mode"], v["ipv6_address_mode"], v["subnetpool_id"], v["service_types"], v["segment_id"] = nil, nil, nil, []string{}, nil
	v["shared"] = sn.Shared
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilRoutes(r []model.HostRoute) []model.HostRoute {
	if r == nil {
		return []model.HostRoute{}
	}
	return r
}

func (s *Server) portView(q *request, p *model.Port) map[string]any {
	v := meta(&p.NetMeta)
	ips := p.FixedIPs
	if ips == nil {
		ips = []model.PortIP{}
	}
	pairs := p.AllowedAddressPairs
	if pairs == nil {
		pairs = []model.AddressPair{}
	}
	v["network_id"], v["mac_address"], v["fixed_ips"], v["device_id"], v["device_owner"] = p.NetworkID, p.MAC, ips, p.DeviceID, p.DeviceOwner
	v["security_groups"], v["port_security_enabled"], v["allowed_address_pairs"] = nonNil(p.SecurityGroups), p.PortSecurity, pairs
	v["admin_state_up"], v["status"], v["extra_dhcp_opts"], v["dns_name"], v["dns_assignment"] = p.AdminStateUp, p.Status, []any{}, "", []any{}
	if s.allowedField(q, "get_port:binding:host_id", p.ProjectID) {
		vifType := "unbound"
		if p.HostID != "" {
			vifType = "bridge"
		}
		v["binding:host_id"], v["binding:vif_type"], v["binding:vnic_type"] = p.HostID, vifType, "normal"
		v["binding:profile"], v["binding:vif_details"] = map[string]any{}, map[string]any{}
	}
	return v
}

func ruleView(r *model.SecurityGroupRule) map[string]any {
	v := meta(&r.NetMeta)
	delete(v, "name")
	delete(v, "tags")
	v["security_group_id"], v["direction"], v["ethertype"] = r.SecurityGroupID, r.Direction, r.Ethertype
	v["protocol"], v["port_range_min"], v["port_range_max"] = nilIfEmpty(r.Protocol), nilIfZero(r.PortRangeMin), nilIfZero(r.PortRangeMax)
	v["remote_ip_prefix"], v["remote_group_id"], v["remote_address_group_id"], v["normalized_cidr"] = nilIfEmpty(r.RemoteIPPrefix), nilIfEmpty(r.RemoteGroupID), nil, nilIfEmpty(r.RemoteIPPrefix)
	v["belongs_to_default_sg"] = false
	return v
}

func groupView(g *model.SecurityGroup, rules []*model.SecurityGroupRule) map[string]any {
	v := meta(&g.NetMeta)
	rv := []map[string]any{}
	for _, r := range rules {
		if r.SecurityGroupID == g.ID {
			rv = append(rv, ruleView(r))
		}
	}
	v["security_group_rules"], v["stateful"], v["shared"] = rv, g.Stateful, false
	return v
}

func (s *Server) routerView(q *request, r *model.Router, gwIPs []model.PortIP) map[string]any {
	v := meta(&r.NetMeta)
	v["admin_state_up"], v["status"], v["routes"], v["distributed"], v["ha"] = r.AdminStateUp, r.Status, []any{}, false, false
	v["availability_zones"], v["availability_zone_hints"], v["flavor_id"] = []string{"nova"}, []string{}, nil
	var gw any
	if r.Gateway != nil {
		if gwIPs == nil {
			gwIPs = []model.PortIP{}
		}
		gw = map[string]any{"network_id": r.Gateway.NetworkID, "enable_snat": r.Gateway.EnableSNAT, "external_fixed_ips": gwIPs}
	}
	v["external_gateway_info"] = gw
	return v
}

func fipView(f *model.FloatingIP) map[string]any {
	v := meta(&f.NetMeta)
	delete(v, "name")
	v["floating_network_id"], v["floating_ip_address"], v["port_id"] = f.FloatingNetworkID, f.FloatingIPAddress, nilIfEmpty(f.PortID)
	v["fixed_ip_address"], v["router_id"], v["status"] = nilIfEmpty(f.FixedIPAddress), nilIfEmpty(f.RouterID), f.Status
	v["port_details"], v["dns_domain"], v["dns_name"], v["qos_policy_id"], v["port_forwardings"] = nil, "", "", nil, []any{}
	return v
}

// listParams are the query parameters that are not filters.
var listParams = map[string]bool{"fields": true, "limit": true, "marker": true, "sort_key": true, "sort_dir": true, "page_reverse": true}

// filterViews keeps the views matching every filter of the query (several
// values of one attribute: any) and projects them on fields=. known is a
// view of an empty record: a filter on an attribute it lacks is 400.
func filterViews(r *http.Request, known map[string]any, views []map[string]any) ([]map[string]any, error) {
	query := r.URL.Query()
	for k := range query {
		if listParams[k] {
			continue
		}
		if _, ok := known[k]; !ok {
			return nil, badRequest("%s is invalid attribute for filtering", k)
		}
	}
	out := make([]map[string]any, 0, len(views))
	for _, v := range views {
		ok := true
		for k, want := range query {
			if listParams[k] {
				continue
			}
			if !slices.ContainsFunc(want, func(w string) bool { return matches(k, v[k], w) }) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, project(v, query["fields"]))
		}
	}
	return out, nil
}

func matches(key string, have any, want string) bool {
	switch h := have.(type) {
	case nil:
		return want == "" || want == "None"
	case string:
		return h == want
	case bool:
		return strings.EqualFold(fmt.Sprint(h), want)
	case int, int64:
		return fmt.Sprint(h) == want
	case []string:
		return slices.Contains(h, want)
	case []model.PortIP:
		// fixed_ips=ip_address=10.0.0.5 or fixed_ips=subnet_id=...
		k, val, _ := strings.Cut(want, "=")
		return slices.ContainsFunc(h, func(ip model.PortIP) bool {
			return (k == "ip_address" && ip.IPAddress == val) || (k == "subnet_id" && ip.SubnetID == val) ||
				(k == "ip_address_substr" && strings.Contains(ip.IPAddress, val))
		})
	}
	return fmt.Sprint(have) == want
}

func project(v map[string]any, fields []string) map[string]any {
	if len(fields) == 0 {
		return v
	}
	out := map[string]any{}
	for _, f := range fields {
		if x, ok := v[f]; ok {
			out[f] = x
		}
	}
	return out
}
