package netplane

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

func TestRuleText(t *testing.T) {
	groups := map[string]*model.SecurityGroupSpec{"g1": {ID: "g1"}}
	for _, tc := range []struct {
		rule model.SecurityRuleSpec
		want string
	}{
		{model.SecurityRuleSpec{Direction: "egress", Ethertype: "IPv4"}, "meta nfproto ipv4"},
		{model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv4", Protocol: "tcp", PortRangeMin: 80, PortRangeMax: 80},
			"meta nfproto ipv4 meta l4proto 6 th dport 80"},
		{model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv4", Protocol: "udp", PortRangeMin: 1000, PortRangeMax: 2000, RemoteIPPrefix: "10.0.0.7/8"},
			"meta nfproto ipv4 ip saddr 10.0.0.0/8 meta l4proto 17 th dport 1000-2000"},
		{model.SecurityRuleSpec{Direction: "egress", Ethertype: "IPv4", RemoteIPPrefix: "192.0.2.1"},
			"meta nfproto ipv4 ip daddr 192.0.2.1/32"},
		{model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv4", RemoteIPPrefix: "0.0.0.0/0"}, "meta nfproto ipv4"},
		{model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv4", Protocol: "icmp", PortRangeMin: 8, PortRangeMax: 0},
			"meta nfproto ipv4 meta l4proto 1 icmp type 8"},
		{model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv4", Protocol: "icmp", PortRangeMin: 3, PortRangeMax: 4},
			"meta nfproto ipv4 meta l4proto 1 icmp type 3 icmp code 4"},
		{model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv6", Protocol: "icmp"}, "meta nfproto ipv6 meta l4proto 58"},
		{model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv6", RemoteGroupID: "g1"}, "meta nfproto ipv6 ip6 saddr @sg-g1-v6"},
		{model.SecurityRuleSpec{Direction: "egress", Ethertype: "IPv4", RemoteGroupID: "g1", Protocol: "47"},
			"meta nfproto ipv4 ip daddr @sg-g1-v4 meta l4proto 47"},
		// Never matching: unknown remote group, family mismatch.
		{model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv4", RemoteGroupID: "gone"}, ""},
		{model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv4", RemoteIPPrefix: "2001:db8::/32"}, ""},
		{model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv4", Protocol: "icmpv6"}, ""},
	} {
		if err := validRule(tc.rule); err != nil {
			t.Errorf("%+v: unexpected validation error %v", tc.rule, err)
		}
		if got := ruleText(tc.rule, groups); got != tc.want {
			t.Errorf("%+v:\n got %q\nwant %q", tc.rule, got, tc.want)
		}
	}
}

func TestValidRuleRejects(t *testing.T) {
	for _, r := range []model.SecurityRuleSpec{
		{Direction: "sideways", Ethertype: "IPv4"},
		{Direction: "ingress", Ethertype: "IPX"},
		{Direction: "ingress", Protocol: "carrier-pigeon"},
		{Direction: "ingress", Protocol: "300"},
		{Direction: "ingress", Protocol: "tcp", PortRangeMin: 90, PortRangeMax: 80},
		{Direction: "ingress", Protocol: "tcp", PortRangeMin: 70000},
		{Direction: "ingress", Protocol: "icmp", PortRangeMin: 256},
		{Direction: "ingress", Protocol: "gre", PortRangeMin: 1},
		{Direction: "ingress", PortRangeMin: 80},
		{Direction: "ingress", RemoteIPPrefix: "10.0.0.0/33"},
		{Direction: "ingress", RemoteGroupID: "x; flush ruleset"},
	} {
		if validRule(r) == nil {
			t.Errorf("%+v accepted", r)
		}
	}
}

// An invalid record is left out and reported; the rest of the state stays.
func TestBuildIndexSkipsInvalid(t *testing.T) {
	good := model.NetworkSpec{ID: "n1", Type: model.NetworkTypeVXLAN, SegmentationID: 10,
		Subnets: []model.SubnetSpec{{ID: "s", CIDR: "10.0.0.0/24"}}}
	st := model.HostNetworkState{
		Networks: []model.NetworkSpec{good,
			{ID: "bad vni", Type: model.NetworkTypeVXLAN},
			{ID: "n2", Type: model.NetworkTypeVXLAN, SegmentationID: 1 << 24},
			{ID: "n3", Type: "vlan", SegmentationID: 5},
			{ID: "n4", Type: model.NetworkTypeFlat}},
		SecurityGroups: []model.SecurityGroupSpec{{ID: "g", Rules: []model.SecurityRuleSpec{
			{ID: "ok", Direction: "ingress", Ethertype: "IPv4"},
			{ID: "bad", Direction: "ingress", Protocol: "nope"},
		}}},
		Ports: []model.PortSpec{
			{ID: "p1", NetworkID: "n1", MAC: "fa:16:3e:00:00:01", IPs: []string{"10.0.0.5"}, SecurityGroups: []string{"g"}, PortSecurity: true},
			{ID: "p2", NetworkID: "n1", MAC: "not-a-mac", IPs: []string{"10.0.0.6"}},
			{ID: "p3", NetworkID: "n1", MAC: "fa:16:3e:00:00:03", IPs: []string{"10.0.0.300"}},
			{ID: "p4", NetworkID: "n2", MAC: "fa:16:3e:00:00:04"},
			{ID: "p5", NetworkID: "n1", MAC: "fa:16:3e:00:00:05", SecurityGroups: []string{"missing"}, PortSecurity: true},
			{ID: "p6\"", NetworkID: "n1", MAC: "fa:16:3e:00:00:06"},
		},
		Routers: []model.RouterSpec{{ID: "r1", FloatingIPs: []model.FloatingIPSpec{{FloatingIP: "1.2.3.4", FixedIP: "10.0.0.5"}}}},
	}
	ix, err := buildIndex(st)
	if err == nil {
		t.Fatal("no error for invalid records")
	}
	if len(ix.networks) != 1 || ix.networks["n1"] == nil {
		t.Fatalf("networks kept: %v", ix.networks)
	}
	if len(ix.portIDs) != 1 || ix.portIDs[0] != "p1" {
		t.Fatalf("ports kept: %v", ix.portIDs)
	}
	if r := ix.groups["g"].Rules; len(r) != 1 || r[0].ID != "ok" {
		t.Fatalf("rules kept: %+v", r)
	}
	if len(ix.routers) != 0 {
		t.Fatal("router with floating IP but no gateway kept")
	}
}

func TestEnsurePortNeedsState(t *testing.T) {
	requireRoot(t)
	name := "np" + uniq() + "e"
	path := newNS(t, name)
	p, err := New(Config{NetNS: path, HostNetNS: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.EnsurePort(context.Background(), "p1"); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Fatalf("before any Apply: %v", err)
	}
	if err := p.Apply(context.Background(), model.HostNetworkState{Revision: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.EnsurePort(context.Background(), "p1"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("unknown port: %v", err)
	}
	if err := p.ReleasePort(context.Background(), "p1"); err != nil {
		t.Fatalf("release of a port never created: %v", err)
	}
	if err := p.ReleasePort(context.Background(), "../x"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("bad id: %v", err)
	}
	for _, bad := range []Config{
		{TunnelIP: "nope"}, {ExternalHostCIDR: "1.2.3.4"}, {RouterNSPrefix: "a/b"},
		{PhysicalBridges: map[string]string{"public": "zbr-clash"}},
	} {
		bad.NetNS, bad.HostNetNS = path, path
		if _, err := New(bad, nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("config %+v: %v", bad, err)
		}
	}
	if out := sh(t, "ip", "netns", "exec", name, "nft", "list", "ruleset"); strings.TrimSpace(out) != "" {
		t.Fatalf("empty state left rules: %s", out)
	}
}
