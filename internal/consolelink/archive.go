package consolelink

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
)

// ArchiveHandler serves the copy operations of redeemed grants.
type ArchiveHandler interface {
	// OpenArchive returns the tar archive of g.Path and its stat; the
	// caller closes it.
	OpenArchive(ctx context.Context, g Grant) (io.ReadCloser, container.PathStat, error)
	// PutArchive extracts the archive read from r into directory g.Path.
	// It must read r to its end (io.EOF) before changing anything, so a
	// cut stream changes nothing.
	PutArchive(ctx context.Context, g Grant, r io.Reader) error
}

// HandleArchives enables the copy operations; call it before Serve.
func (s *Server) HandleArchives(h ArchiveHandler) { s.archive = h }

// drainTimeout bounds how long the agent keeps reading a put it refused,
// so the sender reads the outcome before the connection is reset.
const drainTimeout = 10 * time.Second

func (s *Server) serveArchive(ctx context.Context, c *tls.Conn, br *bufio.Reader, g Grant) {
	fail := func(err error) {
		s.log.Info("archive copy failed", "container", g.Container.UUID, "op", g.Op, "err", err)
		s.reply(c, Reply{Status: StatusFailed, Error: errdefs.ToWire(err)})
	}
	if s.archive == nil {
		fail(errdefs.New(errdefs.ErrNotImplemented, "Streamed copies are not enabled on this host."))
		return
	}
	switch g.Op {
	case OpGetArchive:
		rc, st, err := s.archive.OpenArchive(ctx, g)
		if err != nil {
			fail(err)
			return
		}
		defer rc.Close()
		if !s.reply(c, Reply{Status: StatusOK, Stat: &st}) {
			return
		}
		cw := NewChunkWriter(c)
		_, err = cw.ReadFrom(rc)
		_ = cw.Finish(err)
		s.log.Info("archive sent", "container", g.Container.UUID, "path", g.Path, "err", err)
	case OpPutArchive:
		if !s.reply(c, Reply{Status: StatusOK}) {
			return
		}
		cr := NewChunkReader(br)
		err := s.archive.PutArchive(ctx, g, cr)
		if err == nil && !cr.Ended() {
			err = fmt.Errorf("archive handler stopped before the end: %w", errdefs.ErrInternal)
		}
		cw := NewChunkWriter(c)
		_ = cw.Finish(err)
		if !cr.Ended() && !errors.Is(err, ErrTruncated) {
			_ = c.SetReadDeadline(time.Now().Add(drainTimeout))
			_, _ = io.Copy(io.Discard, cr)
		}
		s.log.Info("archive received", "container", g.Container.UUID, "path", g.Path, "err", err)
	default:
		fail(errdefs.New(errdefs.ErrInvalidArgument, "unknown link operation"))
	}
}

// DialArchive opens a copy link to the agent at addr for a grant of op.
// A refused or failed request comes back as an error with its category
// (a denied grant is errdefs.ErrForbidden).
func DialArchive(ctx context.Context, addr string, secret []byte, req Request) (*Conn, Reply, error) {
	c, rep, err := Dial(ctx, addr, secret, req)
	if err != nil {
		return nil, rep, fmt.Errorf("%w: %w", errdefs.ErrUnavailable, err)
	}
	switch rep.Status {
	case StatusOK:
		return c, rep, nil
	case StatusDenied:
		return nil, rep, errdefs.New(errdefs.ErrForbidden, "The copy grant was refused.")
	case StatusFailed:
		if rep.Error != nil {
			return nil, rep, errdefs.FromWire(rep.Error)
		}
	}
	return nil, rep, fmt.Errorf("agent answered %q to a copy: %w", rep.Status, errdefs.ErrInternal)
}

// Chunks returns the framing of a copy link: a writer for put, a reader for
// get (and for put's outcome).
func (c *Conn) Chunks() (*ChunkWriter, *ChunkReader) {
	return NewChunkWriter(c.Conn), NewChunkReader(c.r)
}
