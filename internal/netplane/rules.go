package netplane

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/openzun/zun/internal/model"
)

// IP protocol numbers of the names Neutron accepts in a rule.
var protocolNumbers = map[string]int{
	"icmp": 1, "igmp": 2, "ipip": 4, "tcp": 6, "egp": 8, "udp": 17, "dccp": 33,
	"ipv6-encap": 41, "rsvp": 46, "gre": 47, "esp": 50, "ah": 51,
	"icmpv6": 58, "ipv6-icmp": 58, "ospf": 89, "pgm": 113, "vrrp": 112,
	"sctp": 132, "udplite": 136,
}

// portProtocols have a destination port at the start of their header.
var portProtocols = map[int]bool{6: true, 17: true, 33: true, 132: true, 136: true}

func protocolNumber(s string) (int, bool, error) {
	s = strings.ToLower(s)
	if s == "" || s == "any" {
		return 0, false, nil
	}
	if n, ok := protocolNumbers[s]; ok {
		return n, true, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, false, fmt.Errorf("unknown protocol %q", s)
	}
	return n, true, nil
}

func validRule(r model.SecurityRuleSpec) error {
	if r.Direction != "ingress" && r.Direction != "egress" {
		return fmt.Errorf("bad direction %q", r.Direction)
	}
	if r.Ethertype != "" && r.Ethertype != "IPv4" && r.Ethertype != "IPv6" {
		return fmt.Errorf("bad ethertype %q", r.Ethertype)
	}
	proto, set, err := protocolNumber(r.Protocol)
	if err != nil {
		return err
	}
	limit := 65535
	if proto == 1 || proto == 58 {
		limit = 255
	}
	if r.PortRangeMin < 0 || r.PortRangeMax < 0 || r.PortRangeMin > limit || r.PortRangeMax > limit {
		return fmt.Errorf("port range %d-%d out of bounds", r.PortRangeMin, r.PortRangeMax)
	}
	if (r.PortRangeMin != 0 || r.PortRangeMax != 0) && (!set || !portProtocols[proto] && proto != 1 && proto != 58) {
		return fmt.Errorf("port range on protocol %q", r.Protocol)
	}
	if portProtocols[proto] && r.PortRangeMax != 0 && r.PortRangeMin > r.PortRangeMax {
		return fmt.Errorf("port range %d-%d reversed", r.PortRangeMin, r.PortRangeMax)
	}
	if r.RemoteIPPrefix != "" {
		if _, err := parsePrefix(r.RemoteIPPrefix); err != nil {
			return err
		}
	}
	if r.RemoteGroupID != "" {
		if err := validID(r.RemoteGroupID); err != nil {
			return fmt.Errorf("remote group: %w", err)
		}
	}
	return nil
}

// ruleText renders one security group rule as an nftables rule body (no
// verdict), or "" when the rule can never match (family mismatch, remote
// group unknown to the state).
func ruleText(r model.SecurityRuleSpec, groups map[string]*model.SecurityGroupSpec) string {
	v6 := r.Ethertype == "IPv6"
	ipk, fam := "ip", "ipv4"
	if v6 {
		ipk, fam = "ip6", "ipv6"
	}
	// The remote side is the source of ingress and the destination of egress.
	dir := "saddr"
	if r.Direction == "egress" {
		dir = "daddr"
	}
	parts := []string{"meta nfproto " + fam}
	if r.RemoteIPPrefix != "" {
		pre, _ := parsePrefix(r.RemoteIPPrefix)
		if pre.Addr().Is6() != v6 {
			return ""
		}
		if pre.Bits() > 0 {
			parts = append(parts, fmt.Sprintf("%s %s %s", ipk, dir, pre))
		}
	}
	if r.RemoteGroupID != "" {
		if _, ok := groups[r.RemoteGroupID]; !ok {
			return ""
		}
		parts = append(parts, fmt.Sprintf("%s %s @%s", ipk, dir, groupSet(r.RemoteGroupID, v6)))
	}
	proto, set, _ := protocolNumber(r.Protocol)
	if set {
		if proto == 1 && v6 {
			proto = 58 // Neutron: "icmp" on an IPv6 rule means ICMPv6
		}
		if (proto == 1 && v6) || (proto == 58 && !v6) {
			return ""
		}
		parts = append(parts, fmt.Sprintf("meta l4proto %d", proto))
		lo, hi := r.PortRangeMin, r.PortRangeMax
		switch {
		case portProtocols[proto] && (lo != 0 || hi != 0):
			if hi == 0 {
				hi = lo
			}
			if lo == hi {
				parts = append(parts, fmt.Sprintf("th dport %d", lo))
			} else {
				parts = append(parts, fmt.Sprintf("th dport %d-%d", lo, hi))
			}
		case proto == 1 || proto == 58:
			kw := "icmp"
			if proto == 58 {
				kw = "icmpv6"
			}
			if lo != 0 {
				parts = append(parts, fmt.Sprintf("%s type %d", kw, lo))
				if hi != 0 {
					parts = append(parts, fmt.Sprintf("%s code %d", kw, hi))
				}
			}
		}
	}
	return strings.Join(parts, " ")
}

// groupSet names the nftables set of a group's member addresses.
func groupSet(groupID string, v6 bool) string {
	if v6 {
		return "sg-" + groupID + "-v6"
	}
	return "sg-" + groupID + "-v4"
}

// splitFamilies sorts addresses and prefixes into IPv4 and IPv6 lists.
func splitFamilies(items []string) (v4, v6 []string) {
	seen := map[string]bool{}
	for _, s := range items {
		pre, err := parsePrefix(s)
		if err != nil {
			continue
		}
		var txt string
		if pre.IsSingleIP() {
			txt = pre.Addr().String()
		} else {
			txt = pre.String()
		}
		if seen[txt] {
			continue
		}
		seen[txt] = true
		if pre.Addr().Is4() || pre.Addr().Is4In6() {
			v4 = append(v4, txt)
		} else {
			v6 = append(v6, txt)
		}
	}
	return v4, v6
}

func nftSet(items []string) string {
	return "{ " + strings.Join(items, ", ") + " }"
}
