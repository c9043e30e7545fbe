package netplane

import (
	"testing"

	"github.com/openzun/zun/internal/model"
)

// TestIPv6AcrossHosts: dual-stack ports reach each other over VXLAN with
// neighbour discovery answered from static entries; the default group's
// IPv6 rules admit members only, and a spoofed IPv6 source is dropped.
func TestIPv6AcrossHosts(t *testing.T) {
	requireRoot(t)
	hosts := newHosts(t, 2, "", false)
	c := &cluster{hosts: hosts}
	n := c.vxlan("projA", "10.50.0.0/24", "10.50.0.1")
	c.dualStack(n, "fd00:50::/64")
	sg, other := c.defaultGroup(), c.defaultGroup()
	p1 := c.port(0, n, "10.50.0.11", sg)
	p2 := c.port(1, n, "10.50.0.12", sg)
	p3 := c.port(1, n, "10.50.0.13", other)
	c.portSpec(p1).IPs = append(c.portSpec(p1).IPs, "fd00:50::11")
	c.portSpec(p2).IPs = append(c.portSpec(p2).IPs, "fd00:50::12")
	c.portSpec(p3).IPs = append(c.portSpec(p3).IPs, "fd00:50::13")
	c.apply(t)
	c1, _, _ := hosts[0].plug(t, p1), hosts[1].plug(t, p2), hosts[1].plug(t, p3)

	if !ping(c1.name, "fd00:50::12", "-6") {
		t.Fatal("no IPv6 between members of the same group across hosts")
	}
	if ping(c1.name, "fd00:50::13", "-6") {
		t.Fatal("IPv6 reached a port of another group")
	}
	sh(t, "ip", "-n", c1.name, "addr", "add", "fd00:50::99/64", "dev", "eth0", "nodad")
	if ping(c1.name, "fd00:50::12", "-6", "-I", "fd00:50::99") {
		t.Fatal("spoofed IPv6 source got through")
	}
	sh(t, "ip", "-n", c1.name, "addr", "del", "fd00:50::99/64", "dev", "eth0")
	// An IPv6 rule from a prefix opens the other group's port.
	c.addRule(other, model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv6", Protocol: "icmp", RemoteIPPrefix: "fd00:50::/64"})
	c.apply(t)
	if !ping(c1.name, "fd00:50::13", "-6") {
		t.Log(sh(t, "ip", "netns", "exec", hosts[1].name, "nft", "list", "table", "inet", "zun"))
		t.Fatal("IPv6 icmp rule did not reach the running port")
	}
}
