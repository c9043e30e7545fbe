package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
)

// Limits bound an archive.
type Limits struct {
	MaxBytes   int64 // total size of the file contents
	MaxEntries int
}

// Sanitize reads a tar archive and returns an equivalent one that is safe
// to extract into any directory: every entry stays below it. It refuses
// (errdefs.ErrInvalidArgument) absolute names, ".." components, symbolic
// links whose target is absolute or leaves the destination, hard links to
// anything but an earlier regular file of the archive, entries below a
// symbolic link of the archive, and device nodes, FIFOs and other special
// files. Set-user-id, set-group-id and sticky bits and the owners are
// dropped. Past a limit it gives errdefs.ErrTooLarge.
func Sanitize(r io.Reader, lim Limits) ([]byte, error) {
	var out bytes.Buffer
	if err := SanitizeTo(&out, r, lim); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// SanitizeTo is Sanitize writing the rewritten archive to w as it reads r,
// so an archive of any size passes in constant memory. On an error, w
// holds a partial archive that the caller must discard (streamed puts
// write to a spool file and hand the engine nothing until this returns
// nil).
func SanitizeTo(w io.Writer, r io.Reader, lim Limits) error {
	tw := tar.NewWriter(w)
	tr := tar.NewReader(r)
	var total int64
	files := map[string]bool{}    // regular files seen
	symlinks := map[string]bool{} // symbolic links seen
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return refuse("the data is not a valid tar archive")
		}
		if n >= lim.MaxEntries {
			return fmt.Errorf("archive has more than %d entries: %w", lim.MaxEntries, errdefs.ErrTooLarge)
		}
		name, err := entryName(h.Name)
		if err != nil {
			return err
		}
		if name == "." {
			if h.Typeflag == tar.TypeDir {
				continue // "./" of tar -C dir .
			}
			return refuse("an entry names the destination itself")
		}
		for p := path.Dir(name); p != "."; p = path.Dir(p) {
			if symlinks[p] {
				return refuse(fmt.Sprintf("entry %q is below the symbolic link %q of the archive", name, p))
			}
		}
		clean := &tar.Header{Name: name, Mode: h.Mode &^ 0o7000 & 0o777, ModTime: h.ModTime, Format: tar.FormatPAX}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			clean.Typeflag, clean.Size = tar.TypeReg, h.Size
			total += h.Size
			if total > lim.MaxBytes {
				return fmt.Errorf("archive contents exceed %d bytes: %w", lim.MaxBytes, errdefs.ErrTooLarge)
			}
			files[name] = true
		case tar.TypeDir:
			clean.Typeflag = tar.TypeDir
			clean.Name += "/"
		case tar.TypeSymlink:
			if path.IsAbs(h.Linkname) || climbs(path.Join(path.Dir(name), h.Linkname)) {
				return refuse(fmt.Sprintf("symbolic link %q points outside the destination", name))
			}
			clean.Typeflag, clean.Linkname = tar.TypeSymlink, h.Linkname
			symlinks[name] = true
		case tar.TypeLink:
			target, err := entryName(h.Linkname)
			if err != nil || target == "." || !files[target] {
				return refuse(fmt.Sprintf("hard link %q does not point to a file of the archive", name))
			}
			clean.Typeflag, clean.Linkname = tar.TypeLink, target
		default:
			return refuse(fmt.Sprintf("entry %q is a special file (type %q); only files, directories and links are accepted", name, h.Typeflag))
		}
		if err := tw.WriteHeader(clean); err != nil {
			return fmt.Errorf("failed to rewrite archive: %w", err)
		}
		if clean.Typeflag == tar.TypeReg {
			if _, err := io.Copy(tw, tr); err != nil {
				return refuse("the data is not a valid tar archive")
			}
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("failed to rewrite archive: %w", err)
	}
	return nil
}

// entryName cleans an entry's name; it must be relative and stay below the
// destination.
func entryName(raw string) (string, error) {
	if raw == "" || strings.ContainsRune(raw, 0) {
		return "", refuse("an entry has an empty or invalid name")
	}
	if path.IsAbs(raw) || strings.HasPrefix(raw, "\\") {
		return "", refuse(fmt.Sprintf("entry %q has an absolute path", raw))
	}
	for _, part := range strings.Split(strings.ReplaceAll(raw, "\\", "/"), "/") {
		if part == ".." {
			return "", refuse(fmt.Sprintf("entry %q climbs out of the destination", raw))
		}
	}
	return path.Clean(raw), nil
}

func climbs(p string) bool {
	p = path.Clean(p)
	return p == ".." || strings.HasPrefix(p, "../")
}

func refuse(msg string) error {
	return errdefs.New(errdefs.ErrInvalidArgument, "Invalid archive: "+msg+".")
}
