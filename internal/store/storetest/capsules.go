package storetest

import (
	"context"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

func newCapsule(project, name string) *model.Capsule {
	member := func(n, role string) model.Member {
		return model.Member{Container: model.Container{UUID: "m-" + name + "-" + n, Name: n, Image: "busybox:1.35",
			Command: []string{"sleep", "60"}, CPU: 0.5, Memory: 64, Status: "Creating"}, Role: role,
			VolumeMounts: []model.VolumeMount{{Name: "work", MountPath: "/work"}},
			CapsulePorts: []model.CapsulePort{{ContainerPort: 80, Protocol: "tcp"}}}
	}
	return &model.Capsule{
		Name: name, ProjectID: project, UserID: "user-" + project, RestartPolicy: "Always",
		CPU: 1, Memory: 128, Labels: map[string]string{"app": name}, Annotations: map[string]string{"k": "v"},
		Volumes:        []model.CapsuleVolume{{Name: "work", Size: 1, AutoRemove: true}},
		InitContainers: []model.Member{member("init", model.RoleInit)},
		Containers:     []model.Member{member("web", model.RoleApp), member("probe", model.RoleApp)},
		Status:         "Creating", TaskState: "container_creating",
	}
}

// testCapsules covers create, lookups, scoping, paging, update, the one
// claim of a capsule and delete releasing it.
func testCapsules(t *testing.T, s store.Store) {
	cs := s.Capsules()
	a, b := asProject(projectA), asProject(projectB)
	c1 := newCapsule(projectA, "pod1")
	noErr(t, cs.Create(a, c1), "Create")
	if c1.ID == 0 || c1.UUID == "" || c1.CreatedAt.IsZero() {
		t.Fatalf("Create did not set identity: %+v", c1)
	}
	wantErr(t, cs.Create(a, newCapsule(projectA, "pod1")), errdefs.ErrAlreadyExists, "Create duplicate name")
	noErr(t, cs.Create(b, newCapsule(projectB, "pod1")), "Create same name in other project")
	wantErr(t, cs.Create(a, newCapsule(projectB, "x")), errdefs.ErrForbidden, "Create for another project")

	got, err := cs.Get(a, c1.UUID)
	noErr(t, err, "Get by uuid")
	sameJSON(t, got, c1, "Get by uuid")
	got, err = cs.Get(a, "pod1")
	noErr(t, err, "Get by name")
	if got.UUID != c1.UUID || len(got.Containers) != 2 || got.Containers[1].Name != "probe" || got.InitContainers[0].Role != model.RoleInit {
		t.Fatalf("Get by name = %+v", got)
	}
	_, err = cs.Get(b, c1.UUID)
	wantErr(t, err, errdefs.ErrNotFound, "Get from another project")
	_, err = cs.Get(asAdminAll(), "pod1")
	wantErr(t, err, errdefs.ErrConflict, "Get ambiguous name for all projects")
	_, err = cs.Get(context.Background(), c1.UUID)
	if err == nil {
		t.Fatal("Get without scope succeeded")
	}

	for i := range 3 {
		noErr(t, cs.Create(a, newCapsule(projectA, name(i))), "Create "+name(i))
	}
	page, err := cs.List(a, store.ListOptions{Limit: 2})
	noErr(t, err, "List page 1")
	if len(page) != 2 || page[0].UUID != c1.UUID {
		t.Fatalf("List page 1 = %d items", len(page))
	}
	rest, err := cs.List(a, store.ListOptions{Marker: page[1].UUID})
	noErr(t, err, "List page 2")
	if len(rest) != 2 {
		t.Fatalf("List page 2 = %d items, want 2", len(rest))
	}
	all, err := cs.List(asAdminAll(), store.ListOptions{})
	noErr(t, err, "List all projects")
	if len(all) != 5 {
		t.Fatalf("List all projects = %d, want 5", len(all))
	}
	_, err = cs.List(a, store.ListOptions{SortKey: "nope"})
	wantErr(t, err, errdefs.ErrInvalidArgument, "List bad sort key")

	up, err := cs.Update(a, c1.UUID, func(c *model.Capsule) error {
		c.Status, c.TaskState, c.Name = "Running", "", "renamed"
		c.Containers[0].Status = "Running"
		return nil
	})
	noErr(t, err, "Update")
	if up.Status != "Running" || up.Name != "pod1" || up.Containers[0].Status != "Running" {
		t.Fatalf("Update = %+v", up)
	}
	_, err = cs.Update(b, c1.UUID, func(*model.Capsule) error { return nil })
	wantErr(t, err, errdefs.ErrNotFound, "Update from another project")

	// One claim for the whole capsule sets its host; delete releases it.
	ctx := system()
	noErr(t, s.Hosts().Upsert(ctx, NewNode("cap-node", 1)), "Upsert node")
	noErr(t, s.Hosts().Claim(ctx, model.Allocation{ContainerUUID: c1.UUID, Host: "cap-node", CPU: c1.CPU, Memory: c1.Memory}), "Claim")
	got, err = cs.Get(a, c1.UUID)
	noErr(t, err, "Get after claim")
	if got.Host != "cap-node" {
		t.Fatalf("host after claim = %q", got.Host)
	}
	byHost, err := cs.ListByHost(ctx, "cap-node")
	noErr(t, err, "ListByHost")
	if len(byHost) != 1 || byHost[0].UUID != c1.UUID {
		t.Fatalf("ListByHost = %d", len(byHost))
	}
	usage, err := s.Hosts().Usage(ctx)
	noErr(t, err, "Usage")
	if u := usage["cap-node"]; u.CPU != 1 || u.Memory != 128 {
		t.Fatalf("usage after claim = %+v", u)
	}
	wantErr(t, cs.Delete(b, c1.UUID), errdefs.ErrNotFound, "Delete from another project")
	noErr(t, cs.Delete(a, c1.UUID), "Delete")
	wantErr(t, cs.Delete(a, c1.UUID), errdefs.ErrNotFound, "Delete again")
	usage, err = s.Hosts().Usage(ctx)
	noErr(t, err, "Usage after delete")
	if u := usage["cap-node"]; u.CPU != 0 || u.Memory != 0 {
		t.Fatalf("usage after delete = %+v", u)
	}
}
