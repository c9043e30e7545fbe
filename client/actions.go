package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/openzun/zun/api"
)

// RebuildOptions are the parameters of POST .../rebuild; empty fields keep
// the container's current image and image driver.
type RebuildOptions struct {
	Image       string
	ImageDriver string
}

// action POSTs .../{id}/{name} with q as query string, as python-zunclient.
func (c *Client) action(ctx context.Context, id, name string, q url.Values, out any) error {
	if err := checkID(id); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodPost, path: path("containers", id, name), query: q, out: out})
}

func timeoutQuery(timeout int) url.Values {
	q := url.Values{}
	if timeout >= 0 {
		q.Set("timeout", strconv.Itoa(timeout))
	}
	return q
}

// StartContainer starts a Created, Stopped or Error container.
func (c *Client) StartContainer(ctx context.Context, id string) error {
	return c.action(ctx, id, "start", nil, nil)
}

// StopContainer stops a running container, killing it after timeout
// seconds; a negative timeout lets the server choose.
func (c *Client) StopContainer(ctx context.Context, id string, timeout int) error {
	return c.action(ctx, id, "stop", timeoutQuery(timeout), nil)
}

// RebootContainer restarts a container (POST .../reboot); timeout as in
// StopContainer.
func (c *Client) RebootContainer(ctx context.Context, id string, timeout int) error {
	return c.action(ctx, id, "reboot", timeoutQuery(timeout), nil)
}

// PauseContainer pauses a running container.
func (c *Client) PauseContainer(ctx context.Context, id string) error {
	return c.action(ctx, id, "pause", nil, nil)
}

// UnpauseContainer resumes a paused container.
func (c *Client) UnpauseContainer(ctx context.Context, id string) error {
	return c.action(ctx, id, "unpause", nil, nil)
}

// KillContainer sends signal ("SIGTERM", "KILL", "9"; empty for the
// server's default) to a running container.
func (c *Client) KillContainer(ctx context.Context, id, signal string) error {
	q := url.Values{}
	setStr(q, "signal", signal)
	return c.action(ctx, id, "kill", q, nil)
}

// RebuildContainer recreates a container, optionally from another image.
func (c *Client) RebuildContainer(ctx context.Context, id string, o RebuildOptions) error {
	q := url.Values{}
	setStr(q, "image", o.Image)
	setStr(q, "image_driver", o.ImageDriver)
	return c.action(ctx, id, "rebuild", q, nil)
}

// ListContainerActions lists the actions recorded on a container.
func (c *Client) ListContainerActions(ctx context.Context, id string) ([]api.ContainerAction, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var out api.ContainerActionList
	if err := c.do(ctx, request{method: http.MethodGet, path: path("containers", id, "container_actions"), out: &out}); err != nil {
		return nil, err
	}
	if out.ContainerActions == nil {
		out.ContainerActions = []api.ContainerAction{}
	}
	return out.ContainerActions, nil
}

// GetContainerAction shows one action, with its events, by request ID.
func (c *Client) GetContainerAction(ctx context.Context, id, requestID string) (*api.ContainerAction, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var out api.ContainerAction
	err := c.do(ctx, request{method: http.MethodGet, path: path("containers", id, "container_actions", requestID), out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
