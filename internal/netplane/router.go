package netplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/openzun/zun/internal/model"
)

const netnsDir = "/run/netns"

// routerTables are the nftables tables inside a router namespace.
var routerTables = []string{"ip zun"}

func (p *Plane) routerNSName(routerID string) string { return p.cfg.RouterNSPrefix + routerID }

// syncRouters makes one namespace per router of the state and deletes the
// router namespaces (with our prefix) that the state no longer names. Their
// host-side veth ends were already removed by syncLinks.
func (p *Plane) syncRouters(ctx context.Context, ix *index) error {
	var errs []error
	want := map[string]bool{}
	for _, r := range ix.routers {
		want[p.routerNSName(r.ID)] = true
		if err := p.syncRouter(ctx, r, ix); err != nil {
			errs = append(errs, fmt.Errorf("router %s: %w", r.ID, err))
		}
	}
	entries, err := os.ReadDir(netnsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return errors.Join(append(errs, err)...)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, p.cfg.RouterNSPrefix) || want[name] {
			continue
		}
		if _, err := run(ctx, "", "", "ip", "netns", "delete", name); err != nil {
			errs = append(errs, err)
			continue
		}
		p.forgetNamespace(filepath.Join(netnsDir, name))
		p.log.Info("removed stale router namespace", "netns", name)
	}
	return errors.Join(errs...)
}

// DataPlaneNamespace is the name of the agent's data plane namespace.
const DataPlaneNamespace = "zun-dataplane"

// NamedNamespace makes (if missing) the named network namespace
// /run/netns/<name>, as `ip netns add` does, and returns its path: the
// agent's Config.NetNS.
func NamedNamespace(ctx context.Context, name string) (string, error) {
	if err := validID(name); err != nil {
		return "", err
	}
	return ensureNamedNS(ctx, name)
}

// ensureNamedNS creates /run/netns/name, replacing a leftover that is not a
// namespace (a crash between the file and the mount).
func ensureNamedNS(ctx context.Context, name string) (string, error) {
	path := filepath.Join(netnsDir, name)
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err == nil && st.Type == unix.NSFS_MAGIC {
		return path, nil
	}
	_, _ = run(ctx, "", "", "ip", "netns", "delete", name)
	_ = os.Remove(path)
	if _, err := run(ctx, "", "", "ip", "netns", "add", name); err != nil {
		return "", err
	}
	return path, nil
}

func (p *Plane) syncRouter(ctx context.Context, r *model.RouterSpec, ix *index) error {
	path, err := ensureNamedNS(ctx, p.routerNSName(r.ID))
	if err != nil {
		return err
	}
	nsh, err := netns.GetFromPath(path)
	if err != nil {
		return fmt.Errorf("failed to open %s: %w", path, err)
	}
	defer nsh.Close()
	rnl, err := netlink.NewHandleAt(nsh)
	if err != nil {
		return fmt.Errorf("failed to open netlink in %s: %w", path, err)
	}
	defer rnl.Close()
	if lo, err := rnl.LinkByName("lo"); err == nil && lo.Attrs().Flags&net.FlagUp == 0 {
		if err := rnl.LinkSetUp(lo); err != nil {
			return fmt.Errorf("failed to bring lo up: %w", err)
		}
	}
	// Forwarding is on in the router namespace only, never in the host's.
	if err := writeSysctl(path, "net.ipv4.ip_forward", "1"); err != nil {
		return fmt.Errorf("failed to enable forwarding: %w", err)
	}
	var errs []error
	keep := map[string]bool{"lo": true}
	var tenantCIDRs []string
	for _, itf := range r.Interfaces {
		n := ix.networks[itf.NetworkID]
		pre, _ := ifPrefix(itf.IP, itf.CIDR)
		tenantCIDRs = append(tenantCIDRs, pre.Masked().String())
		inner := routerIfPrefix + head(itf.PortID, 11)
		keep[inner] = true
		if _, err := p.routerVeth(rnl, nsh, routerIfHost+head(itf.PortID, 11), inner, p.bridgeOf(n), itf.MAC, mtuOf(n), []netip.Prefix{pre}); err != nil {
			errs = append(errs, err)
		}
	}
	var gwIf string
	if gw := r.Gateway; gw != nil {
		n := ix.networks[gw.NetworkID]
		pre, _ := ifPrefix(gw.IP, gw.CIDR)
		addrs := []netip.Prefix{pre}
		for _, f := range r.FloatingIPs {
			// The floating addresses answer ARP on the gateway interface.
			addrs = append(addrs, netip.PrefixFrom(netip.MustParseAddr(f.FloatingIP), 32))
		}
		gwIf = routerGwPrefix + head(gw.PortID, 11)
		keep[gwIf] = true
		link, err := p.routerVeth(rnl, nsh, routerGwHost+head(gw.PortID, 11), gwIf, p.bridgeOf(n), gw.MAC, mtuOf(n), addrs)
		if err != nil {
			errs = append(errs, err)
		} else if gw.GatewayIP != "" {
			if err := ensureDefaultRoute(rnl, link, gw.GatewayIP); err != nil {
				errs = append(errs, err)
			}
		}
	}
	links, err := rnl.LinkList()
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("failed to list links: %w", err))...)
	}
	for _, l := range links {
		if name := l.Attrs().Name; !keep[name] {
			if err := rnl.LinkDel(l); err != nil {
				errs = append(errs, fmt.Errorf("failed to delete %s: %w", name, err))
			}
		}
	}
	slices.Sort(tenantCIDRs)
	tenantCIDRs = slices.Compact(tenantCIDRs)
	if err := p.loadTables(ctx, path, routerTables, routerScript(r, gwIf, tenantCIDRs), 0); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// routerVeth makes (or fixes) a router interface: the host end in a bridge
// of the managed namespace, the inner end in the router namespace with the
// port's MAC and exactly the given addresses.
func (p *Plane) routerVeth(rnl *netlink.Handle, nsh netns.NsHandle, hostName, innerName, bridge, macText string, mtu int, addrs []netip.Prefix) (netlink.Link, error) {
	mac, _ := net.ParseMAC(macText)
	br, err := p.nl.LinkByName(bridge)
	if err != nil {
		return nil, fmt.Errorf("bridge %q of %s: %w", bridge, innerName, err)
	}
	host, hostErr := p.nl.LinkByName(hostName)
	inner, innerErr := rnl.LinkByName(innerName)
	if hostErr != nil || innerErr != nil || inner.Attrs().HardwareAddr.String() != mac.String() {
		if hostErr == nil {
			_ = p.nl.LinkDel(host)
		}
		if innerErr == nil {
			_ = rnl.LinkDel(inner)
		}
		veth := &netlink.Veth{
			LinkAttrs:        netlink.LinkAttrs{Name: hostName, MTU: mtu},
			PeerName:         innerName,
			PeerHardwareAddr: mac,
			PeerMTU:          uint32(mtu),
			PeerNamespace:    netlink.NsFd(int(nsh)),
		}
		if err := p.nl.LinkAdd(veth); err != nil {
			return nil, fmt.Errorf("failed to create %s/%s: %w", hostName, innerName, err)
		}
		if host, err = p.nl.LinkByName(hostName); err != nil {
			return nil, err
		}
		if inner, err = rnl.LinkByName(innerName); err != nil {
			return nil, err
		}
	}
	if err := p.fixPort(host, br, mtu); err != nil {
		return nil, err
	}
	if inner.Attrs().MTU != mtu {
		if err := rnl.LinkSetMTU(inner, mtu); err != nil {
			return nil, fmt.Errorf("failed to set mtu of %s: %w", innerName, err)
		}
	}
	if err := syncAddrs(rnl, inner, addrs); err != nil {
		return nil, err
	}
	if inner.Attrs().Flags&net.FlagUp == 0 {
		if err := rnl.LinkSetUp(inner); err != nil {
			return nil, fmt.Errorf("failed to bring %s up: %w", innerName, err)
		}
	}
	return inner, nil
}

// syncAddrs leaves exactly the given IPv4 addresses on a link.
func syncAddrs(h *netlink.Handle, l netlink.Link, want []netip.Prefix) error {
	have, err := h.AddrList(l, unix.AF_INET)
	if err != nil {
		return fmt.Errorf("failed to list addresses of %s: %w", l.Attrs().Name, err)
	}
	wanted := map[string]netip.Prefix{}
	for _, w := range want {
		wanted[w.String()] = w
	}
	for _, a := range have {
		key := a.IPNet.String()
		if _, ok := wanted[key]; ok {
			delete(wanted, key)
			continue
		}
		if err := h.AddrDel(l, &a); err != nil {
			return fmt.Errorf("failed to remove %s from %s: %w", key, l.Attrs().Name, err)
		}
	}
	for _, key := range sortedKeys(wanted) {
		if err := h.AddrAdd(l, &netlink.Addr{IPNet: prefixNet(wanted[key])}); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("failed to add %s to %s: %w", key, l.Attrs().Name, err)
		}
	}
	return nil
}

func ensureDefaultRoute(h *netlink.Handle, l netlink.Link, gateway string) error {
	gw := net.ParseIP(gateway)
	routes, err := h.RouteList(nil, unix.AF_INET)
	if err != nil {
		return fmt.Errorf("failed to list routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil || r.Dst.String() == "0.0.0.0/0" {
			if r.Gw.Equal(gw) && r.LinkIndex == l.Attrs().Index {
				return nil
			}
		}
	}
	if err := h.RouteReplace(&netlink.Route{LinkIndex: l.Attrs().Index, Gw: gw}); err != nil {
		return fmt.Errorf("failed to set default route via %s: %w", gateway, err)
	}
	return nil
}

// routerScript is the NAT and filter table of a router namespace: floating
// IPs as DNAT (floating -> fixed) and SNAT (fixed -> floating), SNAT of the
// tenant subnets to the gateway address, hairpin NAT for floating IPs used
// from behind the router, and no new connections from the external side
// except to floating IPs.
func routerScript(r *model.RouterSpec, gwIf string, tenantCIDRs []string) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	fips := slices.Clone(r.FloatingIPs)
	slices.SortFunc(fips, func(a, b model.FloatingIPSpec) int { return strings.Compare(a.FloatingIP, b.FloatingIP) })
	w("table ip zun {")
	w("\tchain prerouting {")
	w("\t\ttype nat hook prerouting priority -100; policy accept;")
	for _, f := range fips {
		w("\t\tip daddr %s dnat to %s", f.FloatingIP, f.FixedIP)
	}
	w("\t}")
	w("\tchain output {")
	w("\t\ttype nat hook output priority -100; policy accept;")
	for _, f := range fips {
		w("\t\tip daddr %s dnat to %s", f.FloatingIP, f.FixedIP)
	}
	w("\t}")
	w("\tchain postrouting {")
	w("\t\ttype nat hook postrouting priority 100; policy accept;")
	w("\t\tiifname %q oifname %q ct status dnat masquerade", routerIfPrefix+"*", routerIfPrefix+"*")
	if gwIf != "" {
		for _, f := range fips {
			w("\t\toifname %q ip saddr %s snat to %s", gwIf, f.FixedIP, f.FloatingIP)
		}
		if r.Gateway.EnableSNAT && len(tenantCIDRs) > 0 {
			w("\t\toifname %q ip saddr %s snat to %s", gwIf, nftSet(tenantCIDRs), r.Gateway.IP)
		}
	}
	w("\t}")
	w("\tchain forward {")
	w("\t\ttype filter hook forward priority 0; policy accept;")
	if gwIf != "" {
		w("\t\tiifname %q ct state established,related accept", gwIf)
		w("\t\tiifname %q ct status dnat accept", gwIf)
		w("\t\tiifname %q drop", gwIf)
	}
	w("\t}")
	w("\tchain input {")
	w("\t\ttype filter hook input priority 0; policy accept;")
	w("\t\tct state established,related accept")
	w("\t\tiifname \"lo\" accept")
	w("\t\tmeta l4proto icmp accept")
	w("\t\tdrop")
	w("\t}")
	w("}")
	return b.String()
}
