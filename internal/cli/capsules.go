package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/client"
)

// maxTemplateBytes bounds a template file.
const maxTemplateBytes = 1 << 20

func (a *app) addCapsuleCommands(root *cobra.Command) {
	root.AddCommand(a.capsuleCreateCommand(), a.capsuleListCommand(), a.capsuleDescribeCommand(), a.capsuleDeleteCommand())
}

// readTemplate parses a YAML or JSON template file (JSON is YAML) into
// an object, as python-zunclient's template_utils does.
func readTemplate(file string) (map[string]any, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("failed to read the template: %w", err)
	}
	if len(b) > maxTemplateBytes {
		return nil, fmt.Errorf("template %s is larger than %d bytes", file, maxTemplateBytes)
	}
	var tpl map[string]any
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		err = json.Unmarshal(b, &tpl)
	} else {
		err = yaml.UnmarshalWithOptions(b, &tpl, yaml.Strict())
	}
	if err != nil {
		return nil, fmt.Errorf("failed to parse the template %s: %w", file, err)
	}
	if tpl == nil {
		return nil, fmt.Errorf("the template %s is empty or not an object", file)
	}
	return tpl, nil
}

func (a *app) capsuleCreateCommand() *cobra.Command {
	var file, format string
	cmd := &cobra.Command{
		Use:   "capsule-create -f <file>",
		Short: "Create a capsule.",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return usagef("the template file is required (-f FILE)")
			}
			if err := checkFormat(format); err != nil {
				return err
			}
			tpl, err := readTemplate(file)
			if err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			c, err := cl.CreateCapsule(cmd.Context(), tpl)
			if err != nil {
				return err
			}
			if format == formatTable {
				a.printf("Request to create capsule %s has been accepted.\n", c.UUID)
				return nil
			}
			return printData(a.stdout, format, c)
		},
	}
	cmd.Flags().StringVarP(&file, "template-file", "f", "", "Path to the template (YAML or JSON)")
	cmd.Flags().StringVar(&format, "format", formatTable, "Print the created capsule as json or yaml (table prints the acceptance)")
	return cmd
}

func (a *app) capsuleListCommand() *cobra.Command {
	var (
		o      client.CapsuleListOptions
		format string
	)
	cmd := &cobra.Command{
		Use:   "capsule-list [flags]",
		Short: "Print a list of available capsules.",
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
			list, err := cl.ListCapsules(cmd.Context(), o)
			if err != nil {
				return err
			}
			if format != formatTable {
				return printData(a.stdout, format, list.Capsules)
			}
			t := newTable("uuid", "name", "status", "addresses")
			for _, c := range list.Capsules {
				addrs, _ := flattenAddresses(c.Addresses)
				t.add(c.UUID, c.Name, c.Status, addrs)
			}
			return t.write(a.stdout)
		},
	}
	cmd.Flags().BoolVar(&o.AllProjects, "all-projects", false, "List capsules in all projects")
	addPagingFlags(cmd, &o.ListOptions, "capsule")
	addFormatFlag(cmd, &format, false)
	return cmd
}

func (a *app) capsuleDescribeCommand() *cobra.Command {
	var (
		format      string
		allProjects bool
	)
	cmd := &cobra.Command{
		Use:   "capsule-describe [flags] <capsule>",
		Short: "Show details of a capsule.",
		Args:  exactArgs(1, "a capsule"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			c, err := cl.GetCapsule(cmd.Context(), args[0], allProjects)
			if err != nil {
				return err
			}
			return a.showCapsule(format, c)
		},
	}
	cmd.Flags().BoolVar(&allProjects, "all-projects", false, "Show a capsule of any project by name (admin)")
	addFormatFlag(cmd, &format, true)
	return cmd
}

// showCapsule prints a capsule as python-zunclient's _show_capsule.
func (a *app) showCapsule(format string, c *api.Capsule) error {
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

func (a *app) capsuleDeleteCommand() *cobra.Command {
	var allProjects bool
	cmd := &cobra.Command{
		Use:   "capsule-delete [flags] <capsule> [<capsule> ...]",
		Short: "Delete specified capsules.",
		Args:  minArgs(1, "at least one capsule"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			return a.eachOf("capsule", args, "delete", "Delete", func(id string) error {
				return cl.DeleteCapsule(cmd.Context(), id, allProjects)
			})
		},
	}
	cmd.Flags().BoolVar(&allProjects, "all-projects", false, "Delete capsule(s) in all projects by name")
	return cmd
}
