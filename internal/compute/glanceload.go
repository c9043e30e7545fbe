package compute

import (
	"archive/tar"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// loadGlance downloads an image of the image service (once per host: the
// verified archive is cached), checks it is a `docker save` archive and
// loads it. Nothing is kept of a download that fails a check.
func (a *Agent) loadGlance(ctx context.Context, project, image string) (container.ImageInfo, error) {
	imgs, ok := a.drv.(container.Images)
	if !ok {
		return container.ImageInfo{}, errdefs.New(errdefs.ErrNotImplemented, "the container driver cannot load images")
	}
	loc, err := a.cond.GlanceLocation(ctx, rpc.GlanceLocationRequest{Host: a.cfg.Host, ProjectID: project, Image: image})
	if err != nil {
		return container.ImageInfo{}, err
	}
	if loc.Container != "" && loc.Container != "docker" {
		return container.ImageInfo{}, fmt.Errorf("image %s has container format %s, not docker: %w", image, loc.Container, errdefs.ErrInvalidArgument)
	}
	archive, err := a.cachedArchive(ctx, loc)
	if err != nil {
		return container.ImageInfo{}, err
	}
	f, err := os.Open(archive)
	if err != nil {
		return container.ImageInfo{}, fmt.Errorf("failed to open cached image: %w", err)
	}
	defer f.Close()
	info, err := imgs.LoadImage(ctx, f)
	if err != nil {
		return container.ImageInfo{}, fmt.Errorf("failed to load image %s: %w", image, err)
	}
	if err := a.cond.ImageRecord(ctx, rpc.ImageRecord{Host: a.cfg.Host, ProjectID: project, Repo: loc.Name, Tag: loc.ID,
		ImageID: info.ID, Size: info.Size, Driver: DriverGlance, Status: model.ImageReady}); err != nil {
		a.log.Warn("failed to record image", "image", image, "err", err)
	}
	return info, nil
}

func (a *Agent) cachePath(id string) string { return filepath.Join(a.cfg.ImageCacheDir, id+".tar") }

func (a *Agent) dropCached(id string) {
	if looksLikeUUID(id) {
		_ = os.Remove(a.cachePath(id))
		_ = os.Remove(a.cachePath(id) + ".sha256")
	}
}

// cachedArchive returns the path of loc's verified archive, downloading
// it when the cache has no copy with the same SHA-256.
func (a *Agent) cachedArchive(ctx context.Context, loc rpc.GlanceLocation) (string, error) {
	if !looksLikeUUID(loc.ID) {
		return "", fmt.Errorf("bad image id %q: %w", loc.ID, errdefs.ErrInvalidArgument)
	}
	final := a.cachePath(loc.ID)
	if b, err := os.ReadFile(final + ".sha256"); err == nil && strings.TrimSpace(string(b)) == loc.SHA256 {
		if _, err := os.Stat(final); err == nil {
			return final, nil
		}
	}
	if err := os.MkdirAll(a.cfg.ImageCacheDir, 0o700); err != nil {
		return "", fmt.Errorf("failed to create image cache: %w", err)
	}
	tmp, err := os.CreateTemp(a.cfg.ImageCacheDir, ".download-*")
	if err != nil {
		return "", fmt.Errorf("failed to create image cache file: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	err = download(ctx, loc, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = checkDockerArchive(tmp.Name())
	}
	if err != nil {
		return "", fmt.Errorf("image %s: %w", loc.Name, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", fmt.Errorf("failed to cache image: %w", err)
	}
	if err := os.WriteFile(final+".sha256", []byte(loc.SHA256+"\n"), 0o600); err != nil {
		_ = os.Remove(final)
		return "", fmt.Errorf("failed to cache image: %w", err)
	}
	return final, nil
}

// download streams loc to w and checks its size and both hashes.
func download(ctx context.Context, loc rpc.GlanceLocation, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.URL, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("failed to download from the image service: %w", errdefs.ErrUnavailable)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the image service answered %s to the download: %w", resp.Status, errdefs.ErrUnavailable)
	}
	hs, hm := sha256.New(), md5.New()
	n, err := io.Copy(io.MultiWriter(w, hs, hm), io.LimitReader(resp.Body, loc.Size+1))
	if err != nil {
		return fmt.Errorf("download interrupted after %d bytes: %w", n, errdefs.ErrUnavailable)
	}
	if n != loc.Size {
		return fmt.Errorf("downloaded %d bytes, the image service recorded %d: %w", n, loc.Size, errdefs.ErrInvalidArgument)
	}
	if got := hex.EncodeToString(hs.Sum(nil)); got != loc.SHA256 {
		return fmt.Errorf("checksum mismatch: SHA-256 of the download is %s, the image service recorded %s: %w", got, loc.SHA256, errdefs.ErrInvalidArgument)
	}
	if got := hex.EncodeToString(hm.Sum(nil)); loc.MD5 != "" && got != loc.MD5 {
		return fmt.Errorf("checksum mismatch: MD5 of the download is %s, the image service recorded %s: %w", got, loc.MD5, errdefs.ErrInvalidArgument)
	}
	return nil
}

// checkDockerArchive reads the whole tar: it must be complete, hold a
// manifest.json naming a config and layers, and hold every file the
// manifest names.
func checkDockerArchive(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	files := map[string]bool{}
	var manifest []byte
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("not a valid docker save archive (corrupt or truncated tar: %v): %w", err, errdefs.ErrInvalidArgument)
		}
		name := path.Clean(h.Name)
		files[name] = true
		if name == "manifest.json" {
			if manifest, err = io.ReadAll(io.LimitReader(tr, 1<<20)); err != nil {
				return fmt.Errorf("not a valid docker save archive (unreadable manifest.json): %w", errdefs.ErrInvalidArgument)
			}
		} else if _, err := io.Copy(io.Discard, tr); err != nil {
			return fmt.Errorf("not a valid docker save archive (truncated tar: %v): %w", err, errdefs.ErrInvalidArgument)
		}
	}
	if manifest == nil {
		return fmt.Errorf("not a valid docker save archive: manifest.json is missing: %w", errdefs.ErrInvalidArgument)
	}
	var entries []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(manifest, &entries); err != nil || len(entries) == 0 {
		return fmt.Errorf("not a valid docker save archive: manifest.json is malformed: %w", errdefs.ErrInvalidArgument)
	}
	for _, e := range entries {
		for _, want := range append([]string{e.Config}, e.Layers...) {
			if want == "" || !files[path.Clean(want)] {
				return fmt.Errorf("not a valid docker save archive: %q named by manifest.json is missing: %w", want, errdefs.ErrInvalidArgument)
			}
		}
	}
	return nil
}
