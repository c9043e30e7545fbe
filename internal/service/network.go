package service

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/openzun/zun/internal/apiserver"
	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/config"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/network"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// busNotifier casts network_changed to an agent. An agent that does not
// answer catches up at its next sync.
type busNotifier struct {
	b   bus.Bus
	log *slog.Logger
}

func (n busNotifier) NetworkChanged(ctx context.Context, host string, rev int64) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := n.b.Cast(ctx, bus.ComputeSubject(host, rpc.MethodNetworkChanged), rpc.NetworkChanged{Host: host, Revision: rev}); err != nil {
		n.log.Debug("network_changed not delivered", "host", host, "revision", rev, "err", err)
	}
}

// firstUpHost places routers on the first enabled, up compute host by
// name that bridges a physical network (the all-in-one's own agent; a
// "network node" among several hosts): a router's gateway sits on the
// flat external network, which only such a host can reach. With none,
// the router is not placed (its networks still work host to host).
type firstUpHost struct {
	st       store.Store
	downTime time.Duration
}

func (p firstUpHost) RouterHost(ctx context.Context) (string, error) {
	svcs, err := p.st.Services().List(zunctx.System(ctx))
	if err != nil {
		return "", err
	}
	now := time.Now()
	var up []string
	for _, s := range svcs {
		if s.Binary != "zun-compute" || s.Disabled || !s.IsUp(now, p.downTime) {
			continue
		}
		if n, err := p.st.Hosts().Get(zunctx.System(ctx), s.Host); err != nil || len(n.PhysicalNetworks) == 0 {
			continue
		}
		up = append(up, s.Host)
	}
	if len(up) == 0 {
		return "", nil
	}
	sort.Strings(up)
	return up[0], nil
}

// hostTunnels reads a host's VXLAN endpoint from its compute node record.
type hostTunnels struct{ hosts store.Hosts }

func (t hostTunnels) TunnelIP(ctx context.Context, host string) (string, error) {
	n, err := t.hosts.Get(zunctx.System(ctx), host)
	if err != nil {
		return "", err
	}
	return n.TunnelIP, nil
}

func newNetworkService(cfg config.Config, st store.Store, b bus.Bus, log *slog.Logger) *network.Service {
	ncfg := network.DefaultConfig()
	// New segments are taken from a random point of the VNI space (the
	// lowest free one above it): every cloud's control plane starts at 1
	// otherwise, and two clouds on one underlay (the e2e suite's
	// all-in-ones, whose leftover data planes outlive a killed test) then
	// collide on the same VNI and UDP port. Stored segments never change.
	ncfg.VNIMin = 1 + rand.IntN(1<<24-70000)
	ncfg.VNIMax = 1<<24 - 1
	return network.New(st.Networks(), ncfg, network.Deps{
		Notifier: busNotifier{b: b, log: log.With("component", "network")},
		Picker:   firstUpHost{st: st, downTime: cfg.ServiceDownTime},
		Tunnels:  hostTunnels{hosts: st.Hosts()},
		Log:      log.With("component", "network"),
	})
}

// ensureExternalNetwork creates the all-in-one's external network like
// DevStack's: flat "public" on physical network "public", subnet
// 172.24.4.0/24, gateway 172.24.4.1 (the host's address on bridge zun-ex),
// pool .10-.250. It is owned by the admin project and exists once.
func ensureExternalNetwork(ctx context.Context, st store.Store, svc *network.Service) error {
	sys := zunctx.System(ctx)
	project := "admin"
	if p, err := st.Identity().GetProject(sys, "admin", "default"); err == nil {
		project = p.ID
	}
	admin := zunctx.WithAllProjects(zunctx.WithIdentity(ctx, zunctx.Identity{UserID: "zun", ProjectID: project, Roles: []string{"admin"}}))
	list, err := svc.ListNetworks(admin, store.NetFilter{Name: network.ExternalNetworkName})
	if err != nil {
		return err
	}
	for _, n := range list {
		if n.External {
			return nil
		}
	}
	n := &model.Network{NetMeta: model.NetMeta{Name: network.ExternalNetworkName, ProjectID: project}, External: true,
		Type: model.NetworkTypeFlat, PhysicalNetwork: "public", AdminStateUp: true, PortSecurity: true}
	if err := svc.CreateNetwork(admin, n); err != nil {
		return err
	}
	err = svc.CreateSubnet(admin, &model.Subnet{NetMeta: model.NetMeta{Name: "public-subnet", ProjectID: project}, NetworkID: n.ID,
		CIDR: "172.24.4.0/24", GatewayIP: "172.24.4.1", AllocationPools: []model.IPRange{{Start: "172.24.4.10", End: "172.24.4.250"}}})
	if errors.Is(err, errdefs.ErrAlreadyExists) {
		return nil
	}
	return err
}

// containerNetworks is the network service for containers, or nil with
// --networking=none.
func containerNetworks(cfg config.Config, nets *network.Service) apiserver.NetworkService {
	if cfg.Networking == "none" {
		return nil
	}
	return nets
}
