package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// Run runs the conformance suite. newStore must return an empty store that
// stays open until t ends.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Containers/CRUD", testContainerCRUD},
		{"Containers/Scoping", testContainerScoping},
		{"Containers/UniqueNames", testContainerUniqueNames},
		{"Containers/UpdateAtomic", testContainerUpdateAtomic},
		{"Containers/UpdateAbort", testContainerUpdateAbort},
		{"Containers/Paging", testContainerPaging},
		{"Containers/Filters", testContainerFilters},
		{"Containers/Timestamps", testContainerTimestamps},
		{"Containers/GetCopies", testContainerGetCopies},
		{"Hosts/CRUD", testHostCRUD},
		{"Hosts/Paging", testHostPaging},
		{"Hosts/ClaimConcurrent", testClaimConcurrent},
		{"Hosts/ClaimErrors", testClaimErrors},
		{"Hosts/ClaimBatch", testClaimBatch},
		{"Hosts/ClaimBatchConcurrent", testClaimBatchConcurrent},
		{"Hosts/ResizeRelease", testResizeRelease},
		{"Hosts/DeleteContainerReleases", testDeleteReleases},
		{"Services", testServices},
		{"Actions", testActions},
		{"Identity", testIdentity},
		{"Identity/Admin", testIdentityAdmin},
		{"Identity/Tokens", testIdentityTokens},
		{"Quotas/Limits", testQuotaLimits},
		{"Quotas/CreateConcurrent", testQuotaCreateConcurrent},
		{"Quotas/UpdateConcurrent", testQuotaUpdateConcurrent},
		{"Capsules", testCapsules},
		{"Volumes", testVolumes},
		{"GlanceImages", testGlanceImages},
		{"Images", testImages},
		{"Registries", testRegistries},
		{"Networks/Records", testNetworkRecords},
		{"Networks/IPAMConcurrent", testNetworkIPAMConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// Projects of the suite.
const (
	projectA = "project-a"
	projectB = "project-b"
)

// asProject is a member of project p.
func asProject(p string) context.Context {
	return zunctx.WithIdentity(context.Background(), zunctx.Identity{
		UserID: "user-" + p, ProjectID: p, Roles: []string{"member"},
	})
}

// asAdminAll is an admin allowed to see every project.
func asAdminAll() context.Context {
	return zunctx.WithAllProjects(zunctx.WithIdentity(context.Background(), zunctx.Identity{
		UserID: "admin", ProjectID: "admin-project", Roles: []string{"admin"},
	}))
}

func system() context.Context { return zunctx.System(context.Background()) }

func newContainer(project, name string) *model.Container {
	return &model.Container{
		Name:        name,
		ProjectID:   project,
		UserID:      "user-" + project,
		Image:       "busybox:1.35",
		Command:     []string{"sleep", "3600"},
		CPU:         0.5,
		Memory:      128,
		Environment: map[string]string{"A": "1"},
		Labels:      map[string]string{"app": name},
		Status:      "Creating",
		Ports:       []int{80},
	}
}

func mustCreate(t *testing.T, s store.Store, ctx context.Context, c *model.Container) *model.Container {
	t.Helper()
	if err := s.Containers().Create(ctx, c); err != nil {
		t.Fatalf("Create(%q): %v", c.Name, err)
	}
	return c
}

func wantErr(t *testing.T, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func noErr(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sameJSON compares two records by their JSON form.
func sameJSON(t *testing.T, got, want any, what string) {
	t.Helper()
	g, err := json.Marshal(got)
	noErr(t, err, "marshal")
	w, err := json.Marshal(want)
	noErr(t, err, "marshal")
	if string(g) != string(w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func uuids(list []*model.Container) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.UUID
	}
	return out
}

func eqStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// microsecond reports whether t has at most microsecond precision in UTC.
func microsecond(t time.Time) bool {
	return t.Location() == time.UTC && t.Equal(t.Truncate(time.Microsecond))
}

func name(i int) string { return fmt.Sprintf("c%02d", i) }
