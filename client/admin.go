package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/openzun/zun/api"
)

// ServiceState is the answer of the service enable, disable and
// force_down calls; only the fields the call changes are set.
type ServiceState struct {
	Host           string  `json:"host"`
	Binary         string  `json:"binary"`
	Disabled       *bool   `json:"disabled,omitempty"`
	DisabledReason *string `json:"disabled_reason,omitempty"`
	ForcedDown     *bool   `json:"forced_down,omitempty"`
}

// ListHosts lists compute hosts (admin, 1.4+).
func (c *Client) ListHosts(ctx context.Context, o ListOptions) (*api.HostList, error) {
	items, next, err := collect(ctx, o.values(), o, func(ctx context.Context, q url.Values) ([]api.Host, string, error) {
		var page api.HostList
		err := c.do(ctx, request{method: http.MethodGet, path: path("hosts"), query: q, out: &page})
		return page.Hosts, page.Next, err
	})
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []api.Host{}
	}
	return &api.HostList{Hosts: items, Next: next}, nil
}

// GetHost shows a host by UUID or hostname.
func (c *Client) GetHost(ctx context.Context, id string) (*api.Host, error) {
	if id == "" {
		return nil, errors.New("a host ID or name is required")
	}
	var out api.Host
	if err := c.do(ctx, request{method: http.MethodGet, path: path("hosts", id), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListServices lists the zun services (admin).
func (c *Client) ListServices(ctx context.Context) ([]api.Service, error) {
	var out api.ServiceList
	if err := c.do(ctx, request{method: http.MethodGet, path: path("services"), out: &out}); err != nil {
		return nil, err
	}
	if out.Services == nil {
		out.Services = []api.Service{}
	}
	return out.Services, nil
}

func serviceQuery(host, binary string) (url.Values, error) {
	if host == "" || binary == "" {
		return nil, errors.New("a host and a binary are required")
	}
	return url.Values{"host": {host}, "binary": {binary}}, nil
}

// DeleteService deletes the record of binary on host.
func (c *Client) DeleteService(ctx context.Context, host, binary string) error {
	q, err := serviceQuery(host, binary)
	if err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: path("services"), query: q})
}

func (c *Client) serviceAction(ctx context.Context, name string, q url.Values) (*ServiceState, error) {
	var out struct {
		Service ServiceState `json:"service"`
	}
	if err := c.do(ctx, request{method: http.MethodPut, path: path("services", name), query: q, out: &out}); err != nil {
		return nil, err
	}
	return &out.Service, nil
}

// EnableService enables binary on host for scheduling.
func (c *Client) EnableService(ctx context.Context, host, binary string) (*ServiceState, error) {
	q, err := serviceQuery(host, binary)
	if err != nil {
		return nil, err
	}
	return c.serviceAction(ctx, "enable", q)
}

// DisableService disables binary on host, recording reason when given.
func (c *Client) DisableService(ctx context.Context, host, binary, reason string) (*ServiceState, error) {
	q, err := serviceQuery(host, binary)
	if err != nil {
		return nil, err
	}
	setStr(q, "disabled_reason", reason)
	return c.serviceAction(ctx, "disable", q)
}

// ForceDownService marks binary on host down (forcedDown) or clears it.
func (c *Client) ForceDownService(ctx context.Context, host, binary string, forcedDown bool) (*ServiceState, error) {
	q, err := serviceQuery(host, binary)
	if err != nil {
		return nil, err
	}
	q.Set("forced_down", strconv.FormatBool(forcedDown))
	return c.serviceAction(ctx, "force_down", q)
}

// ListAvailabilityZones lists the availability zones of the services.
func (c *Client) ListAvailabilityZones(ctx context.Context) ([]api.AvailabilityZone, error) {
	q := url.Values{}
	items, _, err := collect(ctx, q, ListOptions{All: true}, func(ctx context.Context, q url.Values) ([]api.AvailabilityZone, string, error) {
		var page api.AvailabilityZoneList
		err := c.do(ctx, request{method: http.MethodGet, path: path("availability_zones"), query: q, out: &page})
		return page.AvailabilityZones, page.Next, err
	})
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []api.AvailabilityZone{}
	}
	return items, nil
}
