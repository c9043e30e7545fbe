package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/client"
)

// createFlags are the flags of create and run (python-zunclient §2.1).
type createFlags struct {
	name, memory, workdir, pullPolicy, imageDriver, restart      string
	runtime, hostname, az, healthcheck, host, entrypoint, format string
	registry                                                     string
	cpu                                                          float64
	disk                                                         int
	env, labels, hints, mounts                                   []string
	nets, securityGroups, exposePorts                            []string
	autoRemove, interactive, autoHeal, privileged                bool
}

func (f *createFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	// Everything after the image is the container's command.
	fl.SetInterspersed(false)
	fl.StringVarP(&f.name, "name", "n", "", "Name of the container")
	fl.Float64Var(&f.cpu, "cpu", 0, "The number of virtual CPUs")
	fl.StringVarP(&f.memory, "memory", "m", "", "The container memory size in MiB")
	fl.IntVar(&f.disk, "disk", 0, "The disk size in GiB for the container")
	fl.StringArrayVarP(&f.env, "environment", "e", nil, "The environment variables (KEY=VALUE; may be repeated)")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "The working directory for commands to run in")
	fl.StringArrayVar(&f.labels, "label", nil, "Adds a label to the container (KEY=VALUE; may be repeated)")
	fl.StringVar(&f.pullPolicy, "image-pull-policy", "", "When to pull the image: never, always or ifnotpresent")
	fl.StringVar(&f.imageDriver, "image-driver", "", "The image driver to pull the image with: docker or glance")
	fl.StringVar(&f.registry, "registry", "", "The container image's registry, by UUID or name (API 1.31+)")
	fl.StringVar(&f.restart, "restart", "", "Restart policy: no, on-failure[:max-retry], always or unless-stopped")
	fl.BoolVar(&f.autoRemove, "auto-remove", false, "Automatically remove the container when it exits")
	fl.BoolVarP(&f.interactive, "interactive", "i", false, "Keep STDIN open even if not attached, allocate a pseudo-TTY")
	fl.StringArrayVar(&f.hints, "hint", nil, "Scheduler hints (key=value[,key=value]; may be repeated)")
	fl.StringArrayVar(&f.mounts, "mount", nil, "A volume or file to mount: source=<volume>,destination=<path>, size=<GB>,destination=<path> "+
		"for a new volume, or type=bind,source=<local file>,destination=<path> to inject a file (may be repeated)")
	fl.StringVar(&f.runtime, "runtime", "", `The runtime to use for this container, e.g. "runc"`)
	fl.StringVar(&f.hostname, "hostname", "", "Container host name")
	fl.StringVar(&f.az, "availability-zone", "", "The availability zone of the container")
	fl.BoolVar(&f.autoHeal, "auto-heal", false, "Heal the container when it is missing in docker")
	fl.BoolVar(&f.privileged, "privileged", false, "Give extended privileges to this container")
	fl.StringVar(&f.healthcheck, "healthcheck", "", "Health check: cmd=command,interval=time,retries=integer,timeout=time (s|m|h)")
	fl.StringVar(&f.host, "host", "", "Requested host to create the container on (admin; API 1.39+)")
	fl.StringVar(&f.entrypoint, "entrypoint", "", "Overwrites the default ENTRYPOINT of the image (API 1.40+)")
	fl.StringArrayVar(&f.nets, "net", nil, "A network to attach: network=<name or id>[,v4-fixed-ip=<ip>][,v6-fixed-ip=<ip>] or port=<port id> (may be repeated)")
	fl.StringArrayVar(&f.securityGroups, "security-group", nil, "A security group by name or ID (may be repeated; exclusive with --expose-port)")
	fl.StringArrayVarP(&f.exposePorts, "expose-port", "p", nil, "A port to let in: <port>[/tcp|udp] (may be repeated)")
	addFormatFlag(cmd, &f.format, true)
}

func (f *createFlags) request(cmd *cobra.Command, args []string) (api.ContainerCreate, error) {
	req := api.ContainerCreate{
		Name: f.name, Image: args[0], Memory: f.memory, Disk: f.disk, Workdir: f.workdir,
		ImageDriver: f.imageDriver, Registry: f.registry, Runtime: f.runtime, Hostname: f.hostname,
		AvailabilityZone: f.az, Host: f.host, AutoRemove: f.autoRemove,
		AutoHeal: f.autoHeal, Privileged: f.privileged,
		Interactive: f.interactive, TTY: f.interactive,
	}
	if len(args) > 1 {
		req.Command = args[1:]
	}
	if err := checkFormat(f.format); err != nil {
		return req, err
	}
	if cmd.Flags().Changed("cpu") {
		if f.cpu <= 0 {
			return req, usagef("--cpu must be positive")
		}
		req.CPU = f.cpu
	}
	switch f.pullPolicy {
	case "", "never", "always", "ifnotpresent":
		req.ImagePullPolicy = f.pullPolicy
	default:
		return req, usagef("invalid --image-pull-policy %q: choose from never, always, ifnotpresent", f.pullPolicy)
	}
	var err error
	if req.Environment, err = keyValues("--environment", f.env); err != nil {
		return req, err
	}
	if req.Labels, err = keyValues("--label", f.labels); err != nil {
		return req, err
	}
	if req.Hints, err = keyValues("--hint", f.hints); err != nil {
		return req, err
	}
	if req.Mounts, err = parseMounts(f.mounts, os.ReadFile); err != nil {
		return req, err
	}
	if f.restart != "" {
		if f.autoRemove {
			return req, usagef("--restart and --auto-remove are mutually exclusive")
		}
		if req.RestartPolicy, err = restartPolicy(f.restart); err != nil {
			return req, err
		}
	}
	if f.healthcheck != "" {
		if req.Healthcheck, err = healthcheck(f.healthcheck); err != nil {
			return req, err
		}
	}
	if req.Nets, err = parseNets(f.nets); err != nil {
		return req, err
	}
	if len(f.securityGroups) > 0 && len(f.exposePorts) > 0 {
		return req, usagef("--security-group and --expose-port are mutually exclusive")
	}
	req.SecurityGroups = f.securityGroups
	if len(f.exposePorts) > 0 {
		req.ExposedPorts = map[string]struct{}{}
		for _, p := range f.exposePorts {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			req.ExposedPorts[p] = struct{}{}
		}
	}
	if f.entrypoint != "" {
		if req.Entrypoint, err = shellSplit(f.entrypoint); err != nil {
			return req, usagef("invalid --entrypoint: %w", err)
		}
	}
	return req, nil
}

func (a *app) addContainerCommands(root *cobra.Command) {
	for _, run := range []bool{false, true} {
		f := &createFlags{}
		cmd := &cobra.Command{
			Use:   "create [flags] <image> [<command> ...]",
			Short: "Create a container.",
			Args:  minArgs(1, "an image"),
			RunE: func(cmd *cobra.Command, args []string) error {
				req, err := f.request(cmd, args)
				if err != nil {
					return err
				}
				cl, err := a.client(cmd.Context())
				if err != nil {
					return err
				}
				create := cl.CreateContainer
				if run {
					create = cl.RunContainer
				}
				c, err := create(cmd.Context(), req)
				if err != nil {
					return err
				}
				if err := a.showContainer(f.format, c); err != nil {
					return err
				}
				// Like python-zunclient, run -i attaches, when there is a
				// terminal to attach.
				if run && f.interactive && stdinIsTerminal() {
					if err := waitRunning(cmd.Context(), cl, c.UUID); err != nil {
						return err
					}
					return a.attach(cmd.Context(), cl, c.UUID)
				}
				return nil
			},
		}
		if run {
			cmd.Use = "run [flags] <image> [<command> ...]"
			cmd.Short = "Run a command in a new container."
		}
		f.register(cmd)
		root.AddCommand(cmd)
	}
	root.AddCommand(a.listCommand(), a.showCommand(), a.updateCommand(), a.deleteCommand())
}

// showContainer prints a container as python-zunclient's _show_container:
// addresses flattened to "ip, ip" and a "networks" row appended.
func (a *app) showContainer(format string, c *api.Container) error {
	if format != formatTable {
		return printData(a.stdout, format, c)
	}
	fields, err := fieldsOf(c)
	if err != nil {
		return err
	}
	addrs, nets := flattenAddresses(c.Addresses)
	for i := range fields {
		if fields[i].key == "addresses" {
			fields[i].raw, _ = json.Marshal(addrs)
		}
	}
	netsRaw, _ := json.Marshal(nets)
	fields = append(fields, field{"networks", netsRaw})
	return printDict(a.stdout, fields)
}

func flattenAddresses(m map[string][]api.Address) (addrs, nets string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ips []string
	for _, k := range keys {
		for _, ad := range m[k] {
			ips = append(ips, ad.Addr)
		}
	}
	return strings.Join(ips, ", "), strings.Join(keys, ", ")
}

func (a *app) listCommand() *cobra.Command {
	var (
		o      client.ContainerListOptions
		format string
	)
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "Print a list of available containers.",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
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
			list, err := cl.ListContainers(cmd.Context(), o)
			if err != nil {
				return err
			}
			if format != formatTable {
				return printData(a.stdout, format, list.Containers)
			}
			t := newTable("uuid", "name", "image", "status", "task_state", "addresses", "ports")
			for _, c := range list.Containers {
				addrs, _ := flattenAddresses(c.Addresses)
				t.add(c.UUID, c.Name, c.Image, c.Status, renderAny(c.TaskState), addrs, renderAny(c.Ports))
			}
			return t.write(a.stdout)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.AllProjects, "all-projects", false, "List containers in all projects")
	addPagingFlags(cmd, &o.ListOptions, "container")
	fl.StringVar(&o.Name, "name", "", "List containers according to their name")
	fl.StringVar(&o.Image, "image", "", "List containers according to their image")
	fl.StringVar(&o.ProjectID, "project-id", "", "List containers according to their project_id")
	fl.StringVar(&o.UserID, "user-id", "", "List containers according to their user_id")
	fl.StringVar(&o.TaskState, "task-state", "", "List containers according to their task-state")
	fl.StringVar(&o.Status, "status", "", "List containers according to their status")
	fl.StringVar(&o.Memory, "memory", "", "List containers according to their memory size in MiB")
	fl.StringVar(&o.Host, "host", "", "List containers according to their hostname")
	fl.StringVar(&o.AutoRemove, "auto-remove", "", "List containers according to whether they are auto-removed on exiting")
	addFormatFlag(cmd, &format, true)
	return cmd
}

func addPagingFlags(cmd *cobra.Command, o *client.ListOptions, what string) {
	fl := cmd.Flags()
	fl.StringVar(&o.Marker, "marker", "", fmt.Sprintf("The last %s UUID of the previous page; displays the %ss after it", what, what))
	fl.IntVar(&o.Limit, "limit", 0, fmt.Sprintf("Maximum number of %ss to return", what))
	fl.StringVar(&o.SortKey, "sort-key", "", "Column to sort results by")
	fl.StringVar(&o.SortDir, "sort-dir", "", `Direction to sort: "asc" or "desc"`)
}

func checkSortDir(d string) error {
	switch d {
	case "", "asc", "desc":
		return nil
	}
	return usagef("invalid --sort-dir %q: choose from asc, desc", d)
}

func (a *app) showCommand() *cobra.Command {
	var (
		format      string
		allProjects bool
	)
	cmd := &cobra.Command{
		Use:   "show [flags] <container>",
		Short: "Show details of a container.",
		Args:  exactArgs(1, "a container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			c, err := cl.GetContainer(cmd.Context(), args[0], allProjects)
			if err != nil {
				return err
			}
			return a.showContainer(format, c)
		},
	}
	addFormatFlag(cmd, &format, true)
	cmd.Flags().BoolVar(&allProjects, "all-projects", false, "Show container(s) in all projects by name")
	return cmd
}

func (a *app) updateCommand() *cobra.Command {
	var (
		cpu                  float64
		memory, name, format string
		autoHeal, noAutoHeal bool
	)
	cmd := &cobra.Command{
		Use:   "update [flags] <container>",
		Short: "Update one or more attributes of the container.",
		Args:  exactArgs(1, "a container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			var p api.ContainerUpdate
			fl := cmd.Flags()
			if fl.Changed("cpu") {
				p.CPU = &cpu
			}
			if fl.Changed("memory") {
				p.Memory = &memory
			}
			if fl.Changed("name") {
				p.Name = &name
			}
			switch {
			case autoHeal && noAutoHeal:
				return usagef("--auto-heal and --no-auto-heal are mutually exclusive")
			case autoHeal || noAutoHeal:
				p.AutoHeal = &autoHeal
			}
			if p == (api.ContainerUpdate{}) {
				return errors.New("you must update at least one property")
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			c, err := cl.UpdateContainer(cmd.Context(), args[0], p)
			if err != nil {
				return err
			}
			return a.showContainer(format, c)
		},
	}
	fl := cmd.Flags()
	fl.Float64Var(&cpu, "cpu", 0, "The number of virtual CPUs")
	fl.StringVarP(&memory, "memory", "m", "", "The container memory size in MiB")
	fl.StringVar(&name, "name", "", "The new name for the container")
	fl.BoolVar(&autoHeal, "auto-heal", false, "Heal the container when it is missing in docker")
	fl.BoolVar(&noAutoHeal, "no-auto-heal", false, "Do not heal the container")
	addFormatFlag(cmd, &format, true)
	return cmd
}

func (a *app) deleteCommand() *cobra.Command {
	var o client.DeleteOptions
	cmd := &cobra.Command{
		Use:   "delete [flags] <container> [<container> ...]",
		Short: "Delete specified containers.",
		Args:  minArgs(1, "at least one container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			return a.each(args, "delete", func(id string) error {
				return cl.DeleteContainer(cmd.Context(), id, o)
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.Force, "force", "f", false, "Force delete the container")
	fl.BoolVarP(&o.Stop, "stop", "s", false, "Stop the running container first before delete")
	fl.BoolVar(&o.AllProjects, "all-projects", false, "Delete container(s) in all projects by name")
	return cmd
}
