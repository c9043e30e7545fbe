package docker

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	cerrdefs "github.com/containerd/errdefs"
	dcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// Tenant networking: each Zun network with a port on this host is a Docker
// network named by the network's ID, driven by the agent's network and
// IPAM plugin (Config.NetworkPlugin). A container's first port is its
// primary network in the create; the others are connected before start.
// The plugin binds each endpoint to its port by the requested address.

// Option the plugin reads to know a Docker network's Zun network (the
// plugin package's OptNetworkID; repeated to keep the driver free of it).
const optNetworkID = "zun.network_id"

// optNoGateway is the plugin's OptNoGateway, repeated likewise.
const optNoGateway = "zun.no_gateway"

// portNetworking returns the network mode and endpoint of ports[0] and
// makes sure every port's Docker network exists. Callers hold netMu for
// reading until the container is connected, so a prune cannot remove a
// network between its ensure and its use.
func (d *Driver) portNetworking(ctx context.Context, ports []model.PortAttachment, opts endpointOpts) (dcontainer.NetworkMode, *network.NetworkingConfig, error) {
	if d.cfg.NetworkPlugin == "" {
		return "", nil, fmt.Errorf("container has ports but this host has no network plugin: %w", errdefs.ErrFailedPrecondition)
	}
	for _, p := range ports {
		if err := d.ensureNetwork(ctx, p); err != nil {
			return "", nil, err
		}
	}
	first := ports[0]
	ep, err := endpointSettings(first, opts)
	if err != nil {
		return "", nil, err
	}
	return dcontainer.NetworkMode(first.NetworkID), &network.NetworkingConfig{
		EndpointsConfig: map[string]*network.EndpointSettings{first.NetworkID: ep}}, nil
}

// endpointOpts are driver options of the endpoints of one container
// (dockerplugin.Opt*).
type endpointOpts map[string]string

// endpointSettings asks for the port's addresses and MAC.
func endpointSettings(p model.PortAttachment, opts endpointOpts) (*network.EndpointSettings, error) {
	cfg := &network.EndpointIPAMConfig{}
	for _, ip := range p.FixedIPs {
		a, err := netip.ParseAddr(ip.IPAddress)
		if err != nil {
			return nil, fmt.Errorf("port %s has a bad address %q: %w", p.PortID, ip.IPAddress, errdefs.ErrInvalidArgument)
		}
		switch {
		case a.Is4() && !cfg.IPv4Address.IsValid():
			cfg.IPv4Address = a
		case a.Is6() && !cfg.IPv6Address.IsValid():
			cfg.IPv6Address = a
		}
	}
	if !cfg.IPv4Address.IsValid() && !cfg.IPv6Address.IsValid() {
		return nil, fmt.Errorf("port %s has no address: %w", p.PortID, errdefs.ErrInvalidArgument)
	}
	ep := &network.EndpointSettings{IPAMConfig: cfg, DriverOpts: opts}
	if mac, err := net.ParseMAC(p.MAC); err == nil {
		ep.MacAddress = network.HardwareAddr(mac)
	}
	return ep, nil
}

// ensureNetwork creates the Docker network of p's network unless it
// exists. Creations are serialized: the engine (API < 1.44) would accept
// two networks of one name.
func (d *Driver) ensureNetwork(ctx context.Context, p model.PortAttachment) error {
	d.nets.create.Lock()
	defer d.nets.create.Unlock()
	res, err := d.cli.NetworkInspect(ctx, p.NetworkID, client.NetworkInspectOptions{})
	if err == nil {
		if res.Network.Driver != d.cfg.NetworkPlugin {
			return fmt.Errorf("docker network %s exists with driver %s: %w", p.NetworkID, res.Network.Driver, errdefs.ErrConflict)
		}
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return translate("inspect network "+p.NetworkID, err)
	}
	ipam := &network.IPAM{Driver: d.cfg.NetworkPlugin, Options: map[string]string{optNetworkID: p.NetworkID}}
	v6 := false
	for _, ip := range p.FixedIPs {
		pfx, err := netip.ParsePrefix(ip.CIDR)
		if err != nil {
			return fmt.Errorf("port %s has a bad subnet %q: %w", p.PortID, ip.CIDR, errdefs.ErrInvalidArgument)
		}
		c := network.IPAMConfig{Subnet: pfx.Masked()}
		if gw, err := netip.ParseAddr(ip.GatewayIP); err == nil {
			c.Gateway = gw
		}
		v6 = v6 || pfx.Addr().Is6()
		ipam.Config = append(ipam.Config, c)
	}
	_, err = d.cli.NetworkCreate(ctx, p.NetworkID, client.NetworkCreateOptions{
		Driver:     d.cfg.NetworkPlugin,
		EnableIPv6: &v6,
		IPAM:       ipam,
		Options:    map[string]string{optNetworkID: p.NetworkID},
		Labels:     map[string]string{"zun.managed": "true", "zun.network_id": p.NetworkID},
	})
	if err != nil {
		return translate("create network "+p.NetworkID, err)
	}
	d.log.InfoContext(ctx, "created docker network", "network", p.NetworkID)
	return nil
}

// connectPorts connects the container ref to ports (its networks ensured).
// A retry finds the container connected already.
func (d *Driver) connectPorts(ctx context.Context, ref string, ports []model.PortAttachment, opts endpointOpts) error {
	for _, p := range ports {
		ep, err := endpointSettings(p, opts)
		if err != nil {
			return err
		}
		_, err = d.cli.NetworkConnect(ctx, p.NetworkID, client.NetworkConnectOptions{Container: ref, EndpointConfig: ep})
		if err != nil && !cerrdefs.IsConflict(err) && !cerrdefs.IsAlreadyExists(err) {
			return translate("connect port "+p.PortID, err)
		}
	}
	return nil
}

// AttachPort connects c to port (network_attach).
func (d *Driver) AttachPort(ctx context.Context, c *model.Container, port model.PortAttachment) error {
	d.nets.mu.RLock()
	defer d.nets.mu.RUnlock()
	if _, _, err := d.portNetworking(ctx, []model.PortAttachment{port}, nil); err != nil {
		return err
	}
	return d.connectPorts(ctx, ref(c), []model.PortAttachment{port}, nil)
}

// DetachPort disconnects c from port's network (network_detach). Not
// connected is not an error.
func (d *Driver) DetachPort(ctx context.Context, c *model.Container, port model.PortAttachment) error {
	_, err := d.cli.NetworkDisconnect(ctx, port.NetworkID, client.NetworkDisconnectOptions{Container: ref(c), Force: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return translate("disconnect port "+port.PortID, err)
	}
	return nil
}

// NetworkName resolves an engine network ID to its name (the Zun network
// ID), for the plugin's endpoints of networks it did not see created.
func (d *Driver) NetworkName(ctx context.Context, engineID string) (string, error) {
	res, err := d.cli.NetworkInspect(ctx, engineID, client.NetworkInspectOptions{})
	if err != nil {
		return "", translate("inspect network "+engineID, err)
	}
	return res.Network.Name, nil
}

// PruneNetworks removes the Docker networks of the plugin that have no
// container and are not in keep (the networks of the host's state).
func (d *Driver) PruneNetworks(ctx context.Context, keep map[string]bool) error {
	if d.cfg.NetworkPlugin == "" {
		return nil
	}
	d.nets.mu.Lock()
	defer d.nets.mu.Unlock()
	res, err := d.cli.NetworkList(ctx, client.NetworkListOptions{Filters: client.Filters{}.Add("driver", d.cfg.NetworkPlugin)})
	if err != nil {
		return translate("list networks", err)
	}
	for _, n := range res.Items {
		if keep[n.Name] || n.Driver != d.cfg.NetworkPlugin {
			continue
		}
		in, err := d.cli.NetworkInspect(ctx, n.ID, client.NetworkInspectOptions{})
		if err != nil || len(in.Network.Containers) > 0 {
			continue
		}
		if _, err := d.cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			d.log.WarnContext(ctx, "failed to remove unused docker network", "network", n.Name, "err", err)
			continue
		}
		d.log.InfoContext(ctx, "removed unused docker network", "network", n.Name)
	}
	return nil
}
