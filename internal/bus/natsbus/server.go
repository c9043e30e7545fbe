package natsbus

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/openzun/zun/internal/errdefs"
)

// Port values of ServerConfig with a special meaning.
const (
	RandomPort = 0  // listen on a free TCP port
	NoListen   = -1 // no TCP listener: in-process connections only
)

const serverReadyTimeout = 10 * time.Second

// ServerConfig configures the embedded NATS server.
type ServerConfig struct {
	// Host to listen on; empty means 127.0.0.1 (set 0.0.0.0 for
	// multi-node so agents on other hosts can connect).
	Host string
	// Port to listen on: RandomPort (0), NoListen (-1) or a TCP port.
	Port int
	// StoreDir, when set, enables JetStream with its data under this
	// directory. The bus itself uses only core NATS.
	StoreDir string
	// User and Password are required when listening on TCP; in-process
	// connections from Server.Connect use them automatically.
	User, Password string
}

// Server is an embedded nats-server.
type Server struct {
	ns     *server.Server
	cfg    ServerConfig
	logger *slog.Logger
}

// StartServer runs nats-server in this process and waits until it accepts
// connections. Its log lines of warning level and above go to logger.
func StartServer(cfg ServerConfig, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "nats-server")
	if cfg.Port < NoListen || cfg.Port > 65535 {
		return nil, fmt.Errorf("nats server port %d out of range: %w", cfg.Port, errdefs.ErrInvalidArgument)
	}
	if cfg.Port != NoListen && (cfg.User == "" || cfg.Password == "") {
		return nil, fmt.Errorf("nats server listening on TCP needs a user and password: %w", errdefs.ErrInvalidArgument)
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	opts := &server.Options{
		ServerName: "zun",
		Host:       cfg.Host,
		Username:   cfg.User,
		Password:   cfg.Password,
		NoSigs:     true, // the service owns signal handling
		// The monitoring endpoint stays off; nothing else listens.
		HTTPPort: 0,
	}
	switch cfg.Port {
	case NoListen:
		opts.DontListen = true
	case RandomPort:
		opts.Port = server.RANDOM_PORT
	default:
		opts.Port = cfg.Port
	}
	if cfg.StoreDir != "" {
		opts.JetStream = true
		opts.StoreDir = cfg.StoreDir
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("failed to configure nats server: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	ns.SetLoggerV2(&serverLogger{logger: logger}, false, false, false)
	ns.Start()
	if !ns.ReadyForConnections(serverReadyTimeout) {
		ns.Shutdown()
		return nil, fmt.Errorf("nats server not ready after %s: %w", serverReadyTimeout, errdefs.ErrUnavailable)
	}
	s := &Server{ns: ns, cfg: cfg, logger: logger}
	logger.Info("nats server started", "client_url", s.ClientURL(), "jetstream", opts.JetStream)
	return s, nil
}

// ClientURL is the nats:// URL other processes connect to, or "" when the
// server does not listen on TCP.
func (s *Server) ClientURL() string {
	if s.cfg.Port == NoListen {
		return ""
	}
	return s.ns.ClientURL()
}

// Connect opens a Bus over an in-process pipe to s (no TCP). Empty
// opts.User/Password default to the server's credentials.
func (s *Server) Connect(opts Options, logger *slog.Logger) (*Bus, error) {
	if opts.User == "" && opts.Password == "" {
		opts.User, opts.Password = s.cfg.User, s.cfg.Password
	}
	// Checked here because a refused in-process handshake stalls on the
	// unbuffered pipe until the server's write deadline (10s).
	if s.cfg.User != "" && (opts.User != s.cfg.User || opts.Password != s.cfg.Password) {
		return nil, fmt.Errorf("in-process nats connection: wrong credentials: %w", errdefs.ErrUnauthorized)
	}
	// The server is in this process: one attempt is enough.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// The URL only satisfies option parsing; the in-process provider is used.
	return dial(ctx, "nats://in-process", opts, logger, s.ns)
}

// Shutdown stops the server, closing every client connection.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	s.logger.Info("nats server stopped")
}
