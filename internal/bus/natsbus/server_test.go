package natsbus

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
)

func TestExternalURL(t *testing.T) {
	srv := startServer(t, ServerConfig{Port: RandomPort, User: "zun", Password: "s3cret"})
	url := srv.ClientURL()
	if url == "" {
		t.Fatal("no client URL for a TCP server")
	}
	// Serve in-process, call over TCP by URL.
	h := connectInProc(t, srv, Options{})
	if _, err := h.Handle("test.echo", "", echoHandler); err != nil {
		t.Fatal(err)
	}
	cli, err := Connect(ctxT(t, 5*time.Second), url, Options{User: "zun", Password: "s3cret", Name: "ext"}, testLogger(t))
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	var got echoReq
	if err := cli.Call(ctxT(t, 5*time.Second), "test.echo", echoReq{Name: "tcp"}, &got); err != nil || got.Count != 1 {
		t.Fatalf("Call over TCP: %+v, %v", got, err)
	}
	// A cluster-style list with a dead first entry still connects.
	dead := "nats://127.0.0.1:" + strconv.Itoa(freePort(t))
	cli2, err := Connect(ctxT(t, 5*time.Second), dead+","+url, Options{User: "zun", Password: "s3cret"}, testLogger(t))
	if err != nil {
		t.Fatalf("Connect with server list: %v", err)
	}
	_ = cli2.Close()
}

func TestWrongPasswordRefused(t *testing.T) {
	srv := startServer(t, ServerConfig{Port: RandomPort, User: "zun", Password: "s3cret"})
	start := time.Now()
	for _, o := range []Options{{User: "zun", Password: "wrong"}, {}} {
		_, err := Connect(ctxT(t, 5*time.Second), srv.ClientURL(), o, testLogger(t))
		if !errors.Is(err, errdefs.ErrUnauthorized) {
			t.Fatalf("Connect with %q/%q: got %v, want ErrUnauthorized", o.User, o.Password, err)
		}
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("refusal took %v; bad credentials must not be retried", elapsed)
	}
	start = time.Now()
	if _, err := srv.Connect(Options{User: "zun", Password: "wrong"}, testLogger(t)); !errors.Is(err, errdefs.ErrUnauthorized) || time.Since(start) > time.Second {
		t.Fatalf("in-process with wrong password: %v", err)
	}
}

func TestStartServerValidation(t *testing.T) {
	for name, cfg := range map[string]ServerConfig{
		"tcp without password": {Port: RandomPort, User: "zun"},
		"tcp without user":     {Port: 4222, Password: "x"},
		"bad port":             {Port: 70000, User: "u", Password: "p"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := StartServer(cfg, testLogger(t)); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("got %v, want ErrInvalidArgument", err)
			}
		})
	}
	if srv := startServer(t, ServerConfig{Port: NoListen}); srv.ClientURL() != "" {
		t.Fatalf("in-process-only server has URL %q", srv.ClientURL())
	}
	if _, err := Connect(context.Background(), " ", Options{}, nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("empty URL: %v", err)
	}
}

func TestJetStreamStoreDir(t *testing.T) {
	srv := startServer(t, ServerConfig{Port: NoListen, StoreDir: t.TempDir()})
	b := connectInProc(t, srv, Options{})
	if _, err := b.Handle("test.echo", "", echoHandler); err != nil {
		t.Fatal(err)
	}
	if err := b.Call(ctxT(t, 5*time.Second), "test.echo", echoReq{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Conn().JetStream(); err != nil {
		t.Fatalf("JetStream context: %v", err)
	}
}

// Connect keeps retrying an unreachable server until ctx ends.
func TestConnectRetriesUntilContextDone(t *testing.T) {
	url := "nats://127.0.0.1:" + strconv.Itoa(freePort(t))
	start := time.Now()
	_, err := Connect(ctxT(t, 400*time.Millisecond), url, Options{}, testLogger(t))
	if !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond || elapsed > 3*time.Second {
		t.Fatalf("gave up after %v, want about the context's 400ms", elapsed)
	}
}

// When the server goes away calls fail fast, and the connection comes back
// by itself when the server returns.
func TestOutageFailsFastThenReconnects(t *testing.T) {
	port := freePort(t)
	cfg := ServerConfig{Port: port, User: "zun", Password: "pw"}
	srv, err := StartServer(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := Connect(ctxT(t, 5*time.Second), srv.ClientURL(), Options{User: "zun", Password: "pw"}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	srv.Shutdown()
	deadline := time.Now().Add(5 * time.Second)
	for cli.Conn().IsConnected() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if err := cli.Call(context.Background(), "test.echo", nil, nil); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("call during outage: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 100*time.Millisecond {
		t.Fatalf("call during outage took %v, want fail-fast", elapsed)
	}

	srv2 := startServer(t, cfg)
	h := connectInProc(t, srv2, Options{})
	if _, err := h.Handle("test.echo", "", echoHandler); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for !cli.Conn().IsConnected() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := cli.Call(ctxT(t, 5*time.Second), "test.echo", echoReq{}, nil); err != nil {
		t.Fatalf("call after reconnect: %v", err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
