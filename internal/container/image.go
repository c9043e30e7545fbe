package container

import (
	"context"
	"io"
	"time"

	"github.com/openzun/zun/internal/model"
)

// RegistryAuth is the credential of one pull. It travels only in the
// request of that pull and is never logged or stored by the agent.
type RegistryAuth struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	ServerAddress string `json:"server_address"`
}

// ImageInfo describes an image on the engine.
type ImageInfo struct {
	ID      string    `json:"id"`
	Tags    []string  `json:"tags"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created,omitzero"`
}

// Images is the optional image capability of a driver: authenticated pulls
// with progress, loading `docker save` archives, listing and removing
// images, and the engine's disk usage (for the image GC).
type Images interface {
	// PullImage makes ref present per policy (as EnsureImage), pulling
	// with auth when set and reporting progress lines to progress.
	PullImage(ctx context.Context, ref, policy string, auth *RegistryAuth, progress func(string)) (ImageInfo, error)
	// InspectImage returns the image ref names; missing: ErrNotFound.
	InspectImage(ctx context.Context, ref string) (ImageInfo, error)
	// LoadImage loads a `docker save` archive and returns the image it
	// holds. An archive that is not one is ErrInvalidArgument.
	LoadImage(ctx context.Context, archive io.Reader) (ImageInfo, error)
	// RemoveImage removes ref (an image used by a container is
	// ErrConflict; a missing one is not an error).
	RemoveImage(ctx context.Context, ref string) error
	ListImages(ctx context.Context) ([]ImageInfo, error)
	// DiskUsagePercent is the used share of the engine's data filesystem.
	DiskUsagePercent(ctx context.Context) (float64, error)
}

// Committer is the optional capability to commit a container to an image
// and export it as a `docker save` archive.
type Committer interface {
	Commit(ctx context.Context, c *model.Container, repo, tag string) (ImageInfo, error)
	SaveImage(ctx context.Context, ref string) (io.ReadCloser, error)
}
