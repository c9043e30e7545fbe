package wsproxy

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/openzun/zun/internal/consolelink"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/container/docker"
	"github.com/openzun/zun/internal/model"
)

// The benchmarks compare a session through the proxy (websocket, proxy,
// console link over TLS, agent, engine) with the engine's attach stream
// used directly, on one container running cat without a TTY (bytes
// echo back unchanged).

type benchEnv struct {
	drv    *docker.Driver
	c      *model.Container
	grants *consolelink.Grants
	wsURL  string
}

type staticLocator string

func (l staticLocator) Endpoint(context.Context, string) (string, error) { return string(l), nil }

func setupBench(b *testing.B) *benchEnv {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	if _, err := os.Stat("/var/run/docker.sock"); err != nil {
		b.Skip("needs a Docker engine")
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	host := "bench-" + uuid.NewString()[:8]
	drv, err := docker.New(ctx, docker.Config{ZunHost: host}, log)
	if err != nil {
		b.Fatal(err)
	}
	c := &model.Container{UUID: uuid.NewString(), Name: "bench", ProjectID: "p", UserID: "u", Image: "busybox:1.35",
		// Each input line is echoed; a number n also gets n bytes of
		// output (the throughput benchmark).
		Command:     []string{"sh", "-c", `while read -r n; do echo "$n"; case "$n" in *[!0-9]*|"") ;; *) head -c "$n" /dev/zero;; esac; done`},
		Interactive: true, CPU: 1, Memory: 256, Host: host}
	if c.ContainerID, err = drv.Create(ctx, c); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = drv.Delete(context.Background(), c, true); _ = drv.Close() })
	if err := drv.Start(ctx, c); err != nil {
		b.Fatal(err)
	}
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
	p, err := New(Config{BaseURL: base, Secret: secret, MaxSessionsPerUser: 100}, staticLocator(ln.Addr().String()), log)
	if err != nil {
		b.Fatal(err)
	}
	hs.Config.Handler = p
	hs.Start()
	b.Cleanup(func() { p.Close(); hs.Close() })
	return &benchEnv{drv: drv, c: c, grants: grants, wsURL: base}
}

// session opens a proxied session with a fresh grant.
func (e *benchEnv) session(b *testing.B) *websocket.Conn {
	b.Helper()
	tok := strings.Repeat("t", 11) + uuid.NewString()[:32]
	e.grants.Add(consolelink.Grant{Hash: sha256.Sum256([]byte(tok)), Container: *e.c, UserID: "u", Expires: time.Now().Add(time.Minute)})
	u := e.wsURL + "?" + url.Values{"token": {tok}, "uuid": {e.c.UUID}}.Encode()
	pu, _ := url.Parse(e.wsURL)
	ws, _, err := websocket.Dial(context.Background(), u, &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {"http://" + pu.Host}}, Subprotocols: []string{"binary"}})
	if err != nil {
		b.Fatal(err)
	}
	ws.SetReadLimit(1 << 22)
	return ws
}

type rw interface {
	send([]byte) error
	recvAtLeast(n int) error
	close()
}

// wsRW is the benchmarks' websocket client. It reads each message
// through one reused buffer: websocket.Conn.Read allocates every message
// whole (io.ReadAll), which cost the client more than the proxy did.
type wsRW struct {
	ws  *websocket.Conn
	buf []byte
}

func newWSRW(ws *websocket.Conn) *wsRW { return &wsRW{ws: ws, buf: make([]byte, 64<<10)} }

func (w *wsRW) send(p []byte) error {
	return w.ws.Write(context.Background(), websocket.MessageBinary, p)
}
func (w *wsRW) recvAtLeast(n int) error {
	for n > 0 {
		_, r, err := w.ws.Reader(context.Background())
		if err != nil {
			return err
		}
		for {
			k, err := r.Read(w.buf)
			n -= k
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
func (w *wsRW) close() { w.ws.CloseNow() }

type directRW struct {
	s   container.Stream
	buf []byte
}

func (d *directRW) send(p []byte) error { _, err := d.s.Write(p); return err }
func (d *directRW) recvAtLeast(n int) error {
	for n > 0 {
		k, err := d.s.Read(d.buf)
		if err != nil {
			return err
		}
		n -= k
	}
	return nil
}
func (d *directRW) close() { _ = d.s.Close() }

func (e *benchEnv) both(b *testing.B) map[string]func() rw {
	return map[string]func() rw{
		"direct": func() rw {
			s, err := e.drv.Attach(context.Background(), e.c)
			if err != nil {
				b.Fatal(err)
			}
			return &directRW{s: s, buf: make([]byte, 64<<10)}
		},
		"proxy": func() rw { return newWSRW(e.session(b)) },
	}
}

// BenchmarkSessionRoundTrip: one keystroke to the container and its echo
// back; reports the median (p50-ns) and p99.
func BenchmarkSessionRoundTrip(b *testing.B) {
	e := setupBench(b)
	for _, name := range []string{"direct", "proxy"} {
		b.Run(name, func(b *testing.B) {
			c := e.both(b)[name]()
			defer c.close()
			lat := make([]time.Duration, 0, b.N)
			// cat reads lines: send a newline-terminated key.
			msg := []byte("x\n")
			for b.Loop() {
				t0 := time.Now()
				if err := c.send(msg); err != nil {
					b.Fatal(err)
				}
				if err := c.recvAtLeast(len(msg)); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}

// BenchmarkSessionThroughput asks the container for 1 MiB of output at a
// time (a shell running head -c on request) and reads it all.
func BenchmarkSessionThroughput(b *testing.B) {
	e := setupBench(b)
	const size = 1 << 20
	for _, name := range []string{"direct", "proxy"} {
		b.Run(name, func(b *testing.B) {
			c := e.both(b)[name]()
			defer c.close()
			b.SetBytes(size)
			req := []byte(fmt.Sprintf("%d\n", size))
			for b.Loop() {
				if err := c.send(req); err != nil {
					b.Fatal(err)
				}
				// cat echoes the request line, then the shell below it
				// is not involved: see setupBench's command.
				if err := c.recvAtLeast(size + len(req)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
