package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/openzun/zun/api"
)

// ImageListOptions filter GET /v1/images.
type ImageListOptions struct {
	ListOptions
	Host, Repo, Tag string
}

// PullImage asks host to pull an image (POST /v1/images, asynchronous).
func (c *Client) PullImage(ctx context.Context, req api.ImagePull) (*api.Image, error) {
	if req.Repo == "" || req.Host == "" {
		return nil, errors.New("an image and a host are required")
	}
	var out api.Image
	if err := c.do(ctx, request{method: http.MethodPost, path: path("images"), body: req, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListImages lists the images of the hosts.
func (c *Client) ListImages(ctx context.Context, o ImageListOptions) (*api.ImageList, error) {
	q := o.values()
	setStr(q, "host", o.Host)
	setStr(q, "repo", o.Repo)
	setStr(q, "tag", o.Tag)
	items, next, err := collect(ctx, q, o.ListOptions, func(ctx context.Context, q url.Values) ([]api.Image, string, error) {
		var page api.ImageList
		err := c.do(ctx, request{method: http.MethodGet, path: path("images"), query: q, out: &page})
		return page.Images, page.Next, err
	})
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []api.Image{}
	}
	return &api.ImageList{Images: items, Next: next}, nil
}

// GetImage shows an image record.
func (c *Client) GetImage(ctx context.Context, id string) (*api.Image, error) {
	if id == "" {
		return nil, errors.New("an image UUID is required")
	}
	var out api.Image
	if err := c.do(ctx, request{method: http.MethodGet, path: path("images", id), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteImage removes an image from its host.
func (c *Client) DeleteImage(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("an image UUID is required")
	}
	return c.do(ctx, request{method: http.MethodDelete, path: path("images", id)})
}

// SearchImages searches an image driver's repository by name.
func (c *Client) SearchImages(ctx context.Context, name, driver string, exact bool) ([]api.ImageSearchResult, error) {
	q := url.Values{}
	setStr(q, "image_driver", driver)
	setBool(q, "exact_match", exact)
	var out []api.ImageSearchResult
	if err := c.do(ctx, request{method: http.MethodGet, path: path("images", name, "search"), query: q, out: &out}); err != nil {
		return nil, err
	}
	return out, nil
}

// CommitContainer commits a container into a new image of the image
// service and returns that image's ID.
func (c *Client) CommitContainer(ctx context.Context, id, repository, tag string) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	q := url.Values{}
	setStr(q, "repository", repository)
	setStr(q, "tag", tag)
	var out api.CommitResult
	if err := c.do(ctx, request{method: http.MethodPost, path: path("containers", id, "commit"), query: q, out: &out}); err != nil {
		return "", err
	}
	return out.UUID, nil
}
