package docker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// Attach connects to c's main process over the engine's hijacked attach
// stream (the local socket: the engine's API is never exposed on TCP).
func (d *Driver) Attach(ctx context.Context, c *model.Container) (container.Stream, error) {
	name := c.DockerName()
	res, err := d.cli.ContainerAttach(ctx, ref(c), client.ContainerAttachOptions{
		Stream: true, Stdin: true, Stdout: true, Stderr: true,
	})
	if err != nil {
		return nil, translate("attach to container "+name, err)
	}
	return newStream(res.HijackedResponse, !c.TTY), nil
}

// ExecCreate prepares cmd in c; interactive sessions take stdin and a TTY.
func (d *Driver) ExecCreate(ctx context.Context, c *model.Container, cmd []string, tty, stdin bool) (string, error) {
	if len(cmd) == 0 {
		return "", fmt.Errorf("empty exec command: %w", errdefs.ErrInvalidArgument)
	}
	created, err := d.cli.ExecCreate(ctx, ref(c), client.ExecCreateOptions{
		TTY: tty, AttachStdin: stdin, AttachStdout: true, AttachStderr: true, Cmd: cmd,
	})
	if err != nil {
		return "", translate("create exec in container "+c.DockerName(), err)
	}
	return created.ID, nil
}

// execOf checks that execID is an exec of c and returns its inspect data.
func (d *Driver) execOf(ctx context.Context, c *model.Container, execID string) (client.ExecInspectResult, error) {
	notFound := fmt.Errorf("no such exec %s in container %s: %w", execID, c.DockerName(), errdefs.ErrNotFound)
	if !isHexID(execID) {
		return client.ExecInspectResult{}, notFound
	}
	res, err := d.cli.ExecInspect(ctx, execID, client.ExecInspectOptions{})
	if err != nil {
		if errors.Is(translate("inspect exec", err), errdefs.ErrNotFound) {
			return res, notFound
		}
		return res, translate("inspect exec "+execID, err)
	}
	id := c.ContainerID
	if id == "" {
		st, err := d.Inspect(ctx, c)
		if err != nil {
			return res, err
		}
		id = st.ContainerID
	}
	if res.ContainerID != id {
		return res, notFound
	}
	return res, nil
}

func isHexID(s string) bool {
	if len(s) != 64 {
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}

// ExecStart starts exec execID of c and connects to it.
func (d *Driver) ExecStart(ctx context.Context, c *model.Container, execID string, tty bool) (container.Stream, error) {
	if _, err := d.execOf(ctx, c, execID); err != nil {
		return nil, err
	}
	res, err := d.cli.ExecAttach(ctx, execID, client.ExecAttachOptions{TTY: tty})
	if err != nil {
		return nil, translate("start exec in container "+c.DockerName(), err)
	}
	return newStream(res.HijackedResponse, !tty), nil
}

// Resize sets the TTY size of c's main process.
func (d *Driver) Resize(ctx context.Context, c *model.Container, height, width uint) error {
	_, err := d.cli.ContainerResize(ctx, ref(c), client.ContainerResizeOptions{Height: height, Width: width})
	return translate("resize the terminal of container "+c.DockerName(), err)
}

// ExecResize sets the TTY size of exec execID of c.
func (d *Driver) ExecResize(ctx context.Context, c *model.Container, execID string, height, width uint) error {
	if _, err := d.execOf(ctx, c, execID); err != nil {
		return err
	}
	_, err := d.cli.ExecResize(ctx, execID, client.ExecResizeOptions{Height: height, Width: width})
	return translate("resize the terminal of exec "+execID, err)
}

// stream adapts a hijacked engine connection. Without a TTY the engine
// multiplexes stdout and stderr; reads then return both, demultiplexed.
type stream struct {
	conn net.Conn
	r    io.Reader
	once sync.Once
}

// The engine names the stream's kind in its media type; without one,
// multiplexed is the caller's guess.
func newStream(h client.HijackedResponse, multiplexed bool) *stream {
	s := &stream{conn: h.Conn, r: h.Reader}
	if mt, ok := h.MediaType(); ok {
		multiplexed = mt == "application/vnd.docker.multiplexed-stream"
	}
	if multiplexed {
		pr, pw := io.Pipe()
		go func(br *bufio.Reader) {
			_, err := stdcopy.StdCopy(pw, pw, br)
			pw.CloseWithError(err)
		}(h.Reader)
		s.r = pr
	}
	return s
}

func (s *stream) Read(p []byte) (int, error)  { return s.r.Read(p) }
func (s *stream) Write(p []byte) (int, error) { return s.conn.Write(p) }

func (s *stream) CloseWrite() error {
	if cw, ok := s.conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (s *stream) Close() error {
	var err error
	s.once.Do(func() {
		err = s.conn.Close()
		if pr, ok := s.r.(*io.PipeReader); ok {
			_ = pr.Close()
		}
	})
	return err
}
