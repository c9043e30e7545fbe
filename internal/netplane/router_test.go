package netplane

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/openzun/zun/internal/model"
)

// TestRouterSNATAndFloatingIP: a router on host 1 between a tenant network
// spanning both hosts and the flat external network whose bridge holds the
// host's address; containers reach the outside through SNAT, the host
// reaches a container through its floating IP, and neither a container nor
// the external network reaches the host's own services.
func TestRouterSNATAndFloatingIP(t *testing.T) {
	requireRoot(t)
	t.Run("one namespace", func(t *testing.T) { testRouter(t, false) })
	t.Run("data plane namespace", func(t *testing.T) { testRouter(t, true) })
}

func testRouter(t *testing.T, split bool) {
	ctx := context.Background()
	hosts := newHosts(t, 2, "172.24.4.1/24", split)
	c := &cluster{hosts: hosts}
	public := c.flat("public", "172.24.4.0/24", "172.24.4.1")
	private := c.vxlan("projA", "10.0.0.0/24", "10.0.0.1")
	sg := c.defaultGroup()
	c.addRule(sg, model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv4", Protocol: "tcp", PortRangeMin: 80, PortRangeMax: 80})
	c.addRule(sg, model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv4", Protocol: "icmp"})
	p1 := c.port(0, private, "10.0.0.5", sg)
	p2 := c.port(1, private, "10.0.0.6", sg)
	p3 := c.port(0, public, "172.24.4.30", sg) // a container right on the external network
	router := model.RouterSpec{
		ID: newID(), ProjectID: "projA",
		Gateway: &model.RouterGateway{NetworkID: public, PortID: newID(), MAC: randMAC(), IP: "172.24.4.10",
			CIDR: "172.24.4.0/24", GatewayIP: "172.24.4.1", EnableSNAT: true},
		Interfaces: []model.RouterInterface{{PortID: newID(), NetworkID: private, SubnetID: c.nets[1].Subnets[0].ID,
			MAC: randMAC(), IP: "10.0.0.1", CIDR: "10.0.0.0/24"}},
		FloatingIPs: []model.FloatingIPSpec{{ID: newID(), FloatingIP: "172.24.4.20", FixedIP: "10.0.0.5", PortID: p1}},
	}
	c.routers = []placedRouter{{spec: router, host: 0}}
	c.apply(t)

	c1, c2, c3 := hosts[0].plug(t, p1), hosts[1].plug(t, p2), hosts[0].plug(t, p3)
	serve(t, c3.path, 80, "c3")
	serve(t, c1.path, 80, "c1")
	// An outside machine on the external bridge.
	ext := hosts[0].name + "x"
	extPath := newNS(t, ext)
	sh(t, "ip", "-n", hosts[0].dp, "link", "add", "extport", "type", "veth", "peer", "name", "eth0", "netns", ext)
	sh(t, "ip", "-n", hosts[0].dp, "link", "set", "extport", "master", "zun-ex", "up")
	sh(t, "ip", "-n", ext, "addr", "add", "172.24.4.2/24", "dev", "eth0")
	sh(t, "ip", "-n", ext, "link", "set", "eth0", "up")
	serve(t, extPath, 80, "ext")
	serve(t, hosts[0].path, 9999, "host")

	rns := hosts[0].plane.routerNSName(router.ID)
	if out := sh(t, "ip", "netns", "list"); !strings.Contains(out, rns) {
		t.Fatalf("router namespace %s missing from `ip netns`:\n%s", rns, out)
	}
	if got := dial(c1.path, "172.24.4.2:80"); got != "ext 172.24.4.20" {
		t.Fatalf("container with floating IP -> outside: %q, want source 172.24.4.20", got)
	}
	if got := dial(c2.path, "172.24.4.2:80"); got != "ext 172.24.4.10" {
		t.Fatalf("container on the other host -> outside: %q, want SNAT to 172.24.4.10", got)
	}
	if got := dial(hosts[0].path, "172.24.4.20:80"); got != "c1 172.24.4.1" {
		t.Fatalf("host -> floating IP: %q, want c1 seeing 172.24.4.1", got)
	}
	if !ping(hosts[0].name, "172.24.4.20") {
		t.Fatal("host cannot ping the floating IP")
	}
	if got := dial(c2.path, "172.24.4.20:80"); got != "c1 10.0.0.1" {
		t.Fatalf("floating IP from behind the router (hairpin): %q", got)
	}
	if got := dial(c1.path, "172.24.4.1:9999"); got != "" {
		t.Fatalf("a container reached a service of the host: %q", got)
	}
	if got := dial(extPath, "172.24.4.1:9999"); got != "" {
		t.Fatalf("the external network reached a service of the host: %q", got)
	}
	if got := dial(extPath, "172.24.4.30:80"); got != "c3 172.24.4.2" {
		t.Fatalf("outside -> container on the flat network: %q", got)
	}
	if got := dial(hosts[0].path, "172.24.4.30:80"); got != "c3 172.24.4.1" {
		t.Fatalf("host -> container on the flat network: %q", got)
	}
	if got := dial(c3.path, "172.24.4.1:9999"); got != "" {
		t.Fatalf("a container on the flat network reached a service of the host: %q", got)
	}
	if got := dial(c3.path, "172.24.4.2:80"); got != "ext 172.24.4.30" {
		t.Fatalf("container on the flat network -> outside: %q", got)
	}
	if got := dial(extPath, "10.0.0.6:80"); got != "" {
		t.Fatalf("outside reached a private address: %q", got)
	}
	for _, ns := range []string{hosts[0].name, hosts[0].dp} {
		if out, err := exec.Command("ip", "netns", "exec", ns, "cat", "/proc/sys/net/ipv4/ip_forward").Output(); err != nil || strings.TrimSpace(string(out)) != "0" {
			t.Fatalf("forwarding turned on in %s: %q %v", ns, out, err)
		}
	}

	t.Run("idempotent", func(t *testing.T) {
		rsBefore := sh(t, "ip", "netns", "exec", rns, "nft", "list", "ruleset") + sh(t, "ip", "-n", rns, "addr")
		before := snapshot(t, hosts[0])
		if err := hosts[0].plane.Apply(ctx, c.stateFor(0)); err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, hosts[0]); after != before {
			t.Fatalf("second Apply changed the host:\n%s", diffLines(before, after))
		}
		if rsAfter := sh(t, "ip", "netns", "exec", rns, "nft", "list", "ruleset") + sh(t, "ip", "-n", rns, "addr"); rsAfter != rsBefore {
			t.Fatalf("second Apply changed the router:\n%s", diffLines(rsBefore, rsAfter))
		}
	})
	t.Run("floating IP removed", func(t *testing.T) {
		c.routers[0].spec.FloatingIPs = nil
		c.apply(t)
		if got := dial(hosts[0].path, "172.24.4.20:80"); got != "" {
			t.Fatalf("removed floating IP still answers: %q", got)
		}
		if got := dial(c1.path, "172.24.4.2:80"); got != "ext 172.24.4.10" {
			t.Fatalf("without floating IP: %q, want SNAT to the gateway", got)
		}
	})
	t.Run("router converges after crash", func(t *testing.T) {
		sh(t, "ip", "netns", "exec", rns, "nft", "delete", "table", "ip", "zun")
		sh(t, "ip", "-n", hosts[0].dp, "link", "del", routerIfHost+head(router.Interfaces[0].PortID, 11))
		if err := hosts[0].plane.Apply(ctx, c.stateFor(0)); err != nil {
			t.Fatal(err)
		}
		if got := dial(c2.path, "172.24.4.2:80"); got != "ext 172.24.4.10" {
			t.Fatalf("after convergence: %q", got)
		}
	})
	t.Run("router removed", func(t *testing.T) {
		c.routers = nil
		c.apply(t)
		if out := sh(t, "ip", "netns", "list"); strings.Contains(out, rns) {
			t.Fatalf("router namespace left:\n%s", out)
		}
		if out := sh(t, "ip", "-n", hosts[0].dp, "-o", "link"); strings.Contains(out, routerGwHost) || strings.Contains(out, routerIfHost) {
			t.Fatalf("router devices left:\n%s", out)
		}
		if got := dial(c1.path, "172.24.4.2:80"); got != "" {
			t.Fatalf("outside reachable without router: %q", got)
		}
	})
}
