package wsproxy

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/openzun/zun/internal/bus/natsbus"
	"github.com/openzun/zun/internal/consolelink"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/model"
)

// natsPeers starts a real NATS server on loopback TCP and returns n
// limiters, each on its own connection, as n zun-wsproxy processes have.
func natsPeers(t *testing.T, n, max int) []*PeerLimiter {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	srv, err := natsbus.StartServer(natsbus.ServerConfig{Port: natsbus.RandomPort, User: "zun", Password: "peer-test-secret"}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	var out []*PeerLimiter
	for range n {
		b, err := natsbus.Connect(context.Background(), srv.ClientURL(), natsbus.Options{User: "zun", Password: "peer-test-secret"}, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		l, err := NewPeerLimiter(b, max, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		out = append(out, l)
	}
	return out
}

func TestPeerLimiterAcrossProxies(t *testing.T) {
	ls := natsPeers(t, 2, 2)
	a, b := ls[0], ls[1]
	ctx := context.Background()
	relA, err := a.Acquire(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Acquire(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]*PeerLimiter{"a": a, "b": b} {
		if _, err := l.Acquire(ctx, "alice"); !errors.Is(err, ErrTooMany) {
			t.Fatalf("third session of alice on %s: %v", name, err)
		}
	}
	if rel, err := b.Acquire(ctx, "bob"); err != nil {
		t.Fatalf("another user: %v", err)
	} else {
		rel()
	}
	relA()
	relA() // idempotent
	if _, err := b.Acquire(ctx, "alice"); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	// A proxy that leaves takes its sessions with it.
	b.Close()
	for deadline := time.Now().Add(5 * time.Second); len(a.livePeers()) > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the peer's departure was not seen")
		}
	}
	for range 2 {
		if _, err := a.Acquire(ctx, "alice"); err != nil {
			t.Fatalf("after the peer left: %v", err)
		}
	}
	if _, err := a.Acquire(ctx, "alice"); !errors.Is(err, ErrTooMany) {
		t.Fatalf("limit on the last proxy: %v", err)
	}
}

// Racing admissions on three proxies never pass the limit.
func TestPeerLimiterRace(t *testing.T) {
	const max = 3
	ls := natsPeers(t, 3, max)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ls[i%3].Acquire(context.Background(), "carol"); err == nil {
				ok.Add(1)
			} else if !errors.Is(err, ErrTooMany) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d of 30 racing sessions admitted, limit %d", ok.Load(), max)
	if n := ok.Load(); n > max || n == 0 {
		t.Fatalf("%d sessions admitted, limit %d", n, max)
	}
}

type echoStream struct {
	r *io.PipeReader
	w *io.PipeWriter
}

func (e echoStream) Read(p []byte) (int, error)  { return e.r.Read(p) }
func (e echoStream) Write(p []byte) (int, error) { return e.w.Write(p) }
func (e echoStream) CloseWrite() error           { return e.w.Close() }
func (e echoStream) Close() error                { _ = e.w.Close(); return e.r.Close() }

// TestSessionLimitTwoProxies: real sessions through two proxies sharing a
// user's limit; the refusal is 429 and a closed session frees its place.
func TestSessionLimitTwoProxies(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	secret := []byte("two-proxies-secret-0123456789")
	grants := consolelink.NewGrants(nil)
	srv, err := consolelink.NewServer(secret, grants, func(context.Context, consolelink.Grant) (container.Stream, error) {
		r, w := io.Pipe()
		return echoStream{r, w}, nil
	}, 100, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() { _ = ln.Close() })

	var bases []string
	for _, l := range natsPeers(t, 2, 2) {
		hs := httptest.NewUnstartedServer(nil)
		base := "ws://" + hs.Listener.Addr().String() + "/"
		p, err := New(Config{BaseURL: base, Secret: secret, Limiter: l}, staticLocator(ln.Addr().String()), log)
		if err != nil {
			t.Fatal(err)
		}
		hs.Config.Handler = p
		hs.Start()
		t.Cleanup(func() { p.Close(); hs.Close() })
		bases = append(bases, base)
	}
	c := model.Container{UUID: uuid.NewString(), ProjectID: "p"}
	open := func(base, user string) (*websocket.Conn, int) {
		tok := strings.Repeat("t", 11) + uuid.NewString()[:32]
		grants.Add(consolelink.Grant{Hash: sha256.Sum256([]byte(tok)), Container: c, UserID: user, Expires: time.Now().Add(time.Minute)})
		pu, _ := url.Parse(base)
		ws, resp, err := websocket.Dial(context.Background(), base+"?"+url.Values{"token": {tok}, "uuid": {c.UUID}}.Encode(),
			&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://" + pu.Host}}, Subprotocols: []string{"binary"}})
		if err != nil {
			if resp == nil {
				t.Fatal(err)
			}
			return nil, resp.StatusCode
		}
		return ws, http.StatusSwitchingProtocols
	}
	s1, st1 := open(bases[0], "u1")
	s2, st2 := open(bases[1], "u1")
	if st1 != 101 || st2 != 101 {
		t.Fatalf("first two sessions: %d %d", st1, st2)
	}
	for i, base := range bases {
		if _, st := open(base, "u1"); st != http.StatusTooManyRequests {
			t.Fatalf("third session on proxy %d: %d, want 429", i, st)
		}
	}
	if ws, st := open(bases[0], "u2"); st != 101 {
		t.Fatalf("another user: %d", st)
	} else {
		ws.CloseNow()
	}
	// The sessions work, and closing one frees a place on the other proxy.
	if err := s1.Write(context.Background(), websocket.MessageBinary, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := s1.Read(context.Background()); err != nil || string(b) != "ping" {
		t.Fatalf("echo: %q %v", b, err)
	}
	s1.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(5 * time.Second)
	for {
		ws, st := open(bases[1], "u1")
		if st == 101 {
			ws.CloseNow()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed session's place stayed taken: %d", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s2.CloseNow()
}
