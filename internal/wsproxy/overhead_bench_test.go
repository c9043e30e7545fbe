package wsproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
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
// driver's in-memory echo session, or a process that only writes output
// (loopback TCP and TLS still apply).

func proxyOverDriver(b testing.TB, drv container.Consoler, c *model.Container) *websocket.Conn {
	return proxyOver(b, func(ctx context.Context, g consolelink.Grant) (container.Stream, error) {
		return drv.Attach(ctx, &g.Container)
	}, c)
}

func proxyOver(b testing.TB, open consolelink.Opener, c *model.Container) *websocket.Conn {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	secret := []byte("bench-secret-0123456789abcdef")
	grants := consolelink.NewGrants(nil)
	srv, err := consolelink.NewServer(secret, grants, open, 100, log)
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

func fakeRunning(b testing.TB) (*fake.Driver, *model.Container) {
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

// BenchmarkProxyOverhead measures a session through the proxy: the round
// trip of one keystroke to an in-memory echo (p50-ns, p99-ns), the
// throughput of 64 KiB messages echoed back (both directions at once),
// and the throughput of a process's output alone flowing to the client
// (stream: what the > 200 MB/s target is about).
func BenchmarkProxyOverhead(b *testing.B) {
	b.Run("round-trip", func(b *testing.B) {
		drv, c := fakeRunning(b)
		w := newWSRW(proxyOverDriver(b, drv, c))
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
	b.Run("echo", func(b *testing.B) {
		drv, c := fakeRunning(b)
		w := newWSRW(proxyOverDriver(b, drv, c))
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
	b.Run("stream", func(b *testing.B) {
		_, c := fakeRunning(b)
		w := newWSRW(proxyOver(b, func(context.Context, consolelink.Grant) (container.Stream, error) {
			return newOutput(), nil
		}, c))
		const unit = 64 << 10
		b.SetBytes(unit)
		b.ResetTimer()
		if err := w.send(fmt.Appendf(nil, "%d\n", b.N*unit)); err != nil {
			b.Fatal(err)
		}
		if err := w.recvAtLeast(b.N * unit); err != nil {
			b.Fatal(err)
		}
	})
}

// output is a process that, for each decimal number n written to its
// stdin on a line, writes n bytes to its stdout as fast as they are read,
// at most 64 KiB a read (a Linux pipe's capacity).
type output struct {
	req    chan int
	line   []byte
	left   int
	chunk  []byte
	closed chan struct{}
	once   sync.Once
}

func newOutput() *output {
	return &output{req: make(chan int, 16), chunk: make([]byte, 64<<10), closed: make(chan struct{})}
}

func (o *output) Write(p []byte) (int, error) {
	o.line = append(o.line, p...)
	for {
		i := bytes.IndexByte(o.line, '\n')
		if i < 0 {
			return len(p), nil
		}
		n, err := strconv.Atoi(string(o.line[:i]))
		if err != nil {
			return 0, err
		}
		o.line = o.line[i+1:]
		select {
		case o.req <- n:
		case <-o.closed:
			return 0, io.ErrClosedPipe
		}
	}
}

func (o *output) Read(p []byte) (int, error) {
	for o.left == 0 {
		select {
		case o.left = <-o.req:
		case <-o.closed:
			return 0, io.EOF
		}
	}
	k := min(len(p), len(o.chunk), o.left)
	copy(p, o.chunk[:k])
	o.left -= k
	return k, nil
}

func (o *output) CloseWrite() error { return nil }
func (o *output) Close() error {
	o.once.Do(func() { close(o.closed) })
	return nil
}
