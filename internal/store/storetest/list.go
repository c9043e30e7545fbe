package storetest

import (
	"cmp"
	"slices"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

func testContainerPaging(t *testing.T, s store.Store) {
	ctx := asProject(projectA)
	var all []*model.Container
	for i := range 7 {
		c := newContainer(projectA, name(i))
		c.Memory = int64(100 * (i % 3)) // duplicates exercise the id tie-break
		all = append(all, mustCreate(t, s, ctx, c))
	}
	mustCreate(t, s, asProject(projectB), newContainer(projectB, "not-mine"))

	for _, tc := range []struct {
		key, dir string
		cmp      func(a, b *model.Container) int
	}{
		{"", "", func(a, b *model.Container) int { return cmp.Compare(a.ID, b.ID) }},
		{"id", "desc", func(a, b *model.Container) int { return cmp.Compare(b.ID, a.ID) }},
		{"name", "desc", func(a, b *model.Container) int { return cmp.Compare(b.Name, a.Name) }},
		{"memory", "asc", func(a, b *model.Container) int {
			return cmp.Or(cmp.Compare(a.Memory, b.Memory), cmp.Compare(a.ID, b.ID))
		}},
		{"memory", "desc", func(a, b *model.Container) int {
			return cmp.Or(cmp.Compare(b.Memory, a.Memory), cmp.Compare(b.ID, a.ID))
		}},
		{"created_at", "asc", func(a, b *model.Container) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		}},
	} {
		want := slices.Clone(all)
		slices.SortStableFunc(want, tc.cmp)
		full, err := s.Containers().List(ctx, store.ContainerFilter{}, store.ListOptions{SortKey: tc.key, SortDir: tc.dir})
		noErr(t, err, "List "+tc.key+" "+tc.dir)
		if !eqStrings(uuids(full), uuids(want)) {
			t.Fatalf("sort %s %s: got %v, want %v", tc.key, tc.dir, uuids(full), uuids(want))
		}
		var paged []*model.Container
		marker := ""
		for range 10 {
			page, err := s.Containers().List(ctx, store.ContainerFilter{},
				store.ListOptions{Limit: 3, Marker: marker, SortKey: tc.key, SortDir: tc.dir})
			noErr(t, err, "List page")
			if len(page) > 3 {
				t.Fatalf("page of %d items with limit 3", len(page))
			}
			paged = append(paged, page...)
			if len(page) < 3 {
				break
			}
			marker = page[len(page)-1].UUID
		}
		if !eqStrings(uuids(paged), uuids(want)) {
			t.Fatalf("pages %s %s: got %v, want %v", tc.key, tc.dir, uuids(paged), uuids(want))
		}
	}

	_, err := s.Containers().List(ctx, store.ContainerFilter{}, store.ListOptions{SortKey: "data"})
	wantErr(t, err, errdefs.ErrInvalidArgument, "sort by a column outside the allow-list")
	_, err = s.Containers().List(ctx, store.ContainerFilter{}, store.ListOptions{SortKey: "name; DROP TABLE containers"})
	wantErr(t, err, errdefs.ErrInvalidArgument, "sort key injection")
	_, err = s.Containers().List(ctx, store.ContainerFilter{}, store.ListOptions{SortDir: "sideways"})
	wantErr(t, err, errdefs.ErrInvalidArgument, "bad sort direction")
	_, err = s.Containers().List(ctx, store.ContainerFilter{}, store.ListOptions{Marker: "00000000-0000-0000-0000-000000000000"})
	if err == nil {
		t.Fatal("an unknown marker gave no error")
	}
}

func testContainerFilters(t *testing.T, s store.Store) {
	a := asProject(projectA)
	c1 := newContainer(projectA, "one")
	c1.Status, c1.TaskState, c1.Memory, c1.AutoRemove, c1.Image = "Running", "", 256, true, "nginx"
	mustCreate(t, s, a, c1)
	c2 := newContainer(projectA, "two")
	c2.Status, c2.TaskState = "Stopped", "container_starting"
	mustCreate(t, s, a, c2)
	c3 := newContainer(projectB, "three")
	c3.UserID = "someone"
	mustCreate(t, s, asProject(projectB), c3)
	_, err := s.Containers().Update(a, c2.UUID, func(c *model.Container) error { c.Host = "node-1"; return nil })
	noErr(t, err, "Update host")

	mem, yes, no := int64(256), true, false
	for _, tc := range []struct {
		name string
		f    store.ContainerFilter
		want []string
	}{
		{"none", store.ContainerFilter{}, []string{c1.UUID, c2.UUID, c3.UUID}},
		{"name", store.ContainerFilter{Name: "two"}, []string{c2.UUID}},
		{"image", store.ContainerFilter{Image: "nginx"}, []string{c1.UUID}},
		{"project", store.ContainerFilter{ProjectID: projectB}, []string{c3.UUID}},
		{"user", store.ContainerFilter{UserID: "someone"}, []string{c3.UUID}},
		{"memory", store.ContainerFilter{Memory: &mem}, []string{c1.UUID}},
		{"host", store.ContainerFilter{Host: "node-1"}, []string{c2.UUID}},
		{"task_state", store.ContainerFilter{TaskState: "container_starting"}, []string{c2.UUID}},
		{"status", store.ContainerFilter{Status: "Running"}, []string{c1.UUID}},
		{"auto_remove true", store.ContainerFilter{AutoRemove: &yes}, []string{c1.UUID}},
		{"auto_remove false", store.ContainerFilter{AutoRemove: &no}, []string{c2.UUID, c3.UUID}},
		{"combined", store.ContainerFilter{Status: "Running", Image: "busybox:1.35"}, nil},
	} {
		list, err := s.Containers().List(asAdminAll(), tc.f, store.ListOptions{})
		noErr(t, err, "List "+tc.name)
		if !eqStrings(uuids(list), tc.want) && !(len(list) == 0 && len(tc.want) == 0) {
			t.Fatalf("filter %s: got %v, want %v", tc.name, uuids(list), tc.want)
		}
	}

	byHost, err := s.Containers().ListByHost(system(), "node-1")
	noErr(t, err, "ListByHost")
	if !eqStrings(uuids(byHost), []string{c2.UUID}) || byHost[0].Host != "node-1" {
		t.Fatalf("ListByHost = %v", uuids(byHost))
	}
}
