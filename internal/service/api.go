package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/openzun/zun/internal/apiserver"
	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/bus/natsbus"
	"github.com/openzun/zun/internal/conductor"
	"github.com/openzun/zun/internal/config"
	"github.com/openzun/zun/internal/glance"
	"github.com/openzun/zun/internal/identity"
	"github.com/openzun/zun/internal/neutronapi"
	"github.com/openzun/zun/internal/policy"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/secretbox"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/volumeapi"
)

// API is a built zun-api: everything but the HTTP listener and the agent.
type API struct {
	Store    store.Store
	Bus      bus.Bus
	Identity *identity.Service // nil with an external Keystone (auth-strategy keystone)
	Policy   *policy.Enforcer
	Handler  http.Handler
	// AdminPassword is the bootstrap admin's password.
	AdminPassword string
	// WSProxyURL is the websocket proxy's base URL handed to clients.
	WSProxyURL string
	closers    []func()
}

// Close releases everything Build opened, in reverse order.
func (a *API) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// BuildAPI opens the store and the bus, bootstraps the embedded identity
// (or connects to an external Keystone), and builds the scheduler, the
// conductor and the HTTP handler.
func BuildAPI(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *API, err error) {
	return buildAPI(ctx, cfg, wsProxyURL(cfg, ""), log)
}

func buildAPI(ctx context.Context, cfg config.Config, wsURL string, log *slog.Logger) (_ *API, err error) {
	a := &API{WSProxyURL: wsURL}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	// A bad policy file stops the service before anything is opened.
	if a.Policy, err = policy.Load(cfg.PolicyFile); err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a.Store = st
	a.closers = append(a.closers, func() { _ = st.Close() })

	b, stopBus, err := openBus(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a.Bus = b
	a.closers = append(a.closers, stopBus)

	var auth apiserver.TokenValidator
	if cfg.AuthStrategy == "keystone" {
		if auth, err = keystoneValidator(ctx, cfg.Keystone, log.With("component", "keystone")); err != nil {
			return nil, err
		}
	} else if auth, err = a.startIdentity(ctx, cfg, st, log); err != nil {
		return nil, err
	}

	sched, err := scheduler.New(scheduler.Config{Weigher: cfg.Weigher, ServiceDownTime: cfg.ServiceDownTime},
		scheduler.StoreSource(st), st.Hosts(), log.With("component", "scheduler"), time.Now)
	if err != nil {
		return nil, fmt.Errorf("failed to build scheduler: %w", err)
	}
	images, err := glance.New(glance.Config{Dir: filepath.Join(cfg.DataDir, "images"), PublicURL: cfg.PublicURL + "/image",
		MaxImageSize: cfg.MaxImageSize << 20}, st.GlanceImages(), auth, log)
	if err != nil {
		return nil, fmt.Errorf("failed to start the image service: %w", err)
	}
	secrets, err := secretbox.Open(filepath.Join(cfg.DataDir, "secret.key"))
	if err != nil {
		return nil, err
	}
	nets := newNetworkService(cfg, st, b, log)
	if cfg.AllInOne {
		if err := ensureExternalNetwork(ctx, st, nets); err != nil {
			return nil, fmt.Errorf("failed to create the external network: %w", err)
		}
	}
	subs, err := conductor.New(st, sched, log).WithImages(images).WithNetworks(nets).Serve(b)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { unsubscribe(subs) })

	srv := apiserver.New(apiserver.Config{PublicURL: cfg.PublicURL, ServiceDownTime: cfg.ServiceDownTime,
		WSProxyURL: wsURL, ConsoleTokenTTL: cfg.ConsoleTokenTTL},
		apiserver.Deps{Store: st, Scheduler: sched, Compute: rpc.ComputeClient{Bus: b}, Auth: auth, Policy: a.Policy, Logger: log,
			Images: images, Secrets: secrets, Networks: containerNetworks(cfg, nets)})
	var used []string
	for _, r := range srv.Routes() {
		if r.Policy != "" {
			used = append(used, r.Policy)
		}
	}
	if err := a.Policy.Check(used...); err != nil {
		return nil, err
	}
	vh := volumeapi.New(volumeapi.Config{PublicURL: cfg.PublicURL}, st.Volumes(), rpc.ComputeClient{Bus: b}, auth, a.Policy, log).Handler()
	srv.Mount(volumeapi.Prefix+"/", vh)
	srv.Mount(volumeapi.Prefix, vh)
	nh := neutronapi.New(cfg.PublicURL, nets, auth, a.Policy, log).Handler()
	srv.Mount(neutronapi.Prefix+"/", nh)
	srv.Mount(neutronapi.Prefix, nh)
	imh := http.StripPrefix("/image", images.Handler())
	srv.Mount("/image/", imh)
	srv.Mount("/image", imh)
	if a.Identity != nil {
		idh := http.StripPrefix("/identity", a.Identity.Handler())
		srv.Mount("/identity/", idh)
		srv.Mount("/identity", idh)
	}
	a.Handler = srv.Handler()
	return a, nil
}

// RunAPI runs zun-api (and, with cfg.AllInOne, the embedded NATS server
// and a compute agent) until ctx ends.
func RunAPI(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	switch {
	case cfg.PolicyDump:
		enf, err := policy.Load(cfg.PolicyFile)
		if err != nil {
			return err
		}
		return enf.WriteYAML(os.Stdout)
	case cfg.RotateIdentityKey:
		return RotateIdentityKey(ctx, cfg, log)
	case cfg.Only == "identity":
		return RunIdentity(ctx, cfg, log)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", cfg.Listen, err)
	}
	// The all-in-one serves the websocket proxy on its own listener.
	var wsLn net.Listener
	if cfg.AllInOne && cfg.WSProxyListen != "" {
		if wsLn, err = net.Listen("tcp", cfg.WSProxyListen); err != nil {
			_ = ln.Close()
			return fmt.Errorf("failed to listen on %s: %w", cfg.WSProxyListen, err)
		}
		defer wsLn.Close()
	}
	bound := ""
	if wsLn != nil {
		bound = wsLn.Addr().String()
	}
	a, err := buildAPI(ctx, cfg, wsProxyURL(cfg, bound), log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer a.Close()
	if wsLn != nil {
		sec, err := consoleSecret(cfg, true)
		if err != nil {
			return err
		}
		stopProxy, err := startWSProxy(cfg, wsLn, a.Bus, sec, log)
		if err != nil {
			return err
		}
		defer stopProxy()
	}
	hs := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("zun-api listening", "url", cfg.PublicURL, "all_in_one", cfg.AllInOne, "data_dir", cfg.DataDir)

	agentDone := make(chan struct{})
	if cfg.AllInOne && cfg.EmbeddedCompute {
		go func() {
			defer close(agentDone)
			if err := RunAgent(ctx, cfg, a.Bus, log); err != nil {
				errc <- err
			}
		}()
	} else {
		close(agentDone)
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	select {
	case <-agentDone:
	case <-sctx.Done():
	}
	return err
}

func unsubscribe(subs []bus.Subscription) {
	for _, s := range subs {
		_ = s.Unsubscribe()
	}
}

// openBus connects to the external NATS, or starts the embedded server in
// the all-in-one.
func openBus(ctx context.Context, cfg config.Config, log *slog.Logger) (bus.Bus, func(), error) {
	blog := log.With("component", "bus")
	if !cfg.AllInOne || cfg.NATSURL != "" {
		if cfg.NATSURL == "" {
			return nil, nil, errors.New("nats-url is required unless --all-in-one")
		}
		b, err := natsbus.Connect(ctx, cfg.NATSURL, natsbus.Options{User: cfg.NATSUser, Password: cfg.NATSPassword, Name: "zun-api"}, blog)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to connect to NATS: %w", err)
		}
		return b, func() { _ = b.Close() }, nil
	}
	sc := natsbus.ServerConfig{Port: natsbus.NoListen}
	if cfg.NATSListen != "" {
		host, port, err := net.SplitHostPort(cfg.NATSListen)
		if err != nil {
			return nil, nil, fmt.Errorf("nats-listen: %w", err)
		}
		var p int
		if _, err := fmt.Sscan(port, &p); err != nil {
			return nil, nil, fmt.Errorf("nats-listen port: %w", err)
		}
		pw, err := secret(filepath.Join(cfg.DataDir, "nats-password"))
		if err != nil {
			return nil, nil, err
		}
		sc = natsbus.ServerConfig{Host: host, Port: p, User: "zun", Password: pw}
	}
	srv, err := natsbus.StartServer(sc, blog)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to start embedded NATS: %w", err)
	}
	b, err := srv.Connect(natsbus.Options{Name: "zun-api"}, blog)
	if err != nil {
		srv.Shutdown()
		return nil, nil, err
	}
	return b, func() { _ = b.Close(); srv.Shutdown() }, nil
}
