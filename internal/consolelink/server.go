package consolelink

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
)

// Opener opens the engine stream of a redeemed grant.
type Opener func(ctx context.Context, g Grant) (container.Stream, error)

// Server is the agent's end of the link.
type Server struct {
	secret  []byte
	tlsConf *tls.Config
	grants  *Grants
	open    Opener
	archive ArchiveHandler
	log     *slog.Logger
	// maxPerContainer bounds concurrent sessions of one container.
	maxPerContainer int

	mu       sync.Mutex
	sessions map[string]int // container uuid -> open sessions
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
}

// NewServer returns a link server redeeming grants with open.
func NewServer(secret []byte, grants *Grants, open Opener, maxPerContainer int, log *slog.Logger) (*Server, error) {
	if len(secret) < 16 {
		return nil, errors.New("console link secret must be at least 16 bytes")
	}
	conf, err := serverTLS()
	if err != nil {
		return nil, err
	}
	if maxPerContainer <= 0 {
		maxPerContainer = 4
	}
	return &Server{secret: secret, tlsConf: conf, grants: grants, open: open, log: log,
		maxPerContainer: maxPerContainer, sessions: map[string]int{}, conns: map[net.Conn]struct{}{}}, nil
}

// Serve accepts links on ln until it is closed, then closes the open
// sessions and waits for them.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	defer func() {
		s.mu.Lock()
		for c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		s.track(c, true)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.track(c, false)
			defer c.Close()
			s.handle(ctx, c)
		}()
	}
}

func (s *Server) track(c net.Conn, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
}

func (s *Server) handle(ctx context.Context, raw net.Conn) {
	c, br, req, err := accept(raw, s.tlsConf, s.secret)
	if err != nil {
		s.log.Warn("console link refused", "remote", raw.RemoteAddr().String(), "err", err)
		return
	}
	g, ok := s.grants.Redeem(req.TokenHash, req.UUID, req.ExecID, req.Op)
	if !ok {
		s.log.Info("console session denied", "container", req.UUID)
		s.reply(c, Reply{Status: StatusDenied})
		return
	}
	if g.Op != "" {
		s.serveArchive(ctx, c, br, g)
		return
	}
	if !s.acquire(g.Container.UUID) {
		s.log.Info("console session refused: too many sessions", "container", g.Container.UUID)
		s.reply(c, Reply{Status: StatusBusy})
		return
	}
	defer s.release(g.Container.UUID)
	st, err := s.open(ctx, g)
	if err != nil {
		s.log.Warn("console session failed to open", "container", g.Container.UUID, "exec", g.ExecID, "err", err)
		s.reply(c, Reply{Status: StatusFailed, Error: errdefs.ToWire(err)})
		return
	}
	defer st.Close()
	if !s.reply(c, Reply{Status: StatusOK, ProjectID: g.Container.ProjectID, UserID: g.UserID, TTY: g.Container.TTY || g.ExecTTY}) {
		return
	}
	s.log.Info("console session opened", "container", g.Container.UUID, "exec", g.ExecID, "user", g.UserID)
	pipe(c, br, st)
	s.log.Info("console session closed", "container", g.Container.UUID, "exec", g.ExecID)
}

func (s *Server) reply(c *tls.Conn, r Reply) bool {
	b, _ := json.Marshal(r)
	_, err := c.Write(append(b, '\n'))
	return err == nil
}

func (s *Server) acquire(uuid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions[uuid] >= s.maxPerContainer {
		return false
	}
	s.sessions[uuid]++
	return true
}

func (s *Server) release(uuid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions[uuid]--; s.sessions[uuid] <= 0 {
		delete(s.sessions, uuid)
	}
}

// pipe copies both ways until the process's output ends (it exited, the
// container stopped or was deleted) or the proxy hangs up. A hang-up
// detaches without closing the process's stdin, so an attached container
// keeps running.
func pipe(c *tls.Conn, br *bufio.Reader, st container.Stream) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(st, br)
		_ = st.Close()
	}()
	// Large reads of the engine's output: fewer TLS writes and syscalls
	// per byte (io.Copy's 32 KiB halves the throughput of a busy stream).
	_, _ = io.CopyBuffer(c, readerOnly{st}, make([]byte, relayBuffer))
	_ = c.Close()
	_ = st.Close()
	<-done
}

// relayBuffer is the size of one read of a process's output.
const relayBuffer = 256 << 10

// readerOnly hides a stream's other methods so io.CopyBuffer uses the
// given buffer.
type readerOnly struct{ io.Reader }
