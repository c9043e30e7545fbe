package cli

import (
	"archive/tar"
	"bytes"
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

// maxCopyBytes bounds what cp reads locally or extracts.
const maxCopyBytes = 64 << 20

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
				data, _, err := cl.GetArchive(cmd.Context(), id, p)
				if err != nil {
					return err
				}
				return extractTar(bytes.NewReader(data), dst)
			case strings.Contains(dst, ":"):
				id, p, _ := strings.Cut(dst, ":")
				data, err := tarPath(src)
				if err != nil {
					return err
				}
				return cl.PutArchive(cmd.Context(), id, p, data)
			}
			return usagef("one of source and destination must be <container>:<path>")
		},
	}
}

// tarPath archives a local file or directory under its base name.
func tarPath(src string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	base := filepath.Base(filepath.Clean(src))
	var total int64
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
		if total += info.Size(); total > maxCopyBytes {
			return fmt.Errorf("%s is larger than %d bytes", src, maxCopyBytes)
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
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
	var total int64
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
			if total += h.Size; total > maxCopyBytes {
				return fmt.Errorf("archive larger than %d bytes", maxCopyBytes)
			}
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
