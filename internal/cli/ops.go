package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openzun/zun/client"
)

func (a *app) addOpsCommands(root *cobra.Command) {
	root.AddCommand(a.logsCommand(), a.topCommand(), a.statsCommand(), a.execCommand(),
		a.attachCommand(), a.cpCommand())
}

// writeText writes s ending with exactly one newline when non-empty.
func writeText(w io.Writer, s string) error {
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	if _, err := io.WriteString(w, s); err != nil {
		return fmt.Errorf("failed to write output: %w", err)
	}
	return nil
}

func (a *app) logsCommand() *cobra.Command {
	var o client.LogsOptions
	cmd := &cobra.Command{
		Use:   "logs [flags] <container>",
		Short: "Get logs of a container.",
		Args:  exactArgs(1, "a container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			logs, err := cl.ContainerLogs(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			return writeText(a.stdout, logs)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.Stdout, "stdout", false, "Only stdout logs of container")
	fl.BoolVar(&o.Stderr, "stderr", false, "Only stderr logs of container")
	fl.StringVar(&o.Since, "since", "", "Show logs since a given datetime or integer epoch (in seconds)")
	fl.BoolVarP(&o.Timestamps, "timestamps", "t", false, "Show timestamps")
	fl.StringVar(&o.Tail, "tail", "all", "Number of lines to show from the end of the logs")
	return cmd
}

func (a *app) topCommand() *cobra.Command {
	var (
		pids   []string
		format string
	)
	cmd := &cobra.Command{
		Use:   "top [flags] <container>",
		Short: "Display the running processes inside the container.",
		Args:  exactArgs(1, "a container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			top, err := cl.ContainerTop(cmd.Context(), args[0], strings.Join(pids, " "))
			if err != nil {
				return err
			}
			if format != formatTable {
				return printData(a.stdout, format, top)
			}
			// python-zunclient prints each cell as "%-20s".
			var b strings.Builder
			row := func(cells []string) {
				var line strings.Builder
				for _, c := range cells {
					fmt.Fprintf(&line, "%-20s ", c)
				}
				b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
			}
			row(top.Titles)
			for _, p := range top.Processes {
				row(p)
			}
			return writeText(a.stdout, b.String())
		},
	}
	cmd.Flags().StringArrayVar(&pids, "pid", nil, "ps arguments, e.g. --pid aux (may be repeated)")
	addFormatFlag(cmd, &format, true)
	return cmd
}

func (a *app) statsCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "stats [flags] <container>",
		Short: "Display stats of the container.",
		Args:  exactArgs(1, "a container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			st, err := cl.ContainerStats(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if format != formatTable {
				return printData(a.stdout, format, st)
			}
			return printDict(a.stdout, statsFields(st))
		},
	}
	addFormatFlag(cmd, &format, true)
	return cmd
}

// statsFields orders the stats keys as Zun sends them, unknown keys last.
func statsFields(st client.Stats) []field {
	var fields []field
	seen := map[string]bool{}
	add := func(k string) {
		raw, _ := json.Marshal(st[k])
		fields = append(fields, field{k, raw})
		seen[k] = true
	}
	for _, k := range client.StatsKeys {
		if _, ok := st[k]; ok {
			add(k)
		}
	}
	var rest []string
	for k := range st {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(k)
	}
	return fields
}

func (a *app) execCommand() *cobra.Command {
	var interactive bool
	cmd := &cobra.Command{
		Use:   "exec <container> <command> [<arg> ...]",
		Short: "Execute command in a running container.",
		Long: "Execute command in a running container, print its output and exit " +
			"with its exit code.",
		Args: minArgs(2, "a container and a command"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			if interactive {
				return a.execInteractive(cmd.Context(), cl, args[0], client.QuoteCommand(args[1:]))
			}
			res, err := cl.Execute(cmd.Context(), args[0], client.ExecOptions{Command: client.QuoteCommand(args[1:])})
			if err != nil {
				return err
			}
			if res.Output != nil {
				if err := writeText(a.stdout, *res.Output); err != nil {
					return err
				}
			}
			if res.ExitCode != nil {
				a.exitCode = *res.ExitCode
			}
			return nil
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().BoolVarP(&interactive, "interactive", "i", false, "Keep STDIN open and allocate a pseudo-TTY; type ~. after a newline to detach")
	return cmd
}
