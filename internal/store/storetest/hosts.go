package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// NewNode returns a node with room for exactly n containers of 1 cpu,
// 256 MiB and 1 GiB disk.
func NewNode(hostname string, n int) *model.ComputeNode {
	return &model.ComputeNode{
		Hostname:            hostname,
		CPUs:                n,
		MemTotal:            int64(n)*256 + 512,
		ReservedMemory:      512,
		DiskTotal:           int64(n),
		Architecture:        "x86_64",
		OSType:              "linux",
		Labels:              map[string]string{"zone": "a"},
		Runtimes:            []string{"runc"},
		CPUAllocationRatio:  1,
		RAMAllocationRatio:  1,
		DiskAllocationRatio: 1,
	}
}

func testHostCRUD(t *testing.T, s store.Store) {
	ctx := system()
	h := s.Hosts()
	n := NewNode("node-1", 4)
	noErr(t, h.Upsert(ctx, n), "Upsert")
	if n.UUID == "" || n.CreatedAt.IsZero() {
		t.Fatalf("Upsert did not set UUID and CreatedAt: %+v", n)
	}
	got, err := h.Get(ctx, "node-1")
	noErr(t, err, "Get by hostname")
	sameJSON(t, got, n, "Get by hostname")
	got, err = h.Get(ctx, n.UUID)
	noErr(t, err, "Get by uuid")
	sameJSON(t, got, n, "Get by uuid")

	again := NewNode("node-1", 8)
	again.UUID = "another-uuid"
	noErr(t, h.Upsert(ctx, again), "Upsert existing")
	if again.UUID != n.UUID || !again.CreatedAt.Equal(n.CreatedAt) {
		t.Fatalf("Upsert changed identity: uuid %s created %v, want %s %v", again.UUID, again.CreatedAt, n.UUID, n.CreatedAt)
	}
	got, err = h.Get(ctx, "node-1")
	noErr(t, err, "Get after update")
	if got.CPUs != 8 || got.UUID != n.UUID {
		t.Fatalf("Get after update: %+v", got)
	}
	_, err = h.Get(ctx, "nope")
	wantErr(t, err, errdefs.ErrNotFound, "Get missing")

	noErr(t, h.Delete(ctx, "node-1"), "Delete")
	wantErr(t, h.Delete(ctx, "node-1"), errdefs.ErrNotFound, "Delete twice")
	_, err = h.Get(ctx, n.UUID)
	wantErr(t, err, errdefs.ErrNotFound, "Get deleted")
	wantErr(t, h.Upsert(ctx, &model.ComputeNode{}), errdefs.ErrInvalidArgument, "Upsert without hostname")
}

func testHostPaging(t *testing.T, s store.Store) {
	ctx := system()
	for _, name := range []string{"node-c", "node-a", "node-e", "node-b", "node-d"} {
		noErr(t, s.Hosts().Upsert(ctx, NewNode(name, 2)), "Upsert")
	}
	list, err := s.Hosts().List(ctx, store.ListOptions{})
	noErr(t, err, "List")
	var names []string
	for _, n := range list {
		names = append(names, n.Hostname)
	}
	if !eqStrings(names, []string{"node-a", "node-b", "node-c", "node-d", "node-e"}) {
		t.Fatalf("List default order: %v", names)
	}
	page, err := s.Hosts().List(ctx, store.ListOptions{Limit: 2, Marker: list[1].UUID, SortDir: "desc"})
	noErr(t, err, "List page")
	if len(page) != 1 || page[0].Hostname != "node-a" {
		t.Fatalf("page after node-b descending: %v", page)
	}
	_, err = s.Hosts().List(ctx, store.ListOptions{SortKey: "data"})
	wantErr(t, err, errdefs.ErrInvalidArgument, "bad sort key")
}

// claimable creates a container for each allocation test.
func claimable(t *testing.T, s store.Store, n int) []*model.Container {
	t.Helper()
	out := make([]*model.Container, n)
	for i := range n {
		c := newContainer(projectA, fmt.Sprintf("claim-%d", i))
		c.CPU, c.Memory, c.Disk = 1, 256, 1
		out[i] = mustCreate(t, s, asProject(projectA), c)
	}
	return out
}

func alloc(c *model.Container, host string) model.Allocation {
	return model.Allocation{ContainerUUID: c.UUID, Host: host, CPU: c.CPU, Memory: c.Memory, Disk: c.Disk}
}

func testClaimConcurrent(t *testing.T, s store.Store) {
	ctx := system()
	noErr(t, s.Hosts().Upsert(ctx, NewNode("node-1", 10)), "Upsert")
	cs := claimable(t, s, 20)
	var (
		wg            sync.WaitGroup
		mu            sync.Mutex
		won, conflict int
		winners       = map[string]bool{}
	)
	for _, c := range cs {
		wg.Go(func() {
			err := s.Hosts().Claim(ctx, alloc(c, "node-1"))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
				winners[c.UUID] = true
			case errors.Is(err, errdefs.ErrConflict):
				conflict++
			default:
				t.Errorf("Claim: unexpected error %v", err)
			}
		})
	}
	wg.Wait()
	if won != 10 || conflict != 10 {
		t.Fatalf("20 claims on a host with room for 10: %d succeeded, %d conflicted", won, conflict)
	}
	usage, err := s.Hosts().Usage(ctx)
	noErr(t, err, "Usage")
	if u := usage["node-1"]; u.CPU != 10 || u.Memory != 2560 || u.Disk != 10 || u.Containers != 10 {
		t.Fatalf("Usage = %+v", u)
	}
	for _, c := range cs {
		got, err := s.Containers().Get(ctx, c.UUID)
		noErr(t, err, "Get")
		if winners[c.UUID] != (got.Host == "node-1") {
			t.Fatalf("container %s: claimed %v but host %q", c.UUID, winners[c.UUID], got.Host)
		}
	}
	byHost, err := s.Containers().ListByHost(ctx, "node-1")
	noErr(t, err, "ListByHost")
	if len(byHost) != 10 {
		t.Fatalf("ListByHost gives %d containers, want 10", len(byHost))
	}
}

func testClaimErrors(t *testing.T, s store.Store) {
	ctx := system()
	h := s.Hosts()
	noErr(t, h.Upsert(ctx, NewNode("node-1", 2)), "Upsert")
	cs := claimable(t, s, 3)

	wantErr(t, h.Claim(ctx, alloc(cs[0], "nope")), errdefs.ErrNotFound, "Claim on unknown host")
	wantErr(t, h.Claim(ctx, model.Allocation{ContainerUUID: "missing", Host: "node-1", CPU: 1}),
		errdefs.ErrNotFound, "Claim for unknown container")
	big := alloc(cs[0], "node-1")
	big.Memory = 10000
	wantErr(t, h.Claim(ctx, big), errdefs.ErrConflict, "Claim beyond memory")
	disk := alloc(cs[0], "node-1")
	disk.Disk = 3
	wantErr(t, h.Claim(ctx, disk), errdefs.ErrConflict, "Claim beyond disk")
	cpu := alloc(cs[0], "node-1")
	cpu.CPU = 2.5
	wantErr(t, h.Claim(ctx, cpu), errdefs.ErrConflict, "Claim beyond cpu")

	usage, err := h.Usage(ctx)
	noErr(t, err, "Usage")
	if u, ok := usage["node-1"]; !ok || u != (model.Usage{}) {
		t.Fatalf("failed claims wrote something: usage %+v (present %v)", u, ok)
	}
	got, err := s.Containers().Get(ctx, cs[0].UUID)
	noErr(t, err, "Get")
	if got.Host != "" {
		t.Fatalf("failed claims set host %q", got.Host)
	}

	noErr(t, h.Claim(ctx, alloc(cs[0], "node-1")), "Claim")
	wantErr(t, h.Claim(ctx, alloc(cs[0], "node-1")), errdefs.ErrAlreadyExists, "Claim twice")
	frac := alloc(cs[1], "node-1")
	frac.CPU = 0.1
	for range 10 { // 10 x 0.1 must fit in the 1 cpu left despite float sums
		c := newContainer(projectA, "")
		mustCreate(t, s, asProject(projectA), c)
		a := model.Allocation{ContainerUUID: c.UUID, Host: "node-1", CPU: 0.1}
		noErr(t, h.Claim(ctx, a), "Claim 0.1 cpu")
	}
	wantErr(t, h.Claim(ctx, frac), errdefs.ErrConflict, "Claim on a full host")
	wantErr(t, h.Claim(ctx, model.Allocation{ContainerUUID: cs[2].UUID, Host: "node-1", CPU: -1}),
		errdefs.ErrInvalidArgument, "negative claim")
}

func testResizeRelease(t *testing.T, s store.Store) {
	ctx := system()
	h := s.Hosts()
	noErr(t, h.Upsert(ctx, NewNode("node-1", 4)), "Upsert")
	cs := claimable(t, s, 2)
	noErr(t, h.Claim(ctx, alloc(cs[0], "node-1")), "Claim 0")
	noErr(t, h.Claim(ctx, alloc(cs[1], "node-1")), "Claim 1")

	noErr(t, h.Resize(ctx, cs[0].UUID, 3, 768), "Resize within room")
	wantErr(t, h.Resize(ctx, cs[0].UUID, 3.5, 768), errdefs.ErrConflict, "Resize beyond cpu")
	wantErr(t, h.Resize(ctx, cs[0].UUID, 1, 1024), errdefs.ErrConflict, "Resize beyond memory")
	wantErr(t, h.Resize(ctx, "missing", 1, 1), errdefs.ErrNotFound, "Resize without allocation")
	usage, err := h.Usage(ctx)
	noErr(t, err, "Usage")
	if u := usage["node-1"]; u.CPU != 4 || u.Memory != 1024 || u.Disk != 2 || u.Containers != 2 {
		t.Fatalf("Usage after resize = %+v", u)
	}

	noErr(t, h.Release(ctx, cs[0].UUID), "Release")
	noErr(t, h.Release(ctx, cs[0].UUID), "Release twice")
	usage, err = h.Usage(ctx)
	noErr(t, err, "Usage")
	if u := usage["node-1"]; u.CPU != 1 || u.Memory != 256 || u.Disk != 1 || u.Containers != 1 {
		t.Fatalf("Usage after release = %+v", u)
	}
	wantErr(t, h.Resize(ctx, cs[0].UUID, 1, 1), errdefs.ErrNotFound, "Resize released")
}

func testDeleteReleases(t *testing.T, s store.Store) {
	ctx := system()
	noErr(t, s.Hosts().Upsert(ctx, NewNode("node-1", 1)), "Upsert")
	cs := claimable(t, s, 2)
	noErr(t, s.Hosts().Claim(ctx, alloc(cs[0], "node-1")), "Claim")
	wantErr(t, s.Hosts().Claim(ctx, alloc(cs[1], "node-1")), errdefs.ErrConflict, "Claim on a full host")
	noErr(t, s.Containers().Delete(asProject(projectA), cs[0].UUID), "Delete")
	noErr(t, s.Hosts().Claim(ctx, alloc(cs[1], "node-1")), "Claim after the delete freed the host")
	usage, err := s.Hosts().Usage(ctx)
	noErr(t, err, "Usage")
	if u := usage["node-1"]; u.Containers != 1 {
		t.Fatalf("Usage = %+v", u)
	}
}
