package sqlstore

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/store/storetest"
	"github.com/openzun/zun/internal/testutil/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func openStore(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, testLogger(t))
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func sqliteDSN(t testing.TB) string { return filepath.Join(t.TempDir(), "zun.db") }

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openStore(t, sqliteDSN(t)) })
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openStore(t, pgtest.Shared(t)) })
}

// openShared opens n stores on the database dsn, as n zun-api processes.
func openShared(t *testing.T, dsn string, n int) []store.Store {
	out := make([]store.Store, n)
	for i := range out {
		out[i] = openStore(t, dsn)
	}
	return out
}

func TestSQLiteShared(t *testing.T) {
	t.Parallel()
	storetest.RunShared(t, func(t *testing.T, n int) []store.Store { return openShared(t, sqliteDSN(t), n) })
}

func TestPostgresShared(t *testing.T) {
	t.Parallel()
	storetest.RunShared(t, func(t *testing.T, n int) []store.Store { return openShared(t, pgtest.Shared(t), n) })
}
