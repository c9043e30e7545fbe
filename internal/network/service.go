package network

import (
	"context"
	"log/slog"
	"slices"
	"sort"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// Notifier tells an agent that its host's network state changed (the
// compute cast network_changed). Failures are the notifier's to log: the
// agent's periodic sync catches up anyway.
type Notifier interface {
	NetworkChanged(ctx context.Context, host string, revision int64)
}

// HostPicker chooses the host of a new router ("" when there is none yet).
type HostPicker interface {
	RouterHost(ctx context.Context) (string, error)
}

// TunnelResolver gives the VXLAN endpoint address of a host.
type TunnelResolver interface {
	TunnelIP(ctx context.Context, host string) (string, error)
}

// Config holds the service's settings.
type Config struct {
	// VNIMin and VNIMax bound the VXLAN segments of tenant networks.
	VNIMin, VNIMax int
	// MTU of VXLAN networks (the underlay's minus 50) and of flat ones.
	VXLANMTU, FlatMTU int
}

// DefaultConfig is Neutron's ML2 defaults scaled to one machine.
func DefaultConfig() Config {
	return Config{VNIMin: 1, VNIMax: 65535, VXLANMTU: 1450, FlatMTU: 1500}
}

// Service is the network control plane.
type Service struct {
	st     store.Networks
	cfg    Config
	notify Notifier
	picker HostPicker
	tunnel TunnelResolver
	log    *slog.Logger
}

// Deps are what a Service needs besides its store; nil members disable
// notifications or router placement.
type Deps struct {
	Notifier Notifier
	Picker   HostPicker
	Tunnels  TunnelResolver
	Log      *slog.Logger
}

// New returns a Service over st.
func New(st store.Networks, cfg Config, d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, cfg: cfg, notify: d.Notifier, picker: d.Picker, tunnel: d.Tunnels, log: d.Log}
}

// touched collects what a write changed, to find the hosts to notify.
type touched struct {
	networks map[string]bool
	projects map[string]bool // security group changes reach the project's ports
	hosts    map[string]bool
}

func (t *touched) network(id string) {
	if id == "" {
		return
	}
	if t.networks == nil {
		t.networks = map[string]bool{}
	}
	t.networks[id] = true
}

func (t *touched) project(id string) {
	if t.projects == nil {
		t.projects = map[string]bool{}
	}
	t.projects[id] = true
}

func (t *touched) host(h string) {
	if h == "" {
		return
	}
	if t.hosts == nil {
		t.hosts = map[string]bool{}
	}
	t.hosts[h] = true
}

// write runs fn in a network transaction (checking the quota of every
// record it adds, see quotaTx) and then notifies the hosts whose
// state the change touched, before returning (an API request: the agent
// hears of its ports before the create cast).
func (s *Service) write(ctx context.Context, fn func(tx store.NetTx, t *touched) error) (int64, error) {
	return s.writeNotify(ctx, fn, false)
}

// writeAsync is write notifying in the background: the conductor answers
// an agent's call with it, and a cast back to that agent must not wait
// for the agent, which waits for the answer.
func (s *Service) writeAsync(ctx context.Context, fn func(tx store.NetTx, t *touched) error) (int64, error) {
	return s.writeNotify(ctx, fn, true)
}

// writeUnannounced runs fn in a network transaction (quota checked as in
// write) and tells no host: for writes that no data plane acts on until a
// later write announces them (a container's ports are created unbound
// before scheduling, and announced once, when BindDevice binds them).
func (s *Service) writeUnannounced(ctx context.Context, fn func(tx store.NetTx, t *touched) error) (int64, error) {
	return s.st.Write(ctx, func(tx store.NetTx) error { return fn(withQuota(ctx, tx), &touched{}) })
}

func (s *Service) writeNotify(ctx context.Context, fn func(tx store.NetTx, t *touched) error, async bool) (int64, error) {
	var t touched
	rev, err := s.st.Write(ctx, func(tx store.NetTx) error {
		t = touched{}
		return fn(withQuota(ctx, tx), &t)
	})
	if err != nil {
		return 0, err
	}
	if async {
		go s.notifyTouched(context.WithoutCancel(ctx), &t, rev)
	} else {
		s.notifyTouched(ctx, &t, rev)
	}
	return rev, nil
}

// notifyTouched casts network_changed to every host holding a port of a
// touched network or project, a router of one, or named directly.
func (s *Service) notifyTouched(ctx context.Context, t *touched, rev int64) {
	if s.notify == nil || (len(t.networks) == 0 && len(t.projects) == 0 && len(t.hosts) == 0) {
		return
	}
	sys := zunctx.System(context.WithoutCancel(ctx))
	hosts := map[string]bool{}
	for h := range t.hosts {
		hosts[h] = true
	}
	err := s.st.Read(sys, func(r store.NetReader) error {
		ports, err := store.ListNet[model.Port](r, model.KindPort, store.NetFilter{})
		if err != nil {
			return err
		}
		routers, err := store.ListNet[model.Router](r, model.KindRouter, store.NetFilter{})
		if err != nil {
			return err
		}
		routerNets := map[string][]string{}
		for _, p := range ports {
			if p.DeviceOwner == model.DeviceOwnerRouterInterface || p.DeviceOwner == model.DeviceOwnerRouterGateway {
				routerNets[p.DeviceID] = append(routerNets[p.DeviceID], p.NetworkID)
			}
		}
		for _, p := range ports {
			if p.HostID != "" && (t.networks[p.NetworkID] || t.projects[p.ProjectID]) {
				hosts[p.HostID] = true
			}
		}
		for _, rt := range routers {
			if rt.Host == "" {
				continue
			}
			if t.projects[rt.ProjectID] || slices.ContainsFunc(routerNets[rt.ID], func(n string) bool { return t.networks[n] }) {
				hosts[rt.Host] = true
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("failed to find the hosts of a network change", "err", err)
		return
	}
	list := make([]string, 0, len(hosts))
	for h := range hosts {
		list = append(list, h)
	}
	sort.Strings(list)
	for _, h := range list {
		s.notify.NetworkChanged(sys, h, rev)
	}
}

// Revision returns the current revision.
func (s *Service) Revision(ctx context.Context) (int64, error) { return s.st.Revision(ctx) }
