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

	"github.com/openzun/zun/internal/config"
	"github.com/openzun/zun/internal/identity"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/store/sqlstore"
)

// identityKeyFile is where the token signing key lives (0600, in a 0700
// directory of the data directory).
func identityKeyFile(cfg config.Config) string {
	return filepath.Join(cfg.DataDir, "identity", "signing.key")
}

// catalogEntries is the service catalog: the container service, and the
// network (/network), volume and image services zun-api serves, unless
// --catalog-urls points them elsewhere.
func catalogEntries(cfg config.Config) ([]identity.CatalogEntry, error) {
	entries := []identity.CatalogEntry{
		{Type: "container", Name: "zun", URL: cfg.PublicURL + "/v1"},
		{Type: "network", Name: "neutron", URL: cfg.PublicURL + "/network"},
		{Type: "volumev3", Name: "cinderv3", URL: cfg.PublicURL + "/volume/v3/$(project_id)s"},
		{Type: "image", Name: "glance", URL: cfg.PublicURL + "/image"},
	}
	if cfg.CatalogURLs == "" {
		return entries, nil
	}
	for _, kv := range strings.Split(cfg.CatalogURLs, ",") {
		typ, url, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || typ == "" || url == "" {
			return nil, fmt.Errorf("catalog-urls: %q is not type=url", kv)
		}
		found := false
		for i := range entries {
			if entries[i].Type == typ {
				entries[i].URL, found = url, true
			}
		}
		if !found {
			entries = append(entries, identity.CatalogEntry{Type: typ, URL: url})
		}
	}
	return entries, nil
}

// newIdentity builds the identity service on st and bootstraps it.
func newIdentity(ctx context.Context, cfg config.Config, st store.Identity, log *slog.Logger) (*identity.Service, string, error) {
	entries, err := catalogEntries(cfg)
	if err != nil {
		return nil, "", err
	}
	idn, err := identity.New(identity.Config{
		KeyFile:   identityKeyFile(cfg),
		TokenTTL:  cfg.TokenTTL,
		PublicURL: cfg.PublicURL + "/identity",
		Catalog:   entries,
	}, st, log.With("component", "identity"))
	if err != nil {
		return nil, "", fmt.Errorf("failed to start identity: %w", err)
	}
	adminPassword := cfg.AdminPassword
	if adminPassword == "" {
		if adminPassword, err = secret(filepath.Join(cfg.DataDir, "admin-password")); err != nil {
			return nil, "", err
		}
	}
	if err := idn.Bootstrap(ctx, identity.BootstrapConfig{AdminUser: "admin", AdminPassword: adminPassword, AdminProject: "admin"}); err != nil {
		return nil, "", fmt.Errorf("failed to bootstrap identity: %w", err)
	}
	return idn, adminPassword, nil
}

// openStore opens the configured database.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*sqlstore.Store, error) {
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
	return st, nil
}

// RotateIdentityKey is "zun-api --rotate-identity-key": a new signing key
// replaces the one in the data directory. Running services pick it up
// within seconds; tokens signed by the previous key stay valid until they
// expire.
func RotateIdentityKey(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	kid, err := identity.RotateKey(ctx, identityKeyFile(cfg), cfg.TokenTTL, st.Identity())
	if err != nil {
		return fmt.Errorf("failed to rotate the identity key: %w", err)
	}
	log.Info("rotated the identity token signing key", "key_id", kid, "path", identityKeyFile(cfg))
	return nil
}

// RunIdentity is "zun-api --only identity": the identity service alone,
// on the same database, serving /identity like the full zun-api.
func RunIdentity(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", cfg.Listen, err)
	}
	defer ln.Close()
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	idn, adminPassword, err := newIdentity(ctx, cfg, st.Identity(), log)
	if err != nil {
		return err
	}
	if err := writeClientFiles(cfg.DataDir, cfg.PublicURL+"/identity/v3", adminPassword); err != nil {
		return err
	}
	mux := http.NewServeMux()
	idn.Mount(mux, "/identity")
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("identity listening", "url", cfg.PublicURL+"/identity")
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
	return err
}
