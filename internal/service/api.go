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
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/secretbox"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/store/sqlstore"
)

// API is a built zun-api: everything but the HTTP listener and the agent.
type API struct {
	Store    store.Store
	Bus      bus.Bus
	Identity *identity.Service
	Handler  http.Handler
	// AdminPassword is the bootstrap admin's password.
	AdminPassword string
	closers       []func()
}

// Close releases everything Build opened, in reverse order.
func (a *API) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// BuildAPI opens the store and the bus, bootstraps identity, and builds the
// scheduler, the conductor and the HTTP handler.
func BuildAPI(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *API, err error) {
	a := &API{}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create data dir: %w", err)
	}
	dsn := cfg.Database
	if dsn == "" {
		dsn = filepath.Join(cfg.DataDir, "zun.db")
	}
	st, err := sqlstore.Open(ctx, dsn, log.With("component", "store"))
	if err != nil {
		return nil, fmt.Errorf("failed to open store: %w", err)
	}
	a.Store = st
	a.closers = append(a.closers, func() { _ = st.Close() })

	b, stopBus, err := openBus(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a.Bus = b
	a.closers = append(a.closers, stopBus)

	idn, err := identity.New(identity.Config{
		KeyFile:   filepath.Join(cfg.DataDir, "identity", "signing.key"),
		TokenTTL:  cfg.TokenTTL,
		PublicURL: cfg.PublicURL + "/identity",
		Catalog: []identity.CatalogEntry{{Type: "container", Name: "zun", URL: cfg.PublicURL + "/v1"},
			{Type: "image", Name: "glance", URL: cfg.PublicURL + "/image"}},
	}, st.Identity(), log.With("component", "identity"))
	if err != nil {
		return nil, fmt.Errorf("failed to start identity: %w", err)
	}
	a.Identity = idn
	a.AdminPassword = cfg.AdminPassword
	if a.AdminPassword == "" {
		if a.AdminPassword, err = secret(filepath.Join(cfg.DataDir, "admin-password")); err != nil {
			return nil, err
		}
	}
	if err := idn.Bootstrap(ctx, identity.BootstrapConfig{AdminUser: "admin", AdminPassword: a.AdminPassword, AdminProject: "admin"}); err != nil {
		return nil, fmt.Errorf("failed to bootstrap identity: %w", err)
	}
	if err := writeClientFiles(cfg.DataDir, cfg.PublicURL+"/identity/v3", a.AdminPassword); err != nil {
		return nil, err
	}

	sched, err := scheduler.New(scheduler.Config{Weigher: cfg.Weigher, ServiceDownTime: cfg.ServiceDownTime},
		scheduler.StoreSource(st), st.Hosts(), log.With("component", "scheduler"), time.Now)
	if err != nil {
		return nil, fmt.Errorf("failed to build scheduler: %w", err)
	}
	images, err := glance.New(glance.Config{Dir: filepath.Join(cfg.DataDir, "images"), PublicURL: cfg.PublicURL + "/image",
		MaxImageSize: cfg.MaxImageSize << 20}, st.GlanceImages(), idn, log)
	if err != nil {
		return nil, fmt.Errorf("failed to start the image service: %w", err)
	}
	secrets, err := secretbox.Open(filepath.Join(cfg.DataDir, "secret.key"))
	if err != nil {
		return nil, err
	}
	subs, err := conductor.New(st, sched, log).WithImages(images).Serve(b)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { unsubscribe(subs) })

	srv := apiserver.New(apiserver.Config{PublicURL: cfg.PublicURL, ServiceDownTime: cfg.ServiceDownTime},
		apiserver.Deps{Store: st, Scheduler: sched, Compute: rpc.ComputeClient{Bus: b}, Auth: idn, Logger: log,
			Images: images, Secrets: secrets})
	imh := http.StripPrefix("/image", images.Handler())
	srv.Mount("/image/", imh)
	srv.Mount("/image", imh)
	idh := http.StripPrefix("/identity", idn.Handler())
	srv.Mount("/identity/", idh)
	srv.Mount("/identity", idh)
	a.Handler = srv.Handler()
	return a, nil
}

// RunAPI runs zun-api (and, with cfg.AllInOne, the embedded NATS server
// and a compute agent) until ctx ends.
func RunAPI(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", cfg.Listen, err)
	}
	a, err := BuildAPI(ctx, cfg, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer a.Close()
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
