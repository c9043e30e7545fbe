package wsproxy

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/openzun/zun/internal/consolelink"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/container/fake"
	"github.com/openzun/zun/internal/model"
)

// The proxy's own cost, without the engine: the agent end is the fake
// driver's in-memory echo session (loopback TCP and TLS still apply).

func proxyOverDriver(b *testing.B, drv container.Consoler, c *model.Container) *websocket.Conn {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	secret := []byte("bench-secret-0123456789abcdef")
	grants := consolelink.NewGrants(nil)
	srv, err := consolelink.NewServer(secret, grants, func(ctx context.Context, g consolelink.Grant) (container.Stream, error) {
		return drv.Attach(ctx, &g.Container)
	}, 100, log)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(ctx, ln) }()
	b.Cleanup(func() { _ = ln.Close() })
	hs := httptest.NewUnstartedServer(nil)
	base := "ws://" + hs.Listener.Addr().String() + "/"
	p, err := New(Config{BaseURL: base, Secret: secret}, staticLocator(ln.Addr().String()), log)
	if err != nil {
		b.Fatal(err)
	}
	hs.Config.Handler = p
	hs.Start()
	b.Cleanup(func() { p.Close(); hs.Close() })
	tok := strings.Repeat("t", 11) + uuid.NewString()[:32]
	grants.Add(consolelink.Grant{Hash: sha256.Sum256([]byte(tok)), Container: *c, UserID: "u", Expires: time.Now().Add(time.Minute)})
	ws, _, err := websocket.Dial(ctx, base+"?"+url.Values{"token": {tok}, "uuid": {c.UUID}}.Encode(), &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {"http://" + hs.Listener.Addr().String()}}, Subprotocols: []string{"binary"}})
	if err != nil {
		b.Fatal(err)
	}
	ws.SetReadLimit(1 << 22)
	b.Cleanup(func() { ws.CloseNow() })
	return ws
}

func fakeRunning(b *testing.B) (*fake.Driver, *model.Container) {
	drv := fake.New(fake.Options{})
	c := &model.Container{UUID: uuid.NewString(), Name: "o", ProjectID: "p", Image: "busybox:1.35", CPU: 1, Memory: 64}
	ctx := context.Background()
	var err error
	if c.ContainerID, err = drv.Create(ctx, c); err != nil {
		b.Fatal(err)
	}
	if err := drv.Start(ctx, c); err != nil {
		b.Fatal(err)
	}
	return drv, c
}

// BenchmarkProxyOverhead measures a session through the proxy to an
// in-memory echo: the round trip of one keystroke (p50-ns, p99-ns) and
// the throughput of 64 KiB messages.
func BenchmarkProxyOverhead(b *testing.B) {
	b.Run("round-trip", func(b *testing.B) {
		drv, c := fakeRunning(b)
		ws := proxyOverDriver(b, drv, c)
		w := wsRW{ws}
		lat := make([]time.Duration, 0, 1024)
		for b.Loop() {
			t0 := time.Now()
			if err := w.send([]byte("x")); err != nil {
				b.Fatal(err)
			}
			if err := w.recvAtLeast(1); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	})
	b.Run("throughput", func(b *testing.B) {
		drv, c := fakeRunning(b)
		ws := proxyOverDriver(b, drv, c)
		w := wsRW{ws}
		chunk := make([]byte, 64<<10)
		b.SetBytes(int64(len(chunk)))
		errc := make(chan error, 1)
		b.ResetTimer()
		go func() {
			for i := 0; i < b.N; i++ {
				if err := w.send(chunk); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		if err := w.recvAtLeast(b.N * len(chunk)); err != nil {
			b.Fatal(err)
		}
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
	})
}
