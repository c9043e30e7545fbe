package cli

import (
	"github.com/spf13/cobra"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/client"
)

func (a *app) addActionCommands(root *cobra.Command) {
	var listFormat, showFormat string
	list := &cobra.Command{
		Use:   "action-list [flags] <container>",
		Short: "Print a list of actions done on a container.",
		Args:  exactArgs(1, "a container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(listFormat); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			actions, err := cl.ListContainerActions(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if listFormat != formatTable {
				return printData(a.stdout, listFormat, actions)
			}
			t := newTable("user_id", "container_uuid", "request_id", "action", "message", "start_time")
			for _, ac := range actions {
				t.add(ac.UserID, ac.ContainerUUID, ac.RequestID, ac.Action, renderAny(ac.Message), renderAny(ac.StartTime))
			}
			return t.write(a.stdout)
		},
	}
	addFormatFlag(list, &listFormat, true)
	show := &cobra.Command{
		Use:   "action-show [flags] <container> <request_id>",
		Short: "Describe a specific action.",
		Args:  exactArgs(2, "a container and a request ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(showFormat); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			ac, err := cl.GetContainerAction(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			return printObject(a.stdout, showFormat, ac)
		},
	}
	addFormatFlag(show, &showFormat, true)
	root.AddCommand(list, show)
}

func (a *app) addHostCommands(root *cobra.Command) {
	var (
		o                      client.ListOptions
		listFormat, showFormat string
	)
	list := &cobra.Command{
		Use:   "host-list [flags]",
		Short: "Print a list of available hosts.",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(listFormat); err != nil {
				return err
			}
			if err := checkSortDir(o.SortDir); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			o.All = true
			hosts, err := cl.ListHosts(cmd.Context(), o)
			if err != nil {
				return err
			}
			if listFormat != formatTable {
				return printData(a.stdout, listFormat, hosts.Hosts)
			}
			t := newTable("uuid", "hostname", "mem_total", "cpus", "disk_total")
			for _, h := range hosts.Hosts {
				t.add(h.UUID, h.Hostname, renderAny(h.MemTotal), renderAny(h.CPUs), renderAny(h.DiskTotal))
			}
			return t.write(a.stdout)
		},
	}
	addPagingFlags(list, &o, "host")
	addFormatFlag(list, &listFormat, true)
	show := &cobra.Command{
		Use:   "host-show [flags] <host>",
		Short: "Show details of a host.",
		Args:  exactArgs(1, "a host"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(showFormat); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			h, err := cl.GetHost(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printObject(a.stdout, showFormat, h)
		},
	}
	addFormatFlag(show, &showFormat, true)
	root.AddCommand(list, show)
}

func (a *app) addServiceCommands(root *cobra.Command) {
	var listFormat string
	list := &cobra.Command{
		Use:   "service-list [flags]",
		Short: "Print a list of zun services.",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(listFormat); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			svcs, err := cl.ListServices(cmd.Context())
			if err != nil {
				return err
			}
			if listFormat != formatTable {
				return printData(a.stdout, listFormat, svcs)
			}
			t := newTable("Id", "Host", "Binary", "State", "Disabled", "Disabled Reason", "Updated At", "Availability Zone")
			for _, s := range svcs {
				t.add(renderAny(s.ID), s.Host, s.Binary, s.State, renderAny(s.Disabled),
					renderAny(s.DisabledReason), renderAny(s.UpdatedAt), s.AvailabilityZone)
			}
			return t.write(a.stdout)
		},
	}
	addFormatFlag(list, &listFormat, true)

	del := &cobra.Command{
		Use:   "service-delete <host> <binary>",
		Short: "Delete the Zun binaries/services.",
		Args:  exactArgs(2, "a host and a binary"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			if err := cl.DeleteService(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			a.printf("Request to delete binary %s on host %s has been accepted.\n", args[1], args[0])
			return nil
		},
	}

	// state commands print the returned {"service":{...}} like print_dict.
	state := func(use, short string, call func(cmd *cobra.Command, cl *client.Client, host, binary string) (*client.ServiceState, error)) *cobra.Command {
		var format string
		cmd := &cobra.Command{
			Use:   use + " [flags] <host> <binary>",
			Short: short,
			Args:  exactArgs(2, "a host and a binary"),
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := checkFormat(format); err != nil {
					return err
				}
				cl, err := a.client(cmd.Context())
				if err != nil {
					return err
				}
				st, err := call(cmd, cl, args[0], args[1])
				if err != nil {
					return err
				}
				return printObject(a.stdout, format, st)
			},
		}
		addFormatFlag(cmd, &format, true)
		return cmd
	}
	enable := state("service-enable", "Enable the Zun service.",
		func(cmd *cobra.Command, cl *client.Client, host, binary string) (*client.ServiceState, error) {
			return cl.EnableService(cmd.Context(), host, binary)
		})
	var reason string
	disable := state("service-disable", "Disable the Zun service.",
		func(cmd *cobra.Command, cl *client.Client, host, binary string) (*client.ServiceState, error) {
			return cl.DisableService(cmd.Context(), host, binary, reason)
		})
	disable.Flags().StringVar(&reason, "reason", "", "Reason for disabling the service")
	var unset bool
	forceDown := state("service-force-down", "Force Zun service to down or unset the force state.",
		func(cmd *cobra.Command, cl *client.Client, host, binary string) (*client.ServiceState, error) {
			return cl.ForceDownService(cmd.Context(), host, binary, !unset)
		})
	forceDown.Flags().BoolVar(&unset, "unset", false, "Unset the force state down of service")
	root.AddCommand(list, del, enable, disable, forceDown)
}

func (a *app) addZoneCommands(root *cobra.Command) {
	var format string
	cmd := &cobra.Command{
		Use:   "availability-zone-list [flags]",
		Short: "Print a list of availability zones.",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			zones, err := cl.ListAvailabilityZones(cmd.Context())
			if err != nil {
				return err
			}
			if format != formatTable {
				return printData(a.stdout, format, zones)
			}
			t := newTable("availability_zone")
			for _, z := range zones {
				t.add(z.AvailabilityZone)
			}
			return t.write(a.stdout)
		},
	}
	addFormatFlag(cmd, &format, true)
	root.AddCommand(cmd)
}

func (a *app) addVersionCommands(root *cobra.Command) {
	var format string
	cmd := &cobra.Command{
		Use:   "version-list [flags]",
		Short: "List all API versions.",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			vs, err := cl.Versions(cmd.Context())
			if err != nil {
				return err
			}
			if format != formatTable {
				return printData(a.stdout, format, map[string]any{
					"client": map[string]string{"min_version": api.MinVersion.String(), "max_version": api.MaxVersion.String()},
					"server": vs,
				})
			}
			a.printf("Client supported API versions:\nMinimum version %s\nMaximum version %s\n\nServer supported API versions:\n",
				api.MinVersion, api.MaxVersion)
			t := newTable("Id", "Status", "Min Version", "Max Version")
			for _, v := range vs {
				t.add(v.ID, v.Status, v.MinVersion, v.MaxVersion)
			}
			return t.write(a.stdout)
		},
	}
	addFormatFlag(cmd, &format, true)
	root.AddCommand(cmd)
}
