package compute

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// Image drivers.
const (
	DriverDocker = "docker"
	DriverGlance = "glance"
)

// prepareImage makes c's image present with its image driver and returns
// the reference the engine creates the container from. auth is the
// registry credential of this pull only.
func (a *Agent) prepareImage(ctx context.Context, c *model.Container, auth *container.RegistryAuth) (string, error) {
	if c.ImageDriver == DriverGlance {
		info, err := a.loadGlance(ctx, c.ProjectID, c.Image)
		if err != nil {
			return "", err
		}
		return info.ID, nil
	}
	if auth == nil && c.RegistryID != "" {
		// The credential came only with the request this create resumes
		// (an agent killed during the pull): ask the conductor again.
		var err error
		if auth, err = a.cond.RegistryAuth(ctx, rpc.RegistryAuthRequest{ContainerUUID: c.UUID, Host: a.cfg.Host}); err != nil {
			return "", fmt.Errorf("failed to get the credential of registry %s: %w", c.RegistryID, err)
		}
	}
	ref := registryRef(c.Image, auth)
	progress := a.pullProgress(ctx, c)
	info, err := a.pull(ctx, c.ProjectID, ref, c.ImagePullPolicy, auth, progress, "")
	if err != nil {
		return "", err
	}
	if info.ID == "" {
		return ref, nil
	}
	return ref, nil
}

// registryRef prefixes image with the registry's domain unless it names it
// already (Zun's behaviour with a registry).
func registryRef(image string, auth *container.RegistryAuth) string {
	if auth == nil || auth.ServerAddress == "" || strings.HasPrefix(image, auth.ServerAddress+"/") {
		return image
	}
	return auth.ServerAddress + "/" + image
}

// pull makes ref present through the driver's image capability (with
// credentials and progress) or its basic EnsureImage, and records the
// image of the host.
func (a *Agent) pull(ctx context.Context, project, ref, policy string, auth *container.RegistryAuth, progress func(string), recordUUID string) (container.ImageInfo, error) {
	repo, tag := splitRef(ref)
	var (
		info container.ImageInfo
		err  error
	)
	if imgs, ok := a.drv.(container.Images); ok {
		info, err = imgs.PullImage(ctx, ref, policy, auth, progress)
	} else {
		if auth != nil {
			return info, errdefs.New(errdefs.ErrNotImplemented, "the container driver cannot pull with registry credentials")
		}
		// Without the image capability there is nothing to record or
		// collect (the fake driver of scale tests).
		return info, a.drv.EnsureImage(ctx, ref, policy)
	}
	rec := rpc.ImageRecord{UUID: recordUUID, Host: a.cfg.Host, ProjectID: project, Repo: repo, Tag: tag,
		ImageID: info.ID, Size: info.Size, Driver: DriverDocker, Status: model.ImageReady}
	if err != nil {
		if recordUUID == "" {
			// A failed pull for a container leaves no image record.
			return info, err
		}
		rec.Status, rec.Reason = model.ImageError, err.Error()
	}
	if rerr := a.cond.ImageRecord(ctx, rec); rerr != nil {
		a.log.Warn("failed to record image", "image", ref, "err", rerr)
	}
	return info, err
}

// splitRef splits "host:5000/name:tag" into repo and tag ("latest" when
// absent; a digest stays in the repo).
func splitRef(ref string) (string, string) {
	if strings.Contains(ref, "@") {
		return ref, ""
	}
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		return ref[:i], ref[i+1:]
	}
	return ref, "latest"
}

// pullProgress reports pull progress on the container's status_detail,
// at most once a second, while the pull is its task.
func (a *Agent) pullProgress(ctx context.Context, c *model.Container) func(string) {
	var (
		mu   sync.Mutex
		last time.Time
	)
	return func(line string) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		if len(line) > 200 {
			line = line[:200]
		}
		a.update(ctx, rpc.ContainerUpdate{UUID: c.UUID, StatusDetail: ptr("Pulling image: " + line), ExpectTask: api.TaskImagePulling})
	}
}

func (a *Agent) opImagePull(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	op := req.ImageOp
	if op == nil {
		return nil, fmt.Errorf("image pull without image: %w", errdefs.ErrInvalidArgument)
	}
	ref := op.Repo
	if op.Tag != "" {
		ref += ":" + op.Tag
	}
	if op.Driver == DriverGlance {
		info, err := a.loadGlance(ctx, op.ProjectID, op.Repo)
		rec := rpc.ImageRecord{UUID: op.UUID, Host: a.cfg.Host, ProjectID: op.ProjectID, Repo: op.Repo, Tag: op.Tag,
			ImageID: info.ID, Size: info.Size, Driver: DriverGlance, Status: model.ImageReady}
		if err != nil {
			rec.Status, rec.Reason = model.ImageError, err.Error()
		}
		if rerr := a.cond.ImageRecord(ctx, rec); rerr != nil {
			a.log.Warn("failed to record image", "image", ref, "err", rerr)
		}
		return nil, nil
	}
	_, _ = a.pull(ctx, op.ProjectID, registryRef(ref, req.RegistryAuth), op.PullPolicy, req.RegistryAuth, nil, op.UUID)
	return nil, nil
}

// opImageDelete removes an image from the engine and its cached archive,
// then the record. An image in use stays, and so does its record.
func (a *Agent) opImageDelete(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	op := req.ImageOp
	if op == nil {
		return nil, fmt.Errorf("image delete without image: %w", errdefs.ErrInvalidArgument)
	}
	im := rpc.HostImage{UUID: op.UUID, Repo: op.Repo, Tag: op.Tag, ImageID: op.ImageID}
	containers, err := a.cond.HostContainers(ctx, a.cfg.Host)
	if err != nil {
		return nil, err
	}
	// The engine only untags an image other tags share, even in use:
	// Zun's records decide.
	if usedBy(im, containers) {
		return nil, fmt.Errorf("image %s:%s is used by a container: %w", op.Repo, op.Tag, errdefs.ErrConflict)
	}
	if err := a.removeImage(ctx, im, op.Driver); err != nil {
		return nil, err
	}
	return nil, nil
}

func (a *Agent) removeImage(ctx context.Context, im rpc.HostImage, driver string) error {
	imgs, ok := a.drv.(container.Images)
	if !ok {
		return errdefs.New(errdefs.ErrNotImplemented, "the container driver cannot remove images")
	}
	ref := im.Repo + ":" + im.Tag
	if driver == DriverGlance || (im.ImageID != "" && im.Tag != "" && looksLikeUUID(im.Tag)) {
		ref = im.ImageID
		a.dropCached(im.Tag)
	}
	if driver == DriverGlance && ref != "" {
		// A loaded archive may carry a pinned tag (an upload of
		// busybox:1.35): the engine's image stays then.
		if info, err := imgs.InspectImage(ctx, ref); err == nil {
			for _, t := range info.Tags {
				if repo, tag := splitRef(t); a.cfg.ImageGC.pinned(repo, tag) {
					ref = ""
				}
			}
		}
	}
	if ref != "" && ref != ":" {
		err := imgs.RemoveImage(ctx, ref)
		// A loaded archive's image may carry tags other images share
		// (a glance upload of busybox:1.35): the engine keeps it, the
		// record and cache go.
		if err != nil && !(driver == DriverGlance && errors.Is(err, errdefs.ErrConflict)) {
			return err
		}
	}
	if err := a.cond.ImageGone(ctx, rpc.ImageGone{UUID: im.UUID, Host: a.cfg.Host}); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return err
	}
	return nil
}

func looksLikeUUID(s string) bool { return len(s) == 36 && strings.Count(s, "-") == 4 }
