package conductor

import (
	"context"
	"errors"
	"fmt"

	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/store"
)

// GlanceImages is the image service as the conductor uses it.
type GlanceImages interface {
	Lookup(ctx context.Context, project, idOrName string) (*model.GlanceImage, error)
	DownloadURL(id string) string
}

// WithImages lets agents download from the image service g.
func (c *Conductor) WithImages(g GlanceImages) *Conductor {
	c.glance = g
	return c
}

func (c *Conductor) imageMethods() map[string]bus.Handler {
	return map[string]bus.Handler{
		rpc.MethodGlanceLocation: decode(c.glanceLocation),
		rpc.MethodImageRecord:    decode(c.imageRecord),
		rpc.MethodImageGone:      decode(c.imageGone),
		rpc.MethodHostImages:     decode(c.hostImages),
	}
}

// glanceLocation resolves an image as the container's project sees it and
// hands out a short-lived signed download URL.
func (c *Conductor) glanceLocation(ctx context.Context, r rpc.GlanceLocationRequest) (any, error) {
	if c.glance == nil {
		return nil, errdefs.New(errdefs.ErrNotImplemented, "this deployment runs no image service")
	}
	if r.ProjectID == "" || r.Image == "" {
		return nil, fmt.Errorf("glance location needs a project and an image: %w", errdefs.ErrInvalidArgument)
	}
	im, err := c.glance.Lookup(ctx, r.ProjectID, r.Image)
	if err != nil {
		return nil, err
	}
	return rpc.GlanceLocation{ID: im.UUID, Name: im.Name, Size: im.Size, MD5: im.Checksum, SHA256: im.HashValue,
		URL: c.glance.DownloadURL(im.UUID), Container: im.ContainerFormat}, nil
}

func (c *Conductor) imageRecord(ctx context.Context, r rpc.ImageRecord) (any, error) {
	if r.Host == "" || r.Repo == "" {
		return nil, fmt.Errorf("image record needs a host and a repo: %w", errdefs.ErrInvalidArgument)
	}
	apply := func(im *model.Image) error {
		if im.Host != r.Host {
			return fmt.Errorf("image is not on the reporting host: %w", errdefs.ErrForbidden)
		}
		im.Status, im.Reason = r.Status, r.Reason
		if r.ImageID != "" {
			im.ImageID, im.Size = r.ImageID, r.Size
		}
		if r.Driver != "" {
			im.Driver = r.Driver
		}
		return nil
	}
	uuid := r.UUID
	if uuid == "" {
		list, err := c.st.Images().List(ctx, store.ImageFilter{Host: r.Host, Repo: r.Repo, Tag: r.Tag}, store.ListOptions{Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(list) == 1 {
			uuid = list[0].UUID
		}
	}
	if uuid != "" {
		_, err := c.st.Images().Update(ctx, uuid, apply)
		if !errors.Is(err, errdefs.ErrNotFound) {
			return nil, err
		}
		if r.UUID != "" {
			// Deleted through the API meanwhile: do not resurrect it.
			return nil, nil
		}
	}
	if r.ProjectID == "" {
		return nil, fmt.Errorf("image record needs a project: %w", errdefs.ErrInvalidArgument)
	}
	im := &model.Image{ProjectID: r.ProjectID, Host: r.Host, Repo: r.Repo, Tag: r.Tag}
	_ = apply(im)
	err := c.st.Images().Create(ctx, im)
	if errors.Is(err, errdefs.ErrAlreadyExists) {
		// A concurrent report created it: update that one.
		return c.imageRecord(ctx, r)
	}
	return nil, err
}

func (c *Conductor) imageGone(ctx context.Context, g rpc.ImageGone) (any, error) {
	im, err := c.st.Images().Get(ctx, g.UUID)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if im.Host != g.Host {
		return nil, fmt.Errorf("image is not on the reporting host: %w", errdefs.ErrForbidden)
	}
	if err := c.st.Images().Delete(ctx, g.UUID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return nil, err
	}
	return nil, nil
}

func (c *Conductor) hostImages(ctx context.Context, r rpc.HostContainersRequest) (any, error) {
	list, err := c.st.Images().List(ctx, store.ImageFilter{Host: r.Host}, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := rpc.HostImagesReply{Images: make([]rpc.HostImage, 0, len(list))}
	for _, im := range list {
		out.Images = append(out.Images, rpc.HostImage{UUID: im.UUID, Repo: im.Repo, Tag: im.Tag, ImageID: im.ImageID,
			Size: im.Size, Status: im.Status, UpdatedAt: im.UpdatedAt})
	}
	return out, nil
}
