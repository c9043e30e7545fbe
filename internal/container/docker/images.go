package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

var (
	_ container.Images    = (*Driver)(nil)
	_ container.Committer = (*Driver)(nil)
)

// PullImage makes ref present per policy, pulling with auth and reporting
// the engine's progress lines.
func (d *Driver) PullImage(ctx context.Context, image, policy string, auth *container.RegistryAuth, progress func(string)) (container.ImageInfo, error) {
	ref, policy, err := EffectivePullPolicy(image, policy)
	if err != nil {
		return container.ImageInfo{}, err
	}
	if policy != PullAlways {
		info, err := d.InspectImage(ctx, ref)
		if err == nil {
			return info, nil
		}
		if !errors.Is(err, errdefs.ErrNotFound) {
			return container.ImageInfo{}, err
		}
		if policy == PullNever {
			return container.ImageInfo{}, fmt.Errorf("image %s is not present and the pull policy is never: %w", ref, errdefs.ErrNotFound)
		}
	}
	opts := client.ImagePullOptions{}
	if auth != nil {
		b, err := json.Marshal(registry.AuthConfig{Username: auth.Username, Password: auth.Password, ServerAddress: auth.ServerAddress})
		if err != nil {
			return container.ImageInfo{}, err
		}
		opts.RegistryAuth = base64.URLEncoding.EncodeToString(b)
	}
	d.log.InfoContext(ctx, "pulling image", "image", ref, "authenticated", auth != nil)
	resp, err := d.cli.ImagePull(ctx, ref, opts)
	if err != nil {
		return container.ImageInfo{}, pullError(ref, err)
	}
	defer resp.Close()
	for m, err := range resp.JSONMessages(ctx) {
		if err != nil {
			return container.ImageInfo{}, pullError(ref, err)
		}
		if m.Error != nil {
			return container.ImageInfo{}, pullError(ref, fmt.Errorf("%s", m.Error.Message))
		}
		if progress != nil && m.Status != "" {
			line := m.Status
			if m.ID != "" {
				line = m.ID + ": " + line
			}
			if m.Progress != nil && m.Progress.Total > 0 {
				line += fmt.Sprintf(" %d/%d bytes", m.Progress.Current, m.Progress.Total)
			}
			progress(line)
		}
	}
	return d.InspectImage(ctx, ref)
}

// pullError names the registry's answer in the categories users act on.
func pullError(ref string, err error) error {
	msg := err.Error()
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "unauthorized") || strings.Contains(low, "authentication required") || strings.Contains(low, "no basic auth credentials"):
		return errdefs.New(errdefs.ErrForbidden, fmt.Sprintf("failed to pull image %s: the registry refused the credentials: %s", ref, msg))
	case strings.Contains(low, "not found") || strings.Contains(low, "manifest unknown") || cerrdefs.IsNotFound(err):
		return fmt.Errorf("image %s could not be found in the registry: %s: %w", ref, msg, errdefs.ErrNotFound)
	}
	return translate("pull image "+ref, err)
}

// InspectImage returns ref's engine ID, tags and size.
func (d *Driver) InspectImage(ctx context.Context, ref string) (container.ImageInfo, error) {
	res, err := d.cli.ImageInspect(ctx, ref)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return container.ImageInfo{}, fmt.Errorf("image %s is not present: %w", ref, errdefs.ErrNotFound)
		}
		return container.ImageInfo{}, translate("inspect image "+ref, err)
	}
	info := container.ImageInfo{ID: res.ID, Tags: res.RepoTags, Size: res.Size}
	if t, err := time.Parse(time.RFC3339Nano, res.Created); err == nil {
		info.Created = t
	}
	return info, nil
}

// LoadImage loads a `docker save` archive. The caller validated its
// layout; the engine's refusal is an invalid archive.
func (d *Driver) LoadImage(ctx context.Context, archive io.Reader) (container.ImageInfo, error) {
	res, err := d.cli.ImageLoad(ctx, archive, client.ImageLoadWithQuiet(true))
	if err != nil {
		return container.ImageInfo{}, fmt.Errorf("failed to load image archive: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	defer res.Close()
	var loaded string
	dec := json.NewDecoder(res)
	for {
		var m struct {
			Stream      string `json:"stream"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return container.ImageInfo{}, fmt.Errorf("failed to read the engine's answer to a load: %w", err)
		}
		if m.ErrorDetail != nil {
			return container.ImageInfo{}, fmt.Errorf("the engine refused the image archive: %s: %w", m.ErrorDetail.Message, errdefs.ErrInvalidArgument)
		}
		for _, p := range []string{"Loaded image: ", "Loaded image ID: "} {
			if s, ok := strings.CutPrefix(strings.TrimSpace(m.Stream), p); ok {
				loaded = s
			}
		}
	}
	if loaded == "" {
		return container.ImageInfo{}, fmt.Errorf("the image archive holds no image: %w", errdefs.ErrInvalidArgument)
	}
	return d.InspectImage(ctx, loaded)
}

// RemoveImage removes ref unless a container uses it.
func (d *Driver) RemoveImage(ctx context.Context, ref string) error {
	_, err := d.cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true})
	switch {
	case err == nil, cerrdefs.IsNotFound(err):
		return nil
	case cerrdefs.IsConflict(err):
		return fmt.Errorf("image %s is in use: %w", ref, errdefs.ErrConflict)
	}
	return translate("remove image "+ref, err)
}

// ListImages lists the engine's images.
func (d *Driver) ListImages(ctx context.Context) ([]container.ImageInfo, error) {
	res, err := d.cli.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, translate("list images", err)
	}
	out := make([]container.ImageInfo, 0, len(res.Items))
	for _, im := range res.Items {
		out = append(out, container.ImageInfo{ID: im.ID, Tags: im.RepoTags, Size: im.Size, Created: time.Unix(im.Created, 0)})
	}
	return out, nil
}

// DiskUsagePercent reads the engine's data root filesystem.
func (d *Driver) DiskUsagePercent(ctx context.Context) (float64, error) {
	info, err := d.info(ctx)
	if err != nil {
		return 0, err
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(info.DockerRootDir, &st); err != nil {
		return 0, fmt.Errorf("failed to stat %s: %w", info.DockerRootDir, err)
	}
	if st.Blocks == 0 {
		return 0, nil
	}
	return 100 * float64(st.Blocks-st.Bavail) / float64(st.Blocks), nil
}

// Commit commits c's engine container as repo:tag.
func (d *Driver) Commit(ctx context.Context, c *model.Container, repo, tag string) (container.ImageInfo, error) {
	target := repo
	if tag != "" {
		target += ":" + tag
	}
	res, err := d.cli.ContainerCommit(ctx, ref(c), client.ContainerCommitOptions{Reference: target})
	if err != nil {
		return container.ImageInfo{}, translate("commit container", err)
	}
	info, err := d.InspectImage(ctx, res.ID)
	if err != nil {
		return container.ImageInfo{}, err
	}
	return info, nil
}

// SaveImage exports ref as a `docker save` archive.
func (d *Driver) SaveImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	res, err := d.cli.ImageSave(ctx, []string{ref})
	if err != nil {
		return nil, translate("save image "+ref, err)
	}
	return res, nil
}
