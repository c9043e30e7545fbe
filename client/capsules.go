package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/openzun/zun/api"
)

// capsuleVersion is the first microversion with the capsule format this
// client decodes.
const capsuleVersion = 32

func (c *Client) checkCapsules(id *string) error {
	if !c.version.AtLeast(capsuleVersion) {
		return fmt.Errorf("capsules need API microversion 1.%d or later, this session uses %s", capsuleVersion, c.version)
	}
	if id != nil && *id == "" {
		return errors.New("a capsule ID or name is required")
	}
	return nil
}

// CreateCapsule creates a capsule from a parsed template (POST
// /v1/capsules); the server answers 202 and starts it asynchronously.
func (c *Client) CreateCapsule(ctx context.Context, template map[string]any) (*api.Capsule, error) {
	if err := c.checkCapsules(nil); err != nil {
		return nil, err
	}
	if len(template) == 0 {
		return nil, errors.New("a template is required")
	}
	var out api.Capsule
	if err := c.do(ctx, request{method: http.MethodPost, path: path("capsules"), body: api.CapsuleCreate{Template: template}, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// CapsuleListOptions page GET /v1/capsules.
type CapsuleListOptions struct {
	ListOptions
	AllProjects bool
}

// ListCapsules lists capsules.
func (c *Client) ListCapsules(ctx context.Context, o CapsuleListOptions) (*api.CapsuleList, error) {
	if err := c.checkCapsules(nil); err != nil {
		return nil, err
	}
	q := o.values()
	setBool(q, "all_projects", o.AllProjects)
	items, next, err := collect(ctx, q, o.ListOptions, func(ctx context.Context, q url.Values) ([]api.Capsule, string, error) {
		var page api.CapsuleList
		err := c.do(ctx, request{method: http.MethodGet, path: path("capsules"), query: q, out: &page})
		return page.Capsules, page.Next, err
	})
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []api.Capsule{}
	}
	return &api.CapsuleList{Capsules: items, Next: next}, nil
}

// GetCapsule shows a capsule by UUID or name.
func (c *Client) GetCapsule(ctx context.Context, id string, allProjects bool) (*api.Capsule, error) {
	if err := c.checkCapsules(&id); err != nil {
		return nil, err
	}
	q := url.Values{}
	setBool(q, "all_projects", allProjects)
	var out api.Capsule
	if err := c.do(ctx, request{method: http.MethodGet, path: path("capsules", id), query: q, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteCapsule deletes a capsule (asynchronously from 1.32).
func (c *Client) DeleteCapsule(ctx context.Context, id string, allProjects bool) error {
	if err := c.checkCapsules(&id); err != nil {
		return err
	}
	q := url.Values{}
	setBool(q, "all_projects", allProjects)
	return c.do(ctx, request{method: http.MethodDelete, path: path("capsules", id), query: q})
}
