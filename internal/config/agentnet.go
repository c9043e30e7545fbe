package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// AgentNetworkConfig is the data plane side of a compute agent.
type AgentNetworkConfig struct {
	// TunnelIP is the host's VXLAN endpoint (default: the address the
	// agent uses to reach the NATS server).
	TunnelIP string
	// PhysicalBridges maps physical networks to host bridges,
	// "public=zun-ex,phys2=br2".
	PhysicalBridges string
	// ExternalHostCIDR is given to the host on the external bridge (the
	// all-in-one's 172.24.4.1/24, DevStack's public gateway), so the host
	// reaches floating IPs.
	ExternalHostCIDR string
	// DockerPluginName names the Docker network and IPAM plugin
	// (/run/docker/plugins/<name>.sock) and the driver of the agent's
	// Docker networks.
	DockerPluginName string
}

// All-in-one external network, as DevStack's.
const (
	AllInOnePhysicalBridges  = "public=zun-ex"
	AllInOneExternalHostCIDR = "172.24.4.1/24"
)

func (c *Config) agentNetworkFields() []field {
	n := &c.AgentNetwork
	return []field{
		{name: "tunnel-ip", usage: "compute: VXLAN endpoint address of this host (default: the address used to reach NATS)", str: &n.TunnelIP},
		{name: "physical-bridge", usage: "compute: physical network to host bridge mappings, e.g. public=zun-ex (comma separated)", str: &n.PhysicalBridges},
		{name: "external-host-cidr", usage: "compute: address given to the host on the external bridge, e.g. 172.24.4.1/24", str: &n.ExternalHostCIDR},
		{name: "docker-plugin-name", usage: "compute: name of the Docker network and IPAM plugin (socket /run/docker/plugins/<name>.sock)", str: &n.DockerPluginName},
	}
}

// DataPlaneNames are the data plane namespace and router namespace prefix
// of the agent: empty (netplane's defaults) for the plugin "zun", names of
// their own for any other, so agents sharing a machine (tests, a second
// host in a namespace) never remove each other's.
func (n AgentNetworkConfig) DataPlaneNames() (namespace, routerPrefix string) {
	if n.DockerPluginName == "" || n.DockerPluginName == "zun" {
		return "", ""
	}
	id := strings.ReplaceAll(n.DockerPluginName, ".", "-")
	short := id
	if len(short) > 12 {
		short = short[len(short)-12:]
	}
	return "zdp-" + id, "zr-" + short + "-"
}

var pluginName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// validateAgentNetwork checks the settings and fills the all-in-one's
// external bridge.
func (c *Config) validateAgentNetwork() error {
	n := &c.AgentNetwork
	if n.DockerPluginName == "" {
		n.DockerPluginName = "zun"
	}
	if !pluginName.MatchString(n.DockerPluginName) {
		return fmt.Errorf("docker-plugin-name must be lower case letters, digits, '.', '_' or '-', not %q", n.DockerPluginName)
	}
	if c.AllInOne && n.PhysicalBridges == "" && n.ExternalHostCIDR == "" {
		n.PhysicalBridges = AllInOnePhysicalBridges
		n.ExternalHostCIDR = AllInOneExternalHostCIDR
	}
	if n.TunnelIP != "" {
		if _, err := netip.ParseAddr(n.TunnelIP); err != nil {
			return fmt.Errorf("tunnel-ip must be an IP address, not %q", n.TunnelIP)
		}
	}
	if n.ExternalHostCIDR != "" {
		if _, err := netip.ParsePrefix(n.ExternalHostCIDR); err != nil {
			return fmt.Errorf("external-host-cidr must be an address with prefix length, not %q", n.ExternalHostCIDR)
		}
	}
	_, err := ParsePhysicalBridges(n.PhysicalBridges)
	return err
}

var ifName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,15}$`)

// ParsePhysicalBridges parses "phys=bridge,..." into a map.
func ParsePhysicalBridges(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		phys, br, ok := strings.Cut(kv, "=")
		if !ok || phys == "" || !ifName.MatchString(br) {
			return nil, fmt.Errorf("physical-bridge must be physnet=bridge (bridge name at most 15 characters), not %q", kv)
		}
		if _, dup := out[phys]; dup {
			return nil, fmt.Errorf("physical-bridge maps %q twice", phys)
		}
		out[phys] = br
	}
	return out, nil
}
