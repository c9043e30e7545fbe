package cli

import (
	"github.com/spf13/cobra"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/client"
)

// registryFlags are --name --domain --username --password; only the flags
// given are sent.
func registryFlags(cmd *cobra.Command, f *api.RegistryFields) func() {
	var name, domain, user, pass string
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "The name of the registry")
	fl.StringVar(&domain, "domain", "", "The domain of the registry (host[:port])")
	fl.StringVar(&user, "username", "", "The username to log in to the registry")
	fl.StringVar(&pass, "password", "", "The password to log in to the registry")
	return func() {
		for flag, dst := range map[string]**string{"name": &f.Name, "domain": &f.Domain, "username": &f.Username, "password": &f.Password} {
			if fl.Changed(flag) {
				v, _ := fl.GetString(flag)
				*dst = &v
			}
		}
	}
}

func (a *app) addRegistryCommands(root *cobra.Command) {
	var createF, updateF api.RegistryFields
	var createFormat, updateFormat, showFormat, listFormat string
	create := &cobra.Command{
		Use: "registry-create [flags]", Short: "Create a registry.", Args: exactArgs(0, "no arguments"),
	}
	collectCreate := registryFlags(create, &createF)
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		collectCreate()
		if createF.Domain == nil {
			return usagef("--domain is required")
		}
		cl, err := a.client(cmd.Context())
		if err != nil {
			return err
		}
		r, err := cl.CreateRegistry(cmd.Context(), createF)
		if err != nil {
			return err
		}
		return printObject(a.stdout, createFormat, r)
	}
	addFormatFlag(create, &createFormat, true)

	update := &cobra.Command{
		Use: "registry-update [flags] <registry>", Short: "Update one or more attributes of the registry.", Args: exactArgs(1, "a registry"),
	}
	collectUpdate := registryFlags(update, &updateF)
	update.RunE = func(cmd *cobra.Command, args []string) error {
		collectUpdate()
		cl, err := a.client(cmd.Context())
		if err != nil {
			return err
		}
		r, err := cl.UpdateRegistry(cmd.Context(), args[0], updateF)
		if err != nil {
			return err
		}
		return printObject(a.stdout, updateFormat, r)
	}
	addFormatFlag(update, &updateFormat, true)

	show := &cobra.Command{
		Use: "registry-show [flags] <registry>", Short: "Show details of a registry.", Args: exactArgs(1, "a registry"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			r, err := cl.GetRegistry(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printObject(a.stdout, showFormat, r)
		},
	}
	addFormatFlag(show, &showFormat, true)

	var lo client.RegistryListOptions
	list := &cobra.Command{
		Use: "registry-list [flags]", Short: "Print a list of registries.", Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			l, err := cl.ListRegistries(cmd.Context(), lo)
			if err != nil {
				return err
			}
			if listFormat != formatTable {
				return printData(a.stdout, listFormat, l.Registries)
			}
			t := newTable("uuid", "name", "domain", "username", "password")
			for _, r := range l.Registries {
				t.add(r.UUID, r.Name, r.Domain, r.Username, r.Password)
			}
			return t.write(a.stdout)
		},
	}
	addFormatFlag(list, &listFormat, true)
	list.Flags().BoolVar(&lo.AllProjects, "all-projects", false, "List registries in all projects")
	list.Flags().StringVar(&lo.Name, "name", "", "List registries with this name")
	list.Flags().StringVar(&lo.Domain, "domain", "", "List registries with this domain")

	del := &cobra.Command{
		Use: "registry-delete <registry>...", Short: "Delete specified registries.", Args: minArgs(1, "a registry"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			return a.eachOf("registry", args, "delete", "Delete", func(id string) error {
				return cl.DeleteRegistry(cmd.Context(), id)
			})
		},
	}
	root.AddCommand(create, update, show, list, del)
}
