package cli

import (
	"strings"

	"github.com/openzun/zun/api"
)

// parseNets reads --net network=N,port=P,v4-fixed-ip=IP,v6-fixed-ip=IP.
func parseNets(list []string) ([]api.CreateNet, error) {
	var out []api.CreateNet
	for _, s := range list {
		var n api.CreateNet
		for _, kv := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || v == "" {
				return nil, usagef("invalid --net %q: want key=value pairs", s)
			}
			switch k {
			case "network":
				n.Network = v
			case "port":
				n.Port = v
			case "v4-fixed-ip":
				n.V4FixedIP = v
			case "v6-fixed-ip":
				n.V6FixedIP = v
			default:
				return nil, usagef("invalid --net key %q: choose from network, port, v4-fixed-ip, v6-fixed-ip", k)
			}
		}
		if (n.Network == "") == (n.Port == "") {
			return nil, usagef("invalid --net %q: give exactly one of network= and port=", s)
		}
		out = append(out, n)
	}
	return out, nil
}
