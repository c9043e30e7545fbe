package cli

import (
	"strings"

	"github.com/spf13/cobra"

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

func (a *app) addNetworkCommands(root *cobra.Command) {
	var network, port, fixedIP string
	attach := &cobra.Command{
		Use:   "network-attach [flags] <container>",
		Short: "Attach a network to the container.",
		Args:  exactArgs(1, "a container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (network == "") == (port == "") {
				return usagef("give exactly one of --network and --port")
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			return cl.AttachNetwork(cmd.Context(), args[0], network, port, fixedIP)
		},
	}
	attach.Flags().StringVar(&network, "network", "", "The neutron network to attach (name or ID)")
	attach.Flags().StringVar(&port, "port", "", "The neutron port to attach")
	attach.Flags().StringVar(&fixedIP, "fixed-ip", "", "The IPv4 or IPv6 address on the network")
	root.AddCommand(attach)

	var dnet, dport string
	detach := &cobra.Command{
		Use:   "network-detach [flags] <container>",
		Short: "Detach a network from the container.",
		Args:  exactArgs(1, "a container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (dnet == "") == (dport == "") {
				return usagef("give exactly one of --network and --port")
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			return cl.DetachNetwork(cmd.Context(), args[0], dnet, dport)
		},
	}
	detach.Flags().StringVar(&dnet, "network", "", "The neutron network to detach (name or ID)")
	detach.Flags().StringVar(&dport, "port", "", "The neutron port to detach")
	root.AddCommand(detach)

	var format string
	list := &cobra.Command{
		Use:   "network-list [flags] <container>",
		Short: "List the networks of a container.",
		Args:  exactArgs(1, "a container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			nets, err := cl.ListContainerNetworks(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if format != formatTable {
				return printData(a.stdout, format, nets)
			}
			t := newTable("net_id", "port_id", "fixed_ips")
			for _, n := range nets {
				t.add(n.NetID, n.PortID, renderAny(n.FixedIPs))
			}
			return t.write(a.stdout)
		},
	}
	addFormatFlag(list, &format, true)
	root.AddCommand(list)
}
