package netplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/openzun/zun/internal/model"
)

// Packet mark layout: the sending port's index in the low half, the
// receiving port's in the high half (see the package doc).
const (
	egressMask  = 0x0000ffff
	ingressMask = 0xffff0000
	maxPorts    = 0xffff
)

// hostTables are the nftables tables of the managed namespace.
var hostTables = []string{"bridge zun", "inet zun"}

// filterScript renders the host namespace's two tables for a state ("" when
// there is nothing to filter).
func (p *Plane) filterScript(ix *index) (string, error) {
	type filtered struct {
		id  string
		n   int
		tap string
	}
	var ports []filtered
	var tenantTaps []string
	for _, id := range ix.portIDs {
		port := ix.ports[id]
		if ix.networks[port.NetworkID].Type == model.NetworkTypeVXLAN {
			tenantTaps = append(tenantTaps, quote(tapName(id)))
		}
		if !port.PortSecurity {
			continue
		}
		if len(ports) == maxPorts {
			return "", fmt.Errorf("more than %d filtered ports on one host", maxPorts)
		}
		ports = append(ports, filtered{id: id, n: len(ports) + 1, tap: tapName(id)})
	}
	if len(ports) == 0 && len(tenantTaps) == 0 && len(ix.routers) == 0 && len(ix.networks) == 0 {
		return "", nil
	}

	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }

	w("table bridge zun {")
	w("\tchain prerouting {")
	w("\t\ttype filter hook prerouting priority -300; policy accept;")
	// Marks are ours on frames entering from our devices.
	for _, pre := range []string{tapPrefix, vxlanPrefix, routerIfHost, routerGwHost} {
		w("\t\tiifname %q meta mark set 0x0", pre+"*")
	}
	if len(ports) > 0 {
		var m []string
		for _, fp := range ports {
			m = append(m, fmt.Sprintf("%q : jump port-%d", fp.tap, fp.n))
		}
		w("\t\tiifname vmap %s", nftSet(m))
	}
	w("\t}")
	w("\tchain forward {")
	w("\t\ttype filter hook forward priority -200; policy accept;")
	if len(ports) > 0 {
		var m []string
		for _, fp := range ports {
			m = append(m, fmt.Sprintf("%q : jump to-%d", fp.tap, fp.n))
		}
		w("\t\toifname vmap %s", nftSet(m))
	}
	w("\t}")
	// Tenant bridges carry no address: nothing from a tenant port, a
	// tunnel or a router interface is for the host.
	w("\tchain input {")
	w("\t\ttype filter hook input priority -200; policy accept;")
	if len(tenantTaps) > 0 {
		w("\t\tiifname %s drop", nftSet(tenantTaps))
	}
	w("\t\tiifname %q drop", vxlanPrefix+"*")
	w("\t\tiifname %q drop", routerIfHost+"*")
	w("\t}")
	for _, fp := range ports {
		w("\tchain port-%d {", fp.n)
		for _, line := range antiSpoof(ix.ports[fp.id]) {
			w("\t\t%s", line)
		}
		w("\t\tmeta mark set 0x%x", fp.n)
		w("\t}")
		w("\tchain to-%d {", fp.n)
		w("\t\tmeta mark set meta mark and 0x%x or 0x%x", egressMask, fp.n<<16)
		w("\t}")
	}
	w("}")

	w("table inet zun {")
	// Member sets of every group a filtered port's rules name.
	used := map[string]bool{}
	for _, fp := range ports {
		for _, gid := range ix.ports[fp.id].SecurityGroups {
			for _, r := range ix.groups[gid].Rules {
				if r.RemoteGroupID != "" && ix.groups[r.RemoteGroupID] != nil {
					used[r.RemoteGroupID] = true
				}
			}
		}
	}
	for _, gid := range sortedKeys(used) {
		v4, v6 := splitFamilies(ix.groups[gid].MemberIPs)
		for _, fam := range []struct {
			v6    bool
			typ   string
			elems []string
		}{{false, "ipv4_addr", v4}, {true, "ipv6_addr", v6}} {
			elems := ""
			if len(fam.elems) > 0 {
				elems = " elements = " + nftSet(fam.elems) + ";"
			}
			w("\tset %s { type %s; flags interval; auto-merge;%s }", groupSet(gid, fam.v6), fam.typ, elems)
		}
	}
	w("\tchain forward {")
	w("\t\ttype filter hook forward priority 0; policy accept;")
	if len(ports) > 0 {
		w("\t\tmeta mark 0x0 return")
		w("\t\tct state established,related accept")
		var eg, in []string
		for _, fp := range ports {
			eg = append(eg, fmt.Sprintf("0x%x : jump egress-%d", fp.n, fp.n))
			in = append(in, fmt.Sprintf("0x%x : jump ingress-%d", fp.n<<16, fp.n))
		}
		w("\t\tmeta mark and 0x%x vmap %s", egressMask, nftSet(eg))
		w("\t\tmeta mark and 0x%x vmap %s", uint32(ingressMask), nftSet(in))
	}
	w("\t}")
	for _, fp := range ports {
		port := ix.ports[fp.id]
		// Egress chains return (the receiver's ingress chain still runs),
		// ingress chains accept.
		for _, d := range []struct{ dir, chain, verdict string }{
			{"egress", "egress", "return"}, {"ingress", "ingress", "accept"},
		} {
			w("\tchain %s-%d {", d.chain, fp.n)
			w("\t\tct state invalid drop")
			if d.dir == "egress" {
				w("\t\ticmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } return")
			} else {
				w("\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept")
			}
			var lines []string
			for _, gid := range port.SecurityGroups {
				for _, r := range ix.groups[gid].Rules {
					if r.Direction != d.dir {
						continue
					}
					if txt := ruleText(r, ix.groups); txt != "" {
						lines = append(lines, txt)
					}
				}
			}
			slices.Sort(lines)
			for _, l := range slices.Compact(lines) {
				w("\t\t%s %s", l, d.verdict)
			}
			w("\t\tdrop")
			w("\t}")
		}
	}
	w("}")
	return b.String(), nil
}

// antiSpoof is a port's stateless source check: its MACs, its addresses
// (plus allowed address pairs) in IP and ARP, no VLAN tags, no DHCP server
// replies, no router advertisements or redirects, nothing but IP and ARP.
func antiSpoof(port *model.PortSpec) []string {
	mac, _ := net.ParseMAC(port.MAC)
	macs := []string{mac.String()}
	addrs := slices.Clone(port.IPs)
	for _, pair := range port.AllowedAddressPairs {
		addrs = append(addrs, pair.IPAddress)
		if pair.MACAddress != "" {
			m, _ := net.ParseMAC(pair.MACAddress)
			macs = append(macs, m.String())
		}
	}
	slices.Sort(macs)
	macs = slices.Compact(macs)
	v4, v6 := splitFamilies(addrs)
	v6 = append(v6, "fe80::/10", "::") // link-local and DAD sources
	lines := []string{
		"ether saddr != " + nftSet(macs) + " drop",
		"ether type { 0x8100, 0x88a8 } drop",
		"arp saddr ether != " + nftSet(macs) + " drop",
	}
	if len(v4) > 0 {
		lines = append(lines,
			"arp saddr ip != "+nftSet(v4)+" drop",
			"ip saddr != "+nftSet(v4)+" drop")
	} else {
		lines = append(lines, "ether type arp drop", "ether type ip drop")
	}
	lines = append(lines,
		"ip protocol udp udp sport 67 drop",
		"ip6 saddr != "+nftSet(v6)+" drop",
		"icmpv6 type { nd-router-advert, nd-redirect } drop",
		"meta l4proto udp udp sport 547 drop",
		"ether type != { ip, ip6, arp } drop",
	)
	return lines
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// syncFilter loads the managed namespace's tables for the state, and the
// host's guard of its external address.
func (p *Plane) syncFilter(ctx context.Context, ix *index) error {
	script, err := p.filterScript(ix)
	if err != nil {
		return err
	}
	err = p.loadTables(ctx, p.cfg.NetNS, hostTables, script, 0)
	if err == nil {
		p.forgetConnections(ix)
	}
	if ext := p.externalBridge(); ext != "" {
		err = errors.Join(err, p.loadTables(ctx, p.cfg.HostNetNS, []string{guardTable(ext)}, p.guardScript(ix), guardReload))
	}
	return err
}

// forgetConnections deletes the conntrack entries of ports whose rules
// changed, as Neutron does: a connection a removed rule allowed must not
// live on as "established". Connections still allowed are picked up again
// as new by the next packet.
func (p *Plane) forgetConnections(ix *index) {
	sigs := map[string]string{}
	for _, id := range ix.portIDs {
		port := ix.ports[id]
		if !port.PortSecurity {
			continue
		}
		var lines []string
		for _, gid := range port.SecurityGroups {
			for _, r := range ix.groups[gid].Rules {
				lines = append(lines, r.Direction+" "+ruleText(r, ix.groups))
			}
		}
		slices.Sort(lines)
		sigs[id] = strings.Join(lines, "\n")
	}
	forget := conntrackFilters{}
	for id, sig := range sigs {
		old, ok := p.ruleSigs[id]
		if !ok || old == sig {
			continue
		}
		for _, s := range ix.ports[id].IPs {
			if ip := net.ParseIP(s); ip != nil {
				f := &netlink.ConntrackFilter{}
				_ = f.AddIP(netlink.ConntrackReplyAnyIP, ip) // errors only on a repeated kind
				forget.add(ip, f)
			}
		}
	}
	p.ruleSigs = sigs
	p.forgetLeftMembers(ix, forget)
	// One dump of the table per family, whatever the number of entries.
	for fam, fs := range forget {
		if _, err := p.nl.ConntrackDeleteFilters(netlink.ConntrackTable, fam, fs...); err != nil {
			p.log.Warn("failed to forget connections", "err", err)
		}
	}
}

// conntrackFilters gathers the connections a sync must forget, by family.
type conntrackFilters map[netlink.InetFamily][]netlink.CustomConntrackFilter

func (c conntrackFilters) add(ip net.IP, f netlink.CustomConntrackFilter) {
	fam := netlink.InetFamily(unix.AF_INET)
	if ip.To4() == nil {
		fam = unix.AF_INET6
	}
	c[fam] = append(c[fam], f)
}

// forgetLeftMembers adds to forget the conntrack entries between an address that
// left a security group and the ports whose rules name that group as
// remote: the rules' text names the group's set, not its members, so the
// signatures above do not change when the set loses an address, and a
// connection the membership allowed must not live on as "established".
func (p *Plane) forgetLeftMembers(ix *index, forget conntrackFilters) {
	members := make(map[string][]string, len(ix.groups))
	left := map[string][]net.IP{}
	for id, g := range ix.groups {
		members[id] = g.MemberIPs
		for _, old := range p.groupMembers[id] {
			if !slices.Contains(g.MemberIPs, old) {
				if ip := net.ParseIP(old); ip != nil {
					left[id] = append(left[id], ip)
				}
			}
		}
	}
	p.groupMembers = members
	if len(left) == 0 {
		return
	}
	for _, id := range ix.portIDs {
		port := ix.ports[id]
		if !port.PortSecurity {
			continue
		}
		var gone []net.IP
		for _, gid := range port.SecurityGroups {
			for _, r := range ix.groups[gid].Rules {
				gone = append(gone, left[r.RemoteGroupID]...)
			}
		}
		for _, s := range port.IPs {
			own := net.ParseIP(s)
			for _, other := range gone {
				if own == nil || (own.To4() == nil) != (other.To4() == nil) {
					continue
				}
				forget.add(own, between(own, other))
				forget.add(own, between(other, own))
			}
		}
	}
}

// between matches the connections opened from src to dst.
func between(src, dst net.IP) netlink.CustomConntrackFilter {
	f := &netlink.ConntrackFilter{}
	_ = f.AddIP(netlink.ConntrackOrigSrcIP, src) // errors only on a repeated kind
	_ = f.AddIP(netlink.ConntrackOrigDstIP, dst)
	return f
}

// guardTable holds the host's guard of its address on an external bridge;
// named after the bridge, as the host namespace may be shared.
func guardTable(bridge string) string { return "inet zunhost-" + bridge }

// guardScript lets the host's external address answer only the host's own
// connections: containers (through their router's SNAT or on the flat
// network) and the outside never open one to a host service (hardening
// E.23). It stays while the external bridge carries the address.
func (p *Plane) guardScript(ix *index) string {
	ext := p.externalBridge()
	if ext == "" {
		return ""
	}
	if _, err := p.hnl.LinkByName(ext); err != nil {
		return ""
	}
	return fmt.Sprintf(`table `+guardTable(ext)+` {
	chain input {
		type filter hook input priority 0; policy accept;
		iifname %q ct state established,related accept
		iifname %q drop
	}
}
`, ext, ext)
}

// guardReload bounds how often the host's guard table is reloaded only
// because someone else committed in the host's nftables: Docker's
// iptables-nft does on every container start, so checking by listing or
// reloading each time would put an nft run on every create.
const guardReload = 10 * time.Second

// loadTables replaces the given tables of a namespace by script in one
// transaction (deleting them when script is empty), unless the kernel
// still holds what the same script produced last time. That is known
// without listing the ruleset: after each of our loads we remember the
// namespace's generation; a different generation later means another
// writer committed there, which marks our tables of that namespace stale,
// and a stale table is reloaded (at once, or once reloadAfter has passed
// since its last load).
func (p *Plane) loadTables(ctx context.Context, nsPath string, tables []string, script string, reloadAfter time.Duration) error {
	key := nsPath + "|" + strings.Join(tables, ",")
	gen, genErr := nftGenID(nsPath)
	if known, ok := p.nftGen[nsPath]; genErr == nil && ok && known != gen {
		for k, c := range p.nftCache {
			if c.ns == nsPath {
				c.stale = true
				p.nftCache[k] = c
			}
		}
		p.nftGen[nsPath] = gen
	}
	cached, ok := p.nftCache[key]
	if ok && genErr == nil && cached.script == script {
		if !cached.stale || time.Since(cached.loaded) < reloadAfter {
			return nil
		}
	}
	var b strings.Builder
	for _, t := range tables {
		// "add" first so the delete never fails on a missing table.
		fmt.Fprintf(&b, "add table %s\ndelete table %s\n", t, t)
	}
	b.WriteString(script)
	if _, err := run(ctx, nsPath, b.String(), "nft", "-f", "-"); err != nil {
		delete(p.nftCache, key)
		return fmt.Errorf("failed to load nftables: %w", err)
	}
	p.nftCache[key] = nftApplied{ns: nsPath, script: script, loaded: time.Now()}
	// Our own commit moved the generation by one: the namespace's other
	// tables of ours stay as they were unless someone else committed in
	// between, which the number tells.
	after, err := nftGenID(nsPath)
	switch {
	case err != nil || genErr != nil:
		delete(p.nftGen, nsPath) // nothing to compare with: reload next time
		delete(p.nftCache, key)
	case after != gen+1:
		p.nftGen[nsPath] = gen // the next call sees the move and marks all stale
	default:
		p.nftGen[nsPath] = after
	}
	return nil
}

// forgetNamespace drops what we remember of a deleted namespace.
func (p *Plane) forgetNamespace(nsPath string) {
	delete(p.nftGen, nsPath)
	for k, c := range p.nftCache {
		if c.ns == nsPath {
			delete(p.nftCache, k)
		}
	}
}
