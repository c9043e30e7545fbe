package compute

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/archive"
	"github.com/openzun/zun/internal/consolelink"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/rpc"
)

// maxGrantTTL bounds how long a grant waits for its session.
const maxGrantTTL = 60 * time.Second

// startConsole starts the console link when a secret is configured.
func (a *Agent) startConsole(ctx context.Context) (stop func(), err error) {
	if len(a.cfg.ConsoleSecret) == 0 {
		return func() {}, nil
	}
	srv, err := consolelink.NewServer(a.cfg.ConsoleSecret, a.grants, a.openSession, a.cfg.MaxSessionsPerContainer,
		a.log.With("component", "console"))
	if err != nil {
		return nil, err
	}
	srv.HandleArchives(streamedArchives{a})
	ln, err := net.Listen("tcp", a.cfg.ConsoleListen)
	if err != nil {
		return nil, fmt.Errorf("failed to listen for the console link on %s: %w", a.cfg.ConsoleListen, err)
	}
	a.consoleAddr = a.cfg.ConsoleAdvertise
	if a.consoleAddr == "" {
		a.consoleAddr = ln.Addr().String()
	}
	a.log.Info("console link listening", "address", a.consoleAddr)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, ln); err != nil {
			a.log.Warn("console link stopped", "err", err)
		}
	}()
	return func() { _ = ln.Close(); <-done }, nil
}

// openSession opens the engine stream of a redeemed grant. Like Zun, a
// session starts only on a Running container: the engine would attach to a
// paused one and leave the client hanging until an unpause (an exec it
// refuses with a conflict itself), so a paused one is a conflict here,
// whatever the record said when the grant was made.
func (a *Agent) openSession(ctx context.Context, g consolelink.Grant) (container.Stream, error) {
	st, err := a.drv.Inspect(ctx, &g.Container)
	if err != nil {
		return nil, err
	}
	if st.Status != api.StatusRunning {
		return nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Container %s is %s, not Running.", g.Container.UUID, st.Status))
	}
	if g.ExecID != "" {
		return a.drv.ExecStart(ctx, &g.Container, g.ExecID, g.ExecTTY)
	}
	return a.drv.Attach(ctx, &g.Container)
}

// callConsoleGrant records a grant (creating the exec first for an
// execute). Only the token's hash reaches the agent.
func (a *Agent) callConsoleGrant(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	cr := req.Console
	if cr == nil || len(a.cfg.ConsoleSecret) == 0 {
		return nil, fmt.Errorf("interactive sessions are not enabled on host %s: %w", a.cfg.Host, errdefs.ErrNotImplemented)
	}
	raw, err := hex.DecodeString(cr.TokenHash)
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("bad token hash: %w", errdefs.ErrInvalidArgument)
	}
	g := consolelink.Grant{Container: req.Container, UserID: cr.UserID, Expires: cr.Expires}
	switch cr.ArchiveOp {
	case "":
	case consolelink.OpGetArchive, consolelink.OpPutArchive:
		if cr.ArchivePath == "" || len(cr.Command) > 0 {
			return nil, fmt.Errorf("bad copy grant: %w", errdefs.ErrInvalidArgument)
		}
		g.Op, g.Path = cr.ArchiveOp, cr.ArchivePath
	default:
		return nil, fmt.Errorf("unknown console operation %q: %w", cr.ArchiveOp, errdefs.ErrInvalidArgument)
	}
	copy(g.Hash[:], raw)
	if limit := time.Now().Add(maxGrantTTL); g.Expires.IsZero() || g.Expires.After(limit) {
		g.Expires = limit
	}
	if len(cr.Command) > 0 {
		id, err := a.drv.ExecCreate(ctx, &req.Container, cr.Command, cr.Interactive, cr.Interactive)
		if err != nil {
			return nil, err
		}
		g.ExecID, g.ExecTTY = id, cr.Interactive
	}
	a.grants.Add(g)
	return rpc.ConsoleGrantReply{ExecID: g.ExecID}, nil
}

func (a *Agent) callConsoleEndpoint(context.Context, rpc.ContainerRequest) (any, error) {
	if a.consoleAddr == "" {
		return nil, fmt.Errorf("interactive sessions are not enabled on host %s: %w", a.cfg.Host, errdefs.ErrNotImplemented)
	}
	return rpc.ConsoleEndpointReply{Address: a.consoleAddr}, nil
}

func (a *Agent) callResize(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	if req.Console == nil {
		return nil, fmt.Errorf("resize without a size: %w", errdefs.ErrInvalidArgument)
	}
	return nil, a.drv.Resize(ctx, &req.Container, req.Console.Height, req.Console.Width)
}

func (a *Agent) callExecResize(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	if req.Console == nil || req.Console.ExecID == "" {
		return nil, fmt.Errorf("exec resize without an exec: %w", errdefs.ErrInvalidArgument)
	}
	return nil, a.drv.ExecResize(ctx, &req.Container, req.Console.ExecID, req.Console.Height, req.Console.Width)
}

func (a *Agent) callGetArchive(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	if req.Archive == nil || req.Archive.Path == "" {
		return nil, fmt.Errorf("get_archive without a path: %w", errdefs.ErrInvalidArgument)
	}
	data, st, err := a.drv.CopyFrom(ctx, &req.Container, req.Archive.Path, a.cfg.MaxArchiveBytes)
	if err != nil {
		return nil, err
	}
	return rpc.ArchiveReply{Data: data, Stat: st}, nil
}

// callPutArchive hands the engine only a rewritten archive whose every
// entry stays below the destination.
func (a *Agent) callPutArchive(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	if req.Archive == nil || req.Archive.Path == "" {
		return nil, fmt.Errorf("put_archive without a path: %w", errdefs.ErrInvalidArgument)
	}
	if int64(len(req.Archive.Data)) > a.cfg.MaxArchiveBytes {
		return nil, errdefs.New(errdefs.ErrTooLarge, fmt.Sprintf("The archive is larger than %d bytes.", a.cfg.MaxArchiveBytes))
	}
	clean, err := archive.Sanitize(bytes.NewReader(req.Archive.Data), archive.Limits{MaxBytes: a.cfg.MaxArchiveBytes, MaxEntries: a.cfg.MaxArchiveEntries})
	if err != nil {
		return nil, err
	}
	return nil, a.drv.CopyTo(ctx, &req.Container, req.Archive.Path, bytes.NewReader(clean))
}
