package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/openzun/zun/api"
)

// RegistryListOptions filter GET /v1/registries.
type RegistryListOptions struct {
	ListOptions
	AllProjects                               bool
	Name, Domain, Username, ProjectID, UserID string
}

// CreateRegistry records a private registry (1.30+).
func (c *Client) CreateRegistry(ctx context.Context, f api.RegistryFields) (*api.Registry, error) {
	if f.Domain == nil || *f.Domain == "" {
		return nil, errors.New("a registry domain is required")
	}
	var out api.RegistryBody[api.Registry]
	if err := c.do(ctx, request{method: http.MethodPost, path: path("registries"), body: api.RegistryBody[api.RegistryFields]{Registry: f}, out: &out}); err != nil {
		return nil, err
	}
	return &out.Registry, nil
}

// ListRegistries lists registries.
func (c *Client) ListRegistries(ctx context.Context, o RegistryListOptions) (*api.RegistryList, error) {
	q := o.values()
	setBool(q, "all_projects", o.AllProjects)
	for k, v := range map[string]string{"name": o.Name, "domain": o.Domain, "username": o.Username, "project_id": o.ProjectID, "user_id": o.UserID} {
		setStr(q, k, v)
	}
	items, next, err := collect(ctx, q, o.ListOptions, func(ctx context.Context, q url.Values) ([]api.Registry, string, error) {
		var page api.RegistryList
		err := c.do(ctx, request{method: http.MethodGet, path: path("registries"), query: q, out: &page})
		return page.Registries, page.Next, err
	})
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []api.Registry{}
	}
	return &api.RegistryList{Registries: items, Next: next}, nil
}

// GetRegistry shows a registry by UUID or name.
func (c *Client) GetRegistry(ctx context.Context, id string) (*api.Registry, error) {
	if id == "" {
		return nil, errors.New("a registry UUID or name is required")
	}
	var out api.RegistryBody[api.Registry]
	if err := c.do(ctx, request{method: http.MethodGet, path: path("registries", id), out: &out}); err != nil {
		return nil, err
	}
	return &out.Registry, nil
}

// UpdateRegistry changes the fields set in f.
func (c *Client) UpdateRegistry(ctx context.Context, id string, f api.RegistryFields) (*api.Registry, error) {
	if id == "" {
		return nil, errors.New("a registry UUID or name is required")
	}
	var out api.RegistryBody[api.Registry]
	if err := c.do(ctx, request{method: http.MethodPatch, path: path("registries", id), body: api.RegistryBody[api.RegistryFields]{Registry: f}, out: &out}); err != nil {
		return nil, err
	}
	return &out.Registry, nil
}

// DeleteRegistry deletes a registry.
func (c *Client) DeleteRegistry(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("a registry UUID or name is required")
	}
	return c.do(ctx, request{method: http.MethodDelete, path: path("registries", id)})
}
