package compute

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/openzun/zun/internal/archive"
	"github.com/openzun/zun/internal/consolelink"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// archiveOpener is a driver that streams a path's archive (the docker
// driver); others go through CopyFrom's bounded buffer.
type archiveOpener interface {
	OpenArchive(ctx context.Context, c *model.Container, path string) (io.ReadCloser, container.PathStat, error)
}

// streamedArchives serves the console link's copy operations.
type streamedArchives struct{ a *Agent }

var _ consolelink.ArchiveHandler = streamedArchives{}

// OpenArchive implements consolelink.ArchiveHandler. A regular file above
// the cap is refused before anything is sent; a directory's archive is cut
// (and the copy fails) when it passes the cap.
func (s streamedArchives) OpenArchive(ctx context.Context, g consolelink.Grant) (io.ReadCloser, container.PathStat, error) {
	max := s.a.cfg.MaxStreamedArchiveBytes
	op, ok := s.a.drv.(archiveOpener)
	if !ok {
		b, st, err := s.a.drv.CopyFrom(ctx, &g.Container, g.Path, max)
		return io.NopCloser(bytes.NewReader(b)), st, err
	}
	rc, st, err := op.OpenArchive(ctx, &g.Container, g.Path)
	if err != nil {
		return nil, st, err
	}
	if st.Size > max {
		_ = rc.Close()
		return nil, st, errdefs.New(errdefs.ErrTooLarge, fmt.Sprintf("%s is larger than the copy limit of %d bytes.", g.Path, max))
	}
	// The tar headers add to the contents: allow 1% and 1 MiB of them.
	return &cappedReader{rc: rc, left: max + max/100 + 1<<20, path: g.Path}, st, nil
}

// PutArchive implements consolelink.ArchiveHandler: the archive is
// rewritten into a spool file as it arrives and reaches the engine only
// once it was read to its end and every entry passed, so a refused or cut
// archive changes nothing in the container.
func (s streamedArchives) PutArchive(ctx context.Context, g consolelink.Grant, r io.Reader) error {
	if dir := s.a.cfg.ArchiveSpoolDir; dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("failed to spool the archive: %w", err)
		}
	}
	f, err := os.CreateTemp(s.a.cfg.ArchiveSpoolDir, "zun-put-archive-*")
	if err != nil {
		return fmt.Errorf("failed to spool the archive: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	max := s.a.cfg.MaxStreamedArchiveBytes
	capped := &cappedReader{rc: io.NopCloser(r), left: max + max/100 + 1<<20, path: g.Path}
	if err := archive.SanitizeTo(f, capped, archive.Limits{MaxBytes: max, MaxEntries: s.a.cfg.MaxArchiveEntries}); err != nil {
		if capped.err != nil {
			return capped.err // the sender's error or the cap, not the tar's
		}
		return err
	}
	// Past the tar's end marker only padding may follow: read to the end
	// of the stream, where the sender confirms it is complete.
	if _, err := io.Copy(io.Discard, capped); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return s.a.drv.CopyTo(ctx, &g.Container, g.Path, f)
}

// cappedReader fails past left bytes with errdefs.ErrTooLarge and keeps
// the first error of its source.
type cappedReader struct {
	rc   io.ReadCloser
	left int64
	path string
	err  error
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.err = errdefs.New(errdefs.ErrTooLarge, fmt.Sprintf("The archive of %s is larger than the copy limit.", c.path))
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		c.err = err
	}
	return n, err
}

func (c *cappedReader) Close() error { return c.rc.Close() }
