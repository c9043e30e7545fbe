package consolelink

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/model"
)

type echoStream struct {
	r *io.PipeReader
	w *io.PipeWriter
}

func (e echoStream) Read(p []byte) (int, error)  { return e.r.Read(p) }
func (e echoStream) Write(p []byte) (int, error) { return e.w.Write(p) }
func (e echoStream) CloseWrite() error           { return e.w.Close() }
func (e echoStream) Close() error                { _ = e.w.Close(); return e.r.Close() }

func echoOpener(context.Context, Grant) (container.Stream, error) {
	r, w := io.Pipe()
	return echoStream{r, w}, nil
}

func startServer(t *testing.T, secret string, grants *Grants, max int) string {
	t.Helper()
	srv, err := NewServer([]byte(secret), grants, echoOpener, max, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); _ = ln.Close(); <-done })
	return ln.Addr().String()
}

const secret = "0123456789abcdef0123456789abcdef"

func grant(g *Grants, token, uuid, exec string, ttl time.Duration) [32]byte {
	h := sha256.Sum256([]byte(token))
	g.Add(Grant{Hash: h, Container: model.Container{UUID: uuid, ProjectID: "p1"}, ExecID: exec, UserID: "u1", Expires: time.Now().Add(ttl)})
	return h
}

func TestLinkSessionAndSingleUse(t *testing.T) {
	g := NewGrants(nil)
	addr := startServer(t, secret, g, 4)
	h := grant(g, "tok-a", "c1", "", time.Minute)
	ctx := context.Background()
	c, rep, err := Dial(ctx, addr, []byte(secret), Request{TokenHash: h, UUID: "c1"})
	if err != nil || rep.Status != StatusOK {
		t.Fatalf("dial: %v %+v", err, rep)
	}
	if rep.ProjectID != "p1" || rep.UserID != "u1" {
		t.Fatalf("reply %+v", rep)
	}
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo %q %v", buf, err)
	}
	_ = c.Close()
	// The same token again: denied.
	if _, rep, err := Dial(ctx, addr, []byte(secret), Request{TokenHash: h, UUID: "c1"}); err != nil || rep.Status != StatusDenied {
		t.Fatalf("reuse: %v %+v", err, rep)
	}
}

func TestLinkDeniesWrongBinding(t *testing.T) {
	g := NewGrants(nil)
	addr := startServer(t, secret, g, 4)
	ctx := context.Background()
	h := grant(g, "tok-b", "c1", "exec1", time.Minute)
	for name, req := range map[string]Request{
		"other container": {TokenHash: h, UUID: "c2", ExecID: "exec1"},
		"other exec":      {TokenHash: h, UUID: "c1", ExecID: "exec2"},
		"attach":          {TokenHash: h, UUID: "c1"},
	} {
		if _, rep, err := Dial(ctx, addr, []byte(secret), req); err != nil || rep.Status != StatusDenied {
			t.Fatalf("%s: %v %+v", name, err, rep)
		}
	}
	// A mismatched exec consumed the grant: the right request fails now.
	if _, rep, _ := Dial(ctx, addr, []byte(secret), Request{TokenHash: h, UUID: "c1", ExecID: "exec1"}); rep.Status != StatusDenied {
		t.Fatalf("grant survived a failed try: %+v", rep)
	}
	exp := grant(g, "tok-c", "c1", "", -time.Second)
	if _, rep, _ := Dial(ctx, addr, []byte(secret), Request{TokenHash: exp, UUID: "c1"}); rep.Status != StatusDenied {
		t.Fatalf("expired: %+v", rep)
	}
}

func TestLinkMutualAuthentication(t *testing.T) {
	g := NewGrants(nil)
	addr := startServer(t, secret, g, 4)
	h := grant(g, "tok-d", "c1", "", time.Minute)
	_, _, err := Dial(context.Background(), addr, []byte("another-secret-of-32-bytes-long!"), Request{TokenHash: h, UUID: "c1"})
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong secret: %v", err)
	}
	if g.Len() != 1 {
		t.Fatal("an unauthenticated proxy consumed a grant")
	}
	// A proxy talking to an impostor agent (other secret) refuses it.
	imp := startServer(t, "impostor-secret-0123456789abcdef", NewGrants(nil), 4)
	if _, _, err := Dial(context.Background(), imp, []byte(secret), Request{TokenHash: h, UUID: "c1"}); !errors.Is(err, ErrAuth) {
		t.Fatalf("impostor: %v", err)
	}
}

func TestLinkSessionLimit(t *testing.T) {
	g := NewGrants(nil)
	addr := startServer(t, secret, g, 1)
	ctx := context.Background()
	h1 := grant(g, "t1", "c1", "", time.Minute)
	h2 := grant(g, "t2", "c1", "", time.Minute)
	c, rep, err := Dial(ctx, addr, []byte(secret), Request{TokenHash: h1, UUID: "c1"})
	if err != nil || rep.Status != StatusOK {
		t.Fatal(err, rep)
	}
	defer c.Close()
	if _, rep, _ := Dial(ctx, addr, []byte(secret), Request{TokenHash: h2, UUID: "c1"}); rep.Status != StatusBusy {
		t.Fatalf("second session: %+v", rep)
	}
}

// TestLinkStreamIntact: 16 MiB of random bytes written in pieces of
// random size through the link (each end reads through its read-ahead
// buffer under TLS) come back from the echo whole and in order.
func TestLinkStreamIntact(t *testing.T) {
	g := NewGrants(nil)
	addr := startServer(t, secret, g, 4)
	h := grant(g, "tok-big", "c1", "", time.Minute)
	c, rep, err := Dial(context.Background(), addr, []byte(secret), Request{TokenHash: h, UUID: "c1"})
	if err != nil || rep.Status != StatusOK {
		t.Fatalf("dial: %v %+v", err, rep)
	}
	defer c.Close()
	if _, ok := c.NetConn().(*bufferedConn); !ok {
		t.Fatalf("the link's TLS reads %T, not the read-ahead buffer", c.NetConn())
	}
	rng := rand.New(rand.NewPCG(5, 6))
	data := make([]byte, 16<<20)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	errc := make(chan error, 1)
	go func() {
		for p := data; len(p) > 0; {
			n := min(len(p), 1+rng.IntN(100<<10))
			if _, err := c.Write(p[:n]); err != nil {
				errc <- err
				return
			}
			p = p[n:]
		}
		errc <- nil
	}()
	got := make([]byte, len(data))
	_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("the echo differs from what was sent")
	}
}
