package apiserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/consolelink"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/zunctx"
)

// streamed is the body of a handler that wrote its answer itself.
type streamed struct{}

// wantsTarStream: the client asks for the raw archive (our CLI); Zun's
// clients ask for JSON.
func wantsTarStream(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == api.ArchiveMediaType {
			return true
		}
	}
	return false
}

func sendsTarStream(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == api.ArchiveMediaType
}

// openCopyLink grants one copy of path on c's agent and opens the console
// link for it: the token never leaves this process, only its hash reaches
// the agent, as for attach.
func (s *Server) openCopyLink(q *request, c *model.Container, op, path string) (*consolelink.Conn, consolelink.Reply, error) {
	if len(s.cfg.ConsoleSecret) == 0 {
		return nil, consolelink.Reply{}, errdefs.New(errdefs.ErrNotImplemented, "Streamed copies need the console link secret, which this zun-api does not have.")
	}
	token, hash, err := newSessionToken()
	if err != nil {
		return nil, consolelink.Reply{}, err
	}
	req := rpc.Request(c, zunctx.RequestID(q.ctx))
	req.Console = &rpc.ConsoleRequest{TokenHash: hash, UserID: q.id.UserID, Expires: s.now().Add(s.cfg.ConsoleTokenTTL),
		ArchiveOp: op, ArchivePath: path}
	if err := s.call(q, c, rpc.MethodConsoleGrant, req, nil); err != nil {
		return nil, consolelink.Reply{}, err
	}
	var ep rpc.ConsoleEndpointReply
	if err := s.call(q, c, rpc.MethodConsoleEndpoint, rpc.Request(c, zunctx.RequestID(q.ctx)), &ep); err != nil {
		return nil, consolelink.Reply{}, err
	}
	h := sha256.Sum256([]byte(token))
	ctx, cancel := context.WithTimeout(q.ctx, s.cfg.CallTimeout)
	defer cancel()
	// The link outlives ctx: Dial only bounds its handshake with it.
	link, rep, err := consolelink.DialArchive(ctx, ep.Address, s.cfg.ConsoleSecret, consolelink.Request{TokenHash: h, UUID: c.UUID, Op: op})
	if errors.Is(err, errdefs.ErrUnavailable) {
		s.log.Warn("failed to open the console link for a copy", "container", c.UUID, "err", err)
		return nil, rep, errdefs.New(errdefs.ErrUnavailable, fmt.Sprintf("Compute host %s is not available.", c.Host))
	}
	return link, rep, err
}

// getArchiveStream answers the raw archive, streamed from the agent. A
// failure after the first byte (the archive passed the copy limit, the
// engine failed) aborts the response, so the client sees a cut transfer,
// never a short archive that looks complete.
func (s *Server) getArchiveStream(q *request, c *model.Container, path string) (int, any, error) {
	link, rep, err := s.openCopyLink(q, c, consolelink.OpGetArchive, path)
	if err != nil {
		return 0, nil, err
	}
	defer link.Close()
	// A client that goes away takes the link down with it.
	defer context.AfterFunc(q.ctx, func() { _ = link.Close() })()
	stat := archiveStat{}
	if rep.Stat != nil {
		stat = archiveStat{Name: rep.Stat.Name, Size: rep.Stat.Size, Mode: rep.Stat.Mode, LinkTarget: rep.Stat.LinkTarget}
		if !rep.Stat.Mtime.IsZero() {
			stat.Mtime = rep.Stat.Mtime.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")
		}
	}
	sb, _ := json.Marshal(stat)
	h := q.w.Header()
	h.Set("Content-Type", api.ArchiveMediaType)
	h.Set(api.ArchiveStatHeader, base64.StdEncoding.EncodeToString(sb))
	q.w.WriteHeader(http.StatusOK)
	_, cr := link.Chunks()
	n, err := cr.WriteTo(q.w)
	if err != nil {
		s.log.Warn("streamed get_archive cut", "container", c.UUID, "path", path, "bytes", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	return http.StatusOK, streamed{}, nil
}

// getArchiveBytes reads the archive of path over the console link, at
// most max bytes (the JSON form holds it whole).
func (s *Server) getArchiveBytes(q *request, c *model.Container, path string, max int64) ([]byte, container.PathStat, error) {
	link, rep, err := s.openCopyLink(q, c, consolelink.OpGetArchive, path)
	if err != nil {
		return nil, container.PathStat{}, err
	}
	defer link.Close()
	defer context.AfterFunc(q.ctx, func() { _ = link.Close() })()
	var st container.PathStat
	if rep.Stat != nil {
		st = *rep.Stat
	}
	if st.Size > max {
		return nil, st, errdefs.New(errdefs.ErrTooLarge, fmt.Sprintf("%s is larger than %d bytes; use a streamed copy (zun cp).", path, max))
	}
	_, cr := link.Chunks()
	data, err := io.ReadAll(io.LimitReader(cr, max+1))
	if err != nil {
		return nil, st, err
	}
	if int64(len(data)) > max {
		return nil, st, errdefs.New(errdefs.ErrTooLarge, fmt.Sprintf("The archive of %s is larger than %d bytes; use a streamed copy (zun cp).", path, max))
	}
	return data, st, nil
}

// putArchiveStream passes the request body to the agent in chunks while
// it reads the agent's outcome, which can come early (a refused entry):
// then the rest of the body is not sent.
func (s *Server) putArchiveStream(q *request, c *model.Container, path string) (int, any, error) {
	max := s.cfg.MaxCopyBytes
	if cl := q.r.Header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n > max {
			return 0, nil, errdefs.New(errdefs.ErrTooLarge, fmt.Sprintf("The archive is larger than the copy limit of %d bytes.", max))
		}
	}
	s.recordAction(q, c, "put_archive")
	err := s.sendArchive(q, c, path, http.MaxBytesReader(q.w, q.r.Body, max), max)
	s.finishAction(q, c, err)
	if errors.Is(err, errdefs.ErrNotFound) {
		return 0, nil, errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Could not find the directory %s in container %s.", path, c.UUID))
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, nil, nil
}

func (s *Server) sendArchive(q *request, c *model.Container, path string, body io.Reader, max int64) error {
	link, _, err := s.openCopyLink(q, c, consolelink.OpPutArchive, path)
	if err != nil {
		return err
	}
	defer link.Close()
	// A client that goes away takes the link down with it.
	defer context.AfterFunc(q.ctx, func() { _ = link.Close() })()
	cw, cr := link.Chunks()
	outcome := make(chan error, 1)
	go func() {
		// The agent answers once, after our end marker or at its first
		// refusal; its data part is empty.
		_, err := io.Copy(io.Discard, cr)
		outcome <- err
	}()
	sendErr, linkErr := sendBody(body, cw, outcome, max)
	if linkErr == nil {
		// The end marker carries our own failure, so the agent drops
		// the spool.
		linkErr = cw.Finish(sendErr)
	}
	agentErr := <-outcome
	switch {
	case agentErr != nil && !errors.Is(agentErr, consolelink.ErrTruncated) && !errors.Is(agentErr, sendErr):
		return agentErr // the agent's decision: a refused entry, a full disk
	case sendErr != nil:
		return sendErr
	case agentErr == nil && linkErr == nil:
		return nil
	}
	s.log.Warn("streamed put_archive lost its link", "container", c.UUID, "agent_err", agentErr, "link_err", linkErr)
	return errdefs.New(errdefs.ErrUnavailable, fmt.Sprintf("Compute host %s closed the copy.", c.Host))
}

// sendBody copies body to cw until its end, a read error (sendErr, with
// its category) or a write error (linkErr), stopping early when the agent
// has answered.
func sendBody(body io.Reader, cw *consolelink.ChunkWriter, outcome chan error, max int64) (sendErr, linkErr error) {
	buf := make([]byte, 256<<10)
	for {
		if len(outcome) > 0 {
			return nil, errors.New("agent answered before the end")
		}
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := cw.Write(buf[:n]); werr != nil {
				return nil, werr
			}
		}
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return nil, nil
		case errors.As(err, &mbe):
			return errdefs.New(errdefs.ErrTooLarge, fmt.Sprintf("The archive is larger than the copy limit of %d bytes.", max)), nil
		case err != nil:
			return fmt.Errorf("failed to read the archive from the request: %w", errdefs.ErrInvalidArgument), nil
		}
	}
}
