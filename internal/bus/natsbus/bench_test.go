package natsbus

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/openzun/zun/internal/zunctx"
)

// BenchmarkCall measures one call round trip over in-process connections
// (the all-in-one path): envelope encode, NATS request/reply, decode.
func BenchmarkCall(b *testing.B) {
	srv, cli := pair(b)
	if _, err := srv.Handle("bench.echo", "", func(_ context.Context, p json.RawMessage) (any, error) {
		return p, nil
	}); err != nil {
		b.Fatal(err)
	}
	ctx := zunctx.WithRequestID(zunctx.WithIdentity(context.Background(),
		zunctx.Identity{UserID: "u", ProjectID: "p", Roles: []string{"member"}}), "req-bench")
	ctx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	req := echoReq{Name: "container-1", Count: 1}
	b.ReportAllocs()
	for b.Loop() {
		var resp echoReq
		if err := cli.Call(ctx, "bench.echo", req, &resp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallParallel measures throughput with concurrent callers.
func BenchmarkCallParallel(b *testing.B) {
	srv, cli := pair(b)
	if _, err := srv.Handle("bench.echo", "", func(_ context.Context, p json.RawMessage) (any, error) {
		return p, nil
	}); err != nil {
		b.Fatal(err)
	}
	req := echoReq{Name: "container-1", Count: 1}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var resp echoReq
			if err := cli.Call(context.Background(), "bench.echo", req, &resp); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCallTCP is BenchmarkCall with the caller on a loopback TCP
// connection, for comparison with the in-process path.
func BenchmarkCallTCP(b *testing.B) {
	srv := startServer(b, ServerConfig{Port: RandomPort, User: "zun", Password: "pw"})
	h := connectInProc(b, srv, Options{})
	if _, err := h.Handle("bench.echo", "", func(_ context.Context, p json.RawMessage) (any, error) {
		return p, nil
	}); err != nil {
		b.Fatal(err)
	}
	cli, err := Connect(context.Background(), srv.ClientURL(), Options{User: "zun", Password: "pw"}, testLogger(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cli.Close() })
	req := echoReq{Name: "container-1", Count: 1}
	b.ReportAllocs()
	for b.Loop() {
		var resp echoReq
		if err := cli.Call(context.Background(), "bench.echo", req, &resp); err != nil {
			b.Fatal(err)
		}
	}
}
