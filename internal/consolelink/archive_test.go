package consolelink

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
)

// memArchives keeps puts in memory and serves gets from them.
type memArchives struct {
	mu   sync.Mutex
	got  map[string][]byte
	errs map[string]error
}

func (m *memArchives) OpenArchive(_ context.Context, g Grant) (io.ReadCloser, container.PathStat, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.got[g.Path]
	if !ok {
		return nil, container.PathStat{}, errdefs.New(errdefs.ErrNotFound, "no such path")
	}
	return io.NopCloser(bytes.NewReader(b)), container.PathStat{Name: g.Path, Size: int64(len(b))}, nil
}

func (m *memArchives) PutArchive(_ context.Context, g Grant, r io.Reader) error {
	b, err := io.ReadAll(r)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.errs[g.Path] = err
	if err != nil {
		return err
	}
	m.got[g.Path] = b
	return nil
}

func startArchiveServer(t *testing.T, g *Grants, h ArchiveHandler) string {
	t.Helper()
	srv, err := NewServer([]byte(secret), g, echoOpener, 4, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.HandleArchives(h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return ln.Addr().String()
}

func copyGrant(g *Grants, token, op, path string) [32]byte {
	h := grant(g, token, "c1", "", time.Minute)
	g.mu.Lock()
	l := g.byUUID["c1"]
	l[len(l)-1].Op, l[len(l)-1].Path = op, path
	g.mu.Unlock()
	return h
}

func TestArchivePutThenGet(t *testing.T) {
	g := NewGrants(nil)
	m := &memArchives{got: map[string][]byte{}, errs: map[string]error{}}
	addr := startArchiveServer(t, g, m)
	ctx := context.Background()
	data := make([]byte, 3*maxChunk+12345) // several chunks
	_, _ = rand.Read(data)

	h := copyGrant(g, "put", OpPutArchive, "/a")
	c, _, err := DialArchive(ctx, addr, []byte(secret), Request{TokenHash: h, UUID: "c1", Op: OpPutArchive})
	if err != nil {
		t.Fatal(err)
	}
	cw, cr := c.Chunks()
	if _, err := cw.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := cw.Finish(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		t.Fatalf("put outcome: %v", err)
	}
	_ = c.Close()

	h = copyGrant(g, "get", OpGetArchive, "/a")
	c, rep, err := DialArchive(ctx, addr, []byte(secret), Request{TokenHash: h, UUID: "c1", Op: OpGetArchive})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if rep.Stat == nil || rep.Stat.Size != int64(len(data)) {
		t.Fatalf("stat %+v", rep.Stat)
	}
	_, cr = c.Chunks()
	var got bytes.Buffer
	if _, err := cr.WriteTo(&got); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("get: %v, %d bytes", err, got.Len())
	}

	// An error of the agent keeps its category across the link.
	h = copyGrant(g, "missing", OpGetArchive, "/missing")
	if _, _, err := DialArchive(ctx, addr, []byte(secret), Request{TokenHash: h, UUID: "c1", Op: OpGetArchive}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("missing path: %v", err)
	}
}

// A grant is for its operation only; a session token opens no copy.
func TestArchiveGrantBoundToOp(t *testing.T) {
	g := NewGrants(nil)
	addr := startArchiveServer(t, g, &memArchives{got: map[string][]byte{}, errs: map[string]error{}})
	ctx := context.Background()
	for name, tc := range map[string]struct{ grantOp, reqOp string }{
		"session used for a get": {"", OpGetArchive},
		"get used for a put":     {OpGetArchive, OpPutArchive},
		"put used as a session":  {OpPutArchive, ""},
	} {
		h := copyGrant(g, "tok-"+name, tc.grantOp, "/p")
		_, rep, err := Dial(ctx, addr, []byte(secret), Request{TokenHash: h, UUID: "c1", Op: tc.reqOp})
		if err != nil || rep.Status != StatusDenied {
			t.Fatalf("%s: %v %+v", name, err, rep)
		}
	}
}

// A put whose sender stops in the middle (or reports its own failure)
// reaches the handler as an error, never as a short archive.
func TestArchiveCutPut(t *testing.T) {
	g := NewGrants(nil)
	m := &memArchives{got: map[string][]byte{}, errs: map[string]error{}}
	addr := startArchiveServer(t, g, m)
	ctx := context.Background()

	h := copyGrant(g, "cut", OpPutArchive, "/cut")
	c, _, err := DialArchive(ctx, addr, []byte(secret), Request{TokenHash: h, UUID: "c1", Op: OpPutArchive})
	if err != nil {
		t.Fatal(err)
	}
	cw, _ := c.Chunks()
	_, _ = cw.Write([]byte(strings.Repeat("x", 1000)))
	_ = cw.Flush()
	_ = c.Close()

	h = copyGrant(g, "abort", OpPutArchive, "/abort")
	c, _, err = DialArchive(ctx, addr, []byte(secret), Request{TokenHash: h, UUID: "c1", Op: OpPutArchive})
	if err != nil {
		t.Fatal(err)
	}
	cw, cr := c.Chunks()
	_, _ = cw.Write([]byte("partial"))
	_ = cw.Finish(errdefs.New(errdefs.ErrTooLarge, "too big"))
	if _, err := io.Copy(io.Discard, cr); !errors.Is(err, errdefs.ErrTooLarge) {
		t.Fatalf("abort outcome: %v", err)
	}
	_ = c.Close()

	deadline := time.Now().Add(5 * time.Second)
	for {
		m.mu.Lock()
		cutErr, cutSeen := m.errs["/cut"]
		abortErr := m.errs["/abort"]
		_, stored := m.got["/cut"]
		_, stored2 := m.got["/abort"]
		m.mu.Unlock()
		if stored || stored2 {
			t.Fatal("a cut archive was stored")
		}
		if cutSeen && errors.Is(cutErr, ErrTruncated) && errors.Is(abortErr, errdefs.ErrTooLarge) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("handler errors: cut %v, abort %v", cutErr, abortErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
