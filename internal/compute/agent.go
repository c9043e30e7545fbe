package compute

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/consolelink"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/volume/local"
	"github.com/openzun/zun/internal/zunctx"
)

// Agent is one zun-compute.
type Agent struct {
	cfg  Config
	drv  container.Driver
	bus  bus.Bus
	cond rpc.ConductorClient
	log  *slog.Logger
	// vols is the volume backend; nil when Config.VolumeDir is empty.
	vols VolumeBackend

	locks keyedMutex
	// wg tracks running operations so Run can wait for them on shutdown.
	wg   sync.WaitGroup
	subs []bus.Subscription
	// ready is closed once the start-up reconcile has run.
	ready chan struct{}
	// kick asks for a reconcile soon (an engine container vanished).
	kick chan struct{}
	// grants are the pending console sessions; consoleAddr is the
	// address of the console link once it listens.
	grants      *consolelink.Grants
	consoleAddr string
	// deferred holds containers whose engine events came while an
	// operation held them; the event loop syncs them once released.
	deferred deferredSyncs
	// removed holds containers this agent deleted and reported gone, so
	// their engine events need no reconcile.
	removed recentlyRemoved
	caps    capsuleState
	// repairs spaces the repairs of capsules whose sandbox or members
	// died (capsule_repair.go).
	repairs repairBackoff
	// nets keeps the host's data plane in sync; nil without networking
	// (EnableNetworking).
	nets *NetworkManager
}

// New returns an agent; Run starts it.
func New(cfg Config, drv container.Driver, b bus.Bus, logger *slog.Logger) (*Agent, error) {
	cfg.setDefaults()
	if cfg.Host == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("failed to get host name: %w", err)
		}
		cfg.Host = h
	}
	if cfg.ImageCacheDir == "" {
		cfg.ImageCacheDir = filepath.Join(os.TempDir(), "zun-image-cache", cfg.Host)
	}
	var vols VolumeBackend
	if cfg.VolumeDir != "" {
		b, err := local.New(cfg.VolumeDir, logger.With("component", "volumes"))
		if err != nil {
			return nil, err
		}
		vols = b
	}
	a := &Agent{
		vols:     vols,
		cfg:      cfg,
		drv:      drv,
		bus:      b,
		cond:     rpc.ConductorClient{Bus: b},
		log:      logger.With("component", "compute", "host", cfg.Host),
		ready:    make(chan struct{}),
		kick:     make(chan struct{}, 1),
		deferred: deferredSyncs{wake: make(chan struct{}, 1)},
		grants:   consolelink.NewGrants(nil),
	}
	a.locks.released = a.deferred.add
	return a, nil
}

// Host returns the agent's host name.
func (a *Agent) Host() string { return a.cfg.Host }

// Ready is closed once the agent has registered and reconciled.
func (a *Agent) Ready() <-chan struct{} { return a.ready }

// Run registers the host, serves RPC, reconciles and runs the periodic
// tasks until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	ctx = zunctx.System(ctx)
	stopConsole, err := a.startConsole(ctx)
	if err != nil {
		return err
	}
	defer stopConsole()
	started := time.Now()
	if err := a.serve(); err != nil {
		return err
	}
	defer a.unsubscribe()

	// Registration retries until the API answers: an agent may start
	// before zun-api.
	for {
		err := a.register(ctx)
		if err == nil {
			break
		}
		a.log.Warn("failed to register host, retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
	var loops sync.WaitGroup
	a.startNetworking(ctx, &loops)
	if err := a.reconcile(ctx, true); err != nil {
		a.log.Warn("start-up reconcile failed", "err", err)
	}
	if err := a.cond.CommitsInterrupted(ctx, rpc.CommitsInterrupted{Host: a.cfg.Host, StartedAt: started}); err != nil {
		a.log.Warn("failed to report interrupted commits", "err", err)
	}
	close(a.ready)

	loops.Add(4)
	go func() { defer loops.Done(); a.imageGCLoop(ctx) }()
	go func() { defer loops.Done(); a.every(ctx, a.cfg.HeartbeatInterval, a.heartbeat) }()
	go func() { defer loops.Done(); a.every(ctx, a.cfg.InventoryInterval, a.register) }()
	go func() { defer loops.Done(); a.reconcileLoop(ctx) }()
	a.followEvents(ctx)
	loops.Wait()
	a.wg.Wait()
	return nil
}

func (a *Agent) every(ctx context.Context, d time.Duration, f func(context.Context) error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := f(ctx); err != nil {
				a.log.Warn("periodic task failed", "err", err)
			}
		}
	}
}

// reconcileLoop reconciles every SyncInterval, and soon after a kick.
func (a *Agent) reconcileLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.kick:
		}
		if err := a.reconcile(ctx, false); err != nil {
			a.log.Warn("reconcile failed", "err", err)
		}
	}
}

func (a *Agent) heartbeat(ctx context.Context) error {
	return a.cond.Heartbeat(ctx, rpc.HeartbeatRequest{Host: a.cfg.Host, Binary: a.cfg.Binary, AvailabilityZone: a.cfg.AvailabilityZone})
}

func (a *Agent) register(ctx context.Context) error {
	info, err := a.drv.HostInfo(ctx)
	if err != nil {
		return fmt.Errorf("failed to read host info: %w", err)
	}
	n := model.ComputeNode{
		Hostname:            a.cfg.Host,
		CPUs:                info.CPUs,
		MemTotal:            info.MemTotal,
		DiskTotal:           info.DiskTotal,
		DiskQuotaSupported:  info.DiskQuotaSupported,
		Architecture:        info.Architecture,
		OSType:              info.OSType,
		OS:                  info.OS,
		KernelVersion:       info.KernelVersion,
		Labels:              info.Labels,
		Runtimes:            info.Runtimes,
		CPUAllocationRatio:  a.cfg.CPUAllocationRatio,
		RAMAllocationRatio:  a.cfg.RAMAllocationRatio,
		DiskAllocationRatio: a.cfg.DiskAllocationRatio,
		ReservedMemory:      a.cfg.ReservedMemory,
		TunnelIP:            a.cfg.TunnelIP,
		PhysicalNetworks:    a.cfg.PhysicalNetworks,
	}
	return a.cond.RegisterHost(ctx, rpc.HostReport{Node: n, Binary: a.cfg.Binary, AvailabilityZone: a.cfg.AvailabilityZone, TotalContainers: info.TotalContainers})
}

// handlers maps compute methods to their implementation; casts run the
// operation after the bus acknowledged it.
func (a *Agent) handlers() map[string]func(context.Context, rpc.ContainerRequest) (any, error) {
	return map[string]func(context.Context, rpc.ContainerRequest) (any, error){
		rpc.MethodCreate:  a.opCreate,
		rpc.MethodStart:   a.opStart,
		rpc.MethodStop:    a.opStop,
		rpc.MethodReboot:  a.opReboot,
		rpc.MethodPause:   a.opPause,
		rpc.MethodUnpause: a.opUnpause,
		rpc.MethodKill:    a.opKill,
		rpc.MethodDelete:  a.opDelete,
		rpc.MethodRebuild: a.opRebuild,
		rpc.MethodLogs:    a.callLogs,
		rpc.MethodTop:     a.callTop,
		rpc.MethodStats:   a.callStats,
		rpc.MethodExec:    a.callExec,
		rpc.MethodUpdate:  a.callUpdate,
		rpc.MethodShow:    a.callShow,

		rpc.MethodConsoleGrant:    a.callConsoleGrant,
		rpc.MethodConsoleEndpoint: a.callConsoleEndpoint,
		rpc.MethodResize:          a.callResize,
		rpc.MethodExecResize:      a.callExecResize,
		rpc.MethodGetArchive:      a.callGetArchive,
		rpc.MethodPutArchive:      a.callPutArchive,
		rpc.MethodVolumeDelete:    a.opVolumeDelete,
		rpc.MethodImagePull:       a.opImagePull,
		rpc.MethodImageDelete:     a.opImageDelete,
		rpc.MethodCommit:          a.opCommit,
		rpc.MethodNetworkAttach:   a.opNetworkAttach,
		rpc.MethodNetworkDetach:   a.opNetworkDetach,
	}
}

func (a *Agent) serve() error {
	for method, h := range a.handlers() {
		h := h
		sub, err := a.bus.Handle(bus.ComputeSubject(a.cfg.Host, method), "compute", func(ctx context.Context, raw json.RawMessage) (any, error) {
			var req rpc.ContainerRequest
			if err := json.Unmarshal(raw, &req); err != nil {
				return nil, fmt.Errorf("bad request: %w", err)
			}
			a.wg.Add(1)
			defer a.wg.Done()
			return h(ctx, req)
		})
		if err != nil {
			a.unsubscribe()
			return fmt.Errorf("failed to serve %s: %w", method, err)
		}
		a.subs = append(a.subs, sub)
	}
	if err := a.serveCapsules(); err != nil {
		a.unsubscribe()
		return err
	}
	if err := a.serveNetwork(); err != nil {
		a.unsubscribe()
		return err
	}
	return nil
}

func (a *Agent) unsubscribe() {
	for _, s := range a.subs {
		_ = s.Unsubscribe()
	}
	a.subs = nil
}
