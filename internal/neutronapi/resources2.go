package neutronapi

import (
	"net/http"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/network"
)

// --- security groups

func (s *Server) createGroup(q *request) (int, any, error) {
	b, err := readBody(q, "security_group", with("stateful"))
	if err != nil {
		return 0, nil, err
	}
	g := &model.SecurityGroup{}
	stateful := true
	if g.ProjectID, err = b.project(q); err != nil {
		return 0, nil, err
	}
	if err := firstErr(b.str("name", &g.Name), b.str("description", &g.Description), b.boolean("stateful", &stateful)); err != nil {
		return 0, nil, err
	}
	if !stateful {
		return 0, nil, badRequest("Invalid input for operation: stateless security groups are not supported.")
	}
	rules, err := s.svc.CreateSecurityGroup(q.ctx, g)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, one("security_group", groupView(g, rules)), nil
}

func (s *Server) listGroups(q *request) (int, any, error) {
	gs, rules, err := s.svc.ListSecurityGroups(q.ctx, queryFilter(q.r))
	if err != nil {
		return 0, nil, err
	}
	views := make([]map[string]any, 0, len(gs))
	for _, g := range gs {
		views = append(views, groupView(g, rules))
	}
	out, err := filterViews(q.r, groupView(&model.SecurityGroup{}, nil), views)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("security_groups", out), nil
}

func (s *Server) showGroup(q *request) (int, any, error) {
	g, rules, err := s.svc.GetSecurityGroup(q.ctx, q.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("security_group", project(groupView(g, rules), q.r.URL.Query()["fields"])), nil
}

func (s *Server) updateGroup(q *request) (int, any, error) {
	b, err := readBody(q, "security_group", keys("name", "description"))
	if err != nil {
		return 0, nil, err
	}
	g, err := s.svc.UpdateSecurityGroup(q.ctx, q.r.PathValue("id"), func(g *model.SecurityGroup) error {
		return firstErr(b.str("name", &g.Name), b.str("description", &g.Description))
	})
	if err != nil {
		return 0, nil, err
	}
	_, rules, err := s.svc.GetSecurityGroup(q.ctx, g.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("security_group", groupView(g, rules)), nil
}

func (s *Server) deleteGroup(q *request) (int, any, error) {
	return http.StatusNoContent, nil, s.svc.DeleteSecurityGroup(q.ctx, q.r.PathValue("id"))
}

// --- security group rules

var ruleKeys = keys("security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
	"remote_ip_prefix", "remote_group_id", "remote_address_group_id", "description", "project_id", "tenant_id")

func (s *Server) createRule(q *request) (int, any, error) {
	b, err := readBody(q, "security_group_rule", ruleKeys)
	if err != nil {
		return 0, nil, err
	}
	if b.has("remote_address_group_id") && !b.isNull("remote_address_group_id") {
		return 0, nil, badRequest("Invalid input for operation: address groups are not supported.")
	}
	r := &model.SecurityGroupRule{}
	if r.ProjectID, err = b.project(q); err != nil {
		return 0, nil, err
	}
	var proto any
	if err := b.into("protocol", &proto); err != nil {
		return 0, nil, err
	}
	switch p := proto.(type) {
	case nil:
	case string:
		r.Protocol = p
	case float64:
		if p != float64(int(p)) {
			return 0, nil, badRequest("Invalid input for protocol. Reason: %v is not an integer.", p)
		}
		r.Protocol = itoa(int(p))
	default:
		return 0, nil, badRequest("Invalid input for protocol.")
	}
	if err := firstErr(b.str("security_group_id", &r.SecurityGroupID), b.str("direction", &r.Direction), b.str("ethertype", &r.Ethertype),
		b.integer("port_range_min", &r.PortRangeMin, 0, 65535), b.integer("port_range_max", &r.PortRangeMax, 0, 65535),
		b.str("remote_ip_prefix", &r.RemoteIPPrefix), b.str("remote_group_id", &r.RemoteGroupID), b.str("description", &r.Description)); err != nil {
		return 0, nil, err
	}
	if r.SecurityGroupID == "" {
		return 0, nil, badRequest("Failed to parse request. Required attribute 'security_group_id' not specified")
	}
	if err := s.svc.CreateSecurityGroupRule(q.ctx, r); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, one("security_group_rule", ruleView(r)), nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

func (s *Server) listRules(q *request) (int, any, error) {
	f := queryFilter(q.r)
	f.Name = ""
	list, err := s.svc.ListSecurityGroupRules(q.ctx, f)
	if err != nil {
		return 0, nil, err
	}
	views := make([]map[string]any, 0, len(list))
	for _, r := range list {
		views = append(views, ruleView(r))
	}
	out, err := filterViews(q.r, ruleView(&model.SecurityGroupRule{}), views)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("security_group_rules", out), nil
}

func (s *Server) showRule(q *request) (int, any, error) {
	r, err := s.svc.GetSecurityGroupRule(q.ctx, q.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("security_group_rule", project(ruleView(r), q.r.URL.Query()["fields"])), nil
}

func (s *Server) updateRule(*request) (int, any, error) {
	return 0, nil, &network.Error{Type: "HTTPMethodNotAllowed", Msg: "Security group rules cannot be updated.", Cat: errdefs.ErrNotImplemented}
}

func (s *Server) deleteRule(q *request) (int, any, error) {
	return http.StatusNoContent, nil, s.svc.DeleteSecurityGroupRule(q.ctx, q.r.PathValue("id"))
}

// --- routers

type gatewayInfo struct {
	NetworkID        string         `json:"network_id"`
	EnableSNAT       *bool          `json:"enable_snat"`
	ExternalFixedIPs []model.PortIP `json:"external_fixed_ips"`
}

func (s *Server) gateway(q *request, b body, verb, project string) (*network.GatewayRequest, bool, error) {
	if !b.has("external_gateway_info") {
		return nil, false, nil
	}
	if b.isNull("external_gateway_info") || string(b["external_gateway_info"]) == "{}" {
		return nil, true, nil
	}
	var gi gatewayInfo
	if err := b.into("external_gateway_info", &gi); err != nil {
		return nil, false, err
	}
	if gi.NetworkID == "" {
		return nil, false, badRequest("Invalid input for external_gateway_info. Reason: network_id is required.")
	}
	if gi.EnableSNAT != nil && !s.allowedField(q, verb+"_router:external_gateway_info:enable_snat", project) {
		return nil, false, forbidden(verb + "_router:external_gateway_info:enable_snat")
	}
	if len(gi.ExternalFixedIPs) > 0 && !s.allowedField(q, verb+"_router:external_gateway_info:external_fixed_ips", project) {
		return nil, false, forbidden(verb + "_router:external_gateway_info:external_fixed_ips")
	}
	return &network.GatewayRequest{NetworkID: gi.NetworkID, EnableSNAT: gi.EnableSNAT, FixedIPs: gi.ExternalFixedIPs}, false, nil
}

func (s *Server) renderRouter(q *request, r *model.Router) map[string]any {
	var ips []model.PortIP
	if r.Gateway != nil {
		if p, err := s.svc.GetPort(q.ctx, r.Gateway.PortID); err == nil {
			ips = p.FixedIPs
		}
	}
	return s.routerView(q, r, ips)
}

func (s *Server) createRouter(q *request) (int, any, error) {
	b, err := readBody(q, "router", with("admin_state_up", "external_gateway_info", "distributed", "ha", "availability_zone_hints", "flavor_id"))
	if err != nil {
		return 0, nil, err
	}
	for _, k := range []string{"distributed", "ha"} {
		var v bool
		if err := b.boolean(k, &v); err != nil {
			return 0, nil, err
		}
		if v {
			return 0, nil, badRequest("Invalid input for operation: %s routers are not supported.", k)
		}
	}
	r := &model.Router{}
	if r.ProjectID, err = b.project(q); err != nil {
		return 0, nil, err
	}
	if err := firstErr(b.str("name", &r.Name), b.str("description", &r.Description)); err != nil {
		return 0, nil, err
	}
	gw, _, err := s.gateway(q, b, "create", r.ProjectID)
	if err != nil {
		return 0, nil, err
	}
	if err := s.svc.CreateRouter(q.ctx, r, gw); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, one("router", s.renderRouter(q, r)), nil
}

func (s *Server) listRouters(q *request) (int, any, error) {
	list, err := s.svc.ListRouters(q.ctx, queryFilter(q.r))
	if err != nil {
		return 0, nil, err
	}
	views := make([]map[string]any, 0, len(list))
	for _, r := range list {
		views = append(views, s.renderRouter(q, r))
	}
	out, err := filterViews(q.r, s.routerView(q, &model.Router{}, nil), views)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("routers", out), nil
}

func (s *Server) showRouter(q *request) (int, any, error) {
	r, err := s.svc.GetRouter(q.ctx, q.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("router", project(s.renderRouter(q, r), q.r.URL.Query()["fields"])), nil
}

func (s *Server) updateRouter(q *request) (int, any, error) {
	b, err := readBody(q, "router", keys("name", "description", "admin_state_up", "external_gateway_info", "routes"))
	if err != nil {
		return 0, nil, err
	}
	if b.has("routes") && string(b["routes"]) != "[]" && !b.isNull("routes") {
		return 0, nil, badRequest("Invalid input for operation: extra routes are not supported.")
	}
	gw, clear, err := s.gateway(q, b, "update", q.id.ProjectID)
	if err != nil {
		return 0, nil, err
	}
	r, err := s.svc.UpdateRouter(q.ctx, q.r.PathValue("id"), network.RouterUpdate{SetGateway: gw, ClearGateway: clear,
		Apply: func(r *model.Router) error {
			return firstErr(b.str("name", &r.Name), b.str("description", &r.Description), b.boolean("admin_state_up", &r.AdminStateUp))
		}})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("router", s.renderRouter(q, r)), nil
}

func (s *Server) deleteRouter(q *request) (int, any, error) {
	return http.StatusNoContent, nil, s.svc.DeleteRouter(q.ctx, q.r.PathValue("id"))
}

func (s *Server) addInterface(q *request) (int, any, error) {
	subnet, port, err := s.readInterface(q)
	if err != nil {
		return 0, nil, err
	}
	info, err := s.svc.AddRouterInterface(q.ctx, q.r.PathValue("id"), subnet, port)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, info, nil
}

func (s *Server) removeInterface(q *request) (int, any, error) {
	subnet, port, err := s.readInterface(q)
	if err != nil {
		return 0, nil, err
	}
	info, err := s.svc.RemoveRouterInterface(q.ctx, q.r.PathValue("id"), subnet, port)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, info, nil
}

// readInterface reads {"subnet_id": ...} or {"port_id": ...} (a body
// without the usual wrapper).
func (s *Server) readInterface(q *request) (string, string, error) {
	var in struct {
		SubnetID string `json:"subnet_id"`
		PortID   string `json:"port_id"`
	}
	if err := decodeStrict(q, &in); err != nil {
		return "", "", err
	}
	return in.SubnetID, in.PortID, nil
}

// --- floating IPs

func (s *Server) createFIP(q *request) (int, any, error) {
	b, err := readBody(q, "floatingip", keys("floating_network_id", "floating_ip_address", "port_id", "fixed_ip_address",
		"description", "project_id", "tenant_id", "subnet_id", "dns_name", "dns_domain", "qos_policy_id"))
	if err != nil {
		return 0, nil, err
	}
	f := &model.FloatingIP{}
	if f.ProjectID, err = b.project(q); err != nil {
		return 0, nil, err
	}
	if err := firstErr(b.str("floating_network_id", &f.FloatingNetworkID), b.str("floating_ip_address", &f.FloatingIPAddress),
		b.str("port_id", &f.PortID), b.str("fixed_ip_address", &f.FixedIPAddress), b.str("description", &f.Description)); err != nil {
		return 0, nil, err
	}
	if f.FloatingNetworkID == "" {
		return 0, nil, badRequest("Failed to parse request. Required attribute 'floating_network_id' not specified")
	}
	if f.FloatingIPAddress != "" && !s.allowedField(q, "create_floatingip:floating_ip_address", f.ProjectID) {
		return 0, nil, forbidden("create_floatingip:floating_ip_address")
	}
	if err := s.svc.CreateFloatingIP(q.ctx, f); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, one("floatingip", fipView(f)), nil
}

func (s *Server) listFIPs(q *request) (int, any, error) {
	f := queryFilter(q.r)
	f.Name, f.NetworkID, f.DeviceID = "", "", ""
	list, err := s.svc.ListFloatingIPs(q.ctx, f)
	if err != nil {
		return 0, nil, err
	}
	views := make([]map[string]any, 0, len(list))
	for _, x := range list {
		views = append(views, fipView(x))
	}
	out, err := filterViews(q.r, fipView(&model.FloatingIP{}), views)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("floatingips", out), nil
}

func (s *Server) showFIP(q *request) (int, any, error) {
	f, err := s.svc.GetFloatingIP(q.ctx, q.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("floatingip", project(fipView(f), q.r.URL.Query()["fields"])), nil
}

func (s *Server) updateFIP(q *request) (int, any, error) {
	b, err := readBody(q, "floatingip", keys("port_id", "fixed_ip_address", "description", "qos_policy_id"))
	if err != nil {
		return 0, nil, err
	}
	u := network.FloatingIPUpdate{}
	if b.has("port_id") {
		u.SetPort = true
		if err := firstErr(b.str("port_id", &u.PortID), b.str("fixed_ip_address", &u.FixedIP)); err != nil {
			return 0, nil, err
		}
	}
	u.Apply = func(f *model.FloatingIP) error { return b.str("description", &f.Description) }
	f, err := s.svc.UpdateFloatingIP(q.ctx, q.r.PathValue("id"), u)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("floatingip", fipView(f)), nil
}

func (s *Server) deleteFIP(q *request) (int, any, error) {
	return http.StatusNoContent, nil, s.svc.DeleteFloatingIP(q.ctx, q.r.PathValue("id"))
}
