package compute

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// ImageGCConfig configures the unused-image GC of a host. Zun has none;
// hosts filled up with images pulled once. Only images Zun brought to the
// host (with an image record of the host) are candidates, so images
// other tools put on a shared engine are never touched.
type ImageGCConfig struct {
	// Interval between runs; 0 disables the GC.
	Interval time.Duration
	// MinAge: an image unused for this long is removed.
	MinAge time.Duration
	// HighPercent and LowPercent: while the engine's disk is fuller than
	// HighPercent, unused images are removed regardless of age, least
	// recently used first, until it is at most LowPercent full.
	HighPercent, LowPercent float64
	// Pinned references are never removed (the sandbox image, a base
	// image); any tag of "kubernetes/pause" is always pinned.
	Pinned []string
}

func (c *ImageGCConfig) setDefaults() {
	if c.MinAge <= 0 {
		c.MinAge = 24 * time.Hour
	}
	if c.HighPercent <= 0 {
		c.HighPercent = 85
	}
	if c.LowPercent <= 0 || c.LowPercent > c.HighPercent {
		c.LowPercent = c.HighPercent - 10
	}
}

func (c *ImageGCConfig) pinned(repo, tag string) bool {
	if repo == "kubernetes/pause" || strings.HasSuffix(repo, "/kubernetes/pause") {
		return true
	}
	return slices.Contains(c.Pinned, repo+":"+tag) || (tag == "latest" && slices.Contains(c.Pinned, repo))
}

// GCResult says what a GC run removed.
type GCResult struct {
	Removed []string // repo:tag
}

// ImageGC runs one pass of the image GC now.
func (a *Agent) ImageGC(ctx context.Context) (GCResult, error) {
	var res GCResult
	imgs, ok := a.drv.(container.Images)
	if !ok {
		return res, nil
	}
	records, err := a.cond.HostImages(ctx, a.cfg.Host)
	if err != nil {
		return res, err
	}
	containers, err := a.cond.HostContainers(ctx, a.cfg.Host)
	if err != nil {
		return res, err
	}
	var candidates []rpc.HostImage
	for _, im := range records {
		if im.Status == model.ImagePulling || a.cfg.ImageGC.pinned(im.Repo, im.Tag) || usedBy(im, containers) {
			continue
		}
		candidates = append(candidates, im)
	}
	sort.Slice(candidates, func(i, j int) bool { return candidates[i].UpdatedAt.Before(candidates[j].UpdatedAt) })

	remove := func(im rpc.HostImage) bool {
		driver := DriverDocker
		if looksLikeUUID(im.Tag) {
			driver = DriverGlance
		}
		if im.Status == model.ImageError {
			// Nothing on the engine: only the record goes.
			err := a.cond.ImageGone(ctx, rpc.ImageGone{UUID: im.UUID, Host: a.cfg.Host})
			return err == nil
		}
		err := a.removeImage(ctx, im, driver)
		if errors.Is(err, errdefs.ErrConflict) {
			return false // a container outside Zun's records uses it
		}
		if err != nil {
			a.log.Warn("image gc: failed to remove image", "image", im.Repo+":"+im.Tag, "err", err)
			return false
		}
		a.log.Info("image gc: removed unused image", "image", im.Repo+":"+im.Tag, "last_used", im.UpdatedAt)
		res.Removed = append(res.Removed, im.Repo+":"+im.Tag)
		return true
	}
	now := time.Now()
	var kept []rpc.HostImage
	for _, im := range candidates {
		if now.Sub(im.UpdatedAt) >= a.cfg.ImageGC.MinAge && remove(im) {
			continue
		}
		kept = append(kept, im)
	}
	usage, err := imgs.DiskUsagePercent(ctx)
	if err != nil {
		return res, err
	}
	if usage <= a.cfg.ImageGC.HighPercent {
		return res, nil
	}
	a.log.Warn("image gc: engine disk above the high mark", "percent", usage, "high", a.cfg.ImageGC.HighPercent)
	for _, im := range kept {
		if usage <= a.cfg.ImageGC.LowPercent {
			break
		}
		if remove(im) {
			if usage, err = imgs.DiskUsagePercent(ctx); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// usedBy reports whether a container of the host uses im.
func usedBy(im rpc.HostImage, containers []model.Container) bool {
	for _, c := range containers {
		if c.ImageDriver == DriverGlance {
			if c.Image == im.Tag || c.Image == im.Repo {
				return true
			}
			continue
		}
		repo, tag := splitRef(c.Image)
		if strings.HasSuffix(im.Repo, repo) && (tag == im.Tag) {
			return true
		}
	}
	return false
}

func (a *Agent) imageGCLoop(ctx context.Context) {
	if a.cfg.ImageGC.Interval <= 0 {
		return
	}
	a.every(ctx, a.cfg.ImageGC.Interval, func(ctx context.Context) error {
		_, err := a.ImageGC(ctx)
		return err
	})
}
