package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/openzun/zun/client"
)

func (a *app) addLifecycleCommands(root *cobra.Command) {
	simple := func(use, verb, short string, call func(*client.Client) func(context.Context, string) error) *cobra.Command {
		return &cobra.Command{
			Use:   use + " <container> [<container> ...]",
			Short: short,
			Args:  minArgs(1, "at least one container"),
			RunE: func(cmd *cobra.Command, args []string) error {
				cl, err := a.client(cmd.Context())
				if err != nil {
					return err
				}
				fn := call(cl)
				return a.each(args, verb, func(id string) error { return fn(cmd.Context(), id) })
			},
		}
	}
	root.AddCommand(
		simple("start", "start", "Start specified containers.",
			func(c *client.Client) func(context.Context, string) error { return c.StartContainer }),
		simple("pause", "pause", "Pause specified containers.",
			func(c *client.Client) func(context.Context, string) error { return c.PauseContainer }),
		simple("unpause", "unpause", "Unpause specified containers.",
			func(c *client.Client) func(context.Context, string) error { return c.UnpauseContainer }),
	)

	for _, reboot := range []bool{false, true} {
		var timeout int
		use, verb, short, help := "stop", "stop", "Stop specified containers.", "Seconds to wait for stop before killing (container)s"
		if reboot {
			use, verb, short, help = "restart", "restart", "Restart specified containers.", "Seconds to wait for stop before restarting (container)s"
		}
		cmd := &cobra.Command{
			Use:   use + " [flags] <container> [<container> ...]",
			Short: short,
			Args:  minArgs(1, "at least one container"),
			RunE: func(cmd *cobra.Command, args []string) error {
				cl, err := a.client(cmd.Context())
				if err != nil {
					return err
				}
				fn := cl.StopContainer
				if reboot {
					fn = cl.RebootContainer
				}
				return a.each(args, verb, func(id string) error { return fn(cmd.Context(), id, timeout) })
			},
		}
		cmd.Flags().IntVarP(&timeout, "timeout", "t", 10, help)
		root.AddCommand(cmd)
	}

	var signal string
	kill := &cobra.Command{
		Use:   "kill [flags] <container> [<container> ...]",
		Short: "Kill one or more running container(s).",
		Args:  minArgs(1, "at least one container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			return a.eachMsg(args, "kill signal to", "Kill signal", func(id string) error {
				return cl.KillContainer(cmd.Context(), id, signal)
			})
		},
	}
	kill.Flags().StringVarP(&signal, "signal", "s", "", "The signal to kill")
	root.AddCommand(kill)

	var ro client.RebuildOptions
	rebuild := &cobra.Command{
		Use:   "rebuild [flags] <container> [<container> ...]",
		Short: "Rebuild specified containers.",
		Args:  minArgs(1, "at least one container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			return a.each(args, "rebuild", func(id string) error {
				return cl.RebuildContainer(cmd.Context(), id, ro)
			})
		},
	}
	rebuild.Flags().StringVar(&ro.Image, "image", "", "The image for the specified container to update")
	rebuild.Flags().StringVar(&ro.ImageDriver, "image-driver", "", "The image driver to pull the image with: docker or glance")
	root.AddCommand(rebuild)
}
