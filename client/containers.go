package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/openzun/zun/api"
)

// ContainerListOptions filter GET /v1/containers.
type ContainerListOptions struct {
	ListOptions
	// AllProjects lists the containers of every project (admin).
	AllProjects bool
	// Filters; empty means unfiltered.
	Name, Image, ProjectID, UserID, TaskState, Status, Memory, Host string
	// AutoRemove filters on auto_remove ("true" or "false").
	AutoRemove string
}

// DeleteOptions are the parameters of DELETE /v1/containers/{id}.
type DeleteOptions struct {
	// Force deletes a container in any state (admin from 1.7).
	Force bool
	// Stop stops a running container before deleting it (1.12).
	Stop bool
	// AllProjects finds the container by name in every project (admin).
	AllProjects bool
}

func path(parts ...string) string {
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "/v1/" + strings.Join(parts, "/")
}

func checkID(id string) error {
	if id == "" {
		return errors.New("a container ID or name is required")
	}
	return nil
}

// CreateContainer creates a container (POST /v1/containers); the server
// answers 202 and creates it asynchronously.
func (c *Client) CreateContainer(ctx context.Context, req api.ContainerCreate) (*api.Container, error) {
	return c.create(ctx, req, false)
}

// RunContainer creates and starts a container (POST /v1/containers?run=true).
func (c *Client) RunContainer(ctx context.Context, req api.ContainerCreate) (*api.Container, error) {
	return c.create(ctx, req, true)
}

func (c *Client) create(ctx context.Context, req api.ContainerCreate, run bool) (*api.Container, error) {
	if req.Image == "" {
		return nil, errors.New("an image is required")
	}
	body, err := c.createBody(req)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	setBool(q, "run", run)
	var out api.Container
	// One key per create: sent again after a transport error, the request
	// finds the container the first attempt made instead of making another.
	if err := c.do(ctx, request{method: http.MethodPost, path: path("containers"), query: q, body: body, out: &out,
		idempotencyKey: newIdempotencyKey()}); err != nil {
		return nil, err
	}
	return &out, nil
}

func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// createBody shapes the request for the negotiated microversion as
// python-zunclient does: command is a string before 1.20 and tty is only
// known from 1.36 (the server rejects unknown fields).
func (c *Client) createBody(req api.ContainerCreate) (any, error) {
	if c.version.AtLeast(36) {
		return req, nil
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("failed to encode container: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("failed to encode container: %w", err)
	}
	delete(m, "tty")
	if !c.version.AtLeast(20) && len(req.Command) > 0 {
		s, err := json.Marshal(QuoteCommand(req.Command))
		if err != nil {
			return nil, fmt.Errorf("failed to encode command: %w", err)
		}
		m["command"] = s
	}
	return m, nil
}

// ListContainers lists containers (GET /v1/containers).
func (c *Client) ListContainers(ctx context.Context, o ContainerListOptions) (*api.ContainerList, error) {
	q := o.values()
	setBool(q, "all_projects", o.AllProjects)
	for k, v := range map[string]string{
		"name": o.Name, "image": o.Image, "project_id": o.ProjectID, "user_id": o.UserID,
		"task_state": o.TaskState, "status": o.Status, "memory": o.Memory, "host": o.Host,
		"auto_remove": o.AutoRemove,
	} {
		setStr(q, k, v)
	}
	items, next, err := collect(ctx, q, o.ListOptions, func(ctx context.Context, q url.Values) ([]api.Container, string, error) {
		var page api.ContainerList
		err := c.do(ctx, request{method: http.MethodGet, path: path("containers"), query: q, out: &page})
		return page.Containers, page.Next, err
	})
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []api.Container{}
	}
	return &api.ContainerList{Containers: items, Next: next}, nil
}

// GetContainer shows a container by UUID or name.
func (c *Client) GetContainer(ctx context.Context, id string, allProjects bool) (*api.Container, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	q := url.Values{}
	setBool(q, "all_projects", allProjects)
	var out api.Container
	if err := c.do(ctx, request{method: http.MethodGet, path: path("containers", id), query: q, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateContainer changes cpu, memory, name or auto_heal (PATCH).
func (c *Client) UpdateContainer(ctx context.Context, id string, patch api.ContainerUpdate) (*api.Container, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if patch == (api.ContainerUpdate{}) {
		return nil, errors.New("nothing to update: set at least one of cpu, memory, name, auto_heal")
	}
	var out api.Container
	if err := c.do(ctx, request{method: http.MethodPatch, path: path("containers", id), body: patch, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteContainer deletes a container (asynchronously from 1.10).
func (c *Client) DeleteContainer(ctx context.Context, id string, o DeleteOptions) error {
	if err := checkID(id); err != nil {
		return err
	}
	q := url.Values{}
	setBool(q, "force", o.Force)
	setBool(q, "stop", o.Stop)
	setBool(q, "all_projects", o.AllProjects)
	return c.do(ctx, request{method: http.MethodDelete, path: path("containers", id), query: q})
}
