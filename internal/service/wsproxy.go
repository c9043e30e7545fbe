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
	"strings"
	"time"

	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/bus/natsbus"
	"github.com/openzun/zun/internal/config"
	"github.com/openzun/zun/internal/wsproxy"
)

// consoleSecret reads the console link secret; create makes one (the
// all-in-one). Without it the link is off.
func consoleSecret(cfg config.Config, create bool) ([]byte, error) {
	file := cfg.ConsoleSecretFile
	if file == "" && cfg.DataDir != "" {
		file = filepath.Join(cfg.DataDir, "console-secret")
	}
	if file == "" {
		return nil, errors.New("no console-secret-file configured")
	}
	if create {
		s, err := secret(file)
		return []byte(s), err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("failed to read the console link secret: %w", err)
	}
	return []byte(strings.TrimSpace(string(b))), nil
}

// wsProxyURL is the base URL clients get: the configured one, else the
// bound (or configured) listen address.
func wsProxyURL(cfg config.Config, bound string) string {
	switch {
	case cfg.WSProxyURL != "":
		return cfg.WSProxyURL
	case bound != "":
		return "ws://" + bound + "/"
	case cfg.WSProxyListen != "":
		return "ws://" + cfg.WSProxyListen + "/"
	}
	return ""
}

// startWSProxy serves the websocket proxy on ln; stop closes the sessions
// and the listener.
func startWSProxy(cfg config.Config, ln net.Listener, b bus.Bus, secret []byte, log *slog.Logger) (stop func(), err error) {
	var origins []string
	for _, o := range strings.Split(cfg.WSProxyAllowedOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	// The per-user limit holds across every proxy of the deployment.
	limiter, err := wsproxy.NewPeerLimiter(b, int(cfg.ConsoleMaxSessionsUser), log.With("component", "wsproxy"))
	if err != nil {
		return nil, err
	}
	p, err := wsproxy.New(wsproxy.Config{BaseURL: wsProxyURL(cfg, ln.Addr().String()), AllowedOrigins: origins, Secret: secret,
		IdleTimeout: cfg.ConsoleIdleTimeout, MaxSessionsPerUser: int(cfg.ConsoleMaxSessionsUser), Limiter: limiter},
		wsproxy.BusLocator{Bus: b}, log.With("component", "wsproxy"))
	if err != nil {
		limiter.Close()
		return nil, err
	}
	hs := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("websocket proxy stopped", "err", err)
		}
	}()
	log.Info("zun-wsproxy listening", "url", wsProxyURL(cfg, ln.Addr().String()))
	return func() {
		_ = hs.Close() // hijacked websockets are not closed by the server
		p.Close()
		limiter.Close()
		<-done
	}, nil
}

// RunWSProxy runs a standalone zun-wsproxy until ctx ends. It needs the
// bus and the console link secret: no database credentials.
func RunWSProxy(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if cfg.NATSURL == "" {
		return errors.New("nats-url is required")
	}
	if cfg.WSProxyListen == "" {
		return errors.New("wsproxy-listen is required")
	}
	sec, err := consoleSecret(cfg, false)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.WSProxyListen)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", cfg.WSProxyListen, err)
	}
	b, err := natsbus.Connect(ctx, cfg.NATSURL, natsbus.Options{User: cfg.NATSUser, Password: cfg.NATSPassword, Name: "zun-wsproxy"},
		log.With("component", "bus"))
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("failed to connect to NATS: %w", err)
	}
	defer b.Close()
	stop, err := startWSProxy(cfg, ln, b, sec, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	<-ctx.Done()
	stop()
	return nil
}
