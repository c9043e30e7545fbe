package dockerplugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/openzun/zun/internal/model"
)

// DefaultSocketDir is where Docker discovers plugin sockets.
const DefaultSocketDir = "/run/docker/plugins"

// StateSource gives the host's network state: the last applied one, and a
// fresh one from the control plane (a port may have been bound to this
// host a moment ago).
type StateSource interface {
	State() model.HostNetworkState
	Refresh(ctx context.Context) (model.HostNetworkState, error)
}

// DataPlane makes and removes a port's veth pair; EnsurePort returns the
// name of the container end, which Docker moves into the container.
type DataPlane interface {
	EnsurePort(ctx context.Context, portID string) (peerIf string, err error)
	ReleasePort(ctx context.Context, portID string) error
}

// NetworkNamer resolves the engine's network ID to the network's name
// (the Zun network ID), for endpoints of networks created before this
// process started.
type NetworkNamer interface {
	NetworkName(ctx context.Context, engineNetworkID string) (string, error)
}

// Config configures a plugin.
type Config struct {
	// Name is the plugin's name: the driver and IPAM driver name of the
	// Docker networks (default "zun").
	Name string
	// SocketDir holds the socket Name.sock (default DefaultSocketDir).
	SocketDir string
}

// SocketPath is where the plugin of cfg listens.
func (c Config) SocketPath() string {
	name, dir := c.Name, c.SocketDir
	if name == "" {
		name = "zun"
	}
	if dir == "" {
		dir = DefaultSocketDir
	}
	return filepath.Join(dir, name+".sock")
}

// endpoint is an engine endpoint bound to a port.
type endpoint struct {
	portID    string
	networkID string // Zun's
	peerIf    string
	ip        string
	noGateway bool // OptNoGateway
}

// Plugin serves the network and IPAM driver protocols.
type Plugin struct {
	cfg   Config
	state StateSource
	plane DataPlane
	names NetworkNamer
	log   *slog.Logger

	mu        sync.Mutex
	networks  map[string]string // engine network ID -> Zun network ID
	endpoints map[string]endpoint

	srv  *http.Server
	path string
}

// New returns a plugin; Listen starts it.
func New(cfg Config, state StateSource, plane DataPlane, names NetworkNamer, logger *slog.Logger) *Plugin {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Plugin{cfg: cfg, state: state, plane: plane, names: names,
		log:      logger.With("component", "dockerplugin"),
		networks: map[string]string{}, endpoints: map[string]endpoint{}}
}

// Listen serves the plugin on its socket (a stale socket is replaced; the
// socket is readable by root only) until Close.
func (p *Plugin) Listen() error {
	path := p.cfg.SocketPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("failed to create plugin directory: %w", err)
	}
	// A socket left by a killed agent refuses connections; replace it.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failed to remove stale plugin socket: %w", err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = l.Close()
		return fmt.Errorf("failed to restrict plugin socket: %w", err)
	}
	p.path = path
	p.srv = &http.Server{Handler: p.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := p.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("plugin server stopped", "err", err)
		}
	}()
	p.log.Info("docker network plugin listening", "socket", path)
	return nil
}

// Close stops serving and removes the socket.
func (p *Plugin) Close() error {
	if p.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := p.srv.Shutdown(ctx)
	if rerr := os.Remove(p.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

// Name is the driver name of the plugin's networks.
func (p *Plugin) Name() string {
	if p.cfg.Name == "" {
		return "zun"
	}
	return p.cfg.Name
}

func (p *Plugin) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /Plugin.Activate", func(w http.ResponseWriter, r *http.Request) {
		reply(w, activateResponse{Implements: []string{"NetworkDriver", "IpamDriver"}}, nil)
	})
	handle(mux, "NetworkDriver.GetCapabilities", func(_ context.Context, _ *empty) (any, error) {
		return capabilitiesResponse{Scope: "local", ConnectivityScope: "local"}, nil
	})
	handle(mux, "NetworkDriver.CreateNetwork", p.createNetwork)
	handle(mux, "NetworkDriver.DeleteNetwork", p.deleteNetwork)
	handle(mux, "NetworkDriver.AllocateNetwork", func(_ context.Context, _ *createNetworkRequest) (any, error) {
		return allocateNetworkResponse{Options: map[string]string{}}, nil
	})
	handle(mux, "NetworkDriver.FreeNetwork", ok[networkRequest])
	handle(mux, "NetworkDriver.CreateEndpoint", p.createEndpoint)
	handle(mux, "NetworkDriver.DeleteEndpoint", p.deleteEndpoint)
	handle(mux, "NetworkDriver.EndpointOperInfo", func(_ context.Context, _ *endpointRequest) (any, error) {
		return operInfoResponse{Value: map[string]any{}}, nil
	})
	handle(mux, "NetworkDriver.Join", p.join)
	handle(mux, "NetworkDriver.Leave", ok[endpointRequest])
	handle(mux, "NetworkDriver.DiscoverNew", ok[map[string]any])
	handle(mux, "NetworkDriver.DiscoverDelete", ok[map[string]any])
	handle(mux, "NetworkDriver.ProgramExternalConnectivity", ok[map[string]any])
	handle(mux, "NetworkDriver.RevokeExternalConnectivity", ok[endpointRequest])

	handle(mux, "IpamDriver.GetCapabilities", func(_ context.Context, _ *empty) (any, error) {
		return ipamCapabilitiesResponse{}, nil
	})
	handle(mux, "IpamDriver.GetDefaultAddressSpaces", func(_ context.Context, _ *empty) (any, error) {
		return addressSpacesResponse{LocalDefaultAddressSpace: "zun-local", GlobalDefaultAddressSpace: "zun-global"}, nil
	})
	handle(mux, "IpamDriver.RequestPool", p.requestPool)
	handle(mux, "IpamDriver.ReleasePool", ok[releasePoolRequest])
	handle(mux, "IpamDriver.RequestAddress", p.requestAddress)
	handle(mux, "IpamDriver.ReleaseAddress", ok[releaseAddressRequest])
	return p.timed(mux)
}

// timed logs each engine request with its duration at debug level: the
// engine calls the plugin on a container create's path, one call after
// the other, so this is where the network's share of a create shows.
func (p *Plugin) timed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		p.log.Debug("engine request", "method", strings.TrimPrefix(r.URL.Path, "/"), "took", time.Since(start).Round(10*time.Microsecond))
	})
}

func ok[T any](context.Context, *T) (any, error) { return struct{}{}, nil }

// handle decodes Docker's request into T and answers the handler's value
// or {"Err": ...}.
func handle[T any](mux *http.ServeMux, method string, h func(context.Context, *T) (any, error)) {
	mux.HandleFunc("POST /"+method, func(w http.ResponseWriter, r *http.Request) {
		var req T
		body := http.MaxBytesReader(w, r.Body, 1<<20)
		if err := json.NewDecoder(body).Decode(&req); err != nil && !errors.Is(err, errEOF) {
			reply(w, nil, fmt.Errorf("bad %s request: %w", method, err))
			return
		}
		v, err := h(r.Context(), &req)
		reply(w, v, err)
	})
}

func reply(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", contentType)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(errorResponse{Err: err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}
