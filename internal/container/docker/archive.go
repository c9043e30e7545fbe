package docker

import (
	"context"
	"fmt"
	"io"

	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// CopyFrom reads a tar archive of path from c's filesystem; the engine
// resolves path inside the container's root. It reads at most maxBytes+1
// bytes, so a huge path costs no more memory than the cap.
func (d *Driver) CopyFrom(ctx context.Context, c *model.Container, path string, maxBytes int64) ([]byte, container.PathStat, error) {
	res, err := d.cli.CopyFromContainer(ctx, ref(c), client.CopyFromContainerOptions{SourcePath: path})
	if err != nil {
		return nil, container.PathStat{}, translate("copy "+path+" from container "+c.DockerName(), err)
	}
	defer res.Content.Close()
	b, err := io.ReadAll(io.LimitReader(res.Content, maxBytes+1))
	if err != nil {
		return nil, container.PathStat{}, translate("read archive of "+path, err)
	}
	if int64(len(b)) > maxBytes {
		return nil, container.PathStat{}, fmt.Errorf("archive of %s is larger than %d bytes: %w", path, maxBytes, errdefs.ErrTooLarge)
	}
	st := res.Stat
	return b, container.PathStat{Name: st.Name, Size: st.Size, Mode: uint32(st.Mode), Mtime: st.Mtime, LinkTarget: st.LinkTarget}, nil
}

// OpenArchive streams the tar archive of path from c's filesystem (the
// engine resolves path inside the container's root); the caller closes it.
func (d *Driver) OpenArchive(ctx context.Context, c *model.Container, path string) (io.ReadCloser, container.PathStat, error) {
	res, err := d.cli.CopyFromContainer(ctx, ref(c), client.CopyFromContainerOptions{SourcePath: path})
	if err != nil {
		return nil, container.PathStat{}, translate("copy "+path+" from container "+c.DockerName(), err)
	}
	st := res.Stat
	return res.Content, container.PathStat{Name: st.Name, Size: st.Size, Mode: uint32(st.Mode), Mtime: st.Mtime, LinkTarget: st.LinkTarget}, nil
}

// CopyTo extracts tar into directory path of c. Files keep the archive's
// modes but not its owners (they become root of the container, whose user
// namespace and no-new-privileges apply); the archive was validated by the
// caller.
func (d *Driver) CopyTo(ctx context.Context, c *model.Container, path string, tar io.Reader) error {
	_, err := d.cli.CopyToContainer(ctx, ref(c), client.CopyToContainerOptions{DestinationPath: path, Content: tar})
	return translate("copy into "+path+" of container "+c.DockerName(), err)
}
