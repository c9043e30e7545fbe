package fake

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"sync"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// console state of a fake container: its execs, terminal size and the
// files copied into it.
type console struct {
	execs  map[string]bool // exec id -> started
	height uint
	width  uint
	files  map[string][]byte // absolute path -> content
}

func (e *entry) console() *console {
	if e.con == nil {
		e.con = &console{execs: map[string]bool{}, files: map[string][]byte{}}
	}
	return e.con
}

// running finds c and checks that it runs.
func (d *Driver) running(c *model.Container) (*entry, error) {
	e, err := d.lookup(c)
	if err != nil {
		return nil, err
	}
	if !e.eng.Running || e.eng.Paused {
		return nil, conflict(c, "is not running")
	}
	return e, nil
}

// Attach returns an echo session: what is written is read back, like a
// container running cat.
func (d *Driver) Attach(_ context.Context, c *model.Container) (container.Stream, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.running(c); err != nil {
		return nil, err
	}
	return newEcho(), nil
}

// ExecCreate records an exec.
func (d *Driver) ExecCreate(_ context.Context, c *model.Container, cmd []string, _, _ bool) (string, error) {
	if len(cmd) == 0 {
		return "", fmt.Errorf("empty exec command: %w", errdefs.ErrInvalidArgument)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.running(c)
	if err != nil {
		return "", err
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	e.console().execs[id] = false
	return id, nil
}

// ExecStart starts a recorded exec once, as an echo session.
func (d *Driver) ExecStart(_ context.Context, c *model.Container, execID string, _ bool) (container.Stream, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.running(c)
	if err != nil {
		return nil, err
	}
	started, ok := e.console().execs[execID]
	if !ok {
		return nil, fmt.Errorf("no such exec %s in container %s: %w", execID, c.DockerName(), errdefs.ErrNotFound)
	}
	if started {
		return nil, fmt.Errorf("exec %s already started: %w", execID, errdefs.ErrConflict)
	}
	e.console().execs[execID] = true
	return newEcho(), nil
}

// Resize records the terminal size.
func (d *Driver) Resize(_ context.Context, c *model.Container, height, width uint) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.running(c)
	if err != nil {
		return err
	}
	e.console().height, e.console().width = height, width
	return nil
}

// ExecResize checks that the exec belongs to c.
func (d *Driver) ExecResize(_ context.Context, c *model.Container, execID string, _, _ uint) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.running(c)
	if err != nil {
		return err
	}
	if _, ok := e.console().execs[execID]; !ok {
		return fmt.Errorf("no such exec %s in container %s: %w", execID, c.DockerName(), errdefs.ErrNotFound)
	}
	return nil
}

// TerminalSize returns the size last set by Resize.
func (d *Driver) TerminalSize(c *model.Container) (height, width uint, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return 0, 0, err
	}
	return e.console().height, e.console().width, nil
}

// CopyTo stores the regular files of the archive under dir.
func (d *Driver) CopyTo(_ context.Context, c *model.Container, dir string, r io.Reader) error {
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("bad archive: %w", errdefs.ErrInvalidArgument)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return fmt.Errorf("bad archive: %w", errdefs.ErrInvalidArgument)
		}
		files[path.Join("/", dir, h.Name)] = b
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return err
	}
	for p, b := range files {
		e.console().files[p] = b
	}
	return nil
}

// CopyFrom returns a one-file archive of a file stored by CopyTo.
func (d *Driver) CopyFrom(_ context.Context, c *model.Container, p string, maxBytes int64) ([]byte, container.PathStat, error) {
	d.mu.Lock()
	e, err := d.lookup(c)
	var b []byte
	var ok bool
	if err == nil {
		b, ok = e.console().files[path.Join("/", p)]
	}
	d.mu.Unlock()
	if err != nil {
		return nil, container.PathStat{}, err
	}
	if !ok {
		return nil, container.PathStat{}, fmt.Errorf("could not find the file %s in container %s: %w", p, c.DockerName(), errdefs.ErrNotFound)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	name := path.Base(p)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
		return nil, container.PathStat{}, err
	}
	_, _ = tw.Write(b)
	_ = tw.Close()
	if int64(buf.Len()) > maxBytes {
		return nil, container.PathStat{}, fmt.Errorf("archive of %s is larger than %d bytes: %w", p, maxBytes, errdefs.ErrTooLarge)
	}
	return buf.Bytes(), container.PathStat{Name: name, Size: int64(len(b)), Mode: 0o644}, nil
}

// echo is an in-memory session that reads back what was written.
type echo struct {
	r    *io.PipeReader
	w    *io.PipeWriter
	once sync.Once
}

func newEcho() *echo {
	r, w := io.Pipe()
	return &echo{r: r, w: w}
}

func (s *echo) Read(p []byte) (int, error)  { return s.r.Read(p) }
func (s *echo) Write(p []byte) (int, error) { return s.w.Write(p) }
func (s *echo) CloseWrite() error           { return s.w.Close() }
func (s *echo) Close() error {
	s.once.Do(func() { _ = s.w.Close(); _ = s.r.Close() })
	return nil
}
