package sqlstore

import (
	"context"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

var containerListing = listing{
	table: "containers",
	sortKeys: []string{"id", "uuid", "name", "image", "project_id", "user_id", "host", "status",
		"task_state", "memory", "auto_remove", "created_at", "updated_at"},
	defaultSort: "id",
}

// List lists the containers in scope matching f, paged by opts.
func (cs *containers) List(ctx context.Context, f store.ContainerFilter, opts store.ListOptions) ([]*model.Container, error) {
	cond, args, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	markerCond, markerArgs, tail, err := containerListing.pageClause(ctx, cs.s.read, opts, cond, args)
	if err != nil {
		return nil, err
	}
	for _, eq := range []struct {
		col string
		val string
	}{
		{"name", f.Name}, {"image", f.Image}, {"project_id", f.ProjectID}, {"user_id", f.UserID},
		{"host", f.Host}, {"task_state", f.TaskState}, {"status", f.Status},
	} {
		if eq.val != "" {
			cond += " AND " + eq.col + " = ?"
			args = append(args, eq.val)
		}
	}
	if f.Memory != nil {
		cond += " AND memory = ?"
		args = append(args, *f.Memory)
	}
	if f.AutoRemove != nil {
		cond += " AND auto_remove = ?"
		args = append(args, *f.AutoRemove)
	}
	rows, err := cs.s.read.queryDynamic(ctx, containerSelect+" WHERE 1 = 1"+cond+markerCond+tail,
		append(args, markerArgs...)...)
	if err != nil {
		return nil, cs.s.d.dbError(err, "list containers")
	}
	list, err := collect(rows, scanContainer, cs.s.d, "list containers")
	if err != nil {
		return nil, err
	}
	return list, nil
}
