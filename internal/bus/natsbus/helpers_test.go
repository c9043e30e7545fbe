package natsbus

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// testWriter sends log lines to t.Log until the test ends; nats client
// goroutines may log a little after that.
type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	t.Helper()
	w := &testWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// startServer starts an embedded server and shuts it down with the test.
func startServer(t testing.TB, cfg ServerConfig) *Server {
	t.Helper()
	srv, err := StartServer(cfg, testLogger(t))
	if err != nil {
		t.Fatalf("StartServer: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// connectInProc opens an in-process Bus to srv, closed with the test.
func connectInProc(t testing.TB, srv *Server, opts Options) *Bus {
	t.Helper()
	b, err := srv.Connect(opts, testLogger(t))
	if err != nil {
		t.Fatalf("Server.Connect: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// pair starts an in-process-only server and returns a serving bus and a
// calling bus on two connections.
func pair(t testing.TB) (server, client *Bus) {
	t.Helper()
	srv := startServer(t, ServerConfig{Port: NoListen})
	return connectInProc(t, srv, Options{Name: "server"}), connectInProc(t, srv, Options{Name: "client"})
}

// ctxT is a context bounded by the test's own deadline.
func ctxT(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
