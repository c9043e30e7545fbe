package netplane

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/openzun/zun/internal/model"
)

// TestTenantNetworksAcrossHosts: two hosts, two projects whose networks use
// the same addresses; same-network traffic crosses hosts over VXLAN, the
// networks never see each other, security groups and anti-spoofing hold,
// rule changes reach running ports, and Apply is idempotent and converges
// after a crash.
func TestTenantNetworksAcrossHosts(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	hosts := newHosts(t, 2, "", false)
	c := &cluster{hosts: hosts}
	netA := c.vxlan("projA", "10.10.0.0/24", "10.10.0.1")
	netB := c.vxlan("projB", "10.10.0.0/24", "10.10.0.1") // same CIDR on purpose
	sgA, sgB, sgX := c.defaultGroup(), c.defaultGroup(), newID()
	c.groups = append(c.groups, model.SecurityGroupSpec{ID: sgX, Rules: []model.SecurityRuleSpec{
		{ID: newID(), Direction: "egress", Ethertype: "IPv4"},
	}})
	a1 := c.port(0, netA, "10.10.0.11", sgA)
	a2 := c.port(1, netA, "10.10.0.12", sgA)
	a3 := c.port(1, netA, "10.10.0.13", sgX)
	b1 := c.port(0, netB, "10.10.0.21", sgB)
	b2 := c.port(1, netB, "10.10.0.12", sgB) // a2's address, other network
	c.apply(t)

	ca1, ca2, ca3 := hosts[0].plug(t, a1), hosts[1].plug(t, a2), hosts[1].plug(t, a3)
	cb1, cb2 := hosts[0].plug(t, b1), hosts[1].plug(t, b2)
	serve(t, ca2.path, 80, "a2")
	serve(t, cb2.path, 80, "b2")
	serve(t, ca3.path, 80, "a3")
	serve(t, ca3.path, 81, "a3")

	t.Run("same network across hosts", func(t *testing.T) {
		if !ping(ca1.name, "10.10.0.12") {
			t.Fatal("a1 cannot ping a2 across hosts")
		}
		if got := dial(ca1.path, "10.10.0.12:80"); got != "a2 10.10.0.11" {
			t.Fatalf("a1 -> 10.10.0.12:80 answered %q, want a2", got)
		}
		if got := dial(cb1.path, "10.10.0.12:80"); got != "b2 10.10.0.21" {
			t.Fatalf("b1 -> 10.10.0.12:80 answered %q, want b2 (its own network)", got)
		}
	})
	t.Run("networks isolated", func(t *testing.T) {
		if ping(cb1.name, "10.10.0.11") {
			t.Fatal("b1 (project B) reached a1 (project A)")
		}
		if ping(ca1.name, "10.10.0.21") {
			t.Fatal("a1 reached b1 on another network")
		}
	})
	t.Run("security groups", func(t *testing.T) {
		if ping(ca1.name, "10.10.0.13") {
			t.Fatal("a1 pinged a3 although a3's group allows no ingress")
		}
		if got := dial(ca1.path, "10.10.0.13:80"); got != "" {
			t.Fatalf("a1 reached a3:80 without a rule: %q", got)
		}
		// A new rule reaches the running port.
		c.addRule(sgX, model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv4", Protocol: "tcp",
			PortRangeMin: 80, PortRangeMax: 80, RemoteIPPrefix: "10.10.0.0/24"})
		c.apply(t)
		if got := dial(ca1.path, "10.10.0.13:80"); got != "a3 10.10.0.11" {
			t.Fatalf("a1 -> a3:80 after the rule: %q", got)
		}
		if got := dial(ca1.path, "10.10.0.13:81"); got != "" {
			t.Fatalf("tcp/80 rule opened port 81: %q", got)
		}
		if ping(ca1.name, "10.10.0.13") {
			t.Fatal("tcp/80 rule opened icmp")
		}
		// Egress from a3 (egress any) to a2 (same-group ingress only) fails:
		// a3 is not a member of a2's group.
		if got := dial(ca3.path, "10.10.0.12:80"); got != "" {
			t.Fatalf("a3 reached a2 from outside a2's group: %q", got)
		}
	})
	t.Run("rule removal cuts established connections", func(t *testing.T) {
		serveEcho(t, ca3.path, 8080)
		c.addRule(sgX, model.SecurityRuleSpec{Direction: "ingress", Ethertype: "IPv4", Protocol: "tcp",
			PortRangeMin: 8080, PortRangeMax: 8080})
		c.apply(t)
		conn := dialIn(t, ca1.path, "10.10.0.13:8080")
		if !echoes(conn, "one") {
			t.Fatal("no echo on the allowed connection")
		}
		g := c.group(sgX)
		g.Rules = g.Rules[:len(g.Rules)-1]
		c.apply(t)
		if echoes(conn, "two") {
			t.Fatal("the connection outlived the removal of the rule that allowed it")
		}
	})
	t.Run("leaving a remote group cuts established connections", func(t *testing.T) {
		// a2's group admits members of the group: a1 is one, then leaves.
		// a2's rules stay the same text (they name the set), only the set
		// loses a1's address.
		serveEcho(t, ca2.path, 8081)
		conn := dialIn(t, ca1.path, "10.10.0.12:8081")
		if !echoes(conn, "one") {
			t.Fatal("no echo between members")
		}
		c.portSpec(a1).SecurityGroups = []string{sgX}
		c.apply(t)
		if echoes(conn, "two") {
			t.Fatal("the connection outlived its source's membership of the remote group")
		}
		c.portSpec(a1).SecurityGroups = []string{sgA}
		c.apply(t)
		if got := dial(ca1.path, "10.10.0.12:80"); got != "a2 10.10.0.11" {
			t.Fatalf("a1 -> a2:80 back in the group: %q", got)
		}
	})
	t.Run("anti-spoofing", func(t *testing.T) {
		sh(t, "ip", "-n", ca1.name, "addr", "add", "10.10.0.99/24", "dev", "eth0")
		if ping(ca1.name, "10.10.0.12", "-I", "10.10.0.99") {
			t.Fatal("ping from a spoofed source address got through")
		}
		if !ping(ca1.name, "10.10.0.12") {
			t.Fatal("ping from the port's own address fails next to the spoofed one")
		}
		sh(t, "ip", "-n", ca1.name, "addr", "del", "10.10.0.99/24", "dev", "eth0")
		// Allowed address pairs widen it.
		c.portSpec(a1).AllowedAddressPairs = []model.AddressPair{{IPAddress: "10.10.0.99"}}
		c.group(sgA).MemberIPs = nil
		c.apply(t)
		sh(t, "ip", "-n", ca1.name, "addr", "add", "10.10.0.99/24", "dev", "eth0")
		// a3's tcp/80 is open to 10.10.0.0/24: the pair's source now passes.
		if got := dialFrom(ca1.path, "10.10.0.99", "10.10.0.13:80"); got != "a3 10.10.0.99" {
			t.Fatalf("allowed address pair source: %q", got)
		}
		sh(t, "ip", "-n", ca1.name, "addr", "del", "10.10.0.99/24", "dev", "eth0")
		// A foreign MAC is dropped.
		orig := c.portSpec(a1).MAC
		sh(t, "ip", "-n", ca1.name, "link", "set", "eth0", "address", "fa:16:3e:00:00:99")
		sh(t, "ip", "-n", ca2.name, "neigh", "flush", "all")
		if ping(ca1.name, "10.10.0.12") {
			t.Fatal("frames from a spoofed MAC got through")
		}
		sh(t, "ip", "-n", ca1.name, "link", "set", "eth0", "address", orig)
		sh(t, "ip", "-n", ca2.name, "neigh", "flush", "all")
		if !ping(ca1.name, "10.10.0.12") {
			t.Fatal("a1 cannot ping a2 after its MAC is restored")
		}
	})
	t.Run("host unreachable from tenants", func(t *testing.T) {
		// The host end carries no address; give the bridge none either:
		// a container's only way to the host would be link-local IPv6.
		out := sh(t, "ip", "-n", hosts[0].name, "addr", "show", "dev", bridgeName(netA))
		if strings.Contains(out, "inet") {
			t.Fatalf("tenant bridge has an address:\n%s", out)
		}
		if ping(ca1.name, "192.168.250.1") {
			t.Fatal("a container reached the host's underlay address")
		}
	})
	t.Run("idempotent", func(t *testing.T) {
		before := snapshot(t, hosts[0])
		dpPath := filepath.Join(netnsDir, hosts[0].dp)
		genBefore, err := nftGenID(dpPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := hosts[0].plane.Apply(ctx, c.stateFor(0)); err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, hosts[0]); after != before {
			t.Fatalf("second Apply of the same state changed the host:\n%s", diffLines(before, after))
		}
		// Nothing changed, so nothing was loaded: the generation is the same.
		if gen, _ := nftGenID(dpPath); gen != genBefore {
			t.Fatalf("an unchanged Apply committed to nftables (generation %d -> %d)", genBefore, gen)
		}
		// Another writer's commit (any table) may have touched ours: the
		// next Apply reloads them once, and the one after loads nothing.
		sh(t, "ip", "netns", "exec", hosts[0].dp, "nft", "add table inet someone_else")
		if err := hosts[0].plane.Apply(ctx, c.stateFor(0)); err != nil {
			t.Fatal(err)
		}
		reloaded, _ := nftGenID(dpPath)
		if reloaded != genBefore+2 {
			t.Fatalf("after a foreign commit the generation went %d -> %d, want our one reload (+2)", genBefore, reloaded)
		}
		if err := hosts[0].plane.Apply(ctx, c.stateFor(0)); err != nil {
			t.Fatal(err)
		}
		if gen, _ := nftGenID(dpPath); gen != reloaded {
			t.Fatalf("an unchanged Apply after the reload committed again (generation %d -> %d)", reloaded, gen)
		}
		sh(t, "ip", "netns", "exec", hosts[0].dp, "nft", "delete table inet someone_else")
		if err := hosts[0].plane.Apply(ctx, c.stateFor(0)); err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, hosts[0]); after != before {
			t.Fatalf("Apply after foreign commits changed the host:\n%s", diffLines(before, after))
		}
		// Older revisions are ignored.
		if err := hosts[0].plane.Apply(ctx, emptyState(c.rev-1)); err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, hosts[0]); after != before {
			t.Fatal("a stale revision was applied")
		}
	})
	t.Run("converges after crash", func(t *testing.T) {
		before := snapshot(t, hosts[0])
		h := hosts[0].name
		sh(t, "ip", "-n", h, "link", "del", vxlanName(netA))
		sh(t, "ip", "-n", h, "link", "del", bridgeName(netB))
		sh(t, "ip", "-n", h, "link", "set", tapName(a1), "nomaster")
		sh(t, "ip", "netns", "exec", h, "nft", "delete", "table", "inet", "zun")
		sh(t, "ip", "netns", "exec", h, "nft", "flush", "chain", "bridge", "zun", "prerouting")
		sh(t, "ip", "-n", h, "link", "add", "ztapdeadbeef0", "type", "veth", "peer", "name", "zpeerdeadbe0") // a leftover of a deleted port
		if ping(ca1.name, "10.10.0.12") && ping(cb1.name, "10.10.0.12") {
			t.Fatal("damage did not break anything")
		}
		if err := hosts[0].plane.Apply(ctx, c.stateFor(0)); err != nil {
			t.Fatal(err)
		}
		if !ping(ca1.name, "10.10.0.12") || dial(cb1.path, "10.10.0.12:80") != "b2 10.10.0.21" {
			t.Fatal("connectivity not restored")
		}
		after := snapshot(t, hosts[0])
		if normIndexes(after) != normIndexes(before) {
			t.Fatalf("state after convergence differs:\n%s", diffLines(normIndexes(before), normIndexes(after)))
		}
	})
	t.Run("port release and re-create", func(t *testing.T) {
		// Docker's Leave gives the peer back, DeleteEndpoint releases, a
		// restart creates the endpoint again.
		sh(t, "ip", "-n", cb1.name, "link", "set", "eth0", "name", peerName(b1))
		sh(t, "ip", "-n", cb1.name, "link", "set", peerName(b1), "netns", hosts[0].name)
		if err := hosts[0].plane.ReleasePort(ctx, b1); err != nil {
			t.Fatal(err)
		}
		if err := hosts[0].plane.ReleasePort(ctx, b1); err != nil {
			t.Fatalf("second release: %v", err)
		}
		if out := sh(t, "ip", "-n", hosts[0].name, "link", "show"); strings.Contains(out, tapName(b1)) || strings.Contains(out, peerName(b1)) {
			t.Fatalf("released port left devices:\n%s", out)
		}
		dev, err := hosts[0].plane.EnsurePort(ctx, b1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hosts[0].plane.EnsurePort(ctx, b1); err != nil {
			t.Fatalf("second EnsurePort: %v", err)
		}
		sh(t, "ip", "-n", hosts[0].name, "link", "set", dev.PeerIf, "netns", cb1.name)
		sh(t, "ip", "-n", cb1.name, "link", "set", dev.PeerIf, "name", "eth0")
		sh(t, "ip", "-n", cb1.name, "addr", "add", dev.IPs[0].String(), "dev", "eth0")
		sh(t, "ip", "-n", cb1.name, "link", "set", "eth0", "up")
		if got := dial(cb1.path, "10.10.0.12:80"); got != "b2 10.10.0.21" {
			t.Fatalf("re-created port: %q", got)
		}
	})
	t.Run("empty state removes everything", func(t *testing.T) {
		c.ports, c.rev = nil, c.rev+1
		for _, h := range hosts {
			if err := h.plane.Apply(ctx, emptyState(c.rev)); err != nil {
				t.Fatal(err)
			}
			links := sh(t, "ip", "-n", h.name, "-o", "link", "show")
			for _, l := range strings.Split(links, "\n") {
				f := strings.Fields(l)
				if len(f) > 1 && ours(strings.TrimSuffix(strings.Split(f[1], "@")[0], ":")) {
					t.Fatalf("%s left %s", h.name, l)
				}
			}
			if rs := sh(t, "ip", "netns", "exec", h.name, "nft", "list", "ruleset"); strings.TrimSpace(rs) != "" {
				t.Fatalf("%s left rules:\n%s", h.name, rs)
			}
		}
	})
}

var (
	bridgeIDs = regexp.MustCompile(`8000\.[0-9a-f:]+`)
	operState = regexp.MustCompile(` state (UP|UNKNOWN|DOWN) `)
)

// normIndexes drops what legitimately changes when a device is re-created:
// interface indexes, its random MAC, and the order of the listing.
func normIndexes(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "link/ether") || strings.Contains(l, "dev "+vxlanPrefix) && strings.Contains(l, " master ") {
			continue
		}
		l = bridgeIDs.ReplaceAllString(l, "8000.x")
		l = operState.ReplaceAllString(l, " state x ")
		if i := strings.Index(l, ": "); i > 0 && i < 6 && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "\t") {
			l = l[i+2:]
		}
		lines = append(lines, l)
	}
	slicesSort(lines)
	return strings.Join(lines, "\n")
}
