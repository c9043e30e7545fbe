package sqlstore

import (
	"context"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

type glanceImages struct{ r records[model.GlanceImage] }
type images struct{ r records[model.Image] }
type registries struct{ r records[model.Registry] }

var (
	_ store.GlanceImages = (*glanceImages)(nil)
	_ store.Images       = (*images)(nil)
	_ store.Registries   = (*registries)(nil)
)

func newGlanceImages(s *Store) *glanceImages {
	return &glanceImages{records[model.GlanceImage]{
		s: s, what: "image",
		list: listing{table: "glance_images", sortKeys: []string{"id", "uuid", "name", "status", "visibility", "created_at", "updated_at"},
			defaultSort: "created_at"},
		cols: []string{"name", "status", "visibility"},
		vals: func(v *model.GlanceImage) []any { return []any{v.Name, v.Status, v.Visibility} },
		meta: func(v *model.GlanceImage) recordMeta {
			return recordMeta{&v.ID, &v.UUID, &v.ProjectID, &v.CreatedAt, &v.UpdatedAt}
		},
		// Public and community images are readable by every project.
		readScope: func(project string) (string, []any) {
			return " AND (project_id = ? OR visibility IN ('public', 'community'))", []any{project}
		},
	}}
}

func newImages(s *Store) *images {
	return &images{records[model.Image]{
		s: s, what: "image",
		list: listing{table: "images", sortKeys: []string{"id", "uuid", "host", "repo", "tag", "project_id", "created_at", "updated_at"},
			defaultSort: "id"},
		cols: []string{"host", "repo", "tag"},
		vals: func(v *model.Image) []any { return []any{v.Host, v.Repo, v.Tag} },
		meta: func(v *model.Image) recordMeta {
			return recordMeta{&v.ID, &v.UUID, &v.ProjectID, &v.CreatedAt, &v.UpdatedAt}
		},
	}}
}

func newRegistries(s *Store) *registries {
	return &registries{records[model.Registry]{
		s: s, what: "registry", nameCol: "name",
		list: listing{table: "registries", sortKeys: []string{"id", "uuid", "name", "domain", "username", "project_id", "user_id", "created_at", "updated_at"},
			defaultSort: "id"},
		cols: []string{"user_id", "name", "domain", "username"},
		vals: func(v *model.Registry) []any { return []any{v.UserID, v.Name, v.Domain, v.Username} },
		meta: func(v *model.Registry) recordMeta {
			return recordMeta{&v.ID, &v.UUID, &v.ProjectID, &v.CreatedAt, &v.UpdatedAt}
		},
	}}
}

func (g *glanceImages) Create(ctx context.Context, im *model.GlanceImage) error {
	return g.r.create(ctx, im)
}
func (g *glanceImages) Get(ctx context.Context, id string) (*model.GlanceImage, error) {
	return g.r.get(ctx, id)
}
func (g *glanceImages) List(ctx context.Context, f store.GlanceImageFilter, opts store.ListOptions) ([]*model.GlanceImage, error) {
	return g.r.find(ctx, [][2]string{{"name", f.Name}, {"status", f.Status}, {"visibility", f.Visibility}, {"project_id", f.Owner}}, opts)
}
func (g *glanceImages) Update(ctx context.Context, id string, fn func(*model.GlanceImage) error) (*model.GlanceImage, error) {
	return g.r.update(ctx, id, fn)
}
func (g *glanceImages) Delete(ctx context.Context, id string) error { return g.r.delete(ctx, id) }

func (i *images) Create(ctx context.Context, im *model.Image) error { return i.r.create(ctx, im) }
func (i *images) Get(ctx context.Context, id string) (*model.Image, error) {
	return i.r.get(ctx, id)
}
func (i *images) List(ctx context.Context, f store.ImageFilter, opts store.ListOptions) ([]*model.Image, error) {
	return i.r.find(ctx, [][2]string{{"host", f.Host}, {"repo", f.Repo}, {"tag", f.Tag}}, opts)
}
func (i *images) Update(ctx context.Context, id string, fn func(*model.Image) error) (*model.Image, error) {
	return i.r.update(ctx, id, fn)
}
func (i *images) Delete(ctx context.Context, id string) error { return i.r.delete(ctx, id) }

func (g *registries) Create(ctx context.Context, r *model.Registry) error { return g.r.create(ctx, r) }
func (g *registries) Get(ctx context.Context, id string) (*model.Registry, error) {
	return g.r.get(ctx, id)
}
func (g *registries) List(ctx context.Context, f store.RegistryFilter, opts store.ListOptions) ([]*model.Registry, error) {
	return g.r.find(ctx, [][2]string{{"name", f.Name}, {"domain", f.Domain}, {"username", f.Username},
		{"project_id", f.ProjectID}, {"user_id", f.UserID}}, opts)
}
func (g *registries) Update(ctx context.Context, id string, fn func(*model.Registry) error) (*model.Registry, error) {
	return g.r.update(ctx, id, fn)
}
func (g *registries) Delete(ctx context.Context, id string) error { return g.r.delete(ctx, id) }
