package client

import (
	"context"
	"net/http"
	"net/url"
)

// ContainerNetwork is one port of a container in network_list (1.18+).
type ContainerNetwork struct {
	NetID    string `json:"net_id"`
	PortID   string `json:"port_id"`
	FixedIPs []struct {
		IPAddress string `json:"ip_address"`
		Version   int    `json:"version"`
		SubnetID  string `json:"subnet_id"`
	} `json:"fixed_ips"`
}

// AttachNetwork connects a container to a network (by name or ID) or an
// existing port, optionally with a fixed address on the network.
func (c *Client) AttachNetwork(ctx context.Context, id, network, port, fixedIP string) error {
	q := url.Values{}
	setStr(q, "network", network)
	setStr(q, "port", port)
	setStr(q, "fixed_ip", fixedIP)
	return c.action(ctx, id, "network_attach", q, nil)
}

// DetachNetwork disconnects a container from a network or port.
func (c *Client) DetachNetwork(ctx context.Context, id, network, port string) error {
	q := url.Values{}
	setStr(q, "network", network)
	setStr(q, "port", port)
	return c.action(ctx, id, "network_detach", q, nil)
}

// ListContainerNetworks lists a container's ports and addresses.
func (c *Client) ListContainerNetworks(ctx context.Context, id string) ([]ContainerNetwork, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var out struct {
		Networks []ContainerNetwork `json:"networks"`
	}
	err := c.do(ctx, request{method: http.MethodGet, path: path("containers", id, "network_list"), out: &out})
	return out.Networks, err
}
