package storetest

import (
	"errors"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

func testVolumes(t *testing.T, s store.Store) {
	a, b := asProject(projectA), asProject(projectB)
	vs := s.Volumes()
	v := &model.Volume{Name: "data", Size: 2, Status: model.VolumeAvailable, UserID: "u"}
	if err := vs.Create(a, v); err != nil {
		t.Fatal(err)
	}
	if v.UUID == "" || v.ID == 0 || v.ProjectID != projectA || v.CreatedAt.IsZero() {
		t.Fatalf("created %+v", v)
	}
	if err := vs.Create(a, &model.Volume{Name: "zero"}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("size 0: %v", err)
	}
	for _, key := range []string{v.UUID, "data"} {
		got, err := vs.Get(a, key)
		if err != nil || got.UUID != v.UUID || got.Size != 2 {
			t.Fatalf("Get(%s) = %+v, %v", key, got, err)
		}
		if _, err := vs.Get(b, key); !errors.Is(err, errdefs.ErrNotFound) {
			t.Fatalf("other project Get(%s): %v", key, err)
		}
	}
	if _, err := vs.Update(b, v.UUID, func(*model.Volume) error { return nil }); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("other project Update: %v", err)
	}
	if err := vs.Delete(b, v.UUID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("other project Delete: %v", err)
	}
	// A second "data" makes the name ambiguous.
	v2 := &model.Volume{Name: "data", Size: 1, Status: model.VolumeAvailable}
	if err := vs.Create(a, v2); err != nil {
		t.Fatal(err)
	}
	if _, err := vs.Get(a, "data"); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("ambiguous name: %v", err)
	}
	if err := vs.Create(b, &model.Volume{Name: "other", Size: 1}); err != nil {
		t.Fatal(err)
	}
	list, err := vs.List(a, store.ListOptions{})
	if err != nil || len(list) != 2 || list[0].UUID != v.UUID {
		t.Fatalf("List = %d, %v", len(list), err)
	}
	page, err := vs.List(a, store.ListOptions{Marker: v.UUID, Limit: 5})
	if err != nil || len(page) != 1 || page[0].UUID != v2.UUID {
		t.Fatalf("page = %v, %v", page, err)
	}
	all, err := vs.List(asAdminAll(), store.ListOptions{})
	if err != nil || len(all) != 3 {
		t.Fatalf("all projects = %d, %v", len(all), err)
	}

	// Attach: the update is atomic and identity is immutable.
	upd, err := vs.Update(a, v.UUID, func(x *model.Volume) error {
		x.Status, x.AttachedTo, x.Host = model.VolumeInUse, "ctr-1", "host-1"
		x.ProjectID, x.Size = projectB, 99
		return nil
	})
	if err != nil || upd.ProjectID != projectA || upd.Size != 2 || upd.Host != "host-1" {
		t.Fatalf("Update = %+v, %v", upd, err)
	}
	abort := errors.New("abort")
	if _, err := vs.Update(a, v.UUID, func(x *model.Volume) error { x.Status = "error"; return abort }); !errors.Is(err, abort) {
		t.Fatalf("abort: %v", err)
	}
	att, err := vs.ListAttached(asAdminAll(), "ctr-1")
	if err != nil || len(att) != 1 || att[0].Status != model.VolumeInUse {
		t.Fatalf("ListAttached = %v, %v", att, err)
	}

	onHost, err := vs.ListByHost(system(), "host-1")
	if err != nil || len(onHost) != 1 || onHost[0].UUID != v.UUID {
		t.Fatalf("ListByHost = %v, %v", onHost, err)
	}
	// The volume's size counts on its host's disk.
	if err := s.Hosts().Upsert(asAdminAll(), &model.ComputeNode{Hostname: "host-1", CPUs: 1, MemTotal: 1024, DiskTotal: 10}); err != nil {
		t.Fatal(err)
	}
	usage, err := s.Hosts().Usage(asAdminAll())
	if err != nil || usage["host-1"].Disk != 2 {
		t.Fatalf("usage = %+v, %v", usage, err)
	}

	if err := vs.Delete(a, v.UUID); err != nil {
		t.Fatal(err)
	}
	if _, err := vs.Get(a, v.UUID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := vs.Delete(a, v.UUID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}
