package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/openzun/zun/api"
)

func checkProject(id string) error {
	if id == "" {
		return errors.New("a project ID is required")
	}
	return nil
}

// GetQuota returns the effective limits of a project (1.26+).
func (c *Client) GetQuota(ctx context.Context, projectID string) (*api.Quota, error) {
	if err := checkProject(projectID); err != nil {
		return nil, err
	}
	var out api.Quota
	if err := c.do(ctx, request{method: http.MethodGet, path: path("quotas", projectID), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetQuotaUsages returns the limits of a project with what it uses.
func (c *Client) GetQuotaUsages(ctx context.Context, projectID string) (*api.QuotaUsages, error) {
	if err := checkProject(projectID); err != nil {
		return nil, err
	}
	var out api.QuotaUsages
	q := url.Values{"usages": {"True"}}
	if err := c.do(ctx, request{method: http.MethodGet, path: path("quotas", projectID), query: q, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateQuota sets limits of a project (admin) and returns its limits.
func (c *Client) UpdateQuota(ctx context.Context, projectID string, u api.QuotaUpdate) (*api.Quota, error) {
	if err := checkProject(projectID); err != nil {
		return nil, err
	}
	var out api.Quota
	if err := c.do(ctx, request{method: http.MethodPut, path: path("quotas", projectID), body: u, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// QuotaDefaults returns the default limits (the class "default").
func (c *Client) QuotaDefaults(ctx context.Context, projectID string) (*api.Quota, error) {
	if err := checkProject(projectID); err != nil {
		return nil, err
	}
	var out api.Quota
	if err := c.do(ctx, request{method: http.MethodGet, path: path("quotas", projectID, "defaults"), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteQuota drops a project's limits, back to the defaults (admin).
func (c *Client) DeleteQuota(ctx context.Context, projectID string) error {
	if err := checkProject(projectID); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: path("quotas", projectID)})
}

// GetQuotaClass returns the limits of a quota class (admin).
func (c *Client) GetQuotaClass(ctx context.Context, name string) (*api.Quota, error) {
	if name == "" {
		return nil, errors.New("a quota class name is required")
	}
	var out api.Quota
	if err := c.do(ctx, request{method: http.MethodGet, path: path("quota_classes", name), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateQuotaClass sets limits of a quota class (admin).
func (c *Client) UpdateQuotaClass(ctx context.Context, name string, u api.QuotaUpdate) (*api.Quota, error) {
	if name == "" {
		return nil, errors.New("a quota class name is required")
	}
	var out api.Quota
	if err := c.do(ctx, request{method: http.MethodPut, path: path("quota_classes", name), body: u, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}
