package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/openzun/zun/internal/store/migrations"
)

// SchemaVersion is the schema version this binary migrates to.
func SchemaVersion() int { return migrations.SchemaVersion() }

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)`

// migrate applies the migrations the database lacks, each in its own
// transaction, on one connection that holds the dialect's migration lock.
func migrate(ctx context.Context, p *pool, logger *slog.Logger) (err error) {
	all, err := migrations.All()
	if err != nil {
		return err
	}
	conn, err := p.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("failed to get a connection for migrations: %w", err)
	}
	defer conn.Close()
	if p.d.migrationLock != "" {
		if _, err := conn.ExecContext(ctx, p.d.migrationLock); err != nil {
			return fmt.Errorf("failed to lock migrations: %w", err)
		}
		defer func() {
			// A fresh context: the lock must go even if ctx has ended.
			if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), p.d.migrationUnlock); uerr != nil && err == nil {
				err = fmt.Errorf("failed to unlock migrations: %w", uerr)
			}
		}()
	}
	if _, err := conn.ExecContext(ctx, createSchemaMigrations); err != nil {
		return fmt.Errorf("failed to create schema_migrations: %w", err)
	}
	current, err := schemaVersion(ctx, conn)
	if err != nil {
		return err
	}
	if latest := all[len(all)-1].Version; current > latest {
		logger.Warn("database schema is newer than this binary", "database_version", current, "binary_version", latest)
		return nil
	}
	// Every migration not recorded yet, gaps included (applyMigration skips
	// recorded ones), so a lower number merged later is still applied.
	for _, m := range all {
		if err := applyMigration(ctx, conn, p.d, m); err != nil {
			return err
		}
		logger.Info("applied migration", "version", m.Version, "name", m.Name)
	}
	return nil
}

func schemaVersion(ctx context.Context, conn *sql.Conn) (int, error) {
	var v sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("failed to read schema version: %w", err)
	}
	return int(v.Int64), nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, d *dialect, m migrations.Migration) error {
	t, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: failed to begin: %w", m.Name, err)
	}
	defer func() { _ = t.Rollback() }()
	// Another process may have applied it between our read and the lock
	// (SQLite has no migration lock; its immediate transaction is one).
	var n int
	if err := t.QueryRowContext(ctx, d.rebind("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), m.Version).Scan(&n); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if n > 0 {
		return nil
	}
	for _, stmt := range migrations.Statements(d.migrationSQL(m.SQL)) {
		if _, err := t.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migration %s: failed to run %q: %w", m.Name, firstLine(stmt), err)
		}
	}
	if _, err := t.ExecContext(ctx, d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		m.Version, m.Name, micros(now())); err != nil {
		return fmt.Errorf("migration %s: failed to record: %w", m.Name, err)
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("migration %s: failed to commit: %w", m.Name, err)
	}
	return nil
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}
