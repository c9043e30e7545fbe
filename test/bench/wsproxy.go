package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// Phase 6: what zun-wsproxy adds to an interactive session, against the
// engine's own attach stream of the same container in the same run. The
// container runs a shell loop without a TTY: each input line is echoed
// (round trip), and a number n also gets n bytes of output (throughput),
// written by dd in 1 MiB blocks (n is a multiple of 1 MiB): busybox's
// head writes 4 KiB at a time, which measures the shell, not the streams.
const wsproxyCommand = `while read -r n; do echo "$n"; case "$n" in *[!0-9]*|"") ;; *) dd if=/dev/zero bs=1048576 count=$((n>>20)) 2>/dev/null;; esac; done`

// wsproxyResult is one run of phase 6.
type wsproxyResult struct {
	RoundTrips            int
	Chunk                 int64 // bytes per throughput request
	Chunks                int
	Direct, Proxy         dist // round trips
	DirectMBs, ProxyMBs   float64
	LoadBefore, LoadAfter string
	Err                   error
}

// sessionIO is one open session: send bytes, read at least n bytes.
type sessionIO interface {
	send(p []byte) error
	recv(n int64) error
	close()
}

type wsSession struct {
	ws  *websocket.Conn
	ctx context.Context
}

func (s wsSession) send(p []byte) error { return s.ws.Write(s.ctx, websocket.MessageBinary, p) }
func (s wsSession) recv(n int64) error {
	for n > 0 {
		_, r, err := s.ws.Reader(s.ctx)
		if err != nil {
			return err
		}
		k, err := io.Copy(io.Discard, r)
		if err != nil {
			return err
		}
		n -= k
	}
	return nil
}
func (s wsSession) close() { _ = s.ws.CloseNow() }

// engineSession is the engine's hijacked attach stream, demultiplexed.
type engineSession struct {
	conn io.WriteCloser
	out  *io.PipeReader
	buf  []byte
}

func (s *engineSession) send(p []byte) error { _, err := s.conn.Write(p); return err }
func (s *engineSession) recv(n int64) error {
	_, err := io.CopyBuffer(io.Discard, io.LimitReader(s.out, n), s.buf)
	return err
}
func (s *engineSession) close() { _ = s.conn.Close(); _ = s.out.Close() }

func (e *engine) attach(ctx context.Context, name string) (*engineSession, error) {
	res, err := e.cli.ContainerAttach(ctx, name, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, pw, res.Reader)
		pw.CloseWithError(err)
	}()
	return &engineSession{conn: res.Conn, out: pr, buf: make([]byte, 256<<10)}, nil
}

func (b *bench) phaseWSProxy(ctx context.Context) (res wsproxyResult) {
	res.RoundTrips, res.Chunk, res.Chunks = 2000, 16<<20, 8
	if b.p.quick {
		res.RoundTrips, res.Chunks = 200, 2
	}
	res.LoadBefore = loadavg()
	defer func() { res.LoadAfter = loadavg() }()
	a, err := b.startAIO(ctx, "wsproxy", true, "--wsproxy-listen", "127.0.0.1:0")
	if err != nil {
		res.Err = err
		return res
	}
	defer a.stop()
	var c ctr
	body := map[string]any{"name": "bench-ws-" + b.runID, "image": image, "command": []string{"sh", "-c", wsproxyCommand},
		"interactive": true, "cpu": 1.0, "memory": "256"}
	if _, err := a.do(ctx, http.MethodPost, "/v1/containers?run=true", body, &c); err != nil {
		res.Err = err
		return res
	}
	if err := a.waitStatus(ctx, c.UUID, "Running", every(50*time.Millisecond), 2*time.Minute); err != nil {
		res.Err = err
		return res
	}
	open := map[string]func() (sessionIO, error){
		"direct": func() (sessionIO, error) { return b.engine.attach(ctx, "zun-"+c.UUID) },
		"proxy": func() (sessionIO, error) {
			var u string
			if _, err := a.do(ctx, http.MethodGet, "/v1/containers/"+c.UUID+"/attach", nil, &u); err != nil {
				return nil, err
			}
			pu, err := url.Parse(u)
			if err != nil {
				return nil, err
			}
			ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{
				HTTPHeader: http.Header{"Origin": {"http://" + pu.Host}}, Subprotocols: []string{"binary"}})
			if err != nil {
				return nil, err
			}
			return wsSession{ws: ws, ctx: ctx}, nil
		},
	}
	for _, path := range []string{"direct", "proxy"} {
		s, err := open[path]()
		if err != nil {
			res.Err = fmt.Errorf("%s session: %w", path, err)
			return res
		}
		lat, mbs, err := measureSession(s, res.RoundTrips, res.Chunk, res.Chunks)
		s.close()
		if err != nil {
			res.Err = fmt.Errorf("%s session: %w", path, err)
			return res
		}
		if path == "direct" {
			res.Direct, res.DirectMBs = summarize(lat), mbs
		} else {
			res.Proxy, res.ProxyMBs = summarize(lat), mbs
		}
	}
	return res
}

// measureSession times round trips of one line, then the output of
// chunks requests of chunk bytes each (MB/s of 10^6 bytes).
func measureSession(s sessionIO, trips int, chunk int64, chunks int) ([]time.Duration, float64, error) {
	line := []byte("x\n")
	// Warm-up: the first lines also pay the engine's stream start.
	for range 20 {
		if err := s.send(line); err != nil {
			return nil, 0, err
		}
		if err := s.recv(int64(len(line))); err != nil {
			return nil, 0, err
		}
	}
	lat := make([]time.Duration, 0, trips)
	for range trips {
		t0 := time.Now()
		if err := s.send(line); err != nil {
			return nil, 0, err
		}
		if err := s.recv(int64(len(line))); err != nil {
			return nil, 0, err
		}
		lat = append(lat, time.Since(t0))
	}
	req := []byte(strconv.FormatInt(chunk, 10) + "\n")
	t0 := time.Now()
	for range chunks {
		if err := s.send(req); err != nil {
			return nil, 0, err
		}
		if err := s.recv(chunk + int64(len(req))); err != nil {
			return nil, 0, err
		}
	}
	d := time.Since(t0)
	if d <= 0 {
		return nil, 0, errors.New("no time measured")
	}
	return lat, float64(chunk*int64(chunks)) / d.Seconds() / 1e6, nil
}

func (r *report) wsproxySection(f printf) []summaryRow {
	f("## 6. Interactive sessions through zun-wsproxy\n\n")
	w := r.wsproxy
	if w == nil {
		f("not run\n\n")
		return nil
	}
	failed(f, "phase 6", w.Err)
	if w.Err != nil {
		return nil
	}
	f("One interactive container (no TTY, a shell loop echoing each line and writing n bytes on request). `direct` is the engine's hijacked attach stream; `proxy` is websocket → zun-wsproxy → TLS console link → agent → the same engine stream. %d round trips of one line each after 20 warm-up lines, then %d requests of %d MiB of output. Load average %s at start, %s at end.\n\n",
		w.RoundTrips, w.Chunks, w.Chunk>>20, w.LoadBefore, w.LoadAfter)
	f("| path | round trip p50 | p99 | stream throughput |\n|---|---|---|---|\n")
	f("| direct | %s | %s | %.1f MB/s |\n", ms(w.Direct.P50), ms(w.Direct.P99), w.DirectMBs)
	f("| proxy | %s | %s | %.1f MB/s |\n\n", ms(w.Proxy.P50), ms(w.Proxy.P99), w.ProxyMBs)
	added := w.Proxy.P50 - w.Direct.P50
	return []summaryRow{
		{"latency added by the proxy, p50", ms(added), "< 1 ms", verdict(added < time.Millisecond)},
		{"stream throughput through the proxy", fmt.Sprintf("%.1f MB/s (direct %.1f MB/s)", w.ProxyMBs, w.DirectMBs), "> 200 MB/s", verdict(w.ProxyMBs > 200)},
	}
}
