package cli

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) cpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cp <source> <destination>",
		Short: "Copy files/tars between a container and the local filesystem.",
		Long: "Copy between a container and the local filesystem; one side is container:path. " +
			"Into a container, the source file or directory lands inside the container directory; " +
			"out of a container, the path lands inside the local directory.",
		Args: exactArgs(2, "a source and a destination"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			src, dst := args[0], args[1]
			switch {
			case strings.Contains(src, ":"):
				id, p, _ := strings.Cut(src, ":")
				rc, _, err := cl.GetArchiveStream(cmd.Context(), id, p)
				if err != nil {
					return err
				}
				defer rc.Close()
				return extractTar(rc, dst)
			case strings.Contains(dst, ":"):
				id, p, _ := strings.Cut(dst, ":")
				if _, err := os.Lstat(src); err != nil {
					return err
				}
				// The archive is made while it is sent: neither side
				// holds it whole (the server caps its size).
				pr, pw := io.Pipe()
				go func() { pw.CloseWithError(tarPath(src, pw)) }()
				err := cl.PutArchiveStream(cmd.Context(), id, p, pr)
				_ = pr.CloseWithError(errors.New("copy ended"))
				return err
			}
			return usagef("one of source and destination must be <container>:<path>")
		},
	}
}

// tarPath archives a local file or directory under its base name into w.
func tarPath(src string, w io.Writer) error {
	tw := tar.NewWriter(w)
	base := filepath.Base(filepath.Clean(src))
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(filepath.Join(base, rel))
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return fmt.Errorf("cannot archive %s: %w", p, err)
		}
		h.Name = name
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// extractTar extracts an archive from the server into directory dst,
// confined to it (os.Root): nothing outside dst is written, whatever the
// archive holds. Special files are skipped.
func extractTar(r io.Reader, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("invalid archive from the server: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "/"))
		if name == "." || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("archive entry %q leaves the destination", h.Name)
		}
		mode := fs.FileMode(h.Mode).Perm()
		if dir := path.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, mode|0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			_ = root.Remove(name)
			if err := root.Symlink(h.Linkname, name); err != nil {
				return err
			}
		}
	}
}
