package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

func testContainerCRUD(t *testing.T, s store.Store) {
	ctx := asProject(projectA)
	cs := s.Containers()
	c := mustCreate(t, s, ctx, newContainer(projectA, "web"))
	if c.ID == 0 || c.UUID == "" || c.CreatedAt.IsZero() || !c.UpdatedAt.Equal(c.CreatedAt) {
		t.Fatalf("Create did not set ID, UUID and times: %+v", c)
	}
	if !microsecond(c.CreatedAt) {
		t.Fatalf("CreatedAt %v is not UTC with microsecond precision", c.CreatedAt)
	}
	got, err := cs.Get(ctx, c.UUID)
	noErr(t, err, "Get by uuid")
	sameJSON(t, got, c, "Get by uuid")
	got, err = cs.Get(ctx, "web")
	noErr(t, err, "Get by name")
	sameJSON(t, got, c, "Get by name")
	_, err = cs.Get(ctx, "nope")
	wantErr(t, err, errdefs.ErrNotFound, "Get missing")

	time.Sleep(2 * time.Millisecond)
	up, err := cs.Update(ctx, c.UUID, func(c *model.Container) error {
		c.Status, c.TaskState, c.ContainerID = "Running", "", "docker-id"
		c.UUID, c.ProjectID = "changed", "changed" // immutable: ignored
		return nil
	})
	noErr(t, err, "Update")
	if up.Status != "Running" || up.ContainerID != "docker-id" || up.UUID != c.UUID || up.ProjectID != projectA {
		t.Fatalf("Update result %+v", up)
	}
	if !up.UpdatedAt.After(c.UpdatedAt) || !up.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("Update times: created %v updated %v, before %v", up.CreatedAt, up.UpdatedAt, c.UpdatedAt)
	}
	got, err = cs.Get(ctx, c.UUID)
	noErr(t, err, "Get after Update")
	sameJSON(t, got, up, "Get after Update")

	n, err := cs.Count(ctx, projectA)
	noErr(t, err, "Count")
	if n != 1 {
		t.Fatalf("Count = %d, want 1", n)
	}
	noErr(t, cs.Delete(ctx, c.UUID), "Delete")
	_, err = cs.Get(ctx, c.UUID)
	wantErr(t, err, errdefs.ErrNotFound, "Get deleted")
	wantErr(t, cs.Delete(ctx, c.UUID), errdefs.ErrNotFound, "Delete twice")
	_, err = cs.Update(ctx, c.UUID, func(*model.Container) error { return nil })
	wantErr(t, err, errdefs.ErrNotFound, "Update deleted")
}

func testContainerScoping(t *testing.T, s store.Store) {
	a, b := asProject(projectA), asProject(projectB)
	cs := s.Containers()
	ca := mustCreate(t, s, a, newContainer(projectA, "shared-name"))
	cb := mustCreate(t, s, b, newContainer("", "other"))
	if cb.ProjectID != projectB {
		t.Fatalf("Create without project in scope B gave project %q", cb.ProjectID)
	}
	if err := cs.Create(b, newContainer(projectA, "sneaky")); err == nil {
		t.Fatal("Create of project A's container in scope B succeeded")
	}

	_, err := cs.Get(b, ca.UUID)
	wantErr(t, err, errdefs.ErrNotFound, "B gets A's by uuid")
	_, err = cs.Get(b, "shared-name")
	wantErr(t, err, errdefs.ErrNotFound, "B gets A's by name")
	_, err = cs.Update(b, ca.UUID, func(c *model.Container) error { c.Status = "Hacked"; return nil })
	wantErr(t, err, errdefs.ErrNotFound, "B updates A's")
	wantErr(t, cs.Delete(b, ca.UUID), errdefs.ErrNotFound, "B deletes A's")
	list, err := cs.List(b, store.ContainerFilter{}, store.ListOptions{})
	noErr(t, err, "List B")
	if !eqStrings(uuids(list), []string{cb.UUID}) {
		t.Fatalf("B lists %v, want only its own %s", uuids(list), cb.UUID)
	}
	list, err = cs.List(b, store.ContainerFilter{ProjectID: projectA}, store.ListOptions{})
	noErr(t, err, "List B filtered to A")
	if len(list) != 0 {
		t.Fatalf("B lists A's containers through a filter: %v", uuids(list))
	}
	_, err = cs.List(b, store.ContainerFilter{}, store.ListOptions{Marker: ca.UUID})
	if err == nil {
		t.Fatal("B used A's container as a marker")
	}
	n, err := cs.Count(b, projectA)
	noErr(t, err, "Count")
	if n != 0 {
		t.Fatalf("B counts %d containers of A", n)
	}

	got, err := cs.Get(a, ca.UUID)
	noErr(t, err, "A gets its own")
	if got.Status != "Creating" {
		t.Fatalf("A's container changed by B: %+v", got)
	}
	admin := asAdminAll()
	list, err = cs.List(admin, store.ContainerFilter{}, store.ListOptions{})
	noErr(t, err, "List admin")
	if len(list) != 2 {
		t.Fatalf("admin lists %d containers, want 2", len(list))
	}
	_, err = cs.Get(admin, cb.UUID)
	noErr(t, err, "admin Get")
	list, err = cs.List(system(), store.ContainerFilter{}, store.ListOptions{})
	noErr(t, err, "List system")
	if len(list) != 2 {
		t.Fatalf("system lists %d containers, want 2", len(list))
	}

	bare := t.Context()
	_, err = cs.Get(bare, ca.UUID)
	if err == nil {
		t.Fatal("Get without identity succeeded")
	}
	if _, err = cs.List(bare, store.ContainerFilter{}, store.ListOptions{}); err == nil {
		t.Fatal("List without identity succeeded")
	}
	if err = cs.Delete(bare, ca.UUID); err == nil {
		t.Fatal("Delete without identity succeeded")
	}
	if err = cs.Create(bare, newContainer(projectA, "x")); err == nil {
		t.Fatal("Create without identity succeeded")
	}
	noErr(t, cs.Delete(admin, cb.UUID), "admin deletes B's")
}

func testContainerUniqueNames(t *testing.T, s store.Store) {
	a, b := asProject(projectA), asProject(projectB)
	cs := s.Containers()
	c1 := mustCreate(t, s, a, newContainer(projectA, "db"))
	wantErr(t, cs.Create(a, newContainer(projectA, "db")), errdefs.ErrAlreadyExists, "same name, same project")
	c2 := mustCreate(t, s, b, newContainer(projectB, "db"))
	_, err := cs.Get(asAdminAll(), "db")
	wantErr(t, err, errdefs.ErrConflict, "admin Get of an ambiguous name")
	got, err := cs.Get(b, "db")
	noErr(t, err, "B Get by name")
	if got.UUID != c2.UUID {
		t.Fatalf("B got %s, want %s", got.UUID, c2.UUID)
	}
	c3 := mustCreate(t, s, a, newContainer(projectA, "cache"))
	_, err = cs.Update(a, c3.UUID, func(c *model.Container) error { c.Name = "db"; return nil })
	wantErr(t, err, errdefs.ErrAlreadyExists, "rename to a used name")
	_, err = cs.Update(a, c3.UUID, func(c *model.Container) error { c.Name = "cache2"; return nil })
	noErr(t, err, "rename to a free name")
	dup := newContainer(projectA, "other")
	dup.UUID = c1.UUID
	wantErr(t, cs.Create(a, dup), errdefs.ErrAlreadyExists, "duplicate uuid")
	// Unnamed containers do not collide.
	mustCreate(t, s, a, newContainer(projectA, ""))
	mustCreate(t, s, a, newContainer(projectA, ""))
}

func testContainerUpdateAtomic(t *testing.T, s store.Store) {
	ctx := asProject(projectA)
	c := newContainer(projectA, "counter")
	c.Memory = 0
	mustCreate(t, s, ctx, c)
	const workers = 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			_, err := s.Containers().Update(ctx, c.UUID, func(c *model.Container) error {
				c.Memory++
				c.Labels["n"] = "x"
				return nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		noErr(t, err, "concurrent Update")
	}
	got, err := s.Containers().Get(ctx, c.UUID)
	noErr(t, err, "Get")
	if got.Memory != workers {
		t.Fatalf("after %d concurrent increments the counter is %d", workers, got.Memory)
	}
	mem := int64(workers)
	list, err := s.Containers().List(ctx, store.ContainerFilter{Memory: &mem}, store.ListOptions{})
	noErr(t, err, "List by memory")
	if len(list) != 1 {
		t.Fatalf("memory column not updated: %d matches", len(list))
	}
}

var errAbort = errors.New("abort from fn")

func testContainerUpdateAbort(t *testing.T, s store.Store) {
	ctx := asProject(projectA)
	c := mustCreate(t, s, ctx, newContainer(projectA, "abort"))
	_, err := s.Containers().Update(ctx, c.UUID, func(c *model.Container) error {
		c.Status = "Changed"
		return errAbort
	})
	if err != errAbort { //nolint:errorlint // must be returned unchanged
		t.Fatalf("Update returned %v, want fn's error unchanged", err)
	}
	got, err := s.Containers().Get(ctx, c.UUID)
	noErr(t, err, "Get")
	sameJSON(t, got, c, "record after an aborted Update")
}

func testContainerTimestamps(t *testing.T, s store.Store) {
	ctx := asProject(projectA)
	c := newContainer(projectA, "ts")
	c.StartedAt = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("X", 3600))
	mustCreate(t, s, ctx, c)
	got, err := s.Containers().Get(ctx, c.UUID)
	noErr(t, err, "Get")
	want := time.Date(2024, 5, 6, 6, 8, 9, 123456000, time.UTC)
	if !got.StartedAt.Equal(want) || !microsecond(got.StartedAt) {
		t.Fatalf("StartedAt = %v, want %v", got.StartedAt, want)
	}
	if !got.CreatedAt.Equal(c.CreatedAt) || !microsecond(got.CreatedAt) {
		t.Fatalf("CreatedAt = %v, want %v", got.CreatedAt, c.CreatedAt)
	}
}

// testContainerGetCopies reads one record many times, as GET polling does:
// each read is the record as stored, whatever a caller did to an earlier
// read, and reads after a write see the write.
func testContainerGetCopies(t *testing.T, s store.Store) {
	ctx := asProject(projectA)
	cs := s.Containers()
	c := mustCreate(t, s, ctx, newContainer(projectA, "polled"))
	first, err := cs.Get(ctx, c.UUID)
	noErr(t, err, "Get")
	first.Status, first.Labels["app"], first.Command[0], first.Ports[0] = "Mangled", "mangled", "mangled", 1
	first.Environment["B"] = "2"
	for i := range 3 {
		got, err := cs.Get(ctx, c.UUID)
		noErr(t, err, "Get again")
		sameJSON(t, got, c, "Get after changing an earlier read")
		if i == 0 {
			got.Labels["app"] = "mangled too"
		}
	}
	for i := range 3 {
		up, err := cs.Update(ctx, c.UUID, func(c *model.Container) error {
			c.Status = fmt.Sprintf("Status%d", i)
			c.Labels["step"] = fmt.Sprint(i)
			return nil
		})
		noErr(t, err, "Update")
		got, err := cs.Get(ctx, c.UUID)
		noErr(t, err, "Get after Update")
		sameJSON(t, got, up, "Get after Update")
	}
	noErr(t, cs.Delete(ctx, c.UUID), "Delete")
	_, err = cs.Get(ctx, c.UUID)
	wantErr(t, err, errdefs.ErrNotFound, "Get deleted")
}

func testContainerIdempotencyKey(t *testing.T, s store.Store) {
	a, b := asProject(projectA), asProject(projectB)
	cs := s.Containers()
	c1 := newContainer(projectA, "")
	c1.IdempotencyKey, c1.RequestHash = "key-1", "h1"
	mustCreate(t, s, a, c1)
	dup := newContainer(projectA, "")
	dup.IdempotencyKey = "key-1"
	wantErr(t, cs.Create(a, dup), errdefs.ErrAlreadyExists, "same key, same project")
	other := newContainer(projectB, "")
	other.IdempotencyKey = "key-1"
	mustCreate(t, s, b, other)
	got, err := cs.GetByIdempotencyKey(a, "key-1")
	noErr(t, err, "get by key")
	if got.UUID != c1.UUID || got.RequestHash != "h1" {
		t.Fatalf("get by key: %s %q, want %s h1", got.UUID, got.RequestHash, c1.UUID)
	}
	got, err = cs.GetByIdempotencyKey(b, "key-1")
	noErr(t, err, "B get by key")
	if got.UUID != other.UUID {
		t.Fatalf("B got %s, want its own %s", got.UUID, other.UUID)
	}
	_, err = cs.GetByIdempotencyKey(a, "key-2")
	wantErr(t, err, errdefs.ErrNotFound, "unknown key")
	_, err = cs.GetByIdempotencyKey(a, "")
	wantErr(t, err, errdefs.ErrNotFound, "empty key")
	// The key survives updates and goes with the record.
	_, err = cs.Update(a, c1.UUID, func(c *model.Container) error { c.Status = "Running"; return nil })
	noErr(t, err, "update")
	got, err = cs.GetByIdempotencyKey(a, "key-1")
	noErr(t, err, "get by key after update")
	if got.UUID != c1.UUID {
		t.Fatalf("after update: %s", got.UUID)
	}
	noErr(t, cs.Delete(a, c1.UUID), "delete")
	again := newContainer(projectA, "")
	again.IdempotencyKey = "key-1"
	mustCreate(t, s, a, again)
	// Containers without a key never collide.
	mustCreate(t, s, a, newContainer(projectA, ""))
	mustCreate(t, s, a, newContainer(projectA, ""))
}
