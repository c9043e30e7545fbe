package network

import (
	"context"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// DefaultGroup is the name of a project's default security group.
const DefaultGroup = "default"

// ensureDefaultGroup returns the ID of project's default group, creating
// it with Neutron's four rules on first use: egress anywhere (IPv4, IPv6),
// ingress only from members of the group.
func ensureDefaultGroup(tx store.NetTx, project string) (string, error) {
	// Neutron makes it whatever the quota (see unchecked); it still counts.
	tx = unchecked(tx)
	raw, err := tx.ListAll(model.KindSecurityGroup, store.NetFilter{ProjectID: project, Name: DefaultGroup})
	if err != nil {
		return "", err
	}
	if len(raw) > 0 {
		gs, err := decodeAll[model.SecurityGroup](raw)
		if err != nil {
			return "", err
		}
		return gs[0].ID, nil
	}
	g := &model.SecurityGroup{NetMeta: model.NetMeta{ID: uuid.NewString(), ProjectID: project, Name: DefaultGroup,
		Description: "Default security group"}, Stateful: true}
	if err := tx.Put(model.KindSecurityGroup, g, store.NetIndex{}); err != nil {
		return "", err
	}
	for _, r := range []model.SecurityGroupRule{
		{Direction: "egress", Ethertype: "IPv4"},
		{Direction: "egress", Ethertype: "IPv6"},
		{Direction: "ingress", Ethertype: "IPv4", RemoteGroupID: g.ID},
		{Direction: "ingress", Ethertype: "IPv6", RemoteGroupID: g.ID},
	} {
		r.ID, r.ProjectID, r.SecurityGroupID = uuid.NewString(), project, g.ID
		if err := tx.Put(model.KindSecurityGroupRule, &r, store.NetIndex{NetworkID: g.ID}); err != nil {
			return "", err
		}
	}
	return g.ID, nil
}

// EnsureDefaultGroup creates the caller's default group if missing (as
// Neutron does on the first list of a project's groups).
func (s *Service) EnsureDefaultGroup(ctx context.Context) error {
	project, all, err := caller(ctx)
	if err != nil || all {
		return err
	}
	var exists bool
	if err := s.st.Read(ctx, func(r store.NetReader) error {
		raw, err := r.List(model.KindSecurityGroup, store.NetFilter{ProjectID: project, Name: DefaultGroup})
		exists = len(raw) > 0
		return err
	}); err != nil || exists {
		return err
	}
	_, err = s.write(ctx, func(tx store.NetTx, _ *touched) error {
		_, err := ensureDefaultGroup(tx, project)
		return err
	})
	return err
}

// CreateSecurityGroup creates g with Neutron's two egress rules.
func (s *Service) CreateSecurityGroup(ctx context.Context, g *model.SecurityGroup) ([]*model.SecurityGroupRule, error) {
	if g.Name == DefaultGroup {
		return nil, newErr(errdefs.ErrConflict, "SecurityGroupDefaultAlreadyExists", "Default security group already exists.")
	}
	g.ID, g.Stateful = uuid.NewString(), true
	var rules []*model.SecurityGroupRule
	_, err := s.write(ctx, func(tx store.NetTx, _ *touched) error {
		rules = nil
		project, all, err := caller(ctx)
		if err != nil {
			return err
		}
		if g.ProjectID == "" || !all {
			g.ProjectID = project
		}
		if _, err := ensureDefaultGroup(tx, g.ProjectID); err != nil {
			return err
		}
		if err := tx.Put(model.KindSecurityGroup, g, store.NetIndex{}); err != nil {
			return err
		}
		for _, et := range []string{"IPv4", "IPv6"} {
			r := &model.SecurityGroupRule{NetMeta: model.NetMeta{ID: uuid.NewString(), ProjectID: g.ProjectID},
				SecurityGroupID: g.ID, Direction: "egress", Ethertype: et}
			if err := tx.Put(model.KindSecurityGroupRule, r, store.NetIndex{NetworkID: g.ID}); err != nil {
				return err
			}
			rules = append(rules, r)
		}
		return nil
	})
	return rules, err
}

// GetSecurityGroup returns a group of the caller with its rules.
func (s *Service) GetSecurityGroup(ctx context.Context, id string) (*model.SecurityGroup, []*model.SecurityGroupRule, error) {
	var (
		g     *model.SecurityGroup
		rules []*model.SecurityGroupRule
	)
	err := s.st.Read(ctx, func(r store.NetReader) (err error) {
		if g, err = getNet[model.SecurityGroup](r, model.KindSecurityGroup, id); err != nil {
			return err
		}
		rules, err = store.ListNet[model.SecurityGroupRule](r, model.KindSecurityGroupRule, store.NetFilter{NetworkID: g.ID})
		return err
	})
	return g, rules, err
}

// ListSecurityGroups lists the caller's groups (creating its default one
// first) and all their rules.
func (s *Service) ListSecurityGroups(ctx context.Context, f store.NetFilter) ([]*model.SecurityGroup, []*model.SecurityGroupRule, error) {
	if err := s.EnsureDefaultGroup(ctx); err != nil {
		return nil, nil, err
	}
	var (
		gs    []*model.SecurityGroup
		rules []*model.SecurityGroupRule
	)
	err := s.st.Read(ctx, func(r store.NetReader) (err error) {
		if gs, err = store.ListNet[model.SecurityGroup](r, model.KindSecurityGroup, f); err != nil {
			return err
		}
		rules, err = store.ListNet[model.SecurityGroupRule](r, model.KindSecurityGroupRule, store.NetFilter{ProjectID: f.ProjectID})
		return err
	})
	return gs, rules, err
}

// UpdateSecurityGroup renames or redescribes the caller's group.
func (s *Service) UpdateSecurityGroup(ctx context.Context, id string, fn func(g *model.SecurityGroup) error) (*model.SecurityGroup, error) {
	var out *model.SecurityGroup
	_, err := s.write(ctx, func(tx store.NetTx, _ *touched) error {
		g, err := getOwn[model.SecurityGroup](tx, ctx, model.KindSecurityGroup, id)
		if err != nil {
			return err
		}
		orig := *g
		if err := fn(g); err != nil {
			return err
		}
		if orig.Name == DefaultGroup && g.Name != DefaultGroup {
			return newErr(errdefs.ErrConflict, "SecurityGroupCannotUpdateDefault", "Updating default security group not allowed.")
		}
		g.Stateful = orig.Stateful
		out = g
		return tx.Put(model.KindSecurityGroup, g, store.NetIndex{})
	})
	return out, err
}

// DeleteSecurityGroup deletes the caller's group and its rules; one used
// by a port is SecurityGroupInUse, the default group cannot go (but for
// an admin).
func (s *Service) DeleteSecurityGroup(ctx context.Context, id string) error {
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		g, err := getOwn[model.SecurityGroup](tx, ctx, model.KindSecurityGroup, id)
		if err != nil {
			return err
		}
		if _, all, _ := caller(ctx); g.Name == DefaultGroup && !all {
			return newErr(errdefs.ErrConflict, "SecurityGroupCannotRemoveDefault", "Insufficient rights for removing default security group.")
		}
		raw, err := tx.ListAll(model.KindPort, store.NetFilter{ProjectID: g.ProjectID})
		if err != nil {
			return err
		}
		ports, err := decodeAll[model.Port](raw)
		if err != nil {
			return err
		}
		for _, p := range ports {
			for _, sg := range p.SecurityGroups {
				if sg == id {
					return inUse("SecurityGroupInUse", "Security Group %s in use.", id)
				}
			}
		}
		rules, err := store.ListNet[model.SecurityGroupRule](tx, model.KindSecurityGroupRule, store.NetFilter{NetworkID: id})
		if err != nil {
			return err
		}
		for _, r := range rules {
			if err := tx.Delete(model.KindSecurityGroupRule, r.ID); err != nil {
				return err
			}
		}
		t.project(g.ProjectID)
		return tx.Delete(model.KindSecurityGroup, id)
	})
	return err
}

// normRule validates r as Neutron does and fills its defaults.
func normRule(r *model.SecurityGroupRule) error {
	switch r.Direction {
	case "ingress", "egress":
	default:
		return badRequest("Invalid input for direction. Reason: %s is not in valid_values.", r.Direction)
	}
	if r.Ethertype == "" {
		r.Ethertype = "IPv4"
	}
	if r.Ethertype != "IPv4" && r.Ethertype != "IPv6" {
		return badRequest("Invalid input for ethertype. Reason: %s is not in valid_values.", r.Ethertype)
	}
	r.Protocol = strings.ToLower(r.Protocol)
	portProto := false
	switch r.Protocol {
	case "", "any":
		r.Protocol = ""
	case "tcp", "udp", "sctp", "dccp", "udplite":
		portProto = true
	case "icmp", "icmpv6", "ipv6-icmp":
		if r.Protocol == "ipv6-icmp" {
			r.Protocol = "icmpv6"
		}
		if r.PortRangeMin > 255 || r.PortRangeMax > 255 || r.PortRangeMin < 0 || r.PortRangeMax < 0 {
			return newErr(errdefs.ErrInvalidArgument, "SecurityGroupInvalidIcmpValue", "Invalid value for ICMP port_range_min or port_range_max: must be 0 through 255.")
		}
	default:
		n, err := strconv.Atoi(r.Protocol)
		if err != nil || n < 0 || n > 255 {
			return newErr(errdefs.ErrInvalidArgument, "SecurityGroupRuleInvalidProtocol", "Security group rule protocol %s not supported.", r.Protocol)
		}
		if n == 6 || n == 17 {
			portProto = true
		}
	}
	if !portProto && r.Protocol != "icmp" && r.Protocol != "icmpv6" && (r.PortRangeMin != 0 || r.PortRangeMax != 0) {
		return newErr(errdefs.ErrInvalidArgument, "SecurityGroupInvalidPortRange", "Port range requires a protocol of tcp, udp, sctp or dccp.")
	}
	if portProto {
		if r.PortRangeMin != 0 && r.PortRangeMax == 0 {
			r.PortRangeMax = r.PortRangeMin
		}
		if r.PortRangeMin < 0 || r.PortRangeMax > 65535 || r.PortRangeMin > r.PortRangeMax || (r.PortRangeMax != 0 && r.PortRangeMin == 0) {
			return newErr(errdefs.ErrInvalidArgument, "SecurityGroupInvalidPortRange", "For TCP/UDP protocols, port_range_min must be <= port_range_max and both within 1 through 65535.")
		}
	}
	if r.RemoteIPPrefix != "" && r.RemoteGroupID != "" {
		return newErr(errdefs.ErrInvalidArgument, "SecurityGroupRemoteGroupAndRemoteIpPrefix", "Only remote_ip_prefix or remote_group_id may be provided.")
	}
	if r.RemoteIPPrefix != "" {
		p, err := netip.ParsePrefix(r.RemoteIPPrefix)
		if err != nil {
			a, aerr := netip.ParseAddr(r.RemoteIPPrefix)
			if aerr != nil {
				return badRequest("Invalid input for remote_ip_prefix. Reason: '%s' is not a valid IP subnet.", r.RemoteIPPrefix)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4() != (r.Ethertype == "IPv4") {
			return newErr(errdefs.ErrInvalidArgument, "SecurityGroupRuleParameterConflict", "Conflicting value ethertype %s for CIDR %s.", r.Ethertype, r.RemoteIPPrefix)
		}
		r.RemoteIPPrefix = p.Masked().String()
	}
	return nil
}

// CreateSecurityGroupRule adds r to a group of the caller; an identical
// rule is SecurityGroupRuleExists.
func (s *Service) CreateSecurityGroupRule(ctx context.Context, r *model.SecurityGroupRule) error {
	if err := normRule(r); err != nil {
		return err
	}
	r.ID = uuid.NewString()
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		g, err := getOwn[model.SecurityGroup](tx, ctx, model.KindSecurityGroup, r.SecurityGroupID)
		if err != nil {
			return err
		}
		if r.RemoteGroupID != "" {
			if _, err := getNet[model.SecurityGroup](tx, model.KindSecurityGroup, r.RemoteGroupID); err != nil {
				return err
			}
		}
		r.ProjectID = g.ProjectID
		rules, err := store.ListNet[model.SecurityGroupRule](tx, model.KindSecurityGroupRule, store.NetFilter{NetworkID: g.ID})
		if err != nil {
			return err
		}
		for _, o := range rules {
			if o.Direction == r.Direction && o.Ethertype == r.Ethertype && o.Protocol == r.Protocol &&
				o.PortRangeMin == r.PortRangeMin && o.PortRangeMax == r.PortRangeMax &&
				o.RemoteIPPrefix == r.RemoteIPPrefix && o.RemoteGroupID == r.RemoteGroupID {
				return inUse("SecurityGroupRuleExists", "Security group rule already exists. Rule id is %s.", o.ID)
			}
		}
		t.project(g.ProjectID)
		return tx.Put(model.KindSecurityGroupRule, r, store.NetIndex{NetworkID: g.ID})
	})
	return err
}

// GetSecurityGroupRule returns a rule of the caller.
func (s *Service) GetSecurityGroupRule(ctx context.Context, id string) (*model.SecurityGroupRule, error) {
	return readOne[model.SecurityGroupRule](ctx, s, model.KindSecurityGroupRule, id)
}

// ListSecurityGroupRules lists the caller's rules.
func (s *Service) ListSecurityGroupRules(ctx context.Context, f store.NetFilter) ([]*model.SecurityGroupRule, error) {
	if err := s.EnsureDefaultGroup(ctx); err != nil {
		return nil, err
	}
	var out []*model.SecurityGroupRule
	err := s.st.Read(ctx, func(r store.NetReader) (err error) {
		out, err = store.ListNet[model.SecurityGroupRule](r, model.KindSecurityGroupRule, f)
		return err
	})
	return out, err
}

// DeleteSecurityGroupRule deletes a rule of the caller.
func (s *Service) DeleteSecurityGroupRule(ctx context.Context, id string) error {
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		r, err := getOwn[model.SecurityGroupRule](tx, ctx, model.KindSecurityGroupRule, id)
		if err != nil {
			return err
		}
		t.project(r.ProjectID)
		return tx.Delete(model.KindSecurityGroupRule, id)
	})
	return err
}
