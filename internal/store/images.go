package store

import (
	"context"

	"github.com/openzun/zun/internal/model"
)

// GlanceImageFilter narrows a list of the image service.
type GlanceImageFilter struct {
	Name       string
	Status     string
	Visibility string
	Owner      string
}

// GlanceImages stores the image service's records. Reads see the images of
// the scope's project and the public and community ones; writes see only
// the project's own (others are ErrNotFound). An all-projects scope sees
// everything.
type GlanceImages interface {
	Create(ctx context.Context, im *model.GlanceImage) error
	Get(ctx context.Context, id string) (*model.GlanceImage, error)
	List(ctx context.Context, f GlanceImageFilter, opts ListOptions) ([]*model.GlanceImage, error)
	// Update runs fn on the record in one transaction (like
	// Containers.Update).
	Update(ctx context.Context, id string, fn func(im *model.GlanceImage) error) (*model.GlanceImage, error)
	Delete(ctx context.Context, id string) error
}

// ImageFilter narrows a list of per-host images.
type ImageFilter struct {
	Host string
	Repo string
	Tag  string
}

// Images stores the per-host image records of Zun's images API, scoped by
// project. (host, repo, tag) is unique: ErrAlreadyExists.
type Images interface {
	Create(ctx context.Context, im *model.Image) error
	Get(ctx context.Context, uuid string) (*model.Image, error)
	List(ctx context.Context, f ImageFilter, opts ListOptions) ([]*model.Image, error)
	Update(ctx context.Context, uuid string, fn func(im *model.Image) error) (*model.Image, error)
	Delete(ctx context.Context, uuid string) error
}

// RegistryFilter narrows a registry list.
type RegistryFilter struct {
	Name      string
	Domain    string
	Username  string
	ProjectID string
	UserID    string
}

// Registries stores private registries, scoped by project. A name is
// unique in its project (ErrAlreadyExists); Get takes a UUID or a name.
type Registries interface {
	Create(ctx context.Context, r *model.Registry) error
	Get(ctx context.Context, uuidOrName string) (*model.Registry, error)
	List(ctx context.Context, f RegistryFilter, opts ListOptions) ([]*model.Registry, error)
	Update(ctx context.Context, uuid string, fn func(r *model.Registry) error) (*model.Registry, error)
	Delete(ctx context.Context, uuid string) error
}
