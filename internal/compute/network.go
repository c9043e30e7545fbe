package compute

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// NetworkPlane makes the host's kernel match a network state
// (internal/netplane).
type NetworkPlane interface {
	Apply(ctx context.Context, st model.HostNetworkState) error
}

// networkStater fetches a host's state from the control plane.
type networkStater interface {
	NetworkState(ctx context.Context, host string) (model.HostNetworkState, error)
}

// networkRetry is the delay before a failed sync is tried again.
const networkRetry = 2 * time.Second

// NetworkManager keeps the host's data plane at the control plane's
// state: it fetches and applies the state at start, on network_changed
// (coalesced: one fetch in flight, one more if a change came meanwhile)
// and every sync interval. It is the Docker plugin's StateSource.
type NetworkManager struct {
	host  string
	src   networkStater
	plane NetworkPlane
	log   *slog.Logger
	// want asks the sync loop for a fetch; one pending request is enough.
	want chan struct{}

	// fetchMu keeps one fetch-and-apply at a time.
	fetchMu sync.Mutex
	mu      sync.Mutex
	cur     model.HostNetworkState
}

func newNetworkManager(host string, src networkStater, plane NetworkPlane, log *slog.Logger) *NetworkManager {
	return &NetworkManager{host: host, src: src, plane: plane, log: log.With("component", "network"),
		want: make(chan struct{}, 1)}
}

// State is the last state applied (or fetched, when its apply failed).
func (m *NetworkManager) State() model.HostNetworkState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur
}

// Refresh fetches and applies the state now.
func (m *NetworkManager) Refresh(ctx context.Context) (model.HostNetworkState, error) {
	m.fetchMu.Lock()
	defer m.fetchMu.Unlock()
	st, err := m.src.NetworkState(ctx, m.host)
	if err != nil {
		return m.State(), fmt.Errorf("failed to fetch the network state: %w", err)
	}
	m.mu.Lock()
	if st.Revision < m.cur.Revision {
		// A reply overtaken by a newer one already applied.
		st = m.cur
	}
	m.cur = st
	m.mu.Unlock()
	if err := m.plane.Apply(ctx, st); err != nil {
		return st, fmt.Errorf("failed to apply network state %d: %w", st.Revision, err)
	}
	m.log.Debug("applied network state", "revision", st.Revision, "ports", len(st.Ports), "networks", len(st.Networks))
	return st, nil
}

// Changed asks for a fetch soon.
func (m *NetworkManager) Changed() {
	select {
	case m.want <- struct{}{}:
	default:
	}
}

// run fetches on request and every interval until ctx ends.
func (m *NetworkManager) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.want:
		}
		if _, err := m.Refresh(ctx); err != nil {
			m.log.Warn("network sync failed, retrying", "err", err)
			// Sooner than the next interval: a container may wait for
			// its port's data plane.
			time.AfterFunc(networkRetry, m.Changed)
		}
	}
}

// Networks is the agent's network manager, nil without networking.
func (a *Agent) Networks() *NetworkManager { return a.nets }

// EnableNetworking gives the agent its data plane; call before Run.
func (a *Agent) EnableNetworking(plane NetworkPlane) *NetworkManager {
	a.nets = newNetworkManager(a.cfg.Host, a.cond, plane, a.log)
	return a.nets
}

// serveNetwork subscribes network_changed.
func (a *Agent) serveNetwork() error {
	if a.nets == nil {
		return nil
	}
	sub, err := a.bus.Handle(bus.ComputeSubject(a.cfg.Host, rpc.MethodNetworkChanged), "compute", func(_ context.Context, raw json.RawMessage) (any, error) {
		var req rpc.NetworkChanged
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("bad request: %w", err)
		}
		if req.Revision == 0 || req.Revision > a.nets.State().Revision {
			a.nets.Changed()
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("failed to serve %s: %w", rpc.MethodNetworkChanged, err)
	}
	a.subs = append(a.subs, sub)
	return nil
}

// startNetworking applies the state before the start-up reconcile (a
// restarted agent's containers keep their data plane) and keeps it in
// sync.
func (a *Agent) startNetworking(ctx context.Context, loops *sync.WaitGroup) {
	if a.nets == nil {
		return
	}
	if _, err := a.nets.Refresh(ctx); err != nil {
		a.log.Warn("start-up network sync failed", "err", err)
	}
	loops.Add(1)
	go func() { defer loops.Done(); a.nets.run(ctx, a.cfg.SyncInterval) }()
}

// networkKeep is the set of networks of the host's state, which the
// reconcile keeps as Docker networks.
func (a *Agent) networkKeep() map[string]bool {
	keep := map[string]bool{}
	for _, n := range a.nets.State().Networks {
		keep[n.ID] = true
	}
	return keep
}
