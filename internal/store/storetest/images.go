package storetest

import (
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// testGlanceImages: CRUD, visibility (public readable by all, writable by
// the owner only), filters and paging.
func testGlanceImages(t *testing.T, s store.Store) {
	a, b := asProject(projectA), asProject(projectB)
	gi := s.GlanceImages()
	priv := &model.GlanceImage{Name: "busybox", Visibility: "private", Status: model.GlanceQueued, ContainerFormat: "docker",
		DiskFormat: "raw", Properties: map[string]string{"k": "v"}}
	noErr(t, gi.Create(a, priv), "create private")
	if priv.UUID == "" || priv.ProjectID != projectA || priv.CreatedAt.IsZero() || !microsecond(priv.CreatedAt) {
		t.Fatalf("created record: %+v", priv)
	}
	pub := &model.GlanceImage{Name: "shared-base", Visibility: "public", Status: model.GlanceActive}
	noErr(t, gi.Create(a, pub), "create public")

	got, err := gi.Get(a, priv.UUID)
	noErr(t, err, "get own")
	sameJSON(t, got, priv, "get own")
	_, err = gi.Get(b, priv.UUID)
	wantErr(t, err, errdefs.ErrNotFound, "get private of another project")
	_, err = gi.Get(b, pub.UUID)
	noErr(t, err, "get public of another project")
	_, err = gi.Update(b, pub.UUID, func(im *model.GlanceImage) error { im.Name = "x"; return nil })
	wantErr(t, err, errdefs.ErrNotFound, "update public of another project")
	wantErr(t, gi.Delete(b, pub.UUID), errdefs.ErrNotFound, "delete public of another project")

	listB, err := gi.List(b, store.GlanceImageFilter{}, store.ListOptions{})
	noErr(t, err, "list b")
	if len(listB) != 1 || listB[0].UUID != pub.UUID {
		t.Fatalf("project b sees %d images", len(listB))
	}
	listA, err := gi.List(a, store.GlanceImageFilter{Name: "busybox"}, store.ListOptions{})
	noErr(t, err, "list a by name")
	if len(listA) != 1 || listA[0].UUID != priv.UUID {
		t.Fatalf("filter by name: %d images", len(listA))
	}
	page, err := gi.List(a, store.GlanceImageFilter{}, store.ListOptions{Limit: 1, SortKey: "id"})
	noErr(t, err, "page 1")
	page2, err := gi.List(a, store.GlanceImageFilter{}, store.ListOptions{Limit: 1, SortKey: "id", Marker: page[0].UUID})
	noErr(t, err, "page 2")
	if len(page) != 1 || len(page2) != 1 || page[0].UUID == page2[0].UUID {
		t.Fatal("paging returned the same image twice")
	}

	up, err := gi.Update(a, priv.UUID, func(im *model.GlanceImage) error {
		im.Status, im.Size, im.ProjectID = model.GlanceActive, 42, projectB
		return nil
	})
	noErr(t, err, "update")
	if up.Status != model.GlanceActive || up.Size != 42 || up.ProjectID != projectA {
		t.Fatalf("update: %+v", up)
	}
	active, err := gi.List(a, store.GlanceImageFilter{Status: model.GlanceActive}, store.ListOptions{})
	noErr(t, err, "list active")
	if len(active) != 2 {
		t.Fatalf("active images: %d", len(active))
	}
	noErr(t, gi.Delete(a, priv.UUID), "delete")
	_, err = gi.Get(a, priv.UUID)
	wantErr(t, err, errdefs.ErrNotFound, "get deleted")
	all, err := gi.List(asAdminAll(), store.GlanceImageFilter{}, store.ListOptions{})
	noErr(t, err, "list all")
	if len(all) != 1 {
		t.Fatalf("admin sees %d images", len(all))
	}
}

// testImages: per-host records, (host, repo, tag) unique, scoping.
func testImages(t *testing.T, s store.Store) {
	a, b := asProject(projectA), asProject(projectB)
	im := &model.Image{Host: "h1", Repo: "busybox", Tag: "1.35", Status: model.ImagePulling}
	noErr(t, s.Images().Create(a, im), "create")
	wantErr(t, s.Images().Create(a, &model.Image{Host: "h1", Repo: "busybox", Tag: "1.35"}), errdefs.ErrAlreadyExists, "duplicate")
	noErr(t, s.Images().Create(a, &model.Image{Host: "h2", Repo: "busybox", Tag: "1.35"}), "other host")
	_, err := s.Images().Get(b, im.UUID)
	wantErr(t, err, errdefs.ErrNotFound, "get other project")
	got, err := s.Images().Update(a, im.UUID, func(x *model.Image) error { x.Status, x.ImageID, x.Size = model.ImageReady, "sha256:1", 10; return nil })
	noErr(t, err, "update")
	if got.Status != model.ImageReady || got.Size != 10 {
		t.Fatalf("update: %+v", got)
	}
	list, err := s.Images().List(system(), store.ImageFilter{Host: "h1"}, store.ListOptions{})
	noErr(t, err, "list host")
	if len(list) != 1 || list[0].ImageID != "sha256:1" {
		t.Fatalf("list by host: %d", len(list))
	}
	wantErr(t, s.Images().Delete(b, im.UUID), errdefs.ErrNotFound, "delete other project")
	noErr(t, s.Images().Delete(a, im.UUID), "delete")
}

// testRegistries: names unique per project, get by name, scoping.
func testRegistries(t *testing.T, s store.Store) {
	a, b := asProject(projectA), asProject(projectB)
	r := &model.Registry{Name: "reg", Domain: "127.0.0.1:5000", Username: "u", SealedPassword: "sealed", UserID: "user-a"}
	noErr(t, s.Registries().Create(a, r), "create")
	wantErr(t, s.Registries().Create(a, &model.Registry{Name: "reg", Domain: "x"}), errdefs.ErrAlreadyExists, "duplicate name")
	noErr(t, s.Registries().Create(b, &model.Registry{Name: "reg", Domain: "y"}), "same name in another project")
	got, err := s.Registries().Get(a, "reg")
	noErr(t, err, "get by name")
	sameJSON(t, got, r, "get by name")
	_, err = s.Registries().Get(b, r.UUID)
	wantErr(t, err, errdefs.ErrNotFound, "get other project by uuid")
	_, err = s.Registries().Get(asAdminAll(), "reg")
	wantErr(t, err, errdefs.ErrConflict, "ambiguous name for admin")
	list, err := s.Registries().List(a, store.RegistryFilter{Domain: "127.0.0.1:5000"}, store.ListOptions{})
	noErr(t, err, "list")
	if len(list) != 1 {
		t.Fatalf("list: %d", len(list))
	}
	_, err = s.Registries().Update(a, r.UUID, func(x *model.Registry) error { x.Username = "v"; return nil })
	noErr(t, err, "update")
	list, err = s.Registries().List(a, store.RegistryFilter{Username: "v"}, store.ListOptions{})
	noErr(t, err, "list by new username")
	if len(list) != 1 {
		t.Fatalf("list by username: %d", len(list))
	}
	wantErr(t, s.Registries().Delete(b, r.UUID), errdefs.ErrNotFound, "delete other project")
	noErr(t, s.Registries().Delete(a, r.UUID), "delete")
}
