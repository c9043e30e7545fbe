package client

import (
	"context"
	"net/http"

	"github.com/openzun/zun/api"
)

// ServerVersion is one entry of the version document (GET /).
type ServerVersion struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	MinVersion string     `json:"min_version"`
	MaxVersion string     `json:"max_version"`
	Links      []api.Link `json:"links,omitempty"`
}

// Versions lists the API versions the server supports (GET on the
// endpoint root, which needs no authentication).
func (c *Client) Versions(ctx context.Context) ([]ServerVersion, error) {
	var out struct {
		Versions []ServerVersion `json:"versions"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/", out: &out}); err != nil {
		return nil, err
	}
	if out.Versions == nil {
		out.Versions = []ServerVersion{}
	}
	return out.Versions, nil
}
