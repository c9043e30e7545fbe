package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/client"
)

func (a *app) addImageCommands(root *cobra.Command) {
	var (
		lo                                 client.ImageListOptions
		listFormat, showFormat, pullFormat string
		pullPolicy, pullDriver, registry   string
		wait                               bool
		searchDriver                       string
		exact                              bool
	)
	list := &cobra.Command{
		Use: "image-list [flags]", Short: "Print a list of available images.", Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(listFormat); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			l, err := cl.ListImages(cmd.Context(), lo)
			if err != nil {
				return err
			}
			if listFormat != formatTable {
				return printData(a.stdout, listFormat, l.Images)
			}
			t := newTable("uuid", "image_id", "repo", "tag", "size", "host", "status")
			for _, im := range l.Images {
				t.add(im.UUID, im.ImageID, im.Repo, im.Tag, fmt.Sprint(im.Size), im.Host, im.Status)
			}
			return t.write(a.stdout)
		},
	}
	addFormatFlag(list, &listFormat, true)
	list.Flags().StringVar(&lo.Marker, "marker", "", "The last image UUID of the previous page")
	list.Flags().IntVar(&lo.Limit, "limit", 0, "Maximum number of images to return")
	list.Flags().StringVar(&lo.SortKey, "sort-key", "", "Column to sort results by")
	list.Flags().StringVar(&lo.SortDir, "sort-dir", "", "Direction to sort: asc or desc")
	list.Flags().StringVar(&lo.Host, "host", "", "List the images of this host")

	show := &cobra.Command{
		Use: "image-show [flags] <uuid>", Short: "Describe a specific image.", Args: exactArgs(1, "an image"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			im, err := cl.GetImage(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printObject(a.stdout, showFormat, im)
		},
	}
	addFormatFlag(show, &showFormat, true)

	del := &cobra.Command{
		Use: "image-delete <uuid>...", Short: "Delete specified images from their hosts.", Args: minArgs(1, "an image"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			return a.eachOf("image", args, "delete", "Delete", func(id string) error {
				return cl.DeleteImage(cmd.Context(), id)
			})
		},
	}

	search := &cobra.Command{
		Use: "image-search [flags] <image>", Short: "Search images in the image driver's repository.", Args: exactArgs(1, "an image name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			res, err := cl.SearchImages(cmd.Context(), args[0], searchDriver, exact)
			if err != nil {
				return err
			}
			t := newTable("ID", "Name", "Tags", "Status", "Size", "Metadata")
			for _, r := range res {
				t.add(r.ID, r.Name, renderAny(r.Tags), r.Status, fmt.Sprint(r.Size), renderAny(r.Metadata))
			}
			return t.write(a.stdout)
		},
	}
	search.Flags().StringVar(&searchDriver, "image-driver", "", "The image driver to search with: glance (docker cannot search here)")
	search.Flags().BoolVar(&exact, "exact-match", false, "Match the name exactly")

	pull := &cobra.Command{
		Use: "pull [flags] <image> <host>", Short: "Pull an image into a host.", Args: exactArgs(2, "an image and a host"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			im, err := cl.PullImage(cmd.Context(), api.ImagePull{Repo: args[0], Host: args[1], ImagePullPolicy: pullPolicy,
				ImageDriver: pullDriver, Registry: registry})
			if err != nil {
				return err
			}
			if wait {
				if im, err = a.waitImage(cmd, cl, im.UUID); err != nil {
					return err
				}
			}
			return printObject(a.stdout, pullFormat, im)
		},
	}
	addFormatFlag(pull, &pullFormat, true)
	pull.Flags().StringVar(&pullPolicy, "image-pull-policy", "", "When to pull: never, always or ifnotpresent")
	pull.Flags().StringVar(&pullDriver, "image-driver", "", "docker or glance")
	pull.Flags().StringVar(&registry, "registry", "", "The registry (UUID or name) whose credentials pull the image")
	pull.Flags().BoolVar(&wait, "wait", false, "Wait until the host has the image, printing its progress")

	var commitFormat string
	commit := &cobra.Command{
		Use: "commit <container> <repository[:tag]>", Short: "Create a new image from a container's changes.", Args: exactArgs(2, "a container and a repository"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			repo, tag := args[1], ""
			if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
				repo, tag = repo[:i], repo[i+1:]
			}
			id, err := cl.CommitContainer(cmd.Context(), args[0], repo, tag)
			if err != nil {
				return err
			}
			if commitFormat != formatTable {
				return printData(a.stdout, commitFormat, api.CommitResult{UUID: id})
			}
			fmt.Fprintf(a.stdout, "Request to commit container %s has been accepted. The image is %s.\n", args[0], id)
			return nil
		},
	}
	addFormatFlag(commit, &commitFormat, true)
	root.AddCommand(list, show, del, search, pull, commit)
}

// waitImage polls an image record until it is ready or failed.
func (a *app) waitImage(cmd *cobra.Command, cl *client.Client, id string) (*api.Image, error) {
	for {
		im, err := cl.GetImage(cmd.Context(), id)
		if err != nil {
			return nil, err
		}
		switch im.Status {
		case "ready":
			return im, nil
		case "error":
			return nil, fmt.Errorf("pull of %s:%s failed: %s", im.Repo, im.Tag, im.Reason)
		}
		fmt.Fprintf(a.stderr, "image %s:%s: %s\n", im.Repo, im.Tag, im.Status)
		select {
		case <-cmd.Context().Done():
			return nil, cmd.Context().Err()
		case <-time.After(time.Second):
		}
	}
}
