package cli

import (
	"github.com/spf13/cobra"

	"github.com/openzun/zun/api"
)

// quotaFlags are the limit flags of quota-update and quota-class-update.
type quotaFlags struct {
	containers, cpu, memory, disk int64
}

func (f *quotaFlags) register(cmd *cobra.Command, per string) {
	fl := cmd.Flags()
	fl.Int64Var(&f.containers, "containers", 0, "The number of containers allowed per "+per)
	fl.Int64Var(&f.cpu, "cpu", 0, "The number of container cores or vCPUs allowed per "+per)
	fl.Int64Var(&f.memory, "memory", 0, "The number of megabytes of container RAM allowed per "+per)
	fl.Int64Var(&f.disk, "disk", 0, "The number of gigabytes of container Disk allowed per "+per)
}

// update sends only the flags given, as python-zunclient does.
func (f *quotaFlags) update(cmd *cobra.Command) api.QuotaUpdate {
	var u api.QuotaUpdate
	set := func(name string, v int64, dst **int64) {
		if cmd.Flags().Changed(name) {
			*dst = &v
		}
	}
	set("containers", f.containers, &u.Containers)
	set("cpu", f.cpu, &u.CPU)
	set("memory", f.memory, &u.Memory)
	set("disk", f.disk, &u.Disk)
	return u
}

func (a *app) addQuotaCommands(root *cobra.Command) {
	var (
		qf                     quotaFlags
		usages                 bool
		updFmt, getFmt, defFmt string
		classFmt, classUpdFmt  string
		classFlags             quotaFlags
	)
	update := &cobra.Command{
		Use:   "quota-update [flags] <project_id>",
		Short: "Print an updated quotas for a project",
		Args:  exactArgs(1, "a project ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(updFmt); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			q, err := cl.UpdateQuota(cmd.Context(), args[0], qf.update(cmd))
			if err != nil {
				return err
			}
			return printObject(a.stdout, updFmt, q)
		},
	}
	qf.register(update, "project")
	addFormatFlag(update, &updFmt, true)

	get := &cobra.Command{
		Use:   "quota-get [flags] <project_id>",
		Short: "Print a quotas for a project with usages (optional)",
		Args:  exactArgs(1, "a project ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(getFmt); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			if !usages {
				q, err := cl.GetQuota(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return printObject(a.stdout, getFmt, q)
			}
			u, err := cl.GetQuotaUsages(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if getFmt != formatTable {
				return printData(a.stdout, getFmt, u)
			}
			t := newTable("Property", "limit", "in_use")
			for _, r := range []struct {
				name string
				v    api.QuotaUsage
			}{{"containers", u.Containers}, {"cpu", u.CPU}, {"disk", u.Disk}, {"memory", u.Memory}} {
				t.add(r.name, renderAny(r.v.Limit), renderAny(r.v.InUse))
			}
			return t.write(a.stdout)
		},
	}
	get.Flags().BoolVar(&usages, "usages", false, "Whether show quota usage statistic or not")
	addFormatFlag(get, &getFmt, true)

	defaults := &cobra.Command{
		Use:   "quota-defaults [flags] <project_id>",
		Short: "Print a default quotas for a project",
		Args:  exactArgs(1, "a project ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(defFmt); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			q, err := cl.QuotaDefaults(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printObject(a.stdout, defFmt, q)
		},
	}
	addFormatFlag(defaults, &defFmt, true)

	del := &cobra.Command{
		Use:   "quota-delete <project_id>",
		Short: "Delete quotas for a project",
		Args:  exactArgs(1, "a project ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			return cl.DeleteQuota(cmd.Context(), args[0])
		},
	}

	classUpdate := &cobra.Command{
		Use:   "quota-class-update [flags] <quota_class_name>",
		Short: "Print an updated quotas for a quota class",
		Args:  exactArgs(1, "a quota class name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(classUpdFmt); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			q, err := cl.UpdateQuotaClass(cmd.Context(), args[0], classFlags.update(cmd))
			if err != nil {
				return err
			}
			return printObject(a.stdout, classUpdFmt, q)
		},
	}
	classFlags.register(classUpdate, "project")
	addFormatFlag(classUpdate, &classUpdFmt, true)

	classGet := &cobra.Command{
		Use:   "quota-class-get [flags] <quota_class_name>",
		Short: "Print a quotas for a quota class",
		Args:  exactArgs(1, "a quota class name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(classFmt); err != nil {
				return err
			}
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			q, err := cl.GetQuotaClass(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printObject(a.stdout, classFmt, q)
		},
	}
	addFormatFlag(classGet, &classFmt, true)
	root.AddCommand(update, get, defaults, del, classUpdate, classGet)
}
