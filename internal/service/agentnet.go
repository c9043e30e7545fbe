package service

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/openzun/zun/internal/compute"
	"github.com/openzun/zun/internal/config"
	"github.com/openzun/zun/internal/dockerplugin"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/netplane"
)

// agentNetworking reports whether the agent runs the data plane and the
// Docker network plugin: only on the Docker driver (the fake driver's
// containers have no kernel side).
func agentNetworking(cfg config.Config) bool {
	return cfg.Driver == "docker" && cfg.Networking != "none"
}

// startAgentNetworking gives agent its data plane (netplane) and serves
// the Docker network plugin; stop closes both.
func startAgentNetworking(cfg config.Config, agent *compute.Agent, names dockerplugin.NetworkNamer, tunnelIP string, log *slog.Logger) (stop func(), err error) {
	bridges, err := config.ParsePhysicalBridges(cfg.AgentNetwork.PhysicalBridges)
	if err != nil {
		return nil, err
	}
	dpName, routerPrefix := dataPlaneNames(cfg.AgentNetwork)
	// The data plane lives in a namespace of its own (bridged tenant
	// traffic never meets the host's iptables, whose FORWARD policy Docker
	// sets to DROP); it outlives the agent, so containers keep their
	// network across an agent restart.
	dp, err := netplane.NamedNamespace(context.Background(), dpName)
	if err != nil {
		return nil, fmt.Errorf("failed to make the data plane namespace: %w", err)
	}
	plane, err := netplane.New(netplane.Config{NetNS: dp, TunnelIP: tunnelIP, PhysicalBridges: bridges,
		ExternalHostCIDR: cfg.AgentNetwork.ExternalHostCIDR, RouterNSPrefix: routerPrefix}, log.With("component", "netplane"))
	if err != nil {
		return nil, fmt.Errorf("failed to open the data plane: %w", err)
	}
	nets := agent.EnableNetworking(lazyPlane{plane})
	plugin := dockerplugin.New(dockerplugin.Config{Name: cfg.AgentNetwork.DockerPluginName}, nets, pluginPlane{plane}, names, log)
	if err := plugin.Listen(); err != nil {
		plane.Close()
		return nil, err
	}
	return func() {
		if err := plugin.Close(); err != nil {
			log.Warn("failed to close the docker network plugin", "err", err)
		}
		plane.Close()
	}, nil
}

// lazyPlane applies nothing until the host has something of the tenant
// networks: an agent whose cloud has no networks (or runs beside another
// agent on one machine, as tests do) never touches the kernel.
type lazyPlane struct{ p *netplane.Plane }

func (l lazyPlane) Apply(ctx context.Context, st model.HostNetworkState) error {
	if l.p.Revision() < 0 && len(st.Networks) == 0 && len(st.Ports) == 0 && len(st.Routers) == 0 {
		return nil
	}
	return l.p.Apply(ctx, st)
}

// dataPlaneNames are netplane's names for the default plugin, else the
// agent's own (config.AgentNetworkConfig.DataPlaneNames).
func dataPlaneNames(n config.AgentNetworkConfig) (string, string) {
	ns, prefix := n.DataPlaneNames()
	if ns == "" {
		ns = netplane.DataPlaneNamespace
	}
	return ns, prefix
}

// pluginPlane is the plugin's view of netplane.
type pluginPlane struct{ p *netplane.Plane }

func (pp pluginPlane) EnsurePort(ctx context.Context, portID string) (string, error) {
	d, err := pp.p.EnsurePort(ctx, portID)
	return d.PeerIf, err
}

func (pp pluginPlane) ReleasePort(ctx context.Context, portID string) error {
	return pp.p.ReleasePort(ctx, portID)
}

// tunnelIP is the --tunnel-ip, else the address this host uses to reach
// the NATS server (the control plane's network), else the source address
// of the default route. A UDP "connection" sends nothing.
func tunnelIP(cfg config.Config) string {
	if cfg.AgentNetwork.TunnelIP != "" {
		return cfg.AgentNetwork.TunnelIP
	}
	target := "192.0.2.1:4789" // TEST-NET-1: only its route matters
	if first, _, _ := strings.Cut(cfg.NATSURL, ","); first != "" {
		if u, err := url.Parse(strings.TrimSpace(first)); err == nil && u.Host != "" {
			target = u.Host
			if u.Port() == "" {
				target = net.JoinHostPort(u.Hostname(), "4222")
			}
		}
	}
	c, err := net.Dial("udp4", target)
	if err != nil {
		return ""
	}
	defer c.Close()
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() != nil {
		return a.IP.String()
	}
	return ""
}
