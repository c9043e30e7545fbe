package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/store"
)

// DefaultSQLitePath is the database used for an empty DSN.
const DefaultSQLitePath = "/var/lib/zun/zun.db"

// Store is a store.Store on SQLite or PostgreSQL.
type Store struct {
	d     *dialect
	log   *slog.Logger
	write *pool // write transactions and single-statement writes
	read  *pool // plain reads; the same pool as write on PostgreSQL

	containers *containers
	capsules   *capsules
	hosts      *hosts
	services   *services
	actions    *actions
	identity   *identity
	quotas     *quotas
	glance     *glanceImages
	images     *images
	registries *registries
}

var _ store.Store = (*Store)(nil)

// Open opens the database named by dsn and migrates it to the current
// schema. dsn is "" (SQLite at DefaultSQLitePath), "sqlite:///path/zun.db",
// a plain file path (SQLite), or "postgres://..." / "postgresql://..."
// (PostgreSQL).
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	kind, target, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	var s *Store
	switch kind {
	case "postgres":
		s, err = openPostgres(ctx, target, logger)
	default:
		s, err = openSQLite(ctx, target, logger)
	}
	if err != nil {
		return nil, err
	}
	s.containers = &containers{s: s}
	s.capsules = &capsules{s: s}
	s.hosts = &hosts{s: s}
	s.services = &services{s: s}
	s.actions = &actions{s: s}
	s.identity = &identity{s: s}
	s.quotas = &quotas{s: s}
	s.glance, s.images, s.registries = newGlanceImages(s), newImages(s), newRegistries(s)
	return s, nil
}

// parseDSN returns the backend kind ("sqlite" or "postgres") and what to
// open: a file path or the PostgreSQL URL.
func parseDSN(dsn string) (kind, target string, err error) {
	switch {
	case dsn == "":
		return "sqlite", DefaultSQLitePath, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "postgres", dsn, nil
	case strings.HasPrefix(dsn, "sqlite://"):
		p := strings.TrimPrefix(dsn, "sqlite://")
		if p == "" {
			return "", "", fmt.Errorf("database %q has no path: %w", dsn, errdefs.ErrInvalidArgument)
		}
		return "sqlite", filepath.Clean(p), nil
	case strings.HasPrefix(dsn, "sqlite:"):
		return "sqlite", filepath.Clean(strings.TrimPrefix(dsn, "sqlite:")), nil
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return "", "", fmt.Errorf("unsupported database scheme %q (want sqlite or postgres): %w", scheme, errdefs.ErrInvalidArgument)
	default:
		return "sqlite", filepath.Clean(dsn), nil
	}
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// Containers returns the container store.
func (s *Store) Containers() store.Containers { return s.containers }

// Hosts returns the compute node and allocation store.
func (s *Store) Hosts() store.Hosts { return s.hosts }

// Services returns the service store.
func (s *Store) Services() store.Services { return s.services }

// Actions returns the container action store.
func (s *Store) Actions() store.Actions { return s.actions }

// Identity returns the identity store.
func (s *Store) Identity() store.Identity { return s.identity }

// Quotas returns the quota store.
func (s *Store) Quotas() store.Quotas { return s.quotas }

// Capsules returns the capsule store.
func (s *Store) Capsules() store.Capsules { return s.capsules }

// GlanceImages returns the image service's records.
func (s *Store) GlanceImages() store.GlanceImages { return s.glance }

// Images returns the per-host image records.
func (s *Store) Images() store.Images { return s.images }

// Registries returns the private registries.
func (s *Store) Registries() store.Registries { return s.registries }

// Close closes the database pools.
func (s *Store) Close() error {
	err := s.write.close()
	if s.read != s.write {
		err = errors.Join(err, s.read.close())
	}
	return err
}
