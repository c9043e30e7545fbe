package netplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/openzun/zun/internal/model"
)

const (
	vxlanPort     = 4789
	vxlanOverhead = 50
	underlayMTU   = 1500
)

// mtuOf is the network's MTU, the VXLAN overhead taken off a 1500 underlay
// when the spec leaves it out.
func mtuOf(n *model.NetworkSpec) int {
	if n.MTU > 0 {
		return n.MTU
	}
	if n.Type == model.NetworkTypeVXLAN {
		return underlayMTU - vxlanOverhead
	}
	return underlayMTU
}

// bridgeOf is the bridge a network's ports plug into: its own for VXLAN,
// the mapped physical bridge for flat ("" when the host has no mapping).
func (p *Plane) bridgeOf(n *model.NetworkSpec) string {
	if n.Type == model.NetworkTypeFlat {
		return p.cfg.PhysicalBridges[n.PhysicalNetwork]
	}
	return bridgeName(n.ID)
}

// syncLinks creates and fixes the bridges and VXLAN devices of the state's
// networks, re-attaches existing port veths, and deletes every device of
// ours the state does not name. Router veths are left to syncRouters.
func (p *Plane) syncLinks(ix *index) error {
	links, err := p.nl.LinkList()
	if err != nil {
		return fmt.Errorf("failed to list links: %w", err)
	}
	byName := map[string]netlink.Link{}
	for _, l := range links {
		byName[l.Attrs().Name] = l
	}
	var errs []error
	if p.split && !p.tuned[""] {
		// The data plane namespace bridges, it never routes (the host's
		// own forwarding setting is Docker's business and left alone).
		if err := writeSysctl(p.cfg.NetNS, "net.ipv4.ip_forward", "0"); err != nil {
			errs = append(errs, fmt.Errorf("failed to turn forwarding off: %w", err))
		} else {
			p.tuned[""] = true
		}
	}
	keep := map[string]bool{}
	for _, id := range sortedKeys(ix.networks) {
		n := ix.networks[id]
		switch n.Type {
		case model.NetworkTypeVXLAN:
			br, err := p.ensureBridge(byName, bridgeName(n.ID), mtuOf(n), true)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			keep[br.Attrs().Name] = true
			keep[vxlanName(n.ID)] = true
			if err := p.ensureVxlan(byName, n, br); err != nil {
				errs = append(errs, err)
			}
		case model.NetworkTypeFlat:
			name := p.bridgeOf(n)
			if name == "" {
				errs = append(errs, fmt.Errorf("network %s: no bridge mapped for physical network %q", n.ID, n.PhysicalNetwork))
				continue
			}
			if _, err := p.ensurePhysicalBridge(byName, name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, id := range ix.portIDs {
		keep[tapName(id)] = true
		keep[peerName(id)] = true
		if l, ok := byName[tapName(id)]; ok {
			n := ix.networks[ix.ports[id].NetworkID]
			if err := p.attachTap(byName, l, n); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, r := range ix.routers {
		for _, itf := range r.Interfaces {
			keep[routerIfHost+head(itf.PortID, 11)] = true
		}
		if r.Gateway != nil {
			keep[routerGwHost+head(r.Gateway.PortID, 11)] = true
		}
	}
	// A peer in the host namespace dies with its host end here: the host
	// namespace is shared (the Docker engine's, other planes' in tests)
	// and is never swept.
	// Delete ports' devices first, bridges last.
	for _, prefix := range []string{tapPrefix, peerPrefix, routerIfHost, routerGwHost, vxlanPrefix, bridgePrefix} {
		for _, l := range links {
			name := l.Attrs().Name
			if !strings.HasPrefix(name, prefix) || keep[name] {
				continue
			}
			if err := p.nl.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
				errs = append(errs, fmt.Errorf("failed to delete %s: %w", name, err))
				continue
			}
			delete(p.tuned, name)
			p.log.Info("removed stale device", "dev", name)
		}
	}
	return errors.Join(errs...)
}

// ensureBridge makes a tenant bridge: up, MTU, no IPv6, bridged IP traffic
// through the inet hooks.
func (p *Plane) ensureBridge(byName map[string]netlink.Link, name string, mtu int, tenant bool) (netlink.Link, error) {
	l, ok := byName[name]
	if ok && l.Type() != "bridge" {
		if err := p.nl.LinkDel(l); err != nil {
			return nil, fmt.Errorf("failed to replace %s: %w", name, err)
		}
		ok = false
	}
	if !ok {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, MTU: mtu}}
		if err := p.nl.LinkAdd(br); err != nil {
			return nil, fmt.Errorf("failed to create bridge %s: %w", name, err)
		}
		delete(p.tuned, name)
		var err error
		if l, err = p.nl.LinkByName(name); err != nil {
			return nil, fmt.Errorf("failed to find bridge %s: %w", name, err)
		}
		byName[name] = l
	}
	if !p.tuned[name] {
		if err := p.tuneBridge(name, tenant); err != nil {
			return nil, err
		}
		p.tuned[name] = true
	}
	if mtu > 0 && l.Attrs().MTU != mtu {
		if err := p.nl.LinkSetMTU(l, mtu); err != nil {
			return nil, fmt.Errorf("failed to set mtu of %s: %w", name, err)
		}
	}
	if l.Attrs().Flags&net.FlagUp == 0 {
		if err := p.nl.LinkSetUp(l); err != nil {
			return nil, fmt.Errorf("failed to bring %s up: %w", name, err)
		}
	}
	return l, nil
}

func (p *Plane) tuneBridge(name string, tenant bool) error {
	if _, err := run(context.Background(), p.cfg.NetNS, "", "ip", "link", "set", "dev", name, "type", "bridge",
		"nf_call_iptables", "1", "nf_call_ip6tables", "1", "nf_call_arptables", "0"); err != nil {
		return fmt.Errorf("failed to enable bridge netfilter on %s: %w", name, err)
	}
	if tenant {
		if err := writeSysctl(p.cfg.NetNS, "net.ipv6.conf."+name+".disable_ipv6", "1"); err != nil {
			return fmt.Errorf("failed to disable ipv6 on %s: %w", name, err)
		}
	}
	return nil
}

// ensurePhysicalBridge makes the bridge of a physical network (created if
// missing, never deleted) and gives it the host's external address when that
// belongs to one of the networks using it.
func (p *Plane) ensurePhysicalBridge(byName map[string]netlink.Link, name string) (netlink.Link, error) {
	l, err := p.ensureBridge(byName, name, 0, false)
	if err != nil {
		return nil, err
	}
	if !p.extPrefix.IsValid() || !p.hostBridge(name) {
		return l, nil
	}
	if p.split {
		// The host reaches the bridge through a veth named after it.
		if l, err = p.ensureHostUplink(name, l); err != nil {
			return nil, err
		}
	}
	h := p.hnl
	addrs, err := h.AddrList(l, unix.AF_UNSPEC)
	if err != nil {
		return nil, fmt.Errorf("failed to list addresses of %s: %w", name, err)
	}
	for _, a := range addrs {
		if a.IPNet.String() == p.extPrefix.String() {
			return l, nil
		}
	}
	addr := &netlink.Addr{IPNet: prefixNet(p.extPrefix)}
	if err := h.AddrAdd(l, addr); err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("failed to add %s to %s: %w", p.extPrefix, name, err)
	}
	return l, nil
}

// ensureHostUplink makes the veth pair joining the host namespace (end
// named like the bridge, returned) to the external bridge of the data plane
// namespace (end zhx-<bridge>).
func (p *Plane) ensureHostUplink(bridge string, br netlink.Link) (netlink.Link, error) {
	inner := uplinkPrefix + head(bridge, 11)
	host, hostErr := p.hnl.LinkByName(bridge)
	in, inErr := p.nl.LinkByName(inner)
	if hostErr != nil || inErr != nil || host.Type() != "veth" {
		if hostErr == nil && host.Type() == "veth" {
			_ = p.hnl.LinkDel(host)
		} else if hostErr == nil {
			return nil, fmt.Errorf("host interface %s exists and is not ours", bridge)
		}
		if inErr == nil {
			_ = p.nl.LinkDel(in)
		}
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: inner}, PeerName: bridge,
			PeerNamespace: netlink.NsFd(p.hostNsFd)}
		if err := p.nl.LinkAdd(veth); err != nil {
			return nil, fmt.Errorf("failed to create uplink %s: %w", bridge, err)
		}
		var err error
		if in, err = p.nl.LinkByName(inner); err != nil {
			return nil, err
		}
		if host, err = p.hnl.LinkByName(bridge); err != nil {
			return nil, err
		}
	}
	if err := p.fixPort(in, br, 0); err != nil {
		return nil, err
	}
	if host.Attrs().Flags&net.FlagUp == 0 {
		if err := p.hnl.LinkSetUp(host); err != nil {
			return nil, fmt.Errorf("failed to bring %s up: %w", bridge, err)
		}
	}
	return host, nil
}

// hostBridge reports whether the host's external address lives on this
// physical bridge: the first mapped bridge in name order, unless only one
// exists — a host has one external address.
func (p *Plane) hostBridge(name string) bool {
	return name == p.externalBridge()
}

func (p *Plane) externalBridge() string {
	if !p.extPrefix.IsValid() {
		return ""
	}
	if br, ok := p.cfg.PhysicalBridges["public"]; ok {
		return br
	}
	keys := sortedKeys(p.cfg.PhysicalBridges)
	if len(keys) == 0 {
		return ""
	}
	return p.cfg.PhysicalBridges[keys[0]]
}

func (p *Plane) ensureVxlan(byName map[string]netlink.Link, n *model.NetworkSpec, br netlink.Link) error {
	name := vxlanName(n.ID)
	want := &netlink.Vxlan{
		LinkAttrs: netlink.LinkAttrs{Name: name, MTU: mtuOf(n)},
		VxlanId:   n.SegmentationID,
		SrcAddr:   p.tunnelIP,
		Port:      vxlanPort,
		Learning:  false,
		Proxy:     true, // answer ARP/ND from the static neighbour entries
	}
	l, ok := byName[name]
	if ok {
		if !sameVxlan(l, want) {
			if err := p.nl.LinkDel(l); err != nil {
				return fmt.Errorf("failed to replace %s: %w", name, err)
			}
			ok = false
		}
	}
	if !ok {
		if err := p.createVxlan(want); err != nil {
			return err
		}
		var err error
		if l, err = p.nl.LinkByName(name); err != nil {
			return fmt.Errorf("failed to find vxlan %s: %w", name, err)
		}
		byName[name] = l
	}
	return p.fixPort(l, br, mtuOf(n))
}

// createVxlan creates the device in the host namespace, where its tunnel
// socket lives, and moves it into the managed one when they differ (as
// Docker's overlay driver does).
func (p *Plane) createVxlan(want *netlink.Vxlan) error {
	name := want.Name
	if !p.split {
		if err := p.nl.LinkAdd(want); err != nil {
			return fmt.Errorf("failed to create vxlan %s: %w", name, err)
		}
		return nil
	}
	if old, err := p.hnl.LinkByName(name); err == nil {
		_ = p.hnl.LinkDel(old) // left over from a crash before the move
	}
	if err := p.hnl.LinkAdd(want); err != nil {
		return fmt.Errorf("failed to create vxlan %s: %w", name, err)
	}
	l, err := p.hnl.LinkByName(name)
	if err == nil {
		err = p.hnl.LinkSetNsFd(l, p.dpFd)
	}
	if err != nil {
		if l != nil {
			_ = p.hnl.LinkDel(l)
		}
		return fmt.Errorf("failed to move vxlan %s into the data plane namespace: %w", name, err)
	}
	return nil
}

func sameVxlan(l netlink.Link, want *netlink.Vxlan) bool {
	v, ok := l.(*netlink.Vxlan)
	return ok && v.VxlanId == want.VxlanId && v.Port == want.Port && !v.Learning && v.Proxy &&
		v.SrcAddr.Equal(want.SrcAddr)
}

// fixPort puts a device into a bridge with the given MTU and brings it up,
// touching only what differs.
func (p *Plane) fixPort(l, br netlink.Link, mtu int) error {
	name := l.Attrs().Name
	if l.Attrs().MasterIndex != br.Attrs().Index {
		if err := p.nl.LinkSetMasterByIndex(l, br.Attrs().Index); err != nil {
			return fmt.Errorf("failed to attach %s to %s: %w", name, br.Attrs().Name, err)
		}
	}
	if mtu > 0 && l.Attrs().MTU != mtu {
		if err := p.nl.LinkSetMTU(l, mtu); err != nil {
			return fmt.Errorf("failed to set mtu of %s: %w", name, err)
		}
	}
	if l.Attrs().Flags&net.FlagUp == 0 {
		// A bridge port needs no IPv6 link-local address of its own.
		if err := p.nl.LinkSetIP6AddrGenMode(l, addrGenModeNone); err != nil {
			return fmt.Errorf("failed to turn off IPv6 addresses of %s: %w", name, err)
		}
		if err := p.nl.LinkSetUp(l); err != nil {
			return fmt.Errorf("failed to bring %s up: %w", name, err)
		}
	}
	return nil
}

// addrGenModeNone is IN6_ADDR_GEN_MODE_NONE.
const addrGenModeNone = 1

// attachTap re-plugs an existing port veth into its network's bridge.
func (p *Plane) attachTap(byName map[string]netlink.Link, l netlink.Link, n *model.NetworkSpec) error {
	br, ok := byName[p.bridgeOf(n)]
	if !ok {
		return fmt.Errorf("port device %s: bridge %q missing", l.Attrs().Name, p.bridgeOf(n))
	}
	return p.fixPort(l, br, mtuOf(n))
}

// syncFDB installs the static forwarding (MAC -> VTEP) and neighbour
// (IP -> MAC) entries of remote ports on each VXLAN device and removes the
// others, so nothing is learnt or flooded.
func (p *Plane) syncFDB(ix *index) error {
	var errs []error
	for _, id := range sortedKeys(ix.networks) {
		n := ix.networks[id]
		if n.Type != model.NetworkTypeVXLAN {
			continue
		}
		l, err := p.nl.LinkByName(vxlanName(n.ID))
		if err != nil {
			errs = append(errs, fmt.Errorf("network %s: vxlan device: %w", n.ID, err))
			continue
		}
		if err := p.syncDeviceFDB(l, ix.remote[n.ID]); err != nil {
			errs = append(errs, fmt.Errorf("network %s: %w", n.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (p *Plane) syncDeviceFDB(l netlink.Link, remote []model.RemotePort) error {
	idx := l.Attrs().Index
	wantFDB := map[string]net.IP{} // mac -> vtep
	wantNeigh := map[string]net.HardwareAddr{}
	for _, r := range remote {
		mac, _ := net.ParseMAC(r.MAC)
		wantFDB[mac.String()+"|"+r.VTEP] = net.ParseIP(r.VTEP)
		for _, ip := range r.IPs {
			a := netip.MustParseAddr(ip)
			wantNeigh[a.String()] = mac
		}
	}
	var errs []error
	fdb, err := p.nl.NeighList(idx, unix.AF_BRIDGE)
	if err != nil {
		return fmt.Errorf("failed to list fdb of %s: %w", l.Attrs().Name, err)
	}
	for _, e := range fdb {
		if e.IP == nil { // the device's own or bridge-level entries
			continue
		}
		key := e.HardwareAddr.String() + "|" + e.IP.String()
		if _, ok := wantFDB[key]; ok {
			delete(wantFDB, key)
			continue
		}
		if err := p.nl.NeighDel(&e); err != nil {
			errs = append(errs, fmt.Errorf("failed to delete fdb %s: %w", key, err))
		}
	}
	for _, key := range sortedKeys(wantFDB) {
		mac, _ := net.ParseMAC(key[:strings.IndexByte(key, '|')])
		e := &netlink.Neigh{LinkIndex: idx, Family: unix.AF_BRIDGE, Flags: netlink.NTF_SELF,
			State: netlink.NUD_PERMANENT, HardwareAddr: mac, IP: wantFDB[key]}
		if err := p.nl.NeighAppend(e); err != nil && !errors.Is(err, unix.EEXIST) {
			errs = append(errs, fmt.Errorf("failed to add fdb %s: %w", key, err))
		}
	}
	for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
		neigh, err := p.nl.NeighList(idx, fam)
		if err != nil {
			return fmt.Errorf("failed to list neighbours of %s: %w", l.Attrs().Name, err)
		}
		for _, e := range neigh {
			a, _ := netip.AddrFromSlice(e.IP)
			key := a.Unmap().String()
			if mac, ok := wantNeigh[key]; ok && e.State == netlink.NUD_PERMANENT && e.HardwareAddr.String() == mac.String() {
				delete(wantNeigh, key)
				continue
			}
			if _, ok := wantNeigh[key]; ok {
				continue // replaced below
			}
			if err := p.nl.NeighDel(&e); err != nil && !errors.Is(err, unix.ENOENT) {
				errs = append(errs, fmt.Errorf("failed to delete neighbour %s: %w", key, err))
			}
		}
	}
	for _, key := range sortedKeys(wantNeigh) {
		a := netip.MustParseAddr(key)
		fam := unix.AF_INET
		if a.Is6() {
			fam = unix.AF_INET6
		}
		e := &netlink.Neigh{LinkIndex: idx, Family: fam, State: netlink.NUD_PERMANENT,
			IP: net.IP(a.AsSlice()), HardwareAddr: wantNeigh[key]}
		if err := p.nl.NeighSet(e); err != nil {
			errs = append(errs, fmt.Errorf("failed to set neighbour %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

func prefixNet(pre netip.Prefix) *net.IPNet {
	bits := 32
	if pre.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: net.IP(pre.Addr().AsSlice()), Mask: net.CIDRMask(pre.Bits(), bits)}
}
