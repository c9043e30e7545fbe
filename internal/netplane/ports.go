package netplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/openzun/zun/internal/errdefs"
)

// EnsurePort creates (idempotently) the veth pair of a port of the last
// applied state: the host end in the network's bridge, the peer end with
// the port's MAC left in the managed namespace for Docker to move into the
// container. A pair whose peer is gone (still in a dead sandbox, or left
// over from a crash) is replaced.
func (p *Plane) EnsurePort(ctx context.Context, portID string) (PortDevices, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.nl == nil {
		return PortDevices{}, fmt.Errorf("netplane closed: %w", errdefs.ErrFailedPrecondition)
	}
	if p.last == nil {
		return PortDevices{}, fmt.Errorf("port %s: no network state applied yet: %w", portID, errdefs.ErrFailedPrecondition)
	}
	port, ok := p.last.ports[portID]
	if !ok {
		return PortDevices{}, fmt.Errorf("port %s is not bound to this host: %w", portID, errdefs.ErrNotFound)
	}
	n := p.last.networks[port.NetworkID]
	mac, _ := net.ParseMAC(port.MAC)
	dev := PortDevices{
		HostIf: tapName(portID),
		PeerIf: peerName(portID),
		Bridge: p.bridgeOf(n),
		MAC:    mac.String(),
		MTU:    mtuOf(n),
	}
	for _, s := range port.IPs {
		a := netip.MustParseAddr(s)
		sub, pre, ok := subnetOf(n, a)
		if !ok {
			return PortDevices{}, fmt.Errorf("port %s: address %s in no subnet of network %s: %w", portID, a, n.ID, errdefs.ErrFailedPrecondition)
		}
		dev.IPs = append(dev.IPs, netip.PrefixFrom(a, pre.Bits()))
		if sub.GatewayIP != "" {
			if a.Is4() && dev.Gateway == "" {
				dev.Gateway = sub.GatewayIP
			} else if a.Is6() && dev.GatewayV6 == "" {
				dev.GatewayV6 = sub.GatewayIP
			}
		}
	}
	br, err := p.nl.LinkByName(dev.Bridge)
	if err != nil {
		return PortDevices{}, fmt.Errorf("port %s: bridge %q: %w", portID, dev.Bridge, err)
	}
	tap, tapErr := p.nl.LinkByName(dev.HostIf)
	peer, peerErr := p.hnl.LinkByName(dev.PeerIf)
	if tapErr == nil && peerErr == nil && tap.Type() == "veth" && peer.Attrs().HardwareAddr.String() == dev.MAC {
		if err := p.fixPort(tap, br, dev.MTU); err != nil {
			return PortDevices{}, err
		}
		return dev, nil
	}
	if tapErr == nil {
		// The peer is elsewhere (a sandbox that never gave it back) or the
		// pair is wrong: start over.
		if err := p.nl.LinkDel(tap); err != nil && !errors.Is(err, unix.ENODEV) {
			return PortDevices{}, fmt.Errorf("port %s: failed to delete stale %s: %w", portID, dev.HostIf, err)
		}
	}
	if peerErr == nil {
		if err := p.hnl.LinkDel(peer); err != nil && !errors.Is(err, unix.ENODEV) {
			return PortDevices{}, fmt.Errorf("port %s: failed to delete stale %s: %w", portID, dev.PeerIf, err)
		}
	}
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: dev.HostIf, MTU: dev.MTU},
		PeerName:         dev.PeerIf,
		PeerHardwareAddr: mac,
		PeerMTU:          uint32(dev.MTU),
	}
	if p.split {
		veth.PeerNamespace = netlink.NsFd(p.hostNsFd)
	}
	if err := p.nl.LinkAdd(veth); err != nil {
		return PortDevices{}, fmt.Errorf("port %s: failed to create veth: %w", portID, err)
	}
	if tap, err = p.nl.LinkByName(dev.HostIf); err != nil {
		return PortDevices{}, fmt.Errorf("port %s: %w", portID, err)
	}
	if err := p.fixPort(tap, br, dev.MTU); err != nil {
		return PortDevices{}, err
	}
	p.log.Debug("created port devices", "port", portID, "host_if", dev.HostIf, "bridge", dev.Bridge)
	return dev, nil
}

// ReleasePort deletes a port's veth pair (both ends, wherever the peer is).
// Deleting what is already gone is not an error.
func (p *Plane) ReleasePort(ctx context.Context, portID string) error {
	if err := validID(portID); err != nil {
		return fmt.Errorf("port: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.nl == nil {
		return fmt.Errorf("netplane closed: %w", errdefs.ErrFailedPrecondition)
	}
	for i, name := range []string{tapName(portID), peerName(portID)} {
		h := p.nl
		if i == 1 {
			h = p.hnl
		}
		l, err := h.LinkByName(name)
		if err != nil {
			continue
		}
		if err := h.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
			return fmt.Errorf("port %s: failed to delete %s: %w", portID, name, err)
		}
	}
	return nil
}
