package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/openzun/zun/internal/errdefs"
)

var sqliteDialect = &dialect{
	name:         "sqlite",
	idType:       "INTEGER PRIMARY KEY AUTOINCREMENT",
	setJSONHost:  "json_set(data, '$.host', ?)",
	jsonNumber:   "CAST(COALESCE(json_extract(data, '$.%[1]s'), 0) AS REAL)",
	dataContains: "instr(data, ?) > 0",
	classify:     sqliteClassify,
	retryable:    func(error) bool { return false },
}

func sqliteClassify(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return errdefs.ErrAlreadyExists
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return errdefs.ErrNotFound
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return errdefs.ErrUnavailable
	}
	return nil
}

// sqliteBusyTimeout is how long a connection waits for another process's
// write lock, in milliseconds.
const sqliteBusyTimeout = 10000

// openSQLite opens the database file at path: one writer connection with
// immediate transactions, and a pool of query-only readers.
func openSQLite(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("failed to create database directory: %w", err)
		}
	}
	params := url.Values{}
	params.Set("_busy_timeout", fmt.Sprint(sqliteBusyTimeout))
	params.Set("_foreign_keys", "1")
	params.Set("_synchronous", "NORMAL")
	wparams := url.Values{}
	for k, v := range params {
		wparams[k] = v
	}
	wparams.Set("_txlock", "immediate")
	w, err := newSQLPool(ctx, "sqlite", path+"?"+wparams.Encode(), sqliteDialect)
	if err != nil {
		return nil, fmt.Errorf("failed to open sqlite database %s: %w", path, err)
	}
	w.db.SetMaxOpenConns(1)
	w.db.SetMaxIdleConns(1)
	w.db.SetConnMaxLifetime(0)
	w.db.SetConnMaxIdleTime(0)

	if err := enableWAL(ctx, w); err != nil {
		_ = w.close()
		return nil, fmt.Errorf("failed to enable WAL on %s: %w", path, err)
	}
	s := &Store{d: sqliteDialect, log: logger, write: w}
	if err := migrate(ctx, w, logger); err != nil {
		_ = w.close()
		return nil, err
	}

	params.Set("_query_only", "1")
	r, err := newSQLPool(ctx, "sqlite", path+"?"+params.Encode(), sqliteDialect)
	if err != nil {
		_ = w.close()
		return nil, fmt.Errorf("failed to open sqlite database %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.db.SetMaxOpenConns(n)
	r.db.SetMaxIdleConns(n)
	s.read = r
	logger.Info("opened database", "dialect", "sqlite", "path", path)
	return s, nil
}

// enableWAL switches the database to WAL mode (persistent in the file).
// The switch needs an exclusive lock and does not wait on the busy
// handler, so processes opening a new database together retry it.
func enableWAL(ctx context.Context, p *pool) error {
	deadline := time.Now().Add(sqliteBusyTimeout * time.Millisecond)
	for {
		var mode string
		err := p.db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		if err == nil && strings.EqualFold(mode, "wal") {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("journal mode is %q", mode)
		}
		if !errors.Is(sqliteClassify(err), errdefs.ErrUnavailable) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
