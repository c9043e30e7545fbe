package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// testQuotaLimits resolves limits: override, then the default class, then
// the built-in defaults; and scopes project quotas.
func testQuotaLimits(t *testing.T, s store.Store) {
	q, ctx := s.Quotas(), system()
	got, err := q.Limits(ctx, projectA)
	noErr(t, err, "Limits")
	if !reflect.DeepEqual(got, model.DefaultQuotaLimits()) {
		t.Fatalf("Limits of a new project = %v, want the built-in defaults", got)
	}
	noErr(t, q.SetClassLimits(ctx, model.DefaultQuotaClass, model.QuotaLimits{"containers": 7, "cpu": -1}), "SetClassLimits")
	noErr(t, q.SetProjectLimits(ctx, projectA, model.QuotaLimits{"containers": 3, "memory": 1000}), "SetProjectLimits")
	noErr(t, q.SetProjectLimits(ctx, projectA, model.QuotaLimits{"containers": 5}), "SetProjectLimits again")
	got, err = q.Limits(ctx, projectA)
	noErr(t, err, "Limits")
	want := model.QuotaLimits{"containers": 5, "cpu": -1, "memory": 1000, "disk": 100}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Limits = %v, want %v", got, want)
	}
	own, err := q.ProjectLimits(ctx, projectA)
	noErr(t, err, "ProjectLimits")
	if !reflect.DeepEqual(own, model.QuotaLimits{"containers": 5, "memory": 1000}) {
		t.Fatalf("ProjectLimits = %v", own)
	}
	got, err = q.Limits(ctx, projectB)
	noErr(t, err, "Limits B")
	if want := (model.QuotaLimits{"containers": 7, "cpu": -1, "memory": 51200, "disk": 100}); !reflect.DeepEqual(got, want) {
		t.Fatalf("Limits of B = %v, want %v", got, want)
	}
	cl, err := q.ClassLimits(asProject(projectB), "gold")
	noErr(t, err, "ClassLimits of an unset class")
	if !reflect.DeepEqual(cl, model.DefaultQuotaLimits()) {
		t.Fatalf("ClassLimits(gold) = %v", cl)
	}

	// A member reaches only its own project, and never writes classes.
	_, err = q.Limits(asProject(projectB), projectA)
	wantErr(t, err, errdefs.ErrNotFound, "Limits of another project")
	_, err = q.Usage(asProject(projectB), projectA)
	wantErr(t, err, errdefs.ErrNotFound, "Usage of another project")
	wantErr(t, q.SetProjectLimits(asProject(projectB), projectA, model.QuotaLimits{"containers": 1}), errdefs.ErrNotFound, "SetProjectLimits of another project")
	wantErr(t, q.SetClassLimits(asProject(projectB), "default", model.QuotaLimits{"containers": 1}), errdefs.ErrForbidden, "SetClassLimits as a member")
	_, err = q.Limits(asProject(projectA), projectA)
	noErr(t, err, "Limits of its own project")
	_, err = q.Limits(asAdminAll(), projectB)
	noErr(t, err, "Limits as an admin")

	wantErr(t, q.SetProjectLimits(ctx, projectA, model.QuotaLimits{"bogus": 1}), errdefs.ErrInvalidArgument, "unknown resource")
	wantErr(t, q.SetProjectLimits(ctx, projectA, model.QuotaLimits{"cpu": -2}), errdefs.ErrInvalidArgument, "below -1")

	noErr(t, q.DeleteProjectLimits(ctx, projectA), "DeleteProjectLimits")
	noErr(t, q.DeleteProjectLimits(ctx, projectA), "DeleteProjectLimits twice")
	got, err = q.Limits(ctx, projectA)
	noErr(t, err, "Limits after delete")
	if want := (model.QuotaLimits{"containers": 7, "cpu": -1, "memory": 51200, "disk": 100}); !reflect.DeepEqual(got, want) {
		t.Fatalf("Limits after delete = %v, want the class %v", got, want)
	}
}

// testQuotaCreateConcurrent fires 50 creates at a quota of 5 containers:
// exactly 5 are written, the others are refused with the quota error, and
// deleting them all brings usage back to zero.
func testQuotaCreateConcurrent(t *testing.T, s store.Store) {
	quotaCreateRace(t, []store.Store{s})
}

// quotaCreateRace is testQuotaCreateConcurrent over stores sharing one
// database, as several zun-api processes do: create i goes through
// stores[i % len(stores)].
func quotaCreateRace(t *testing.T, stores []store.Store) {
	s := stores[0]
	q := s.Quotas()
	noErr(t, q.SetProjectLimits(system(), projectA, model.QuotaLimits{"containers": 5}), "SetProjectLimits")
	const n = 50
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []*model.Container
		refused int
		other   []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newContainer(projectA, name(i))
			err := stores[i%len(stores)].Containers().CreateInQuota(asProject(projectA), c)
			mu.Lock()
			defer mu.Unlock()
			var oq *store.OverQuotaError
			switch {
			case err == nil:
				created = append(created, c)
			case errors.As(err, &oq) && errors.Is(err, errdefs.ErrQuotaExceeded):
				if err.Error() != "Quota exceeded for resources: ['containers']" {
					other = append(other, err)
				}
				refused++
			default:
				other = append(other, err)
			}
		}()
	}
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("unexpected errors: %v", other)
	}
	if len(created) != 5 || refused != n-5 {
		t.Fatalf("created %d, refused %d; want 5 and %d", len(created), refused, n-5)
	}
	u, err := q.Usage(system(), projectA)
	noErr(t, err, "Usage")
	if want := (model.QuotaUsage{Containers: 5, CPU: 2.5, Memory: 5 * 128}); u != want {
		t.Fatalf("Usage = %+v, want %+v", u, want)
	}
	// Another project has its own count.
	noErr(t, s.Containers().CreateInQuota(asProject(projectB), newContainer(projectB, "b")), "create in B")
	for _, c := range created {
		noErr(t, s.Containers().Delete(system(), c.UUID), "Delete")
	}
	u, err = q.Usage(system(), projectA)
	noErr(t, err, "Usage after delete")
	if u != (model.QuotaUsage{}) {
		t.Fatalf("Usage after deleting everything = %+v, want zero", u)
	}
	noErr(t, s.Containers().CreateInQuota(asProject(projectA), newContainer(projectA, "again")), "create after delete")
}

// testQuotaUpdateConcurrent raises memory in parallel against a quota:
// only what fits is written, usage never exceeds the limit, and lowering
// is always allowed.
func testQuotaUpdateConcurrent(t *testing.T, s store.Store) {
	q := s.Quotas()
	noErr(t, q.SetProjectLimits(system(), projectA, model.QuotaLimits{"memory": 1000}), "SetProjectLimits")
	cs := make([]*model.Container, 10)
	for i := range cs {
		c := newContainer(projectA, name(i))
		c.Memory = 64
		noErr(t, s.Containers().CreateInQuota(asProject(projectA), c), "create")
		cs[i] = c
	}
	// 640 used, 360 free: one raise to 256 (+192) fits, a second does not.
	var (
		wg            sync.WaitGroup
		mu            sync.Mutex
		grown, denied int
		other         []error
	)
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Containers().UpdateInQuota(asProject(projectA), c.UUID, func(x *model.Container) error {
				x.Memory = 256
				return nil
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				grown++
			case errors.Is(err, errdefs.ErrQuotaExceeded) && err.Error() == "Quota exceeded for resources: ['memory']":
				denied++
			default:
				other = append(other, err)
			}
		}()
	}
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("unexpected errors: %v", other)
	}
	u, err := q.Usage(system(), projectA)
	noErr(t, err, "Usage")
	if grown != 1 || denied != 9 || u.Memory != 640+192 {
		t.Fatalf("grown %d, denied %d, memory in use %d; want 1, 9, %d", grown, denied, u.Memory, 640+192)
	}
	// Lowering the limit below usage still lets a container shrink, and
	// a change of something else passes.
	noErr(t, q.SetProjectLimits(system(), projectA, model.QuotaLimits{"memory": 100, "cpu": 5}), "lower the limit")
	_, err = s.Containers().UpdateInQuota(asProject(projectA), cs[0].UUID, func(x *model.Container) error { x.Memory = 32; return nil })
	noErr(t, err, "shrink above the limit")
	_, err = s.Containers().UpdateInQuota(asProject(projectA), cs[1].UUID, func(x *model.Container) error { x.Name = "renamed"; return nil })
	noErr(t, err, "rename above the limit")
	// cpu: 10 x 0.5 = 5 in use at a limit of 5; fractional sums must not
	// refuse what fits exactly.
	_, err = s.Containers().UpdateInQuota(asProject(projectA), cs[2].UUID, func(x *model.Container) error { x.CPU = 0.6; return nil })
	wantErr(t, err, errdefs.ErrQuotaExceeded, "cpu beyond the limit")
	_, err = s.Containers().UpdateInQuota(asProject(projectA), cs[2].UUID, func(x *model.Container) error { x.CPU = 0.3; return nil })
	noErr(t, err, "lower cpu")
	_, err = s.Containers().UpdateInQuota(asProject(projectA), cs[3].UUID, func(x *model.Container) error { x.CPU = 0.7; return nil })
	noErr(t, err, "cpu that fits exactly (0.3 + 0.7 + 8 x 0.5)")
	// Nothing was written by the refused updates.
	got, err := s.Containers().Get(system(), cs[4].UUID)
	noErr(t, err, "Get")
	if got.Memory != 64 && got.Memory != 256 {
		t.Fatalf("memory of a container %d", got.Memory)
	}
	for _, c := range cs {
		noErr(t, s.Containers().Delete(system(), c.UUID), fmt.Sprintf("Delete %s", c.Name))
	}
	u, err = q.Usage(system(), projectA)
	noErr(t, err, "Usage after delete")
	if u != (model.QuotaUsage{}) {
		t.Fatalf("Usage after deleting everything = %+v, want zero", u)
	}
}
